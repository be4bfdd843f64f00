"""`course grade`: parallel autograde on SQLite, cell for cell as sequential nbgrader.

A class of six (the demo class and a second right answer) graded with four
workers, more submissions than workers, then the rest of the pipeline (feedback,
export) on the same gradebook. (PostgreSQL: tests/integration/test_postgres.py.)
The notebooks are handed in lean (``support.lean``: no training runs) and must
still score cell for cell what the whole notebooks score in ``graded_demo``.
"""

import csv
import subprocess
import sys
import time

import nbformat
import psutil
import pytest

from course import cli, pipeline
from course.grading import local
from course.submissions import build
from support import (ASSIGNMENT, DEMO_LOSSES, DEMO_MANUAL, MANUAL, copy_course, hand_in_lean,
                     lean, lost_cells, make_course, processes_holding)

pytestmark = pytest.mark.slow

CLASS = {**DEMO_LOSSES, "frank": set()}  # frank hands in alice's answers
CLASS_MANUAL = {**DEMO_MANUAL, "frank": None}  # the written answer: waiting, or 0 when blank


def build_class(root, repo_root):
    students = build.load_class(repo_root / "demo" / "class.toml")
    students["frank"] = students["alice"]
    hand_in_lean(root, students)


@pytest.fixture(scope="module")
def graded(tmp_path_factory, repo_root, released_course):
    """A course graded by `course grade --jobs 4`; returns (root, exit code, output)."""
    root = copy_course(released_course, tmp_path_factory.mktemp("parallel") / "course")
    build_class(root, repo_root)
    console = cli.Console(record=True, width=120)
    code = cli.cmd_grade(cli.build_parser().parse_args(
        ["--root", str(root), "grade", "--jobs", "4"]), console)
    pipeline.feedback(root)
    pipeline.export(root)
    return root, code, console.export_text()


def test_every_submission_is_graded_and_summarised(graded):
    _, code, output = graded
    assert code == 0, output
    assert "6 graded, 0 failed, 6 submissions" in output
    assert "4 workers" in output
    for student in CLASS:
        assert student in output


def test_parallel_grades_equal_the_sequential_ones(graded, graded_demo):
    """Every cell's points are those sequential nbgrader gives the same work (frank: alice's)."""
    root, _, _ = graded
    scores = {s.student: s for s in pipeline.scores(root)}
    sequential = {s.student: s for s in pipeline.scores(graded_demo)}
    assert sorted(scores) == sorted(CLASS)
    for student, losses in CLASS.items():
        score = scores[student]
        assert score.graded, student
        assert lost_cells(score) == losses, student
        assert score.points[MANUAL] == CLASS_MANUAL[student], student
        same_work = sequential["alice" if student == "frank" else student]
        assert score.points == same_work.points, student


def test_feedback_and_export_read_the_same_gradebook(graded):
    root, _, _ = graded
    with open(root / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for score in pipeline.scores(root):
        assert float(rows[score.student]["score"]) == pytest.approx(score.total)
        html = root / "feedback" / score.student / ASSIGNMENT / "Initialization.html"
        assert html.is_file()


def test_grade_rejects_a_shard_with_unknown_students(tmp_path):
    root = make_course(tmp_path / "course", with_submitted=True)
    with pytest.raises(local.GradeError, match="no submission in submitted/ for zoe"):
        local.select_students(root, ["alice", "zoe"])
    assert local.select_students(root, ["bob", "alice", "bob"]) == ["bob", "alice"]
    assert local.select_students(root) == sorted(DEMO_LOSSES)


def test_grade_needs_the_assignment_in_the_gradebook(tmp_path):
    root = make_course(tmp_path / "course", with_submitted=True)
    assert cli.main(["--root", str(root), "grade", "--students", "alice", "--jobs", "1"]) == 1
    with pytest.raises(local.GradeError, match="run `course release` first"):
        local.grade(root, students=["alice"], jobs=1)


@pytest.mark.parametrize("url, expected", [
    ("sqlite:////c/gradebook.db", "sqlite:////c/gradebook.db?timeout=600"),
    ("sqlite:///gradebook.db?timeout=5", "sqlite:///gradebook.db?timeout=5"),
    ("postgresql+psycopg2://u:p@127.0.0.1:5432/gb", "postgresql+psycopg2://u:p@127.0.0.1:5432/gb"),
])
def test_worker_db_url_waits_for_sqlite_locks(url, expected):
    assert local.worker_db_url(url) == expected


def test_kernel_threads_share_the_cores_out(monkeypatch):
    monkeypatch.setattr(local, "default_jobs", lambda: 8)
    assert [local.kernel_threads(w) for w in (1, 2, 3, 8, 16)] == [8, 4, 2, 1, 1]


def test_grade_names_the_assignments_the_gradebook_holds(graded_copy):
    with pytest.raises(local.GradeError, match=r"^no assignment 'nosuch' in the gradebook .* "
                                               r"\(it holds 'initialization'\)$"):
        local.grade(graded_copy, "nosuch", students=["alice"], jobs=1)


def test_course_grade_killed_leaves_nothing_grading(tmp_path, released_course):
    """SIGKILL `course grade --jobs 2` while two students' kernels run: its workers, kernels
    and judges end with it, rather than grade on and write into the gradebook behind it."""
    root = copy_course(released_course, tmp_path / "course")
    release = nbformat.read(root / "release" / ASSIGNMENT / "Initialization.ipynb", as_version=4)
    slow = build.fill(release, {"initialize_parameters_zeros": "import time\ntime.sleep(300)"})
    for student in ("sleeper1", "sleeper2"):
        path = root / "submitted" / student / ASSIGNMENT / "Initialization.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(lean(slow), path)
    run = subprocess.Popen([sys.executable, "-m", "course", "--root", str(root), "grade",
                            "--jobs", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        grading = root / "autograded"
        while len(processes_holding(str(grading))) < 2 and time.monotonic() < deadline:
            assert run.poll() is None, "the run ended before its kernels started"
            time.sleep(0.2)
        time.sleep(1)   # inside the sleeping cell
        started = psutil.Process(run.pid).children(recursive=True)
        assert len(started) >= 5, started   # the fork server, two workers, their sandboxes
    finally:
        run.kill()
        run.wait()
    gone, alive = psutil.wait_procs(started, timeout=10)
    assert alive == [], [(p.pid, p.ppid(), " ".join(p.cmdline())[:300]) for p in alive]
    assert processes_holding(str(root)) == []
