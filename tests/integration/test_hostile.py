"""The catalogue of broken and hostile submissions (tests/hostile/catalogue.toml), graded.

All of them are graded in one nbgrader run of a temporary course, next to two
control students who hand in the same answers without any attack. The
notebooks leave out the release's ungraded cells (training and plots, which no
test depends on) to keep the run short.
"""

import hashlib
import re
import socket
import time
import uuid
from pathlib import Path

import nbformat
import pytest

from course import pipeline
from course.submissions.build import fill
from support import ASSIGNMENT, ROOT, lean, make_course
from support.hostile import CATALOGUE, ENTRIES, NOTEBOOK, hand_in

pytestmark = pytest.mark.slow

CONTROLS = {"control-right": "right", "control-wrong": "wrong", "control-all-wrong": "all_wrong",
            "control-grows-list": "he_grows_list"}
# What each answer set loses on its own, without any attack.
BASE_LOSSES = {"right": set(), "wrong": {"check_random_values"},
               "all_wrong": {"check_zeros_values", "check_random_values", "check_he_values"},
               "he_loops": {"check_he_structure", "check_he_values"},
               "he_exits": {"check_he_structure", "check_he_values"},
               "he_grows_list": {"check_he_structure", "check_he_values"}}
# Short limits so that the endless loops and crashes cost seconds (a lean notebook's
# slowest cell, its imports, takes about 1 s of CPU: 8 s leaves room for a busy machine,
# as in test_cluster.py). A lean notebook is graded in 2-20 s, its attack included
# (18 s for the slowest, an endless loop in two tests): 60 s for a notebook leaves room,
# and is what a replay that sleeps costs.
NOTEBOOK_OUTPUT = 4 << 20
TEST_LIMITS = f"""
c.Execute.timeout = 8
c.SandboxedExecute.notebook_timeout = 60
c.SandboxedExecute.max_output_chars = 20000
c.SandboxedExecute.max_cell_output_bytes = 1 << 20
c.SandboxedExecute.max_notebook_output_bytes = {NOTEBOOK_OUTPUT}
c.SandboxKernelManager.memory_limit = "1G"
c.SandboxKernelManager.sandbox_memory = "1500M"
c.SandboxKernelManager.process_limit = 64
c.SandboxKernelManager.workdir_size = "64M"
c.BoundedKernelClient.max_message_bytes = 8 << 20
"""




def _digest(root, skip):
    """sha256 of every file under ``root``, except the top-level names in ``skip``."""
    digests = {}
    for path in sorted(Path(root).rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and rel.parts[0] not in skip:
            digests[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return digests


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("hostile") / "course")
    canary = f"CANARY-{uuid.uuid4().hex}"
    # A secret in the solutions only (the release drops it), and one in a
    # control student's own work.
    source = root / "source" / ASSIGNMENT / NOTEBOOK
    nb = nbformat.read(source, as_version=4)
    he = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id")
              == "initialize_parameters_he")
    he.source = he.source.replace("### START CODE HERE ### (≈ 2 lines of code)",
                                  f"### START CODE HERE ### (≈ 2 lines of code)\n        # {canary}-solution")
    nbformat.write(nb, source)
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(TEST_LIMITS)
    pipeline.release(root)
    release = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    assert f"{canary}-solution" not in nbformat.writes(release)
    answers = CATALOGUE["answers"]

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listener.setblocking(False)
    port = listener.getsockname()[1]

    for student, answer_set in CONTROLS.items():
        nb = lean(fill(release, answers[answer_set]))
        if student == "control-right":
            nb.cells.append(nbformat.v4.new_markdown_cell(f"{canary}-other-student"))
        path = root / "submitted" / student / ASSIGNMENT / NOTEBOOK
        path.parent.mkdir(parents=True)
        nbformat.write(nb, path)
    for student, entry in ENTRIES.items():
        hand_in(root, student, entry=entry, fmt={"port": port})

    outside = {"autograded", "feedback", "gradebook.db", "grades.csv"}
    before = _digest(root, outside)
    helpers_before = _digest(ROOT / "helpers", set())
    started = time.time()
    log = pipeline.nbgrader(root, "autograde", ASSIGNMENT, "--force", check=False)
    ended = _grading_ends(root)
    feedback_log = pipeline.nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", check=False)
    pipeline.export(root)
    try:
        listener.accept()
        connected = True
    except BlockingIOError:
        connected = False
    listener.close()
    return {"root": root, "log": log + feedback_log, "canary": canary, "before": before,
            "after": _digest(root, outside), "helpers_before": helpers_before,
            "connected": connected, "scores": {s.student: s for s in pipeline.scores(root)},
            "started": started, "ended": ended}


def _grading_ends(root):
    """When nbgrader finished each student: the last write under their autograded folder."""
    ends = {}
    for folder in (root / "autograded").iterdir():
        times = [p.stat().st_mtime for p in folder.rglob("*") if p.is_file()]
        if times:
            ends[folder.name] = max(times)
    return ends


def _points(score):
    """Points per cell of Initialization.ipynb, the one notebook these submissions hand in."""
    return {cell: score.points[cell] for cell in score.cells("Initialization")}


def _points_lost(score):
    return {cell for cell, points in _points(score).items() if not points}


def test_catalogue_is_big_enough():
    assert len(ENTRIES) >= 20


def test_controls_get_exactly_their_usual_grades(run):
    for student, answer_set in CONTROLS.items():
        score = run["scores"][student]
        assert score.graded, f"{student} has missing grades"
        assert _points_lost(score) == BASE_LOSSES[answer_set], student
        for cell in set(_points(score)) - BASE_LOSSES[answer_set]:
            assert score.points[cell] == score.max_points[cell]


@pytest.mark.parametrize("student", sorted(ENTRIES))
def test_offender_gains_nothing_and_loses_only_what_broke(run, student):
    entry = ENTRIES[student]
    score = run["scores"][student]
    if entry["lost"] == "all":
        assert score.total == 0
        return
    expected = BASE_LOSSES[entry["answers"]] | set(entry["lost"])
    assert score.graded, f"{student} has missing grades"
    assert _points_lost(score) == expected
    for cell in set(_points(score)) - expected:
        assert score.points[cell] == score.max_points[cell]


@pytest.mark.parametrize("student", sorted(s for s, e in ENTRIES.items() if "log" in e))
def test_instructor_sees_one_line_naming_student_and_problem(run, student):
    pattern = re.compile(ENTRIES[student]["log"])
    lines = [line for line in run["log"].splitlines()
             if re.search(rf"\b{re.escape(student)}\b", line) and pattern.search(line)]
    named = [line for line in run["log"].splitlines() if re.search(rf"\b{re.escape(student)}\b", line)]
    assert lines, f"no log line names {student} and matches {pattern.pattern!r}; those naming it: {named}"


def test_no_false_alarm_about_the_controls(run):
    for student in CONTROLS:
        # a line of the grader's own about the control (a forged one would start so)
        pattern = re.compile(rf"\[\w+ \| [A-Z]+\] student {re.escape(student)} ")
        assert not [line for line in run["log"].splitlines() if pattern.match(line)]


def test_nothing_outside_the_scratch_area_changed(run):
    assert run["after"] == run["before"]
    assert _digest(ROOT / "helpers", set()) == run["helpers_before"]
    assert not (run["root"] / "PWNED").exists()


def test_no_secret_leaked_into_any_output(run):
    root, canary = run["root"], run["canary"]
    assert f"{canary}-solution" not in run["log"]
    for folder in ("autograded", "feedback"):
        for path in (root / folder).rglob("*"):
            if not path.is_file():
                continue
            text = path.read_text(errors="replace")
            assert f"{canary}-solution" not in text, path
            if "control-right" not in path.parts:
                assert f"{canary}-other-student" not in text, path


def test_no_network_and_nothing_left_running(run):
    assert not run["connected"], "a sandboxed kernel reached a loopback listener"
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        assert b"hostile-background-" not in cmdline, f"process {proc.name} outlived grading"


def test_grading_never_modifies_submitted(run):
    for path, digest in run["before"].items():
        if path.startswith("submitted/"):
            assert run["after"][path] == digest


def test_exported_grades_match_the_gradebook(run):
    import csv
    with open(run["root"] / "grades.csv") as f:
        rows = {row["student_id"]: row for row in csv.DictReader(f)}
    for student, score in run["scores"].items():
        row = rows[student]
        assert row["status"] == score.status, student
        if score.status in ("failed to grade", "not graded"):   # no number is better than 0
            assert row["score"] == "" and score.total == 0, student
        else:
            assert float(row["score"]) == pytest.approx(score.total), student
    assert {rows[s]["status"] for s in CONTROLS} == {"complete"}


def test_the_kernels_own_stdout_and_stderr_stay_out_of_the_grading_log(run):
    assert "E" * 1000 not in run["log"] and "O" * 1000 not in run["log"]
    assert len(run["log"]) < 5_000_000


def test_runnable_files_handed_in_are_not_copied(run):
    for folder in ("autograded", "feedback"):
        assert not list((run["root"] / folder).rglob("notes.html"))
        assert not list((run["root"] / folder).rglob("notes.txt"))


@pytest.mark.parametrize("student", sorted(s for s, e in ENTRIES.items() if "seconds" in e))
def test_grading_a_submission_takes_no_longer_than_its_bound(run, student):
    """nbgrader grades one submission after another: a submission's time is from the
    end of the one before it (or the run's start) to its own end."""
    ends = run["ended"]
    before = [t for t in ends.values() if t < ends[student]]
    took = ends[student] - max(before, default=run["started"])
    assert took <= ENTRIES[student]["seconds"], f"{student} held the grader {took:.0f} s"


def test_what_a_submission_displays_keeps_its_autograded_notebook_and_feedback_small(run):
    """Outputs are capped per cell and per notebook (4 MiB in the test): an autograded
    notebook is the notebook handed in plus at most that, and its feedback page too."""
    root, cap = run["root"], NOTEBOOK_OUTPUT
    control = (root / "feedback" / "control-right" / ASSIGNMENT / "Initialization.html").stat().st_size
    for folder in (root / "autograded").iterdir():
        handed_in = root / "submitted" / folder.name / ASSIGNMENT / NOTEBOOK
        graded = folder / ASSIGNMENT / NOTEBOOK
        if not graded.is_file() or not handed_in.is_file() or handed_in.is_symlink():
            continue
        size = graded.stat().st_size
        assert size <= handed_in.stat().st_size + cap + (256 << 10), f"{folder.name}: {size} bytes"
        page = root / "feedback" / folder.name / ASSIGNMENT / "Initialization.html"
        if page.is_file():
            assert page.stat().st_size <= control + 2 * (handed_in.stat().st_size + cap), folder.name
