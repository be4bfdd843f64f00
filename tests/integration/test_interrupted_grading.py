"""Grading runs cut off (SIGINT, SIGKILL) or unable to start (no bubblewrap), with nbgrader itself."""

import os
import signal
import subprocess
import sys
import time

import nbformat
import pytest

from course import pipeline
from course.autograde.run import MARKER, recover_interrupted
from course.submissions.build import fill
from support import ASSIGNMENT, copy_course, lean

pytestmark = pytest.mark.slow

RIGHT = {"initialize_parameters_zeros": 'parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))\n'
                                        'parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))'}


def _lean_class(root, students):
    release = nbformat.read(root / "release" / ASSIGNMENT / "Initialization.ipynb", as_version=4)
    for student in students:
        nb = lean(fill(release, RIGHT))
        path = root / "submitted" / student / ASSIGNMENT / "Initialization.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)


def _gradebook(root):
    return {(s.student, k): v for s in pipeline.scores(root) for k, v in s.points.items()}


def _interrupt(root, env, student, signum):
    """Start an autograde run and send it ``signum`` while ``student`` is being graded."""
    log = root.parent / f"interrupted-{student}.log"   # beside the course, not in it
    with open(log, "w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
                                cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT,
                                start_new_session=True)
    deadline = time.monotonic() + 180
    while not list(root.glob(f"autograded/{student}/*/{MARKER}")) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert proc.poll() is None, f"the run ended (exit {proc.returncode}) before {student} was graded"
    if signum == signal.SIGKILL:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    assert proc.wait(timeout=120) != 0, (
        f"the run went on after signal {signum} and exited 0; its log ends:\n"
        + "\n".join(log.read_text().splitlines()[-25:]))


def test_interrupted_runs_restarted_grade_everyone_once(tmp_path, released_course):
    root = copy_course(released_course, tmp_path / "course")
    students = ["s1", "s2", "s3"]
    _lean_class(root, students)
    env = dict(os.environ, PATH=f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}")
    _interrupt(root, env, "s1", signal.SIGINT)
    _interrupt(root, env, "s2", signal.SIGKILL)
    assert list(root.glob(f"autograded/*/*/{MARKER}")), "the run was not caught mid-grading"
    pipeline.nbgrader(root, "autograde", ASSIGNMENT, check=False)   # no --force
    first = _gradebook(root)
    assert sorted({student for student, _ in first}) == students
    assert None not in first.values()
    assert {k: v for k, v in first.items() if k[1] == "check_zeros_values"} == {
        (s, "check_zeros_values"): 1.0 for s in students}
    assert not list(root.glob(f"autograded/*/*/{MARKER}"))
    pipeline.nbgrader(root, "autograde", ASSIGNMENT, "--force", check=False)
    assert _gradebook(root) == first


def test_grading_stops_with_one_line_without_bwrap(tmp_path, released_course):
    root = copy_course(released_course, tmp_path / "course")
    _lean_class(root, ["s1"])
    env = dict(os.environ, PATH=os.path.dirname(sys.executable))   # no /usr/bin: no bwrap
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT],
                            cwd=root, env=env, capture_output=True, text=True)
    assert result.returncode != 0
    lines = [l for l in (result.stdout + result.stderr).splitlines() if "grading stopped" in l]
    assert len(lines) == 1 and "bubblewrap" in lines[0]
    # The submission stays to be graded: the next run removes the half-done folder.
    recover_interrupted(root)
    assert not list(root.glob("autograded/s1/*/Initialization.ipynb"))
