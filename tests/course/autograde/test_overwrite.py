"""Test cells put back from the gradebook (course/autograde/overwrite.py), quiet about hidden tests.

The preprocessor runs here as nbgrader's autograde runs it, on one notebook and a small
gradebook; the whole run is ``tests/integration/test_grading_log.py``.
"""

import logging

import pytest
from nbformat.v4 import new_code_cell, new_notebook
from nbgrader.api import Gradebook
from nbgrader.preprocessors import ClearHiddenTests
from nbgrader.utils import compute_checksum
from traitlets.config import Config

from course.autograde import overwrite
from course.autograde.overwrite import OverwriteReleasedCells, as_released

SOURCE = ('"""Check f: its values."""\nassert f(1) == 2\n'
          "### BEGIN HIDDEN TESTS\nassert f(2) == 4\n### END HIDDEN TESTS\nprint('done')")
# What the release hands out: the lines between the two markers, and the markers, cut.
RELEASED = '"""Check f: its values."""\nassert f(1) == 2\nprint(\'done\')'
EXPLAINED = "test cells are handed in without their hidden tests"


def _test_cell(source, points=1):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True,
                                 "points": points, "grade_id": "check_f", "schema_version": 3}
    return cell


@pytest.fixture
def resources(gradebook_url):
    """nbgrader's resources for notebook ``one`` of ``ps1``, whose test cell is SOURCE."""
    with Gradebook(gradebook_url) as gb:
        gb.add_assignment("ps1")
        gb.add_notebook("one", "ps1")
        gb.add_grade_cell("check_f", "one", "ps1", max_score=1, cell_type="code")
        gb.add_source_cell("check_f", "one", "ps1", cell_type="code", locked=True,
                           source=SOURCE, checksum=compute_checksum(_test_cell(SOURCE)))
    return {"nbgrader": {"notebook": "one", "assignment": "ps1", "db_url": gradebook_url}}


@pytest.fixture
def log(caplog, monkeypatch):
    """The records the preprocessor logs, in a run that has explained nothing yet."""
    monkeypatch.setattr(overwrite, "_EXPLAINED", False)
    caplog.set_level(logging.INFO, logger="overwrite-test")
    return caplog


def _overwrite(resources, *cells, config=None):
    nb = new_notebook(cells=list(cells))
    step = OverwriteReleasedCells(config=config or Config(),
                                  log=logging.getLogger("overwrite-test"))
    return step.preprocess(nb, resources)[0]


def _messages(log, level):
    return [r.getMessage() for r in log.records if r.levelno == level]


def test_as_released_cuts_the_hidden_tests_as_the_release_does():
    assert as_released(SOURCE, ClearHiddenTests()) == RELEASED
    assert as_released("assert f(1) == 2", ClearHiddenTests()) == "assert f(1) == 2"


def test_as_released_uses_the_delimiters_of_the_configuration():
    clear = ClearHiddenTests(config=Config({"ClearHiddenTests": {
        "begin_test_delimeter": "BEGIN SECRET", "end_test_delimeter": "END SECRET"}}))
    assert as_released("a\n# BEGIN SECRET\nb\n# END SECRET\nc", clear) == "a\nc"
    assert as_released(SOURCE, clear) == SOURCE   # nbgrader's default markers are text here


def test_as_released_refuses_a_hidden_region_that_is_not_closed():
    with pytest.raises(RuntimeError, match="No end hidden tests statement found"):
        as_released("a\n### BEGIN HIDDEN TESTS\nb", ClearHiddenTests())


def test_a_test_cell_as_released_is_put_back_without_a_warning(resources, log):
    nb = _overwrite(resources, _test_cell(RELEASED))
    assert nb.cells[0].source == SOURCE
    assert _messages(log, logging.WARNING) == []
    [info] = _messages(log, logging.INFO)
    assert info.startswith(EXPLAINED) and "only a test cell a student changed is reported" in info


def test_why_nothing_is_reported_is_said_once_per_run(resources, log):
    _overwrite(resources, _test_cell(RELEASED))
    _overwrite(resources, _test_cell(RELEASED))   # nbgrader makes a preprocessor per notebook
    [info] = _messages(log, logging.INFO)
    assert info.startswith(EXPLAINED)


def test_a_test_cell_the_student_changed_is_reported_and_put_back(resources, log):
    nb = _overwrite(resources, _test_cell(RELEASED.replace("f(1) == 2", "True")))
    assert nb.cells[0].source == SOURCE
    [warning] = _messages(log, logging.WARNING)
    assert warning.startswith("Attribute 'checksum' for cell check_f has changed!")
    assert _messages(log, logging.INFO) == []


def test_other_changes_to_a_cell_as_released_are_still_reported(resources, log):
    nb = _overwrite(resources, _test_cell(RELEASED, points=5))
    assert nb.cells[0].source == SOURCE and nb.cells[0].metadata.nbgrader.points == 1.0
    [warning] = _messages(log, logging.WARNING)
    assert warning.startswith("Attribute 'points' for cell check_f has changed!")


def test_the_release_is_read_with_the_courses_delimiters(resources, log):
    """A course with its own markers: the cell as released is the one cut at those markers."""
    config = Config({"ClearHiddenTests": {"begin_test_delimeter": "BEGIN SECRET",
                                          "end_test_delimeter": "END SECRET"}})
    _overwrite(resources, _test_cell(RELEASED), config=config)
    # with other markers, the gradebook's cell has nothing to cut: RELEASED is an edit
    [warning] = _messages(log, logging.WARNING)
    assert warning.startswith("Attribute 'checksum' for cell check_f has changed!")


def test_a_cell_unknown_to_the_gradebook_is_left_to_nbgrader(resources, log):
    cell = _test_cell("assert g(1)")
    cell.metadata.nbgrader["grade_id"] = "check_g"
    nb = _overwrite(resources, cell, new_code_cell("x = 1"))
    assert "grade_id" not in nb.cells[0].metadata.nbgrader
    assert _messages(log, logging.WARNING) == ["Cell 'check_g' does not exist in the database"]
