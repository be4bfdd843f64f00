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

# --- Feedback keeps hidden tests hidden (issue 3) -----------------------------
# nbgrader renders hidden tests and their tracebacks into feedback (#917, #1363).
# course.feedback.HideHiddenTests replaces each hidden region of a test cell by
# one neutral line and reduces errors to the check's message, after GetGrades
# has read the scores and before the HTML is written.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course.feedback.HideHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
