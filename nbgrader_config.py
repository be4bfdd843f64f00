"""nbgrader configuration of the Initialization course.

Run nbgrader's commands (and `course`) from this folder, the course root.
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "initialization-course"

# Students write between the course's own markers; the release keeps the
# frame and puts a stub inside it.
c.ClearSolutions.begin_solution_delimeter = "START CODE HERE"
c.ClearSolutions.end_solution_delimeter = "END CODE HERE"
c.ClearSolutions.code_stub = {
    "python": (
        "### START CODE HERE ### (≈ 2 lines of code)\n"
        "# YOUR CODE HERE\n"
        "raise NotImplementedError()\n"
        "### END CODE HERE ###"
    ),
}

# Hidden tests use nbgrader's default markers, ### BEGIN HIDDEN TESTS and
# ### END HIDDEN TESTS: removed from the release, restored at autograde.

# Any stderr output zeroes a test cell. The checks keep warnings out, and this
# drops a stray warning (from NumPy in a student's function, say) rather than
# let it cost points; errors are separate outputs and still count.
c.IgnorePattern.enabled = True
c.IgnorePattern.pattern = r"Warning"

# Training takes about a second per run; leave room for a slow machine.
c.Execute.timeout = 120

# --- Collecting submissions (issue 6: LMS downloads and nbgrader's exchange) ---
# From an LMS download: put the archive (or the loose files) in
# downloaded/initialization/archive/ and run `nbgrader zip_collect initialization`.
# Each file name must match this pattern, which is Canvas's naming:
#   <login>_[LATE_]<user id>_<submission id>_<notebook>[-<n>].ipynb
#   e.g. alice_20460_880100_Initialization.ipynb, bob_LATE_20461_880101_Initialization-1.ipynb
# The login becomes the nbgrader student id. nbgrader matches the pattern against
# the file's whole path, hence the leading `.*/`. A file that does not match is
# skipped with a warning naming it, and stays in downloaded/initialization/.
# (`course lms-archive` writes the demo class in this form: demo/lms/submissions.zip.)
c.FileNameCollectorPlugin.named_regexp = (
    r".*/(?P<student_id>[A-Za-z][A-Za-z0-9]*)_(?:LATE_)?[0-9]+_[0-9]+_"
    r"(?P<file_id>[^/]+?)(?:-[0-9]+)?\.ipynb$"
)

# Through nbgrader's exchange, as on a JupyterHub where students fetch and submit
# from JupyterLab's Assignments tab: every user's nbgrader reads the same
# exchange folder and course id (course_id is set above). Uncomment and set
# the exchange here for the instructor, and in the students' own config
# (e.g. /etc/jupyter/nbgrader_config.py on the hub) with the same two lines:
#   c.CourseDirectory.course_id = "initialization-course"
#   c.Exchange.root = "/srv/nbgrader/exchange"
# The exchange folder must exist and be writable by everyone (chmod ugo+rw); the
# instructor then runs `nbgrader release_assignment initialization` and, after
# the deadline, `nbgrader collect initialization` and `nbgrader autograde ...`.
# c.Exchange.root = "/srv/nbgrader/exchange"
