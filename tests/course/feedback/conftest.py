"""Fixtures of the feedback tests: a small course to make feedback in (``support.feedback``)."""

import pytest
from nbformat.v4 import new_notebook

from support.feedback import autograded_cells, feedback_course


@pytest.fixture
def course(tmp_path, empty_gradebook):
    """(course root, alice's nbgrader resources for notebook ``one``, her autograded notebook)."""
    root = tmp_path / "course"
    url = feedback_course(root, empty_gradebook)
    resources = {"unique_key": "one", "output_files_dir": "one_files",
                 "nbgrader": {"student": "alice", "assignment": "ps1", "notebook": "one",
                              "db_url": url}}
    return root, resources, new_notebook(cells=autograded_cells())
