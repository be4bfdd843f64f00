"""Notebooks as students really hand them in, graded by nbgrader: right answers keep their points.

One nbgrader run grades a control student (the demo class's right answers, alice's,
as the release hands them out) and one student per edit of ``support.edits``: the
same right answers in a notebook edited as real editors and students edit them
(a cell pasted twice, split, merged, metadata dropped, an old schema, another
kernel, nbformat 4.4, ...). Each must score exactly what the control scores.
An impostor hands in a wrong answer with a cell of its own that claims a test's
grade id: it must lose that test all the same. The notebooks leave out the
release's ungraded code cells (training and plots, which no test depends on), and
each edited student hands in only the notebooks the edit touches (the other scores
zero, as a notebook not handed in does), to keep the run short.
"""

import json
import re

import nbformat
import pytest

from course import pipeline
from course.submissions.build import fill, load_class
from support import ASSIGNMENT, DEMO_LOSSES, MANUAL, ROOT, copy_course, lean, lost_cells
from support import edits
from support.logs import alarming, by_student

pytestmark = pytest.mark.slow

NOTEBOOKS = ("Initialization", "Layers", "Gradients")   # what the control and the impostor hand in
EDITED = ("Initialization", "Layers")   # what the edits of support.edits touch ("both": these two)
CLASS = load_class(ROOT / "demo" / "class.toml")
IMPOSTOR_CELLS = ("check_zeros_structure", "check_zeros_values")   # carol fails both




def _hand_in(root, student, notebooks):
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    for name, nb in notebooks.items():        # as JSON: an edit may break nbformat's rules
        (folder / f"{name}.ipynb").write_text(json.dumps(nb, indent=1, ensure_ascii=False))


@pytest.fixture(scope="module")
def run(tmp_path_factory, released_course):
    root = copy_course(released_course, tmp_path_factory.mktemp("edited") / "course")
    release = {name: nbformat.read(root / "release" / ASSIGNMENT / f"{name}.ipynb", as_version=4)
               for name in NOTEBOOKS}

    def filled(answers, name):
        ids = {c.metadata["nbgrader"]["grade_id"] for c in release[name].cells
               if c.metadata.get("nbgrader", {}).get("solution")}
        return lean(fill(release[name], {k: v for k, v in answers.items() if k in ids}))

    right = {name: filled(CLASS["alice"], name) for name in NOTEBOOKS}
    _hand_in(root, "control", right)
    for student, (edit, grade_id, where, _) in edits.EDITS.items():   # only what the edit touches
        _hand_in(root, student, {name: edit(right[name], grade_id, release[name])
                                 for name in _edited(student)})
    wrong = {name: filled(CLASS["carol"], name) for name in NOTEBOOKS}
    for grade_id in IMPOSTOR_CELLS:
        wrong["Initialization"] = edits.test_id_claimed_by_a_student_cell(
            wrong["Initialization"], grade_id)
    _hand_in(root, "impostor", wrong)

    log = pipeline.nbgrader(root, "autograde", ASSIGNMENT, "--force", check=False)
    return {"root": root, "log": log, "scores": {s.student: s for s in pipeline.scores(root)}}


def test_the_control_keeps_every_point_of_its_right_answers(run):
    score = run["scores"]["control"]
    assert score.graded and not lost_cells(score)
    assert score.needs_manual == {MANUAL}


def _edited(student):
    """The notebooks ``student`` handed in: those its edit touches."""
    where = edits.EDITS[student][2]
    return [name for name in EDITED if where in (name, "both")]


def _cells(score, notebooks):
    return {cell: score.points[cell] for name in notebooks for cell in score.cells(name)}


@pytest.mark.parametrize("student", sorted(edits.EDITS))
def test_an_edited_submission_keeps_every_point_its_right_answers_earn(run, student):
    score, control = run["scores"][student], run["scores"]["control"]
    assert score.graded, f"{student} has missing grades: {score.points}"
    assert _cells(score, _edited(student)) == _cells(control, _edited(student))
    assert score.max_points == control.max_points
    assert {c for c in score.needs_manual if score.notebooks[c] in _edited(student)} == \
        {c for c in control.needs_manual if control.notebooks[c] in _edited(student)}


@pytest.mark.parametrize("student", ["answer-twice", "text-editor-copy", "written-twice", "test-twice"])
def test_a_duplicated_cell_does_not_count_twice(run, student):
    score, control = run["scores"][student], run["scores"]["control"]
    for name in _edited(student):
        assert score.subtotal(name) == control.subtotal(name)
    assert sum(score.max_points.values()) == sum(control.max_points.values())
    assert len(score.points) == len(control.points)


def test_a_cell_claiming_a_tests_grade_id_does_not_replace_the_test(run):
    score = run["scores"]["impostor"]
    assert score.graded
    assert lost_cells(score) == DEMO_LOSSES["carol"]
    assert {cell: score.points[cell] for cell in IMPOSTOR_CELLS} == dict.fromkeys(IMPOSTOR_CELLS, 0)


def test_an_answer_that_cannot_be_matched_is_reported_in_one_line(run):
    lines = [line for line in run["log"].splitlines()
             if re.search(r"student unmatched: Initialization\.ipynb: answer cell "
                          r"initialize_parameters_he matches no cell handed in", line)]
    assert len(lines) == 1, run["log"][-3000:]
    assert "WARNING" in lines[0]


REPAIRS = [
    ("answer-twice", "Initialization", r"initialize_parameters_he handed in 2 times, graded once"),
    ("test-twice", "Initialization", r"check_random_values handed in 2 times, graded once"),
    ("written-twice", "Layers", r"relu_spread_answer handed in 2 times, graded once"),
    ("metadata-dropped", "Initialization", r"nbgrader metadata lost, matched to the release by content"),
    ("metadata-dropped", "Layers", r"by place relu_spread_answer \(cell \d+\)"),
    ("split", "Initialization", r"initialize_parameters_random split in 2 cells, joined again"),
    ("merged", "Initialization", r"test cell check_zeros_structure not handed in, put back"),
]


@pytest.mark.parametrize("student, notebook, pattern", REPAIRS)
def test_what_was_repaired_is_said_in_one_line_per_notebook(run, student, notebook, pattern):
    mine = [line for line in run["log"].splitlines()
            if f"student {student}: {notebook}.ipynb: " in line]
    assert len(mine) == 1 and re.search(pattern, mine[0]), mine


def test_a_submission_handed_in_as_released_logs_no_warning_and_no_error(run):
    lines = by_student(run["log"])
    assert lines["control"] and not alarming(lines["control"]), alarming(lines["control"])


def test_the_unmatched_answer_is_the_only_warning_of_its_notebook_from_the_matching(run):
    warned = [line for line in alarming(by_student(run["log"])["unmatched"])
              if "student unmatched: Initialization.ipynb: " in line]
    assert len(warned) == 1 and "initialize_parameters_he" in warned[0]


def test_no_line_about_the_control_or_a_kernelspec_change(run):
    for student in ("control", "kernelspec"):
        assert not [line for line in run["log"].splitlines()
                    if re.search(rf"\[\w+ \| [A-Z]+\] student {student}: ", line)
                    and "was not handed in" not in line]   # the notebook its edit leaves alone
