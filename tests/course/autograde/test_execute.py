"""The grader's cell loop: what it logs of the kernel, how a run that stopped is told, and
the bounds of a notebook's time, disk and outputs."""

import logging
import traceback

import nbformat
import pytest
from nbclient.exceptions import DeadKernelError
from nbformat import NotebookNode

from course.autograde import execute
from course.autograde.execute import SandboxedExecute, cut_outputs, output_size, printable
from course.autograde.outcomes import PROBLEM, STOP, STOPPED, Finding, collecting, report


def test_printable_keeps_a_kernels_words_on_one_line():
    forged = "ValueError\n[CRITICAL] grading stopped: blame a-control\x1b[2J\r"
    line = printable(forged)
    assert "\n" not in line and "\r" not in line and "\x1b" not in line
    assert line == "ValueError\\n[CRITICAL] grading stopped: blame a-control\\x1b[2J\\r"
    assert printable("W1 looks scaled by sqrt(1/n_prev) ✓") == "W1 looks scaled by sqrt(1/n_prev) ✓"


def test_a_stop_is_a_record_of_the_graders_not_words_in_the_log():
    log = logging.getLogger("test-outcomes")
    with collecting(log) as run:
        # what a student's cell printed reaches the log escaped, on a line of its own
        log.error(f"student s1 (Initialization): cell 3 raised RuntimeError: {STOPPED}fake")
        log.critical(f"{STOPPED}fake")
        assert run.stopped == "" and run.problems == []
        report(log, Finding(PROBLEM, "cell 3 crashed the kernel", "s1", "Initialization"))
        report(log, Finding(STOP, "test cell check_x of Initialization.ipynb has no entry"))
    assert run.problems == ["s1 (Initialization): cell 3 crashed the kernel"]
    assert run.stopped == "test cell check_x of Initialization.ipynb has no entry"


def test_why_nbgrader_gave_up_is_read_from_the_exception_it_handled():
    log = logging.getLogger("test-outcomes")
    with collecting(log) as run:
        try:
            raise ValueError("cell 'x' of Layers.ipynb has no metadata\nmore lines")
        except ValueError:
            log.error("There was an error processing assignment: /course/submitted/s1")
            log.error(traceback.format_exc())
        try:
            raise RuntimeError("Please see the error log for details")
        except RuntimeError:
            log.error("Please see the error log")
    assert run.failure == "ValueError: cell 'x' of Layers.ipynb has no metadata"


def test_a_finding_from_a_worker_is_checked_before_it_is_believed():
    assert Finding.from_data(Finding(PROBLEM, "t", "s").as_data()) == Finding(PROBLEM, "t", "s")
    with pytest.raises(ValueError, match="problem"):
        Finding.from_data({"kind": "fatal", "text": "t", "student": "s", "notebook": "",
                           "ungradable": False})
    with pytest.raises(TypeError, match="text"):
        Finding.from_data({"kind": PROBLEM, "text": 3, "student": "s", "notebook": "",
                           "ungradable": False})
    with pytest.raises(ValueError):
        Finding.from_data({"kind": PROBLEM, "text": "t"})


# -- issue 23: the bounds a submission could step past ----------------------------

@pytest.fixture
def grader(caplog):
    """A SandboxedExecute with no kernel: its lines go to caplog."""
    ex = SandboxedExecute()
    ex.log = logging.getLogger("test-execute")
    ex._student, ex._notebook = "zoe", "Initialization"
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

    for name, value in (("_require_ready", lambda info: None),
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


# outputs: every kind, per cell and per notebook

def _stream(text, name="stdout"):
    return NotebookNode(output_type="stream", name=name, text=text)


def _display(size, mime="image/png"):
    return NotebookNode(output_type="display_data", data={mime: "A" * size}, metadata={})


def _error(evalue, lines=1):
    return NotebookNode(output_type="error", ename="ValueError", evalue=evalue,
                        traceback=[f"ValueError: {evalue}"] * lines)


@pytest.fixture
def bounded(grader):
    """``grader`` with small output limits, at the start of a notebook."""
    grader.max_output_chars = 1000
    grader.max_cell_output_bytes, grader.max_notebook_output_bytes = 10_000, 25_000
    grader._output_used, grader._notebook_cut, grader._widgets_cut = 0, False, 0
    return grader


def test_cut_outputs_keeps_what_fits_in_order_and_says_where_the_cut_is():
    small, big = _display(100), _display(50_000)
    kept, used, cut, why, at = cut_outputs([_stream("hi\n"), small, big, _stream("after\n")],
                                           room=2_000, chars=1000)
    assert [o.output_type for o in kept] == ["stream", "display_data", "stream"]
    assert kept[1] is small and kept[2].text == "after\n"
    assert used == sum(output_size(o) for o in kept) <= 2_000
    assert cut == output_size(big) and why == "bytes" and at == 2


def test_cut_outputs_cuts_text_at_the_characters_and_the_bytes():
    kept, used, cut, why, at = cut_outputs([_stream("x" * 5000)], room=100_000, chars=1000)
    assert kept[0].text == "x" * 1000 and why == "chars" and at == 1
    assert cut == output_size(_stream("x" * 5000)) - output_size(_stream("x" * 1000))
    kept, used, cut, why, at = cut_outputs([_stream("é\x00" * 5000)], room=3000, chars=10**6)
    assert why == "bytes" and 0 < used <= 3000 and kept[0].text.startswith("é\x00é")
    assert used + cut == output_size(_stream("é\x00" * 5000))


def test_cut_outputs_shortens_an_error_and_always_keeps_the_last_one():
    huge = _error("z" * 100_000, lines=3)
    kept, used, cut, why, at = cut_outputs([_display(5000), _error("first " * 1000), huge],
                                           room=5100, chars=1000)
    assert [o.output_type for o in kept] == ["display_data", "error"]
    last = kept[-1]
    assert last.ename == "ValueError" and last.evalue == "z" * 400 and output_size(last) < 1200
    assert why == "bytes" and at == 1
    small = _error("short")
    kept, *_ = cut_outputs([_display(5000), small], room=10, chars=1000)
    assert kept == [small]   # nothing smaller to make of it: kept as it is


def test_a_cell_over_its_limit_keeps_its_bytes_and_shows_a_line_in_place(bounded, caplog):
    cell = nbformat.v4.new_code_cell("flood()", outputs=[
        _stream("start\n"), _display(8_000), _display(8_000, "text/html"), _error("boom")])
    cell.metadata["nbgrader"] = {"grade_id": "flooder"}
    bounded._guard = None
    bounded._limit_output(cell, 3)
    kinds = [o.output_type for o in cell.outputs]
    assert kinds == ["stream", "display_data", "stream", "error"]
    html = output_size(_display(8_000, "text/html"))
    assert cell.outputs[2].text == (f"[output cut by the grader: {html} bytes over the "
                                    f"cell's limit of 10000 bytes]\n")
    assert sum(output_size(o) for o in cell.outputs) - output_size(cell.outputs[2]) <= 10_000
    assert _lines(caplog) == [f"student zoe (Initialization): the outputs of cell 3 (flooder) "
                              f"went over the cell's 10000 bytes; {html} bytes were cut"]


def test_the_notebooks_limit_cuts_later_cells_and_is_said_once(bounded, caplog):
    bounded._guard = None
    cells = [nbformat.v4.new_code_cell("show()", outputs=[_display(9_000)]) for _ in range(5)]
    for index, cell in enumerate(cells):
        bounded._limit_output(cell, index)
    kept = sum(output_size(o) for c in cells for o in c.outputs
               if not o.get("text", "").startswith("[output cut"))
    assert kept <= 25_000 and bounded._output_used == kept
    assert [len(c.outputs) for c in cells[:2]] == [1, 1]
    for cell in cells[2:]:
        assert cell.outputs[0].text.startswith("[output cut by the grader: ")
        assert cell.outputs[0].text.endswith("bytes over the notebook's limit of 25000 bytes]\n")
    assert len(_lines(caplog)) == 1
    assert "the outputs of the notebook went over its 25000 bytes at cell 2;" in _lines(caplog)[0]


def test_text_over_the_characters_is_said_as_before(bounded, caplog):
    bounded._guard = None
    cell = nbformat.v4.new_code_cell("print()", outputs=[_stream("y" * 3000)])
    bounded._limit_output(cell, 1)
    assert cell.outputs[0].text == "y" * 1000
    assert "over the cell's limit of 1000 characters of text]" in cell.outputs[1].text
    assert _lines(caplog) == ["student zoe (Initialization): cell 1 printed more than 1000 "
                              "characters; the rest was cut"]


def _message(content, kind="display_data"):
    return {"msg_type": kind, "content": content, "header": {"msg_type": kind},
            "parent_header": {"msg_id": "m"}, "metadata": {}}


def test_outputs_past_the_cells_room_are_dropped_as_they_arrive(bounded, caplog):
    """The grader holds no more than a cell's room of its outputs (plus one message)."""
    bounded.reset_execution_trackers()
    bounded.clear_before_next_output = False   # as execute_cell leaves it
    bounded._guard = execute._Guard(10_000)
    outs = []
    for _ in range(50):
        bounded.output(outs, _message({"data": {"image/png": "A" * 3000}, "metadata": {}}),
                       None, 0)
    assert len(outs) == 3 and bounded._guard.dropped > 40 * 3000
    outs.clear()   # the cell cleared its output (clear_output): room again
    bounded.output(outs, _message({"data": {"image/png": "B" * 3000}, "metadata": {}}), None, 0)
    assert len(outs) == 1
    cell = nbformat.v4.new_code_cell("x", outputs=outs)
    bounded._limit_output(cell, 0)
    assert cell.outputs[-1].text.startswith("[output cut by the grader: ")
    assert "bytes over the cell's limit of 10000 bytes]" in cell.outputs[-1].text
    bounded._guard = None   # a test cell's probe: nothing is dropped
    outs = []
    for _ in range(5):
        bounded.output(outs, _message({"data": {"image/png": "A" * 3000}, "metadata": {}}),
                       None, 0)
    assert len(outs) == 5


def test_a_display_update_from_a_later_cell_cannot_grow_a_cell_already_limited(bounded):
    bounded.reset_execution_trackers()
    bounded.clear_before_next_output = False   # as execute_cell leaves it
    bounded.nb = nbformat.v4.new_notebook()
    bounded._guard = execute._Guard(10_000)
    first = nbformat.v4.new_code_cell("d = display('x', display_id=True)")
    bounded.nb.cells = [first, nbformat.v4.new_code_cell("d.update(big)")]
    bounded.output(first.outputs, _message({"data": {"text/plain": "x"}, "metadata": {},
                                           "transient": {"display_id": "d1"}}), "d1", 0)
    bounded._limit_output(first, 0)
    update = _message({"data": {"text/plain": "B" * 50_000}, "metadata": {},
                       "transient": {"display_id": "d1"}}, "update_display_data")
    bounded._update_display_id("d1", update)
    assert first.outputs[0].data == {"text/plain": "x"}


def test_widget_state_over_what_is_left_is_left_out(bounded, caplog):
    bounded.nb = nbformat.v4.new_notebook()
    bounded._output_used = 20_000
    bounded.nb.metadata["widgets"] = {"state": {"m": {"value": "W" * 6_000}}}
    bounded._limit_widgets()
    assert "widgets" not in bounded.nb.metadata
    assert "widget state went over what is left of its 25000 bytes" in _lines(caplog)[0]


# -- the verdict in a test cell's metadata is the grader's -------------------------------

def test_a_verdict_handed_in_does_not_survive_a_test_that_ends_without_one(grader, monkeypatch):
    """A student who writes a verdict into a test cell's metadata cannot choose what a
    report counts where the grader reaches none (here: the function ran past its limit)."""
    from course.judge import spec as specs
    from course.judge.process import JudgeTimeout

    class Stopped:
        def observe(self, *args):
            raise JudgeTimeout("past its limit")

    exercise, test = specs.find("initialization", "Initialization", "check_he_values")
    answer = nbformat.v4.new_code_cell(
        "def initialize_parameters_he(layers_dims):\n    return {}",
        metadata={"nbgrader": {"solution": True, "grade_id": exercise.answer}})
    forged = {"verdict": {"passed": False, "code": "he.scaled_like_xavier", "text": "forged"}}
    cell = nbformat.v4.new_code_cell("print(check_values(initialize_parameters_he))", metadata={
        "nbgrader": {"grade": True, "grade_id": "check_he_values", "points": 2},
        "course": forged})
    grader.nb = nbformat.v4.new_notebook(cells=[answer, cell])
    grader._locked, grader.timeout = {}, 5
    monkeypatch.setattr(grader, "_judge_of", lambda **kwargs: Stopped())
    monkeypatch.setattr(grader, "_stop_judge", lambda: None)
    grader._judge(cell, 1, (exercise, test))
    assert cell.outputs[0].ename == "CellTimeoutError"
    assert "course" not in cell.metadata


def test_every_verdict_handed_in_is_dropped_before_the_notebook_runs():
    """Test cells that end without a verdict (not run, refused) keep none of the student's."""
    from course.autograde.execute import drop_handed_in_verdicts

    forged = {"verdict": {"passed": True, "code": "passed", "text": "forged"},
              "example": {"passed": True}}
    cells = [nbformat.v4.new_code_cell("x = 1", metadata={"course": forged, "tags": ["t"]}),
             nbformat.v4.new_markdown_cell("text", metadata={"course": forged})]
    nb = nbformat.v4.new_notebook(cells=cells)
    drop_handed_in_verdicts(nb)
    assert [dict(c.metadata) for c in nb.cells] == [{"tags": ["t"]}, {}]
