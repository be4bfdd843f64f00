"""The grader's cell loop: what it logs of the kernel, and how a run that stopped is told."""

import traceback

from course.execute import STOPPED, GradingFault, SandboxUnavailableExit, printable
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
