"""Matching a submission's cells back to the release (course/autograde/match.py), without a kernel.

Submissions are the committed release filled with the demo class's right answers
(alice's), then edited as ``support.edits`` edits them.
"""

import copy
import logging

import nbformat
import pytest

from course.autograde.match import MatchReleasedCells, match_cells, role
from course.submissions.build import fill, load_class
from support import ASSIGNMENT, ROOT
from support import edits

RELEASE = {name: nbformat.read(ROOT / "release" / ASSIGNMENT / f"{name}.ipynb", as_version=4)
           for name in ("Initialization", "Layers", "Gradients")}
ALICE = load_class(ROOT / "demo" / "class.toml")["alice"]


def _filled(name):
    nb = RELEASE[name]
    mine = {k: v for k, v in ALICE.items() if k in edits_answer_ids(nb)}
    return fill(nb, mine)


def edits_answer_ids(nb):
    return {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("solution")}


def _ids(cells):
    """The grade id of each cell (None for an ordinary cell), in order."""
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in cells]


def _release_ids(name):
    return [g for g in _ids(RELEASE[name].cells) if g]


def _match(name, edit, grade_id=None):
    nb = edit(_filled(name), grade_id, RELEASE[name])
    return nb, match_cells(nb.cells, RELEASE[name].cells)


def _metadata_as_released(result, name):
    released = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]
                for c in RELEASE[name].cells if "nbgrader" in c.metadata}
    for cell in result.cells:
        meta = cell.metadata.get("nbgrader")
        if meta is not None:
            assert meta == released[meta["grade_id"]]


@pytest.mark.parametrize("name", ["Initialization", "Layers", "Gradients"])
def test_match_leaves_a_clean_submission_exactly_as_it_was(name):
    nb = _filled(name)
    before = copy.deepcopy(nb)
    result = match_cells(nb.cells, RELEASE[name].cells)
    assert result.cells == before.cells
    assert not result.summary() and not result.unmatched


def test_match_grades_a_pasted_answer_once_the_last_copy_that_is_not_the_stub():
    nb, result = _match("Initialization", edits.answer_pasted_twice, "initialize_parameters_he")
    assert [g for g in _ids(result.cells) if g] == _release_ids("Initialization")
    copies = [c for c in result.cells if "initialize_parameters_he(layers_dims)" in c.source
              and c.source.startswith("def")]
    assert len(copies) == 2                       # both still run, as the student's code
    assert _ids(copies) == [None, "initialize_parameters_he"]   # the last one carries the answer
    assert "answer cell initialize_parameters_he handed in 2 times, graded once" in result.summary()
    assert not result.unmatched


def test_match_leaves_out_a_stub_pasted_after_the_answer():
    nb, result = _match("Initialization", edits.stub_pasted_after_answer,
                        "initialize_parameters_zeros")
    assert len(result.cells) == len(nb.cells) - 1
    kept = edits.cell_of(nbformat.from_dict({"cells": result.cells}), "initialize_parameters_zeros")
    assert "NotImplementedError" not in kept.source and "np.zeros" in kept.source
    assert not any("raise NotImplementedError" in c.source for c in result.cells
                   if "initialize_parameters_zeros(layers_dims)" in c.source)


def test_match_keeps_one_copy_of_a_pasted_test_cell():
    nb, result = _match("Initialization", edits.test_pasted_twice, "check_random_values")
    assert len(result.cells) == len(nb.cells) - 1
    assert _ids(result.cells).count("check_random_values") == 1
    assert [g for g in _ids(result.cells) if g] == _release_ids("Initialization")


def test_match_does_not_let_a_student_cell_replace_the_test_whose_id_it_claims():
    nb, result = _match("Initialization", edits.test_id_claimed_by_a_student_cell,
                        "check_zeros_values")
    claimed = [c for c in result.cells if c.metadata.get("nbgrader", {}).get("grade_id")
               == "check_zeros_values"]
    assert len(claimed) == 1 and claimed[0].source == edits.cell_of(
        RELEASE["Initialization"], "check_zeros_values").source
    fake = next(c for c in result.cells if c.source == 'print("✓ all good")')
    assert "nbgrader" not in fake.metadata        # the student's cell, ungraded
    assert [g for g in _ids(result.cells) if g] == _release_ids("Initialization")


@pytest.mark.parametrize("name", ["Initialization", "Layers", "Gradients"])
def test_match_restores_every_cell_of_a_notebook_whose_metadata_was_dropped(name):
    nb, result = _match(name, edits.metadata_dropped)
    assert [g for g in _ids(result.cells) if g] == _release_ids(name)
    _metadata_as_released(result, name)
    assert not result.unmatched
    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in result.cells
               if role(c.metadata.get("nbgrader")) in ("answer", "written")}
    filled = _filled(name)
    for grade_id, source in answers.items():
        assert source == edits.cell_of(filled, grade_id).source   # the student's own answer


def test_match_restores_emptied_nbgrader_metadata():
    nb, result = _match("Initialization", edits.nbgrader_metadata_emptied)
    assert [g for g in _ids(result.cells) if g] == _release_ids("Initialization")
    _metadata_as_released(result, "Initialization")


def test_match_restores_a_test_turned_into_markdown_by_its_content():
    nb, result = _match("Initialization", edits.test_to_markdown_metadata_dropped,
                        "check_zeros_values")
    assert [g for g in _ids(result.cells) if g] == _release_ids("Initialization")
    assert result.by_content == ["check_zeros_values (cell 11)"]


def test_match_joins_a_split_answer_cell():
    nb, result = _match("Initialization", edits.answer_split, "initialize_parameters_random")
    assert len(result.cells) == len(nb.cells) - 1
    joined = edits.cell_of(nbformat.from_dict({"cells": result.cells}),
                           "initialize_parameters_random")
    compile(joined.source, "joined", "exec")
    assert "np.random.randn" in joined.source and joined.source.startswith("def ")


def test_match_puts_back_a_test_merged_into_its_answer_after_the_answer():
    nb, result = _match("Initialization", edits.answer_merged_with_its_test,
                        "initialize_parameters_zeros")
    ids = _ids(result.cells)
    assert [g for g in ids if g] == _release_ids("Initialization")
    assert ids.index("check_zeros_structure") == ids.index("initialize_parameters_zeros") + 1
    put_back = result.cells[ids.index("check_zeros_structure")]
    assert put_back.source == edits.cell_of(RELEASE["Initialization"], "check_zeros_structure").source


def test_match_gives_an_old_schema_the_releases_metadata():
    nb, result = _match("Initialization", edits.old_schema)
    _metadata_as_released(result, "Initialization")
    assert [g for g in _ids(result.cells) if g] == _release_ids("Initialization")


def test_match_finds_a_test_cell_whose_grade_id_changed():
    nb, result = _match("Initialization", edits.grade_id_changed, "check_he_structure")
    assert [g for g in _ids(result.cells) if g] == _release_ids("Initialization")
    assert not any("-copy1" in str(g) for g in _ids(result.cells))


def test_match_reports_an_answer_it_cannot_place_in_one_line_and_keeps_its_code():
    nb, result = _match("Initialization", edits.answer_rewritten_beside_a_scratch_cell,
                        "initialize_parameters_he")
    assert result.unmatched == [l for l in result.unmatched if "initialize_parameters_he" in l]
    assert len(result.unmatched) == 1
    assert "answer cell initialize_parameters_he matches no cell handed in" in result.unmatched[0]
    assert any(c.source.startswith("def initialize_parameters_he") for c in result.cells)
    assert "initialize_parameters_he" not in _ids(result.cells)
    tests = [g for g in _ids(result.cells) if g and g.startswith("check_he")]
    assert tests == ["check_he_structure", "check_he_values"]


def test_match_reports_metadata_for_no_release_cell_and_makes_it_ordinary():
    nb = _filled("Initialization")
    stray = nbformat.v4.new_code_cell("x = 1", metadata={"nbgrader": {
        "grade": True, "solution": False, "locked": True, "points": 5,
        "grade_id": "bonus", "schema_version": 3}})
    nb.cells.append(stray)
    result = match_cells(nb.cells, RELEASE["Initialization"].cells)
    assert "nbgrader" not in result.cells[-1].metadata
    assert len(result.unmatched) == 1 and "'bonus'" in result.unmatched[0]


def test_match_puts_back_every_test_of_another_notebook_and_matches_no_answer():
    other = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("def squares(n): ...")])
    result = match_cells(other.cells, RELEASE["Initialization"].cells)
    tests = [g for g in _ids(result.cells) if g]
    assert tests == [g for g in _release_ids("Initialization") if g.startswith("check_")]
    assert len(result.unmatched) == 3             # the three answers, one line each


def test_match_of_a_written_answer_pasted_twice_keeps_one_graded_copy():
    nb, result = _match("Layers", edits.answer_pasted_twice, "relu_spread_answer")
    assert _ids(result.cells).count("relu_spread_answer") == 1
    graded = [c for c in result.cells if role(c.metadata.get("nbgrader")) == "written"]
    assert len(graded) == 1 and "He initialization keeps them spread" in graded[0].source


def test_match_says_which_cells_kept_an_old_schema_in_its_summary():
    nb, result = _match("Initialization", edits.old_schema)
    assert result.relabeled == _release_ids("Initialization")
    assert result.summary().startswith("nbgrader metadata unlike the release's, the release's used: imports")


# --- the preprocessor, with a release on disk and no nbgrader run -----------------------

class _Lines(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines = []

    def emit(self, record):
        self.lines.append((record.levelname, record.getMessage()))


def _preprocess(tmp_path, nb, *, release=True):
    if release:
        folder = tmp_path / "release" / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(RELEASE["Initialization"], folder / "Initialization.ipynb")
    here = tmp_path / "submitted" / "dana" / ASSIGNMENT
    resources = {"nbgrader": {"student": "dana", "assignment": ASSIGNMENT,
                              "notebook": "Initialization"},
                 "metadata": {"path": str(here)}}
    pre = MatchReleasedCells()
    handler = _Lines()
    pre.log.addHandler(handler)
    pre.log.setLevel(logging.INFO)
    try:
        nb, _ = pre.preprocess(nb, resources)
    finally:
        pre.log.removeHandler(handler)
    return nb, handler.lines


def test_preprocessor_matches_a_notebook_and_logs_one_line_naming_student_and_notebook(tmp_path):
    nb = edits.metadata_dropped(_filled("Initialization"))
    nb, lines = _preprocess(tmp_path, nb)
    assert [g for g in _ids(nb.cells) if g] == _release_ids("Initialization")
    assert len(lines) == 1 and lines[0][0] == "INFO"
    assert lines[0][1].startswith("student dana: Initialization.ipynb: nbgrader metadata lost")
    nbformat.validate(nb)


def test_preprocessor_gives_cells_put_back_valid_ids_in_either_nbformat(tmp_path):
    for edit in (lambda nb: nb, edits.saved_as_nbformat_4_4):
        nb = edits.answer_merged_with_its_test(edit(_filled("Initialization")),
                                               "initialize_parameters_zeros")
        nb, _ = _preprocess(tmp_path / str(nb.nbformat_minor), nb)
        nbformat.validate(nb)
        assert "check_zeros_structure" in _ids(nb.cells)


def test_preprocessor_without_a_release_leaves_the_notebook_and_says_so(tmp_path):
    nb = edits.metadata_dropped(_filled("Initialization"))
    before = copy.deepcopy(nb)
    nb, lines = _preprocess(tmp_path, nb, release=False)
    assert nb == before
    assert len(lines) == 1 and lines[0][0] == "WARNING" and "student dana" in lines[0][1]
