"""Shared fixtures: the repository, and temporary course folders to grade in."""

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ASSIGNMENT = "initialization"


@pytest.fixture(scope="session")
def repo_root():
    return ROOT


def make_course(path, *, with_submitted=False):
    """A fresh course root at ``path``: config, source/ and optionally the demo class."""
    path.mkdir(parents=True, exist_ok=True)
    shutil.copy2(ROOT / "nbgrader_config.py", path / "nbgrader_config.py")
    shutil.copytree(ROOT / "source", path / "source")
    if with_submitted:
        shutil.copytree(ROOT / "submitted", path / "submitted")
    return path


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

    from postgres_server import NoPostgres, postgres_server

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
