"""The grader's cell loop: what it logs of the kernel, how a run that stopped is told, and
how long a notebook may take, and what it is told of a full disk."""

import logging
import traceback

import nbformat
import pytest
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode

from course import execute
from course.execute import (STOPPED, GradingFault, SandboxUnavailableExit, SandboxedExecute,
                            printable)
from course.grade import stop_line


def test_printable_keeps_a_kernels_words_on_one_line():
    forged = "ValueError\n[CRITICAL] grading stopped: blame a-control\x1b[2J\r"
    line = printable(forged)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line == "ValueError\\n[CRITICAL] grading stopped: blame a-control\\x1b[2J\\r"
    assert printable("W1 looks scaled by sqrt(1/n_prev) ✓") == "W1 looks scaled by sqrt(1/n_prev) ✓"


def _traceback(exception):
    try:
        raise exception
    except BaseException:
        return traceback.format_exc()


def test_stop_line_needs_the_graders_own_exit_and_its_critical_line():
    log = (f"[ERROR] student s1 (Initialization): cell 3 raised RuntimeError: {STOPPED}fake\n"
           f"[CRITICAL] {STOPPED}test cell check_x of Initialization.ipynb has no entry\n")
    assert stop_line(log, _traceback(GradingFault(2))) == (
        "test cell check_x of Initialization.ipynb has no entry")
    assert stop_line(log, _traceback(SandboxUnavailableExit(2))).startswith("test cell check_x")
    # a student's exception that names the words stops nothing
    assert stop_line(log, _traceback(RuntimeError(f"{STOPPED}fake"))) == ""
    assert stop_line(f"[CRITICAL] {STOPPED}fake\n", "") == ""


# -- issue 23: the bounds a submission could step past ----------------------------

@pytest.fixture
def grader(caplog):
    """A SandboxedExecute with no kernel: its lines go to caplog."""
    ex = SandboxedExecute()
    ex.log = logging.getLogger("test-execute")
    ex._who = "zoe (Initialization)"
    caplog.set_level(logging.ERROR, logger="test-execute")
    return ex


def _lines(caplog):
    return [r.getMessage() for r in caplog.records]


# the replay after a crash: within the notebook's deadline

class _Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def _replay_notebook():
    """Cells that return at once when first run, then sleep past any limit when replayed;
    a crash; two cells after it."""
    cells = [nbformat.v4.new_code_cell("import helpers")]
    cells += [nbformat.v4.new_code_cell(f"sleep_if_replayed({i})") for i in range(10)]
    cells += [nbformat.v4.new_code_cell("crash()"), nbformat.v4.new_code_cell("after()"),
              nbformat.v4.new_code_cell("after()")]
    return nbformat.v4.new_notebook(cells=cells)


@pytest.fixture
def fake_kernel(grader, monkeypatch):
    """The cell loop of ``grader`` with a fake kernel on a fake clock."""
    clock = _Clock()
    monkeypatch.setattr(execute, "monotonic", clock)
    runs = []

    def run(cell, index, store_history=True):
        runs.append((index, store_history, grader.timeout))
        if "crash" in cell.source:
            raise DeadKernelError("Kernel died")
        if "sleep_if_replayed" in cell.source and not store_history:
            clock.now += grader.timeout   # interrupted at its time limit
            cell.outputs = [NotebookNode(output_type="error", ename="CellTimeoutError",
                                         evalue="", traceback=[])]
        else:
            clock.now += 0.1
            cell.outputs = []

    for name, value in (("_require_sandbox", lambda: None),
                        ("_require_test_cells", lambda info: None),
                        ("_left_out_links", lambda info: False),
                        ("_start_kernel", lambda: setattr(clock, "now", clock.now + 1)),
                        ("_stop_kernel", lambda: None), ("_leftovers", lambda: 0),
                        ("_execute", run)):
        monkeypatch.setattr(grader, name, value)
    grader.km = None
    return clock, runs


def test_a_replay_counts_against_the_notebooks_deadline(grader, fake_kernel, caplog):
    clock, runs = fake_kernel
    grader.timeout, grader.notebook_timeout = 8, 30
    start = clock.now
    nb = _replay_notebook()
    grader.preprocess(nb, {"nbgrader": {"student": "zoe", "notebook": "Initialization"}})
    assert clock.now - start <= 30 + 1   # the notebook's 30 s, not 10 x 8 s more
    replayed = [(index, timeout) for index, history, timeout in runs if not history]
    limits = [timeout for _, timeout in replayed]
    assert limits[:3] == [8, 8, 8] and all(t <= 8 for t in limits)
    assert 0 < limits[-1] < 8   # what was left of the notebook's time
    assert not any(index > 11 for index, *_ in runs)   # nothing after the crash was run
    for cell in nb.cells[12:]:
        assert [o.ename for o in cell.outputs] == ["NotebookTimeout"]
    lines = [line for line in _lines(caplog) if "used up" in line]
    last = replayed[-1][0]
    assert lines == [f"student zoe (Initialization): the notebook used up its 30 s while "
                     f"replaying cell {last} after the kernel died in cell 11; the cells left "
                     f"score zero"]


def test_a_replay_within_the_deadline_goes_on_as_before(grader, fake_kernel, caplog):
    clock, runs = fake_kernel
    grader.timeout, grader.notebook_timeout = 8, 1200
    nb = _replay_notebook()
    grader.preprocess(nb, {"nbgrader": {"student": "zoe", "notebook": "Initialization"}})
    assert [index for index, history, _ in runs if not history] == list(range(11))
    assert [index for index, history, _ in runs if history][-2:] == [12, 13]
    assert not [line for line in _lines(caplog) if "used up" in line]


# a full working folder

def test_a_full_disk_is_named_with_the_setting(grader, caplog):
    grader.km = type("KM", (), {"workdir_size": "64M", "tmp_size": "256M"})()
    cell = nbformat.v4.new_code_cell("fill()", outputs=[
        NotebookNode(output_type="error", ename="OSError",
                     evalue="[Errno 28] No space left on device", traceback=[])])
    grader._explain_errors(cell, 4)
    assert _lines(caplog) == [
        "student zoe (Initialization): cell 4 raised OSError: [Errno 28] No space left on "
        "device (the sandbox's disk limits: its working folder holds 64M, "
        "c.SandboxKernelManager.workdir_size; /tmp and home 256M each, tmp_size)"]


def test_files_handed_in_past_the_working_folder_are_said(grader, caplog):
    grader.km = type("KM", (), {"workdir_size": "2M", "workdir_short": 1_052_672})()
    grader._say_if_handed_in_too_big()
    assert _lines(caplog) == [
        "student zoe (Initialization): the files handed in beside the notebook do not fit "
        "the sandbox's working folder (2M, c.SandboxKernelManager.workdir_size) by 1052672 "
        "bytes: the kernel got those that fit"]
    grader.km = None   # no sandbox: nothing to say
    grader._say_if_handed_in_too_big()
    assert len(_lines(caplog)) == 1
