"""nbgrader end to end, in a temporary copy of the course with the demo class."""

import csv

import pytest

from course import pipeline
from course.gradebook.scores import ScoreError
from support import ASSIGNMENT, DEMO_LOSSES, DEMO_MANUAL, MANUAL, SOLUTION, lost_cells

pytestmark = pytest.mark.slow


@pytest.fixture
def graded_course(graded_demo):
    """The session's graded demo class (read only)."""
    return graded_demo


def test_every_demo_student_is_graded(graded_course):
    assert sorted(s.student for s in pipeline.scores(graded_course)) == sorted(
        [*DEMO_LOSSES, SOLUTION])


@pytest.mark.parametrize("student", sorted(DEMO_LOSSES))
def test_demo_student_loses_exactly_the_broken_function(graded_course, student):
    score = next(s for s in pipeline.scores(graded_course) if s.student == student)
    assert score.graded
    lost = lost_cells(score)
    assert lost == DEMO_LOSSES[student]
    for cell in lost:
        assert score.points[cell] == 0


@pytest.mark.parametrize("student", sorted(DEMO_MANUAL))
def test_written_answer_needs_manual_grading_unless_blank(graded_course, student):
    score = next(s for s in pipeline.scores(graded_course) if s.student == student)
    assert score.points[MANUAL] == DEMO_MANUAL[student]
    assert (MANUAL in score.needs_manual) == (DEMO_MANUAL[student] is None)
    assert score.complete == (DEMO_MANUAL[student] is not None)


def test_solution_scores_full_marks_and_its_answer_awaits_the_grader(graded_course):
    score = next(s for s in pipeline.scores(graded_course) if s.student == SOLUTION)
    assert score.graded and score.needs_manual == {MANUAL}
    for cell, points in score.points.items():
        if cell != MANUAL:
            assert points == score.max_points[cell], cell
    assert score.total == sum(score.max_points.values()) - score.max_points[MANUAL]


def test_points_are_split_per_function(graded_course):
    score = pipeline.scores(graded_course)[0]
    by_notebook = {}
    for cell, maximum in score.max_points.items():
        by_notebook.setdefault(score.notebooks[cell], {})[cell] = maximum
    assert by_notebook == {
        "Initialization": {"check_zeros_structure": 1, "check_zeros_values": 1,
                           "check_random_structure": 1, "check_random_values": 2,
                           "check_he_structure": 1, "check_he_values": 2},
        "Layers": {"check_xavier_scale_values": 1, "check_he_scale_values": 1,
                   "check_propagate_structure": 1, "check_propagate_values": 2,
                   MANUAL: 2},
        "Gradients": {"check_backward_structure": 1, "check_backward_values": 2},
    }


def test_score_table_shows_every_notebook_and_the_manual_state(graded_course):
    from rich.console import Console
    from course.cli import score_table
    console = Console(width=200, record=True)
    console.print(score_table(pipeline.scores(graded_course)))
    text = console.export_text()
    for title in ("Scores: Initialization", "Scores: Layers", "Scores: Gradients",
                  "Scores: total"):
        assert title in text
    layers = text.split("Scores: Layers", 1)[1].splitlines()
    names, maxima = ([cell.strip() for cell in line.split("┃")[2:7]]
                     for line in [line for line in layers if line.startswith("┃")][:2])
    assert names == ["xavier_scale", "he_scale", "propagate", "relu_spread", "Layers"]
    assert maxima == ["(/1)", "(/1)", "(/3)", "(/2)", "(/7)"]
    gradients = text.split("Scores: Gradients", 1)[1].splitlines()
    names, maxima = ([cell.strip() for cell in line.split("┃")[2:4]]
                     for line in [line for line in gradients if line.startswith("┃")][:2])
    assert names == ["backward", "Gradients"] and maxima == ["(/3)", "(/3)"]
    assert "total (/18)" in text
    alice = [line for line in text.splitlines() if line.startswith("│ alice")]
    assert any("to grade" in line for line in alice)
    assert any("16 + manual" in line for line in alice)


def test_manual_grade_is_recorded_and_counted(graded_copy):
    before = next(s for s in pipeline.scores(graded_copy) if s.student == "emeka")
    pipeline.set_manual_grade(graded_copy, "emeka", MANUAL, 1.5)
    after = next(s for s in pipeline.scores(graded_copy) if s.student == "emeka")
    assert after.points[MANUAL] == 1.5 and after.complete
    assert after.total == before.total + 1.5
    with pytest.raises(ScoreError, match="expected 0 to 2"):
        pipeline.set_manual_grade(graded_copy, "emeka", MANUAL, 3)
    with pytest.raises(ScoreError, match="has no graded cell nope"):
        pipeline.set_manual_grade(graded_copy, "emeka", "nope", 1)


def test_feedback_is_written_for_every_student_with_the_hint(graded_course):
    for student in DEMO_LOSSES:
        for notebook in ("Initialization", "Layers"):
            html = graded_course / "feedback" / student / ASSIGNMENT / f"{notebook}.html"
            assert html.is_file(), f"no {notebook} feedback for {student}"
    emeka = (graded_course / "feedback" / "emeka" / ASSIGNMENT / "Initialization.html").read_text()
    assert "looks scaled by sqrt(1/n_prev) (Xavier)" in emeka
    emeka = (graded_course / "feedback" / "emeka" / ASSIGNMENT / "Layers.html").read_text()
    assert "is Xavier&#39;s scale sqrt(1/n_prev)" in emeka or "is Xavier's scale sqrt(1/n_prev)" in emeka
    dmitri = (graded_course / "feedback" / "dmitri" / ASSIGNMENT / "Layers.html").read_text()
    assert "each layer&#39;s own size" in dmitri or "each layer's own size" in dmitri


def test_exported_grades_match_the_gradebook(graded_course):
    with open(graded_course / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for score in pipeline.scores(graded_course):
        assert float(rows[score.student]["score"]) == pytest.approx(score.total)
        assert float(rows[score.student]["max_score"]) == 18
        assert rows[score.student]["status"] == score.status
        expected = "complete" if DEMO_MANUAL.get(score.student, None) is not None else "needs manual grading"
        assert score.status == expected, score.student


def test_submissions_are_not_modified(graded_course, repo_root):
    for student in DEMO_LOSSES:
        for notebook in ("Initialization", "Layers"):
            path = f"submitted/{student}/{ASSIGNMENT}/{notebook}.ipynb"
            assert (graded_course / path).read_bytes() == (repo_root / path).read_bytes()
