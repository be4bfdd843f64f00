"""What an instructor reads in the autograde log: nothing alarming for a clean submission.

One nbgrader run grades two students: alice, the demo class's right answers as
handed in, and tinkerer, the same work with the visible part of a test cell edited.
"""

import shutil

import nbformat
import pytest

from course import pipeline
from support import ASSIGNMENT, ROOT, copy_course
from support.logs import alarming, by_student

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded_log(tmp_path_factory, released_course):
    root = copy_course(released_course, tmp_path_factory.mktemp("log") / "course")
    shutil.copytree(ROOT / "submitted" / "alice", root / "submitted" / "alice")
    shutil.copytree(ROOT / "submitted" / "alice", root / "submitted" / "tinkerer")
    path = root / "submitted" / "tinkerer" / ASSIGNMENT / "Initialization.ipynb"
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells
                if c.metadata.get("nbgrader", {}).get("grade_id") == "check_zeros_values")
    cell.source = cell.source.replace('"""Check', '"""My check', 1)
    nbformat.write(nb, path)
    return root, by_student(pipeline.nbgrader(root, "autograde", ASSIGNMENT))


def test_a_clean_submission_logs_no_warning_and_no_error(graded_log):
    _, lines = graded_log
    assert lines["alice"] and not alarming(lines["alice"]), "\n".join(alarming(lines["alice"]))


def test_an_edited_test_cell_is_reported_once_and_graded_from_the_source(graded_log):
    root, lines = graded_log
    changed = [l for l in lines["tinkerer"] if "has changed" in l]
    assert len(changed) == 1 and "check_zeros_values" in changed[0], changed
    assert any("test cell check_zeros_values was edited" in l for l in lines["tinkerer"])
    scores = {s.student: s.points for s in pipeline.scores(root)}
    assert scores["tinkerer"] == scores["alice"]


def test_why_the_hidden_tests_are_not_reported_is_said_once(graded_log):
    _, lines = graded_log
    said = [l for ls in lines.values() for l in ls if "without their hidden tests" in l]
    assert len(said) == 1
