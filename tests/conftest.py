"""Shared fixtures: the repository, course folders to grade in, the graded demo class, PostgreSQL.

The builders behind them are in ``support`` (``tests/support/``).
"""

import os
import shutil

import pytest
from filelock import FileLock

from support import ROOT, build_graded_demo, copy_course, make_course
from support.order import START_FIRST


def pytest_collection_modifyitems(config, items):
    """The files of START_FIRST first, in its order; every other test after, in its own order."""
    rank = {ROOT / "tests" / name: index for index, name in enumerate(START_FIRST)}
    items.sort(key=lambda item: rank.get(item.path, len(START_FIRST)))   # a stable sort


@pytest.fixture(scope="session")
def repo_root():
    return ROOT


def _shared(tmp_path_factory, name, build):
    """``build(folder)`` run once for all pytest-xdist workers of the session; returns ``folder``.

    The first worker to ask builds it under a file lock; the others wait and reuse it.
    A build that failed half way is started again by the next to ask.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder = shared / name
    with FileLock(str(shared / f"{name}.lock")):
        if not (folder / "built").exists():
            shutil.rmtree(folder, ignore_errors=True)
            build(folder)
            (folder / "built").write_text("built\n")
    return folder


@pytest.fixture(scope="session")
def graded_demo(tmp_path_factory):
    """The demo class and the solution, graded by nbgrader once per test session, shared.

    Built once for all pytest-xdist workers, so tests must only read it: a test that
    changes a graded course takes ``graded_copy``.
    """
    return _shared(tmp_path_factory, "graded-demo",
                   lambda folder: build_graded_demo(folder / "course")) / "course"


@pytest.fixture(scope="session")
def released_course(tmp_path_factory):
    """A course released by `course release` once per test session (config, source/,
    release/ and the gradebook that knows the assignment), shared.

    Tests must only read it: a test that grades in a released course copies it with
    ``support.copy_course``: a generate_assignment run, with the `alembic heads` nbgrader
    runs to stamp a new gradebook, costs about 3.3 s of CPU each time (13 in a session).
    """
    def build(folder):
        from course import pipeline
        pipeline.release(make_course(folder / "course"))

    return _shared(tmp_path_factory, "released-course", build) / "course"


@pytest.fixture(scope="session")
def student_install(tmp_path_factory):
    """The course as students get it: published by `course publish`, and installed by the
    commands of its own README (a fresh venv, pip from the registry), once per session.

    Returns the published folder (its ``.venv/`` is the student's environment; the
    commands' output is ``../readme-commands.log``). Shared like ``graded_demo``:
    tests must only read it, and copy what they change.
    """
    from support.published import FOLDER, publish_and_install

    return _shared(tmp_path_factory, "student-install", publish_and_install) / FOLDER


@pytest.fixture
def graded_copy(graded_demo, tmp_path):
    """A copy of the graded demo class for a test to change (gradebook included)."""
    return copy_course(graded_demo, tmp_path / "course")


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
