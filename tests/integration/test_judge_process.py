"""The judge process in the real sandbox (course/judge/process.py and runner.py).

One fork server per module, started as autograde starts it: bubblewrap, its own user
id (as root), the notebook's imports cell. The answer cells here are sent to it
directly, past the guard that autograde applies first (helpers/answer_rules.py), so
that what the process itself allows is what is tested.
"""

import os
import socket
import tempfile
import time

import psutil
import pytest

from support import probes as support
from course.judge.process import JudgeError, JudgeProcess, JudgeTimeout
from course.sandbox.kernel import SandboxKernelManager, problem

pytestmark = pytest.mark.slow

GRADIENTS = support.notebooks()["Gradients"]
IMPORTS = [c.source for c in GRADIENTS.cells
           if c.metadata.get("nbgrader", {}).get("grade_id") == "gradients_imports"]
BACKWARD = next(e for e in support.EXERCISES if e.function == "backward_step")
STRUCTURE, VALUES = BACKWARD.tests
SOLUTION = support.solution_source(BACKWARD)


@pytest.fixture(scope="module")
def judge():
    assert problem() is None, problem()
    process = JudgeProcess(SandboxKernelManager(), IMPORTS, tempfile.mkdtemp())
    yield process
    process.stop()


def _fresh(judge):
    """The module's judge, or a new one where a test stopped it."""
    if not judge.alive:
        judge.__init__(SandboxKernelManager(), IMPORTS, tempfile.mkdtemp())
    return judge


def _observe(judge, source, test=VALUES, timeout=30):
    return _fresh(judge).observe(source, "backward_step", test.calls, timeout)


def _with_body(body):
    """An answer cell: the solution, with ``body`` run first in the function."""
    head = "def backward_step(dA, cache, activation):\n"
    lines = "".join(f"    {line}\n" for line in body.strip().splitlines())
    return SOLUTION.replace(head, head + lines, 1)


def test_judge_process_passes_the_solution_on_every_test(judge):
    for test in BACKWARD.tests:
        verdict = test.judge(_observe(judge, SOLUTION, test))
        assert verdict.passed, verdict.text


def test_judge_process_sees_an_input_changed_in_place_from_outside_the_function(judge):
    verdict = VALUES.judge(_observe(judge, SOLUTION.replace(
        "    return dA_prev, dW", "    A_prev *= 1.5\n    return dA_prev, dW")))
    assert not verdict.passed and verdict.code == "backward.changed_input"
    assert "A_prev was changed in place" in verdict.text


def test_judge_process_runs_the_answer_cell_alone(judge):
    """Nothing of the notebook but the imports cell: no name of another cell."""
    source = _with_body("LAYERS_DIMS")
    verdict = VALUES.judge(_observe(judge, source))
    assert not verdict.passed
    assert "NameError: name 'LAYERS_DIMS' is not defined" in verdict.text


@pytest.mark.parametrize("reach, error", [
    ("import course", "ModuleNotFoundError"),
    ("import course.specs.initialization", "ModuleNotFoundError"),
    ("open(os.path.join(os.getcwd(), 'gradebook.db'))", "FileNotFoundError"),
    ("open('/proc/%d/mem' % os.getppid(), 'rb').read(1)", "PermissionError"),
    ("open('/proc/%d/environ' % os.getppid(), 'rb').read()", "PermissionError"),
    ("socket.create_connection(('127.0.0.1', {port}), timeout=2)", "ConnectionRefusedError"),
])
def test_judge_process_keeps_the_function_from_the_course_and_the_fork_server(judge, reach,
                                                                              error):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)   # the machine's loopback listens; the sandbox has a loopback of its own
    source = _with_body(f"import os, socket\n{reach.format(port=listener.getsockname()[1])}")
    with listener:
        verdict = STRUCTURE.judge(_observe(judge, source, STRUCTURE))
    assert not verdict.passed
    assert error in verdict.text, verdict.text


def test_judge_process_hands_the_same_kind_of_array_as_the_visible_check(judge):
    """A function cannot tell the grader's inputs from the check's: both share memory."""
    source = _with_body("import mmap\nassert type(dA.base) is mmap.mmap, type(dA.base)\n"
                        "assert not dA.flags.owndata and dA.flags.writeable")
    assert VALUES.judge(_observe(judge, source)).passed


def test_judge_process_leaves_pyplot_unloaded_for_an_answer_cell_that_does_not_name_it(judge):
    """The fork server ran the imports cell (``import matplotlib.pyplot as plt``, the
    explorer's figure) without loading them (course.judge.runner.LAZY_MODULES)."""
    source = ("import sys\n"
              "LAZY = [type(sys.modules[name]) is not type(sys) for name in ('matplotlib.pyplot', "
              "'matplotlib.figure', 'matplotlib.backends.backend_agg')]\n"
              + _with_body("assert LAZY == [True, True, True], LAZY"))
    assert VALUES.judge(_observe(judge, source)).passed


def test_judge_process_loads_pyplot_for_an_answer_cell_that_names_it(judge):
    """The fork server leaves pyplot and the explorer's figure to load on first use
    (course.judge.runner.LAZY_MODULES); an answer cell that names ``plt`` gets it loaded,
    as in the kernel (``type(plt)`` cannot tell the judge from the notebook), and draws."""
    source = ("import sys\n"
              "LOADED = type(sys.modules['matplotlib.pyplot']) is type(sys)\n"
              "GRADED = type(plt) is not type(np)\n"
              + _with_body("assert LOADED and not GRADED, (LOADED, GRADED)\n"
                           "figure, axes = plt.subplots(figsize=(2, 3))\n"
                           "assert list(figure.get_size_inches()) == [2, 3]\n"
                           "plt.close(figure)"))
    assert VALUES.judge(_observe(judge, source)).passed


def test_judge_process_stops_a_function_past_its_time_limit(judge):
    with pytest.raises(JudgeTimeout):
        _observe(judge, _with_body("while True:\n    pass"), timeout=3)
    assert not judge.alive
    assert VALUES.judge(_observe(judge, SOLUTION)).passed   # a new one grades on


def test_judge_process_survives_a_function_that_ends_its_process(judge):
    with pytest.raises(JudgeError, match="ended without an answer"):
        _observe(judge, _with_body("import os\nos._exit(0)"))
    assert judge.alive
    assert VALUES.judge(_observe(judge, SOLUTION)).passed


def test_judge_process_reports_a_function_that_kills_the_fork_server(judge):
    with pytest.raises(JudgeError):
        _observe(judge, _with_body("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)"))
    assert VALUES.judge(_observe(judge, SOLUTION)).passed


def test_judge_process_leaves_no_process_of_its_user_behind():
    judge = JudgeProcess(SandboxKernelManager(), IMPORTS, tempfile.mkdtemp())
    uid = judge.manager.uid
    try:
        _observe(judge, _with_body("import subprocess\nsubprocess.Popen(['sleep', '300'])"))
    finally:
        judge.stop()
    if os.geteuid() == 0:
        deadline = time.monotonic() + 10
        while _processes_of(uid) and time.monotonic() < deadline:
            time.sleep(0.1)   # killed: gone once their parent has reaped them
        assert _processes_of(uid) == []


def test_judge_process_holds_only_its_stdin_stdout_and_stderr():
    """Not the lifeline the guard watches (course.sandbox.lifetime), nor anything else."""
    judge = JudgeProcess(SandboxKernelManager(), IMPORTS, tempfile.mkdtemp())
    try:
        servers = [p for p in psutil.Process(judge.process.pid).children(recursive=True)
                   if p.cmdline()[1:3] == ["-P", "-c"]]
        assert len(servers) == 1
        assert sorted(int(fd) for fd in os.listdir(f"/proc/{servers[0].pid}/fd")) == [0, 1, 2]
    finally:
        judge.stop()


def _processes_of(uid):
    """``(pid, state)`` of the live (not zombie) processes of user ``uid``."""
    found = []
    for entry in os.scandir("/proc"):
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                with open(f"/proc/{entry.name}/stat") as f:
                    state = f.read().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.append((entry.name, state))
        except OSError:
            continue
    return found


def test_judge_process_without_the_sandbox_judges_alike(tmp_path):
    """c.SandboxedExecute.sandbox = False: the same process, with the grader's rights."""
    judge = JudgeProcess(None, IMPORTS, str(tmp_path))
    try:
        assert VALUES.judge(judge.observe(SOLUTION, "backward_step", VALUES.calls, 30)).passed
        verdict = VALUES.judge(judge.observe(SOLUTION.replace(
            "    return dA_prev, dW", "    dA *= 2\n    return dA_prev, dW"), "backward_step",
            VALUES.calls, 30))
        assert verdict.code == "backward.changed_input"
    finally:
        judge.stop()
    assert not judge.alive
