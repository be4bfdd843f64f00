"""The order in which `make test` starts its test files."""

# The test files that take longest (their nbgrader runs: minutes each on this 2-core
# machine), in the order they should start. pytest-xdist (`make test`: --dist loadfile
# --no-loadscope-reorder) hands files to its workers in collection order, so these go
# first and the many short files fill in around them, instead of one long file running
# alone at the end. The demo class's grading (`graded_demo`, which the parallel and
# PostgreSQL tests compare with) starts at once.
START_FIRST = [
    "integration/test_grading.py",
    "integration/test_hostile.py",
    "integration/test_cluster.py",
    "integration/test_catalogue.py",
    "integration/test_edited_submissions.py",
    "integration/test_grade_reports.py",
    "integration/test_collect.py",
    "integration/test_readme.py",
    "integration/test_parallel_grading.py",
    "integration/test_postgres.py",
    "integration/test_interrupted_grading.py",
    "integration/test_grading_log.py",
    "integration/test_publish.py",          # installs the students' environment (pip)
    "e2e/test_hub.py",
    "e2e/test_student_journey.py",
    "e2e/test_published_student.py",
    "e2e/test_untrusted_html.py",
]
