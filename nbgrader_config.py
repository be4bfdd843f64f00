"""nbgrader configuration of the Initialization course.

Run nbgrader's commands (and `course`) from this folder, the course root.
"""

c = get_config()  # noqa: F821 (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "initialization-course"

# Students write between the course's own markers; the release keeps the
# frame and puts a stub inside it. Each answer keeps its own opening line, with
# its hint ("### START CODE HERE ### (≈ 9 lines of code)"), in place of the
# stub's first line (course/publish/clear_solutions.py): nbgrader's ClearSolutions
# would give every exercise the stub's one line. Otherwise nbgrader's steps.
c.ClearSolutions.begin_solution_delimeter = "START CODE HERE"
c.ClearSolutions.end_solution_delimeter = "END CODE HERE"
c.ClearSolutions.code_stub = {
    "python": (
        "### START CODE HERE ###\n"
        "# YOUR CODE HERE\n"
        "raise NotImplementedError()\n"
        "### END CODE HERE ###"
    ),
}
c.GenerateAssignment.preprocessors = [
    "nbgrader.preprocessors.IncludeHeaderFooter",
    "nbgrader.preprocessors.InstantiateTests",
    "nbgrader.preprocessors.LockCells",
    "course.publish.clear_solutions.ClearSolutionsKeepingHints",   # nbgrader's ClearSolutions
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.CheckCellMetadata",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.SaveCells",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbgrader.preprocessors.ClearMarkScheme",
    "nbgrader.preprocessors.ComputeChecksums",
    "nbgrader.preprocessors.CheckCellMetadata",
]

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
# course.feedback.hidden_tests.HideHiddenTests replaces each hidden region of a test cell by
# one neutral line and reduces errors to the check's message, after GetGrades
# has read the scores and before the HTML is written.
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "course.feedback.hidden_tests.HideHiddenTests",
    "course.feedback.summary.DescribeGradedCells",   # each graded cell's exercise; not graded yet
    "course.gradebook.deadlines.DescribeLateness",   # handed in when, and what lateness cost
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
# The page a student is handed works offline, as one file: MathJax inlined from a
# package (no CDN), a Content-Security-Policy that runs that script and nothing
# else, each graded cell named by its exercise, an answer nobody has graded yet
# said to be so, tables styled (course/feedback/page.py, course/feedback/templates/).
c.GenerateFeedback.exporter_class = "course.feedback.page.FeedbackExporter"

# --- Grading untrusted notebooks (course/autograde/execute.py, course/sandbox/kernel.py) --------
# The student's kernel is untrusted. Each notebook's kernel runs in a bubblewrap
# sandbox (no course files but its own folder's copy, no network, its own
# unprivileged user, bounded memory, processes and CPU, nothing left running),
# and a crash or an endless loop costs only the cells involved. A test cell's
# verdict is the grader's: its spec (course/specs/<assignment>.py) is observed in a
# judge process apart from the kernel, which runs the student's answer cell alone
# and calls the function (course/judge/); the grader computes the expected values
# itself and judges. Specs of an assignment kept elsewhere:
#     c.SandboxedExecute.spec_path = ["/path/to/specs"]
# Grading stops with
# one line naming the fix when the sandbox cannot run; to grade without it
# (unsafe: student code then runs with your rights and can read the solutions
# and the gradebook), set
#     c.SandboxedExecute.sandbox = False
# and every notebook graded prints a warning.
c.Autograde.autograde_preprocessors = [
    "course.autograde.execute.SandboxedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbgrader.preprocessors.LimitOutput",
    "course.feedback.sanitize.SanitizeOutputs",        # what the student displayed, made inert
    "nbgrader.preprocessors.SaveAutoGrades",
    "course.gradebook.deadlines.LatePenalties",   # nbgrader's AssignLatePenalties, facts first
    "nbgrader.preprocessors.CheckCellMetadata",
]
# When a run starts: grade again the submissions whose grading a killed run cut
# off, and remove the sandboxes killed graders left (course/autograde/run.py).
c.Autograde.exporter_class = "course.autograde.run.GradingRunExporter"
c.Autograde.pre_convert_hook = "course.autograde.run.grading_started"   # marks it, says what is wrong
c.Autograde.post_convert_hook = "course.autograde.run.grading_finished"
# Files a browser could run (HTML, SVG, JavaScript...) are never copied from a
# submission: the formgrader serves a submission's files from the instructor's
# own server, logged in. A submission holding a symbolic link is not graded.
from course.autograde.preflight import RUNNABLE as _RUNNABLE  # noqa: E402
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",  # nbgrader's
                            *_RUNNABLE]
c.OverwriteCells.add_missing_cells = True           # a deleted test cell is put back, not skipped
# nbgrader's sanitizing steps, with OverwriteCells quiet about the hidden tests the
# release cut from every test cell (course/autograde/overwrite.py); it still warns for a test
# cell the student changed. Before them, course.autograde.match.MatchReleasedCells puts each
# release cell back once, with the release's metadata, into a notebook edited as
# people edit notebooks (a cell pasted twice or split, metadata dropped by another
# editor, an old schema: nbgrader's #1083, #1941), which nbgrader would otherwise
# score zero; what it cannot match it reports in one line and grades as ordinary.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "course.autograde.match.MatchReleasedCells",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "course.autograde.overwrite.OverwriteReleasedCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.SandboxedExecute.notebook_timeout = 1200          # seconds per notebook, replays after a crash included
                                                    # (per cell: Execute.timeout)
c.SandboxedExecute.max_output_chars = 100_000       # characters of text a cell keeps
c.SandboxedExecute.max_cell_output_bytes = 2 << 20  # bytes of output a cell keeps, every kind together
c.SandboxedExecute.max_notebook_output_bytes = 10 << 20   # ... and a notebook (widget state included);
                                                    # what is cut is replaced by a line saying so
c.SandboxKernelManager.memory_limit = "3G"          # address space of each kernel process
c.SandboxKernelManager.sandbox_memory = "4G"        # memory of the kernel and all it starts, together
c.SandboxKernelManager.process_limit = 256          # processes and threads at once (each sandbox)
c.SandboxKernelManager.cpu_limit = 900              # CPU seconds of each kernel process
c.SandboxKernelManager.workdir_size = "256M"        # its working folder, a memory file system
                                                    # (the files handed in included)
c.SandboxKernelManager.tmp_size = "256M"            # its /tmp, /dev/shm and home, each
c.SandboxKernelManager.file_size_limit = "256M"     # any one file it writes
c.SandboxKernelManager.threads = 1                  # BLAS/OpenMP threads: kernels graded side by side

# Pages made from submissions (feedback, the formgrader) show what the student's
# notebook displayed inert: HTML and markdown through one allow-list, no script,
# no output metadata but an image's size (course/feedback/sanitize.py); outputs are
# cleaned once more as a page is made, so that an autograded notebook from
# elsewhere is safe to open too.
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.preprocessors = ["course.feedback.sanitize.SanitizeOutputs"]   # again, as pages are made
c.HTMLExporter.filters = {"clean_html": "course.feedback.sanitize.clean_html",
                          "markdown2html": "course.feedback.sanitize.markdown2html"}
# The formgrader's submission view typesets formulas offline: MathJax 2 from the
# instructor's own Jupyter server (the jupyter-server-mathjax package), through the
# course's MathJax macro, found before nbconvert's (course/formgrader/).
from course.formgrader import TEMPLATE_BASEDIRS as _FORMGRADER_TEMPLATES  # noqa: E402
c.HTMLExporter.extra_template_basedirs = _FORMGRADER_TEMPLATES

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
    r".*/(?P<student_id>[A-Za-z][A-Za-z0-9]*)_(?:(?P<late>LATE)_)?[0-9]+_[0-9]+_"
    r"(?P<file_id>[^/]+?)(?:-[0-9]+)?\.ipynb$"
)
# A damaged archive is named in one line and nothing is extracted (nbgrader's own
# extractor ends in a traceback, halfway).
c.ZipCollectApp.extractor_plugin = "course.submissions.lms_archive.CheckedExtractorPlugin"
# Canvas's download gives no submission time, only LATE_. course.submissions.lms_archive.LmsCollectorPlugin
# takes each student's time from downloaded/initialization/submission_times.csv
# (student_id,submitted_at, times with their zone) and zip_collect writes it to
# submitted/<student>/initialization/timestamp.txt; a file flagged LATE_ without a
# time is named in a warning. For an LMS whose file names hold the time, give the
# pattern a (?P<timestamp>...) group (and LmsCollectorPlugin.timestamp_format and
# .timezone if it is not ISO 8601 with a zone).
c.ZipCollectApp.collector_plugin = "course.submissions.lms_archive.LmsCollectorPlugin"

# Through nbgrader's exchange, as on a JupyterHub where students fetch and submit
# from JupyterLab's Assignments tab: every user's nbgrader reads the same
# exchange folder and course id (course_id is set above). Uncomment and set
# the exchange here for the instructor, and in the students' own config
# (e.g. /etc/jupyter/nbgrader_config.py on the hub) with the same two lines:
#   c.CourseDirectory.course_id = "initialization-course"
#   c.Exchange.root = "/srv/nbgrader/exchange"
# The exchange folder must exist and be writable by everyone (chmod 1777); the
# instructor then runs `nbgrader release_assignment initialization` and, after
# the deadline, `nbgrader collect initialization` and `nbgrader autograde ...`.
# The course's hub (hub/jupyterhub_config.py, README "Running the course on a
# JupyterHub") sets both for every account in hub/jupyter/nbgrader_config.py.
# Without an exchange, the formgrader's Manage Assignments page says that the course
# collects from an LMS download (course/formgrader/).
# c.Exchange.root = "/srv/nbgrader/exchange"

# --- Deadlines, late work and extensions (course/gradebook/deadlines.py) ------
# The due date is nbgrader's (the gradebook's Assignment.duedate): set it with
# `course release --due "2027-03-01 23:59 Europe/Berlin"`, or here, where it then
# wins and is written into the gradebook at every release and autograde:
#   c.Deadlines.due = {"initialization": "2027-03-01 23:59 Europe/Berlin"}
# Submission times come from timestamp.txt (nbgrader collect, nbgrader zip_collect);
# extensions from extensions.csv (`course extend STUDENT --hours N`). The penalty
# is nbgrader's AssignLatePenalties with this plugin, and every view of a score
# (course scores, grades.csv, feedback, course export) computes it afresh from the
# time, the due date, the extension and the score as they are now.
c.AssignLatePenalties.plugin_class = "course.gradebook.deadlines.LatePolicy"
c.LatePolicy.percent_per_day = 10     # of the score, per day (24 h) started past the due date
c.LatePolicy.max_percent = 50         # at most half the score ...
c.LatePolicy.zero_after_days = 7      # ... and nothing for work more than a week late
c.LatePolicy.grace_minutes = 5        # up to 5 minutes late is on time

# --- Exporting grades ----------------------------------------------------------
# `nbgrader export` writes grades.csv with nbgrader's columns and two more: each
# student's status (complete, needs manual grading, failed to grade, not graded,
# not submitted) and the cells an instructor overrode; the score of a submission
# that failed to grade or was not graded yet is left empty, not 0 (course/gradebook/grades_csv.py).
c.ExportApp.plugin_class = "course.gradebook.grades_csv.StatusCsvExportPlugin"
