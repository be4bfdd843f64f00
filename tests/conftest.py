"""Shared fixtures: the repository, course folders to grade in, the graded demo class, PostgreSQL.

The builders behind them are in ``support`` (``tests/support/``).
"""

import os
import shutil

import pytest
from filelock import FileLock

from support import ROOT, build_graded_demo, make_course


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
    "e2e/test_hub.py",
    "e2e/test_student_journey.py",
    "e2e/test_untrusted_html.py",
]


def pytest_collection_modifyitems(config, items):
    """The files of START_FIRST first, in its order; every other test after, in its own order."""
    rank = {ROOT / "tests" / name: index for index, name in enumerate(START_FIRST)}
    items.sort(key=lambda item: rank.get(item.path, len(START_FIRST)))   # a stable sort


@pytest.fixture(scope="session")
def repo_root():
    return ROOT


@pytest.fixture(scope="session")
def graded_demo(tmp_path_factory):
    """The demo class and the solution, graded by nbgrader once per test session, shared.

    Built once for all pytest-xdist workers (the first to ask builds it under a file
    lock; the others wait and reuse it), so tests must only read it: a test that
    changes a graded course takes ``graded_copy``.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / "graded-demo"
    with FileLock(str(shared / "graded-demo.lock")):
        if not (folder / "built").exists():
            shutil.rmtree(folder, ignore_errors=True)   # a build that failed half way
            build_graded_demo(folder / "course")
            (folder / "built").write_text("graded\n")
    return folder / "course"


@pytest.fixture
def graded_copy(graded_demo, tmp_path):
    """A copy of the graded demo class for a test to change (gradebook included)."""
    return shutil.copytree(graded_demo, tmp_path / "course", symlinks=True)


@pytest.fixture
def course_dir(tmp_path):
    """An empty course (config and source/ only) in a temporary folder."""
    return make_course(tmp_path / "course")


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server on loopback for this test session: ``(host, port, user)``.

    Skipped where the server is not installed, except in CI (CI=true), where
    system-packages.txt installs it and a missing server is a failure.
    """
    import os

    from support.postgres import NoPostgres, postgres_server

    try:
        server = postgres_server()
        address = server.__enter__()
    except NoPostgres as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(str(error))
    try:
        yield address
    finally:
        server.__exit__(None, None, None)


def pytest_sessionfinish(session):
    """Take away the access user nobody was given to this checkout's venv (support.nonroot),
    once: in the process that ran the whole session, after every worker is done."""
    if hasattr(session.config, "workerinput"):
        return
    import sysconfig

    from support.nonroot import close_to_nobody

    close_to_nobody(sysconfig.get_paths()["purelib"])
