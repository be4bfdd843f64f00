"""nbgrader end to end, in a temporary copy of the course with the demo class."""

import csv

import pytest

from course import pipeline
from conftest import ASSIGNMENT, make_course

# The test cells each demo student should fail; every other cell earns full points.
DEMO_LOSSES = {
    "alice": set(),
    "bob": {"check_zeros_structure", "check_zeros_values", "check_random_structure",
            "check_random_values", "check_he_structure", "check_he_values"},
    "carol": {"check_zeros_structure", "check_zeros_values"},    # transposed W
    "dmitri": {"check_random_values"},                           # scale 0.01
    "emeka": {"check_he_values"},                                # Xavier's scale
}

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("graded") / "course", with_submitted=True)
    pipeline.release(root)
    pipeline.autograde(root)
    pipeline.feedback(root)
    pipeline.export(root)
    return root


def test_every_demo_student_is_graded(graded_course):
    assert sorted(s.student for s in pipeline.scores(graded_course)) == sorted(DEMO_LOSSES)


@pytest.mark.parametrize("student", sorted(DEMO_LOSSES))
def test_demo_student_loses_exactly_the_broken_function(graded_course, student):
    score = next(s for s in pipeline.scores(graded_course) if s.student == student)
    assert score.graded
    lost = {cell for cell, points in score.points.items() if points != score.max_points[cell]}
    assert lost == DEMO_LOSSES[student]
    for cell in lost:
        assert score.points[cell] == 0


def test_points_are_split_per_function(graded_course):
    maxima = pipeline.scores(graded_course)[0].max_points
    assert maxima == {"check_zeros_structure": 1, "check_zeros_values": 1,
                      "check_random_structure": 1, "check_random_values": 2,
                      "check_he_structure": 1, "check_he_values": 2}


def test_feedback_is_written_for_every_student_with_the_hint(graded_course):
    for student in DEMO_LOSSES:
        html = graded_course / "feedback" / student / ASSIGNMENT / "Initialization.html"
        assert html.is_file(), f"no feedback for {student}"
    emeka = (graded_course / "feedback" / "emeka" / ASSIGNMENT / "Initialization.html").read_text()
    assert "looks scaled by sqrt(1/n_prev) (Xavier)" in emeka


def test_exported_grades_match_the_gradebook(graded_course):
    with open(graded_course / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for score in pipeline.scores(graded_course):
        assert float(rows[score.student]["score"]) == pytest.approx(score.total)
        assert float(rows[score.student]["max_score"]) == 8


def test_submissions_are_not_modified(graded_course, repo_root):
    for student in DEMO_LOSSES:
        path = f"submitted/{student}/{ASSIGNMENT}/Initialization.ipynb"
        assert (graded_course / path).read_bytes() == (repo_root / path).read_bytes()
