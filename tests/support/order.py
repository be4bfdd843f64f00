"""The order in which `make test` starts its test files."""

# The test files that take longest (their nbgrader runs, pip installs and browsers: a
# minute or more each on this 2-core machine), longest first. pytest-xdist (`make test`:
# --dist loadfile --no-loadscope-reorder) hands files to its workers in collection order,
# so these go first and the many short files fill in around them, instead of one long
# file running last on its worker while the other idles (as test_gradescope.py and
# test_install_modes.py did before they were listed). The demo class's grading (`graded_demo`, which the parallel
# and PostgreSQL tests compare with) starts at once. The figures are one file's time on
# one worker in a whole run; re-measure with `make test` (its slowest tests) when a file
# grows.
START_FIRST = [                             # seconds on one worker of `make test`, 2026-12-07
    "integration/test_grading.py",           # 109: graded_demo, which others wait for
    "integration/test_hostile.py",           # 374
    "integration/test_readme.py",            # 276
    "integration/test_gradescope.py",        # 203
    "integration/test_cluster.py",           # 181
    "integration/test_publish.py",           # 178: installs the students' environment (pip)
    "integration/test_install_modes.py",     # 177
    "integration/test_catalogue.py",         # 170
    "e2e/test_hub.py",                       # 161
    "e2e/test_student_journey.py",           # 150
    "integration/test_deadlines.py",         # 116
    "integration/test_edited_submissions.py",  # 100
    "integration/test_grade_reports.py",     # 72
    "e2e/test_untrusted_html.py",            # 63
    "integration/test_parallel_grading.py",  # 56
    "integration/test_grading_log.py",       # 55
    "integration/test_class_report.py",      # 52
    "integration/test_collect.py",           # 52
    "e2e/test_explorer.py",                  # 47
    "integration/test_postgres.py",          # 44
    "integration/test_interrupted_grading.py",  # 43
    "e2e/test_instructor_formgrader.py",     # 40
    "e2e/test_published_student.py",         # 39
]
