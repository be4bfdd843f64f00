"""The test PostgreSQL server itself, and graders sharing one gradebook by shards."""

import socket
import subprocess
import uuid

import pytest

from conftest import make_course
from course import grade, pipeline
from postgres_server import create_database

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


def test_two_graders_share_the_gradebook_by_shards(postgres, tmp_path):
    """Two `course grade --students` runs at once, one gradebook, each a shard."""
    from concurrent.futures import ThreadPoolExecutor

    url = create_database(*postgres, f"gradebook_{uuid.uuid4().hex[:8]}")
    root = make_course(tmp_path / "course", with_submitted=True)
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.CourseDirectory.db_url = {url!r}\n")
    pipeline.release(root)
    shards = [["alice"], ["emeka"]]
    with ThreadPoolExecutor(2) as graders:
        results = list(graders.map(lambda shard: grade.grade(root, jobs=1, students=shard), shards))
    assert [[o.student for o in r] for r in results] == shards
    assert all(o.success for r in results for o in r)
    scores = {s.student: s for s in pipeline.scores(root)}
    assert scores["alice"].subtotal("Initialization") == 8
    assert scores["emeka"].subtotal("Initialization") == 6
    assert not scores["bob"].graded  # nobody's shard
