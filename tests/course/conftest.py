"""Fixtures of the unit tests: a small nbgrader gradebook on SQLite, with no nbgrader run."""

import os
import shutil
import sys

import pytest


@pytest.fixture(scope="session")
def empty_gradebook(tmp_path_factory):
    """An empty gradebook as nbgrader's ``Gradebook`` makes it, made once per test session.

    A new gradebook runs ``alembic heads`` (a process importing nbgrader's migrations:
    seconds on a busy machine) to stamp its schema; the tests copy this one instead. The
    first pytest-xdist worker that asks makes it, under a file lock; the others reuse it.
    """
    from filelock import FileLock
    from nbgrader.api import Gradebook

    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    path = shared / "empty-gradebook.db"
    with FileLock(str(shared / "empty-gradebook.lock")):
        if not path.exists():
            made = shared / "empty-gradebook.db.new"   # whole, or not there at all
            made.unlink(missing_ok=True)
            with pytest.MonkeyPatch.context() as patch:
                # nbgrader runs `alembic` by name: this environment's, beside the interpreter
                patch.setenv("PATH", os.path.dirname(sys.executable), prepend=os.pathsep)
                Gradebook(f"sqlite:///{made}").close()
            made.rename(path)
    return path


@pytest.fixture
def gradebook_url(empty_gradebook, tmp_path):
    """The URL of a new, empty gradebook of the test's own (``tmp_path/gradebook.db``)."""
    path = tmp_path / "gradebook.db"
    shutil.copy2(empty_gradebook, path)
    return f"sqlite:///{path}"
