"""A PostgreSQL gradebook: the test server itself, and two graders sharing one gradebook by shards.

The two graders (`course grade --students SHARD --jobs 2`, at once) grade the
demo class between them, handed in lean (``support.lean``); the rest of the
pipeline (feedback, export) then reads the same gradebook, and every cell equals
what sequential nbgrader gives the whole notebooks on SQLite.
"""

import csv
import socket
import subprocess
import uuid

import pytest

from course import pipeline
from course.grading import local
from course.submissions.build import load_class
from support import ASSIGNMENT, DEMO_LOSSES, ROOT, hand_in_lean, make_course
from support.postgres import create_database

pytestmark = pytest.mark.slow


def test_server_listens_on_loopback_only(postgres):
    host, port, _ = postgres
    assert host == "127.0.0.1"
    with socket.create_connection((host, port), timeout=5):
        pass
    listening = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True,
                               text=True).stdout
    if listening:  # ss is there: nothing but loopback
        assert all("127.0.0.1:" in line for line in listening.splitlines())


SHARDS = [["alice", "bob", "carol"], ["dmitri", "emeka"]]


@pytest.fixture(scope="module")
def sharded(postgres, tmp_path_factory):
    """The demo class graded by two `course grade --students` runs at once on one gradebook."""
    from concurrent.futures import ThreadPoolExecutor

    url = create_database(*postgres, f"gradebook_{uuid.uuid4().hex[:8]}")
    root = make_course(tmp_path_factory.mktemp("postgres") / "course")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    pipeline.release(root)
    hand_in_lean(root, load_class(ROOT / "demo" / "class.toml"))
    with ThreadPoolExecutor(2) as graders:
        results = list(graders.map(lambda shard: local.grade(root, jobs=2, students=shard),
                                   SHARDS))
    pipeline.feedback(root)
    pipeline.export(root)
    return root, results


def test_two_graders_share_the_gradebook_by_shards(sharded):
    root, results = sharded
    assert pipeline.db_url(root).startswith("postgresql")
    assert [[o.student for o in r] for r in results] == SHARDS
    assert all(o.success for r in results for o in r)
    assert sorted(s.student for s in pipeline.scores(root)) == sorted(DEMO_LOSSES)


def test_sharded_grades_equal_the_sequential_ones(sharded, graded_demo):
    root, _ = sharded
    sequential = {s.student: s.points for s in pipeline.scores(graded_demo)}
    for score in pipeline.scores(root):
        assert score.graded and score.points == sequential[score.student], score.student


def test_feedback_and_export_read_the_postgres_gradebook(sharded):
    root, _ = sharded
    with open(root / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for score in pipeline.scores(root):
        assert float(rows[score.student]["score"]) == pytest.approx(score.total)
        for notebook in ("Initialization", "Layers"):
            assert (root / "feedback" / score.student / ASSIGNMENT / f"{notebook}.html").is_file()
