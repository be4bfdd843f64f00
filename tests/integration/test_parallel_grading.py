"""`course grade`: parallel autograde, on SQLite and on a real PostgreSQL server.

Each backend grades a class of six (the demo class and a second right answer)
with four workers, more submissions than workers, then runs the rest of the
pipeline (feedback, export) on the same gradebook.
"""

import csv
import uuid

import pytest

from conftest import ASSIGNMENT, make_course
from course import cli, grade, pipeline, submissions
from test_grading import DEMO_LOSSES, DEMO_MANUAL, MANUAL

pytestmark = pytest.mark.slow

CLASS = {**DEMO_LOSSES, "frank": set()}  # frank hands in alice's answers
CLASS_MANUAL = {**DEMO_MANUAL, "frank": None}  # the written answer: waiting, or 0 when blank


def build_class(root, repo_root):
    students = submissions.load_class(repo_root / "demo" / "class.toml")
    students["frank"] = students["alice"]
    submissions.write_class(students, root / "release" / ASSIGNMENT, root / "submitted", ASSIGNMENT)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def graded(request, tmp_path_factory, repo_root):
    """A course graded by `course grade --jobs 4`; returns (root, exit code, output)."""
    root = make_course(tmp_path_factory.mktemp(request.param) / "course")
    if request.param == "postgresql":
        host, port, user = request.getfixturevalue("postgres")
        url = create_database(host, port, user)
        with open(root / "nbgrader_config.py", "a") as f:
            f.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    pipeline.release(root)
    build_class(root, repo_root)
    console = cli.Console(record=True, width=120)
    code = cli.cmd_grade(cli.build_parser().parse_args(
        ["--root", str(root), "grade", "--jobs", "4"]), console)
    pipeline.feedback(root)
    pipeline.export(root)
    return request.param, root, code, console.export_text()


def create_database(host, port, user):
    from postgres_server import create_database as create
    return create(host, port, user, f"gradebook_{uuid.uuid4().hex[:8]}")


def test_gradebook_is_the_backend_asked_for(graded):
    backend, root, _, _ = graded
    assert pipeline.db_url(root).startswith(backend)


def test_every_submission_is_graded_and_summarised(graded):
    _, _, code, output = graded
    assert code == 0, output
    assert "6 graded, 0 failed, 6 submissions" in output
    assert "4 workers" in output
    for student in CLASS:
        assert student in output


def test_parallel_grades_equal_the_sequential_ones(graded):
    """The cells each student loses are the ones sequential nbgrader takes (test_grading)."""
    _, root, _, _ = graded
    scores = {s.student: s for s in pipeline.scores(root)}
    assert sorted(scores) == sorted(CLASS)
    for student, losses in CLASS.items():
        score = scores[student]
        assert score.graded, student
        lost = {cell for cell, points in score.points.items()
                if points != score.max_points[cell] and cell != MANUAL}
        assert lost == losses, student
        assert score.points[MANUAL] == CLASS_MANUAL[student], student


def test_feedback_and_export_read_the_same_gradebook(graded):
    _, root, _, _ = graded
    with open(root / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for score in pipeline.scores(root):
        assert float(rows[score.student]["score"]) == pytest.approx(score.total)
        html = root / "feedback" / score.student / ASSIGNMENT / "Initialization.html"
        assert html.is_file()


def test_grade_rejects_a_shard_with_unknown_students(tmp_path):
    root = make_course(tmp_path / "course", with_submitted=True)
    with pytest.raises(grade.GradeError, match="no submission in submitted/ for zoe"):
        grade.select_students(root, ["alice", "zoe"])
    assert grade.select_students(root, ["bob", "alice", "bob"]) == ["bob", "alice"]
    assert grade.select_students(root) == sorted(DEMO_LOSSES)


def test_grade_needs_the_assignment_in_the_gradebook(tmp_path):
    root = make_course(tmp_path / "course", with_submitted=True)
    assert cli.main(["--root", str(root), "grade", "--students", "alice", "--jobs", "1"]) == 1
    with pytest.raises(grade.GradeError, match="run `course release` first"):
        grade.grade(root, students=["alice"], jobs=1)


@pytest.mark.parametrize("url, expected", [
    ("sqlite:////c/gradebook.db", "sqlite:////c/gradebook.db?timeout=600"),
    ("sqlite:///gradebook.db?timeout=5", "sqlite:///gradebook.db?timeout=5"),
    ("postgresql+psycopg2://u:p@127.0.0.1:5432/gb", "postgresql+psycopg2://u:p@127.0.0.1:5432/gb"),
])
def test_worker_db_url_waits_for_sqlite_locks(url, expected):
    assert grade.worker_db_url(url) == expected


def test_kernel_threads_share_the_cores_out(monkeypatch):
    monkeypatch.setattr(grade, "default_jobs", lambda: 8)
    assert [grade.kernel_threads(w) for w in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]
