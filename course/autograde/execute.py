"""Autograding that a broken or hostile notebook can neither derail nor fool.

:class:`SandboxedExecute` replaces nbgrader's ``Execute`` preprocessor (see the
sandbox section of ``nbgrader_config.py``). It runs the notebook's cells one by
one in a :class:`~course.sandbox.kernel.SandboxKernelManager` kernel and:

- **decides every test cell itself**: a test cell's code is not run in the
  kernel. The grader finds the test in the assignment's specs
  (``course/specs/<assignment>.py``) and asks the notebook's judge process
  (``course/judge/``), a sandboxed process apart from the kernel that runs the
  notebook's locked cells and then, for each test, the student's answer cell
  alone, to call the function on the test's inputs; it reads what came back as
  data, computes the expected values itself, judges with the checks' own
  verdict functions and writes the verdict into the cell's outputs (and its
  mistake code into the cell's metadata), for nbgrader to score. Nothing the
  kernel says counts: code in the student's other cells never shares a process
  with the observation. An answer that does not arrive, or arrives malformed,
  fails that test only;
- **a crash costs only what crashed**: when the kernel dies in a cell
  (``os._exit``, a segfault, a memory or CPU limit) or does not stop after its
  time limit, that cell gets an error output (a test cell then scores zero),
  a fresh kernel replays the cells that had run, and grading goes on;
- **time is bounded**: ``timeout`` per cell (nbgrader's) and
  ``notebook_timeout`` per notebook, the replay after a crash included (each
  replayed cell's limit is what is left of the notebook's); cells left when the
  notebook's time is up get an error output and are not run;
- **output is bounded**: a cell's text output is cut at ``max_output_chars``,
  and every output kind (text, images, HTML, results, errors) at
  ``max_cell_output_bytes`` per cell and ``max_notebook_output_bytes`` per
  notebook (widget state included), with a line in place of what was cut; every
  message from the kernel is capped at the client's ``max_message_bytes``;
- **the instructor is told**: one log line per problem, naming the student and
  the cell; when the sandbox (``course.sandbox.cgroup``) stopped the kernel for the
  memory of all its processes together, the line says so.

A fault of the grader itself (a test cell of the gradebook that the specs do
not know, a judge process that cannot run the notebook's locked cells, an error
in the grader's own judging code) stops the whole run with
:class:`GradingFault` before another submission is scored.
"""

import contextlib
import copy
import json
import os
from pathlib import Path
from time import monotonic

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.client import NotebookClient
from nbclient.util import ensure_async, run_sync
from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode

from helpers import answer_rules

from course.autograde import interrupt
from course.sandbox.cgroup import describe
from course.judge import spec as specs
from course.judge.process import (JudgeError, JudgeFault, JudgeProcess, JudgeStartTimeout,
                            JudgeTimeout, python_source)
from course.autograde import readiness
from course.autograde.outcomes import PROBLEM, STOP, Finding, report
from course.autograde.preflight import links
from course.sandbox.kernel import SandboxKernelManager

_WARNED_WATCHDOG = False    # the grader said once that no cgroup bounds the sandboxes


class UnreadableKernel(Exception):
    """The kernel sent a message the grader could not read (bad JSON, signature, nesting)."""


class _Guard:
    """What output a running cell may still hold in the grader's memory, and what it lost.

    nbclient keeps every output as it arrives: past ``room`` bytes (since the
    cell's outputs were last cleared), further outputs are dropped before they are
    kept, and :meth:`SandboxedExecute._limit_output` says so when the cell is done.
    A room of 0 drops everything (a replay, whose outputs are not kept).
    """

    def __init__(self, room):
        self.room, self.held, self.count, self.dropped = room, 0, 0, 0


class GradingFault(SystemExit):
    """Grading stops: the grader itself is at fault (the log line names what to fix).

    A ``SystemExit``, so that nbgrader does not catch it and go on to the next
    student as it does for a submission's own failure.
    """


def _is_test(cell):
    """An autograded test cell: code, graded, not an answer."""
    nbgrader = cell.metadata.get("nbgrader", {})
    return (cell.cell_type == "code" and nbgrader.get("grade", False)
            and not nbgrader.get("solution", False))


def _defines(source, name):
    """Whether the cell ``source`` defines ``name`` at its top level (read, not run)."""
    import ast

    try:
        tree = ast.parse(python_source(source))
    except (SyntaxError, ValueError):
        return False
    return any(isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name
               for node in tree.body)


def _locked_cells(gradebook, assignment, notebook):
    """``{grade id: source}`` of the locked code cells of ``notebook`` that are neither tests
    nor answers, as the gradebook holds them."""
    nb = gradebook.find_notebook(notebook, assignment)
    graded = {cell.name for cell in nb.grade_cells} | {cell.name for cell in nb.solution_cells}
    return {cell.name: cell.source for cell in nb.source_cells
            if cell.locked and cell.cell_type == "code" and cell.name not in graded}


def printable(text):
    """``text`` on one line: newlines, escape sequences and other control characters escaped.

    What the kernel says (an exception's name and message) reaches the log only so:
    it cannot forge a line of its own, or drive the instructor's terminal.
    """
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode("ascii")
                   for c in str(text))


def _label(cell, index):
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {index} ({grade_id})" if grade_id else f"cell {index}"


def _error_output(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def output_size(output):
    """Bytes that ``output`` (an output, or any JSON value) takes in a notebook: its JSON, UTF-8."""
    return len(json.dumps(output, ensure_ascii=False, separators=(",", ":"))
               .encode("utf-8", "surrogatepass"))


def cut_marker(cut, limit):
    """The line shown in place of ``cut`` bytes of output that went over ``limit``."""
    return NotebookNode(output_type="stream", name="stdout",
                        text=f"[output cut by the grader: {cut} bytes over {limit}]\n")


def _shortened(text, room):
    """``text`` cut so that it takes at most ``room`` bytes as a JSON string."""
    while text and output_size(text) > room:
        text = text[:max(0, min(len(text) - 1, len(text) * room // output_size(text) - 8))]
    return text


def _compact_error(output):
    """An error output of at most a kilobyte or so: its name, message and last line, shortened."""
    ename, evalue = str(output.get("ename", ""))[:100], str(output.get("evalue", ""))[:400]
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def cut_outputs(outputs, room, chars):
    """The outputs of a cell that are kept within ``room`` bytes and ``chars`` characters of text.

    Outputs are kept in order while they fit. A text stream is cut at the
    ``chars`` characters of text the cell may print and at the room left; an
    image, HTML, a result or any other display that does not fit in the room left
    is left out whole; an error that does not fit is shortened to its name and
    message (the cell's last error is kept so even when no room is left, so that
    the student sees why the cell stopped; other errors are then left out).

    Returns ``(kept, used, cut, why, at)``: the outputs kept, the bytes they take,
    the bytes left out, ``"chars"`` or ``"bytes"`` for the first limit that cut
    (None if nothing was cut), and the index in ``kept`` where the first cut is,
    where a line saying so belongs.
    """
    kept, used, cut, why, at = [], 0, 0, None, None
    errors = [i for i, o in enumerate(outputs) if o.get("output_type") == "error"]
    for i, output in enumerate(outputs):
        size = output_size(output)
        kind = output.get("output_type")
        reason, keep = None, output
        if kind == "stream":
            text = str(output.get("text", ""))
            if len(text) > chars:
                text, reason = text[:chars], "chars"
            bare = output_size(dict(output, text=""))
            if bare + output_size(text) - 2 > room - used:
                text, reason = _shortened(text, room - used - bare + 2), reason or "bytes"
            if reason:
                keep = NotebookNode(output, text=text) if text else None
            chars -= len(text)
        elif size > room - used:
            reason, keep = "bytes", None
            if kind == "error":
                compact = _compact_error(output)
                if output_size(compact) >= size:
                    compact = output
                if i == errors[-1] or output_size(compact) <= room - used:
                    keep = compact
                reason = None if keep is output else reason
        if keep is not None:
            kept.append(keep)
            used += size if keep is output else output_size(keep)
        if reason:
            cut += size - (0 if keep is None else size if keep is output else output_size(keep))
            if why is None:
                why, at = reason, len(kept)
    return kept, used, cut, why, at


def _verdict_outputs(verdict):
    """The outputs of a test cell with ``verdict``, as its check would print or raise it."""
    if verdict.passed:
        return [NotebookNode(output_type="stream", name="stdout", text=verdict.text + "\n")]
    return [_error_output("AssertionError", verdict.text)]


async def _shut_down(km, kc, now, log):
    """Stop the kernel of ``km`` and close ``kc``'s channels (the steps nbclient takes)."""
    try:
        if await ensure_async(km.is_alive()):
            await ensure_async(km.shutdown_kernel(now=now))
    except Exception as error:  # a dead kernel may fail to shut down cleanly
        log.debug("kernel cleanup: %s", error)
    finally:
        with contextlib.suppress(Exception):
            await ensure_async(km.cleanup_resources())
        if kc is not None:
            await ensure_async(kc.stop_channels())


def drop_handed_in_verdicts(nb):
    """Drop every cell's ``course`` metadata, where the grader writes its verdicts.

    Whatever a submission put there goes before anything runs, so that none survives a
    test cell that ends without a verdict of the grader's (not run, refused, past its
    time) for the feedback, Gradescope's results or the class report to read.
    """
    for cell in nb.cells:
        cell.metadata.pop("course", None)


class SandboxedExecute(Execute):
    """nbgrader's ``Execute``, sandboxed and crash tolerant (see the module docstring)."""

    sandbox = Bool(True, help="Run student code in the bubblewrap sandbox. False grades "
                   "with the grader's own rights (unsafe) and warns on every notebook."
                   ).tag(config=True)
    notebook_timeout = Integer(1200, help="Seconds for the whole notebook; cells left "
                               "when it is used up are not run (they score zero)."
                               ).tag(config=True)
    max_output_chars = Integer(100_000, help="Text output kept per cell; the rest is "
                               "cut.").tag(config=True)
    max_cell_output_bytes = Integer(2 << 20, help="Bytes of output kept per cell, every "
                                    "kind together (text, images, HTML, results, errors, "
                                    "as stored in the notebook); the rest is cut, with a "
                                    "line saying so.").tag(config=True)
    max_notebook_output_bytes = Integer(10 << 20, help="Bytes of output kept per notebook, "
                                        "every cell and the widget state together; the "
                                        "rest is cut, with a line saying so."
                                        ).tag(config=True)
    spec_path = List(Unicode(), [], help="Folders searched first for the specs of an "
                     "assignment (<assignment>.py defining EXERCISES); then the package "
                     "course.specs.").tag(config=True)

    def __init__(self, **kwargs):
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(**kwargs)
        self._guard = None   # the output guard of the cell running, if it is bounded
        if not self.sandbox:
            self.kernel_manager_class = Execute().kernel_manager_class

    # -- the run ------------------------------------------------------------

    def preprocess(self, nb, resources=None, km=None):
        """Run ``nb``'s cells in the sandbox; its test cells are decided by the judge."""
        interrupt.check()
        self._begin(nb, resources, km)
        drop_handed_in_verdicts(nb)
        if self._left_out_links(self._info):
            return self._refused(nb)
        cell_timeout = self.timeout
        try:
            if any(self._test_cell(cell) for cell in nb.cells):
                self._judge_of(first=True)   # before any of the student's code runs
            self._start_kernel()
            self._say_if_handed_in_too_big()
            self._run_cells(nb, monotonic() + self.notebook_timeout, cell_timeout)
            left = self._leftovers()
            if left:
                self._report(f"{left} process(es) the notebook started were still running "
                             f"at the end; they were stopped")
        finally:
            self.timeout = cell_timeout
            self._guard = None
            self._stop_judge()
            self._stop_kernel()
        self.set_widgets_metadata()
        self._limit_widgets()
        return nb, self.resources

    def _begin(self, nb, resources, km):
        """What nbconvert's ``ExecutePreprocessor.preprocess`` sets up, and this run's state."""
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)   # ExecutePreprocessor's, which we extend
        self._info = info = (resources or {}).get("nbgrader", {})
        self._notebook = info.get("notebook", "notebook")
        self._student = info.get("student", "?")
        self._who = f"{self._student} ({self._notebook})"
        self._assignment = info.get("assignment") or ""
        self._judge_process = None
        self._locked = {}
        self._output_used = 0        # bytes of output the notebook keeps so far
        self._notebook_cut = False   # its limit was reached (said once)
        self._widget_bytes = 0       # bytes of widget state received
        self._widgets_cut = 0        # ... and dropped past the notebook's limit
        self._require_ready(info)

    def _run_cells(self, nb, deadline, cell_timeout):
        """Each cell in turn, within its time and the notebook's ``deadline``; a lost kernel
        costs the cell that lost it, and the cells run before are replayed in a new one."""
        out_of_time = False
        done = []
        for index, cell in enumerate(nb.cells):
            interrupt.check()
            if cell.cell_type != "code" or not cell.source.strip() and not _is_test(cell):
                continue
            remaining = deadline - monotonic()
            if out_of_time or remaining < 1:
                self._not_run(cell, index, said=out_of_time)
                out_of_time = True
                continue
            self.timeout = int(max(1, min(cell_timeout or remaining, remaining)))
            test = self._test_cell(cell)
            lost = self._run_cell(cell, index, test)
            if lost is None:
                if test is None:
                    done.append(index)
                continue
            out_of_time = self._kernel_lost(nb, cell, index, test, lost, done, deadline,
                                            cell_timeout)

    def _not_run(self, cell, index, *, said):
        """A cell past the notebook's time: not run, scores zero (said once, at the first)."""
        cell.outputs = [_error_output("NotebookTimeout", f"not run: the notebook used up its "
                                                         f"{self.notebook_timeout} s")]
        if not said:
            self._report(f"the notebook used up its {self.notebook_timeout} s at "
                         f"{_label(cell, index)}; the cells left score zero")

    def _run_cell(self, cell, index, test):
        """Run one cell (a test cell: judge it); None, or what lost the kernel in it."""
        self._guard = _Guard(self._output_room()[0]) if test is None else None
        try:
            if test is not None:
                self._judge(cell, index, test)
            else:
                self._execute(cell, index, store_history=True)
        except UnreadableKernel as error:
            return f"the kernel sent a message the grader could not read ({error})"
        except DeadKernelError:
            if getattr(self.km, "exceeded", None):
                return f"the kernel was stopped: {self.km.exceeded},"
            return "the kernel died (os._exit, a crash, or the memory or CPU limit)"
        except CellTimeoutError:
            return f"the kernel did not stop after the {self.timeout} s time limit"
        if test is None:
            self._limit_output(cell, index)
            self._explain_errors(cell, index)
            if any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
                self._report(f"{_label(cell, index)} ran past its {self.timeout} s "
                             f"time limit and was interrupted")
        return None

    def _kernel_lost(self, nb, cell, index, test, what, done, deadline, cell_timeout):
        """The cell scores zero; a new kernel replays ``done``. True if that used up the time."""
        died = _error_output("KernelDied", f"{what} in this cell; it scores zero "
                             f"and grading went on in a fresh kernel")
        if test is None:
            self._limit_output(cell, index)
        cell.outputs = [died] if test is not None else [*cell.get("outputs", []), died]
        self._report(f"{what} in {_label(cell, index)}: that cell scores zero, the "
                     f"other cells were graded in a fresh kernel")
        stopped = self._restart(nb, done, deadline, cell_timeout)
        if stopped is None:
            return False
        self._report(f"the notebook used up its {self.notebook_timeout} s while "
                     f"replaying {stopped} after the kernel died in "
                     f"{_label(cell, index)}; the cells left score zero")
        return True

    def _require_ready(self, info):
        """Stop grading unless the grader can grade here (:func:`~course.autograde.readiness.
        problem`: passed already in this run, it costs nothing); load the locked cells."""
        if not self.sandbox:
            self.log.warning("SANDBOX OFF: student code runs with the grader's rights "
                             "(c.SandboxedExecute.sandbox = False in nbgrader_config.py)")
        workdir = Path(self.resources.get("metadata", {}).get("path") or ".").resolve()
        root = workdir.parents[2] if len(workdir.parents) > 2 else workdir
        why = readiness.problem(root, self._assignment, self.config,
                                info.get("db_url")) if self._assignment else None
        if why:
            self._stop(why)
        if not info.get("db_url") or not self._assignment:
            return
        try:
            with Gradebook(info["db_url"]) as gradebook:
                self._locked = _locked_cells(gradebook, self._assignment, self._notebook)
        except MissingEntry:
            return   # nbgrader itself refuses an assignment it does not know

    def _left_out_links(self, info):
        """Remove the copies nbgrader made of links handed in; True if the notebook is one.

        nbgrader copies a submission following its links, with the grader's rights:
        the copy of a link to the solutions or the gradebook is deleted here, before
        any kernel starts (and so before the feedback copies the folder).
        """
        workdir = Path(self.resources.get("metadata", {}).get("path") or ".").resolve()
        submitted = workdir.parents[2] / "submitted" / workdir.parent.name / workdir.name
        notebook = f"{self._notebook}.ipynb"
        for name in links(submitted) if submitted.is_dir() else []:
            if str(name) == notebook:
                self._report(f"{notebook} is a symbolic link, not a notebook of the "
                             f"student's; it is not graded")
                return True
            copy = workdir / name
            if copy.is_file() and not copy.is_symlink() and name.suffix != ".ipynb":
                copy.unlink()
                self._report(f"{name} is a symbolic link; it was left out")
        return False

    def _refused(self, nb):
        """The notebook with every test cell failed, nothing run, and nothing of what it
        points to kept (it may be the instructor's solution, which the feedback would show)."""
        kept = []
        for cell in nb.cells:
            if _is_test(cell):
                cell.outputs = [_error_output("Refused", "not run: the notebook handed in "
                                              "is a symbolic link")]
            elif cell.metadata.get("nbgrader", {}).get("solution"):
                cell.source = "# not graded: the notebook handed in is a symbolic link"
                if cell.cell_type == "code":
                    cell.outputs = []
            else:
                continue
            kept.append(cell)
        nb.cells = kept
        return nb, self.resources

    def _report(self, message):
        """A problem of the submission, one line naming the student (:mod:`~course.autograde.
        outcomes`); what the kernel said is shown escaped, on it."""
        report(self.log, Finding(PROBLEM, printable(message), self._student, self._notebook))

    def _stop(self, message):
        """The grader's own fault: one critical line, then grading stops (a SystemExit)."""
        report(self.log, Finding(STOP, message))
        raise GradingFault(2)

    # -- test cells: the grader's verdict ------------------------------------

    def _test_cell(self, cell):
        """The grader's ``(exercise, test cell)`` for a test cell, or None for any other cell.

        A graded cell that the grader does not know is the student's own (the
        gradebook's were checked by :meth:`_require_ready`): it runs as any
        cell of theirs, and nbgrader does not score it.
        """
        if not _is_test(cell):
            return None
        return specs.find(self._assignment, self._notebook,
                          cell.metadata["nbgrader"].get("grade_id"), self.spec_path)

    def _judge(self, cell, index, found):
        """Decide the test cell ``cell`` from what the student's function returns for its calls."""
        exercise, test = found
        cell.execution_count = None
        # the verdict a report counts is the grader's alone: none handed in survives a
        # test that ends without one (past its time limit, no valid result)
        cell.metadata.pop("course", None)
        label = _label(cell, index)
        answer = self._answer(exercise)
        reached = answer_rules.reaches(python_source(answer),
                                [python_source(cell) for cell in self._prelude()])
        if reached:
            verdict = specs.Verdict.failed(f"{exercise.key}.reaches_interpreter",
                                           answer_rules.message(exercise.function, reached))
            cell.outputs = _verdict_outputs(verdict)
            course = cell.metadata.setdefault("course", {})
            course["verdict"] = course["example"] = verdict.as_data()   # the example is not judged either
            self._report(f"{label}: the answer cell {exercise.answer} reaches beyond NumPy, "
                         f"math and helpers ({'; '.join(reached[:3])}); that test scores "
                         f"zero, read the cell in the formgrader")
            return
        try:
            observed = self._judge_of().observe(answer, exercise.function, test.calls,
                                                self.timeout)
        except JudgeTimeout:
            self._stop_judge()
            cell.outputs = [_error_output("CellTimeoutError", f"the function under test ran "
                                          f"past the {self.timeout} s time limit; this test "
                                          f"scores zero")]
            self._report(f"{label} ran past its {self.timeout} s time limit and was stopped")
            return
        except JudgeError as error:
            if self._judge_process is not None and not self._judge_process.alive:
                self._stop_judge()
            cell.outputs = [_error_output("NoResult", f"the grader received no valid result "
                                          f"for this test ({error}); it scores zero")]
            self._report(f"{label}: no valid result from the judge process ({error}); that "
                         f"test scores zero")
            return
        try:
            verdict = test.judge(observed)
        except Exception as error:  # the grader's own code failed: nobody can be scored
            self._stop(f"the grader's judging of {label} of {self._notebook}.ipynb failed "
                       f"({type(error).__name__}: {printable(str(error)[:200])}); this is a "
                       f"fault of course/specs/{self._assignment}.py, not of student "
                       f"{self._who}")
        cell.outputs = _verdict_outputs(verdict)
        course = cell.metadata.setdefault("course", {})
        course["verdict"] = verdict.as_data()
        example = specs.example_verdict(test, observed)
        if example is not None:   # what the check under the exercise says (Gradescope shows it)
            course["example"] = example.as_data()

    def _answer(self, exercise):
        """The source of the student's answer cell of ``exercise`` (empty if there is none).

        The answer cell with the exercise's grade id, unless a later cell of the
        student's defines the function again (an answer that lost its metadata, or
        pasted below): the last definition is the one the notebook holds, so that is
        the cell the judge runs, on its own.
        """
        found = ""
        for cell in self.nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or meta.get("locked") or _is_test(cell):
                continue
            if meta.get("solution") and meta.get("grade_id") == exercise.answer or \
                    _defines(cell.source, exercise.function):
                found = cell.source
        return found

    def _prelude(self):
        """The notebook's locked code cells that are neither tests nor answers (its imports).

        Their source comes from the gradebook, the instructor's, never from the
        submission: a cell the student marked locked is not one of them. They run in
        the order of the notebook; one the student deleted runs first.
        """
        order = {cell.metadata.get("nbgrader", {}).get("grade_id"): index
                 for index, cell in enumerate(self.nb.cells)}
        names = sorted(self._locked, key=lambda name: order.get(name, -1))
        return [self._locked[name] for name in names]

    def _judge_of(self, *, first=False):
        """The notebook's judge process, started on first use (and after one was stopped).

        ``first``: the start before any of the notebook's cells runs, which nothing of
        the student's can slow down: not ready in time, the machine is at fault and
        grading stops. A later start (after a function ended the fork server) that is
        not ready in time fails the test cell that needed it.
        """
        if self._judge_process is None:
            manager = SandboxKernelManager(config=self.config) if self.sandbox else None
            workdir = self.resources.get("metadata", {}).get("path") or os.getcwd()
            try:
                self._judge_process = JudgeProcess(manager, self._prelude(), workdir)
            except JudgeStartTimeout as error:
                if not first:
                    raise
                self._stop(f"{printable(error)} while grading {self._notebook}.ipynb, "
                           f"before any cell of student {self._who} ran; grade with fewer "
                           f"workers at once")
            except JudgeFault as error:
                self._stop(f"{printable(error)} while grading {self._notebook}.ipynb; this "
                           f"is a fault of the grader or of the notebook's locked cells, not "
                           f"of student {self._who}")
        return self._judge_process

    def _stop_judge(self):
        if self._judge_process is not None:
            self._judge_process.stop()
            self._judge_process = None

    # -- kernels ------------------------------------------------------------

    def _execute(self, cell, index, **kwargs):
        """nbclient's ``execute_cell``; a message it cannot read raises :class:`UnreadableKernel`.

        jupyter_client parses what the kernel sends as JSON (never pickle) and checks
        its signature, which the kernel can compute: a kernel can still send deeply
        nested JSON, or a message that does not follow the protocol (a ``transient``
        that is not a dict, a display update aimed at outputs the grader replaced).
        """
        try:
            return self.execute_cell(cell, index, **kwargs)
        except (DeadKernelError, CellTimeoutError):
            raise
        except Exception as error:  # nbclient met a message it could not handle
            raise UnreadableKernel(f"{type(error).__name__}: {str(error)[:120]}") from error

    def _start_kernel(self):
        global _WARNED_WATCHDOG
        self.km = self.create_kernel_manager()
        self.start_new_kernel()
        bound = getattr(self.km, "bound", None)
        if bound is not None and bound.kind == "watchdog" and not _WARNED_WATCHDOG:
            _WARNED_WATCHDOG = True
            self.log.warning(f"sandbox: {describe()}")
        self.start_new_kernel_client()
        reply = self.wait_for_reply(self.kc.kernel_info())
        if reply and "language_info" in reply["content"]:
            self.nb.metadata["language_info"] = reply["content"]["language_info"]

    def _stop_kernel(self):
        """Shut the kernel down through jupyter_client's own calls, dead or alive."""
        km, kc = self.km, self.kc
        self.km = self.kc = None
        if km is not None:
            run_sync(_shut_down)(km, kc, self.shutdown_kernel == "immediate", self.log)

    def _restart(self, nb, done, deadline, cell_timeout):
        """A fresh kernel, with the cells that had run replayed (outputs dropped).

        The replay counts against the notebook's ``deadline`` (a ``monotonic()``
        time): each replayed cell may run for ``cell_timeout`` or what is left of
        the notebook's time, whichever is less. Returns the label of the cell being
        replayed when that time ran out (no further cell is then run), else None.
        """
        self._stop_kernel()
        if deadline - monotonic() < 1:
            return None   # no time left to restart: the cell loop says so at the next cell
        self._start_kernel()
        kept, self._guard = self._guard, _Guard(0)   # a replay's outputs are not kept
        try:
            for index in list(done):
                interrupt.check()
                cell = nb.cells[index]
                remaining = deadline - monotonic()
                if remaining < 1:
                    return _label(cell, index)
                self.timeout = int(max(1, min(cell_timeout or remaining, remaining)))
                try:
                    self._execute(copy.deepcopy(cell), index, store_history=False)
                except (DeadKernelError, CellTimeoutError, UnreadableKernel):
                    done.remove(index)
                    self._report(f"replaying {_label(cell, index)} crashed the kernel again; "
                                 f"it is left out")
                    self._stop_kernel()
                    self._start_kernel()
                if deadline - monotonic() < 1:
                    return _label(cell, index)
        finally:
            self.timeout = cell_timeout
            self._guard = kept
        return None

    def _explain_errors(self, cell, index):
        """One line for an error in a cell that is not a test (a test's verdict is in the feedback)."""
        for output in cell.outputs:
            if output.output_type != "error" or output.ename == "CellTimeoutError":
                continue
            evalue = " ".join(str(output.evalue).split())[:160]
            hint = ""
            if output.ename == "MemoryError":
                hint = " (the memory limit)"
            elif "Resource temporarily unavailable" in evalue:
                hint = " (the process limit)"
            elif "No space left on device" in evalue:
                hint = self._disk_hint()
            self._report(f"{_label(cell, index)} raised {output.ename}: {evalue}{hint}")
            return

    def _leftovers(self):
        """Processes the kernel started that are still running (stopped with it)."""
        km = self.km
        if km is None or not hasattr(km, "uid") or os.geteuid() != 0:
            return 0
        count = 0
        for entry in os.scandir("/proc"):
            try:
                if entry.name.isdigit() and entry.stat().st_uid == km.uid:
                    count += 1
            except OSError:
                continue
        return max(0, count - 1)  # the kernel itself

    def _disk_hint(self):
        workdir, tmp = (getattr(self.km, name, None) for name in ("workdir_size", "tmp_size"))
        if workdir is None:
            return " (the disk is full)"
        return (f" (the sandbox's disk limits: its working folder holds {workdir}, "
                f"c.SandboxKernelManager.workdir_size; /tmp and home {tmp} each, tmp_size)")

    def _say_if_handed_in_too_big(self):
        short = getattr(self.km, "workdir_short", 0)
        if short:
            self._report(f"the files handed in beside the notebook do not fit the sandbox's "
                         f"working folder ({self.km.workdir_size}, c.SandboxKernelManager."
                         f"workdir_size) by {short} bytes: the kernel got those that fit")

    # -- output: bounded per cell and per notebook -----------------------------

    def _output_room(self):
        """Bytes of output the next cell may keep, and whether the cell's limit is the binding one."""
        left = max(0, self.max_notebook_output_bytes - self._output_used)
        return min(self.max_cell_output_bytes, left), self.max_cell_output_bytes <= left

    def output(self, outs, msg, display_id, cell_index):
        """nbclient's output handler: past what a cell may hold, an output is dropped at once."""
        guard = self._guard
        if guard is not None:
            if len(outs) < guard.count or self.clear_before_next_output:
                guard.held = 0   # the cell's outputs were cleared
            size = output_size(msg.get("content"))
            if guard.held + size > guard.room:
                guard.dropped += size
                return None
            guard.held += size
        out = super().output(outs, msg, display_id, cell_index)
        if guard is not None:
            guard.count = len(outs)
        return out

    def handle_comm_msg(self, outs, msg, cell_index):
        """nbclient's widget messages, dropped past the notebook's limit (and in a replay)."""
        guard = self._guard
        if guard is not None:
            size = output_size(msg.get("content")) + sum(
                getattr(b, "nbytes", None) or len(b) for b in msg.get("buffers") or [])
            if guard.room == 0 or self._widget_bytes + size > self.max_notebook_output_bytes:
                self._widgets_cut += size if guard.room else 0
                return None
            self._widget_bytes += size
        return super().handle_comm_msg(outs, msg, cell_index)

    def _limit_output(self, cell, index):
        """Keep what a cell output within its limits; a line in place of what was cut, one log line."""
        self.clear_display_id_mapping(index)   # a later cell's display update cannot grow it
        room, cell_binds = self._output_room()
        kept, used, cut, why, at = cut_outputs(cell.get("outputs", []), room,
                                               self.max_output_chars)
        dropped = self._guard.dropped if self._guard is not None else 0
        if dropped:
            cut += dropped
            why, at = (why, at) if why else ("bytes", len(kept))
        self._output_used += used
        cell.outputs = kept
        if why is None:
            return
        label = _label(cell, index)
        line = None
        if why == "chars":
            limit = f"the cell's limit of {self.max_output_chars} characters of text"
            line = (f"{label} printed more than {self.max_output_chars} characters; the rest "
                    f"was cut")
        elif cell_binds:
            limit = f"the cell's limit of {self.max_cell_output_bytes} bytes"
            line = (f"the outputs of {label} went over the cell's {self.max_cell_output_bytes} "
                    f"bytes; {cut} bytes were cut")
        else:
            limit = f"the notebook's limit of {self.max_notebook_output_bytes} bytes"
            if not self._notebook_cut:
                line = (f"the outputs of the notebook went over its "
                        f"{self.max_notebook_output_bytes} bytes at {label}; {cut} bytes were "
                        f"cut there, and what later cells output is cut too")
            self._notebook_cut = True
        kept.insert(at, cut_marker(cut, limit))
        if line:
            self._report(line)

    def _limit_widgets(self):
        """The notebook's widget state, left out if it does not fit the notebook's output limit."""
        widgets = self.nb.metadata.get("widgets")
        size = output_size(widgets) if widgets is not None else 0
        room = max(0, self.max_notebook_output_bytes - getattr(self, "_output_used", 0))
        if size > room:
            del self.nb.metadata["widgets"]
        if size > room or getattr(self, "_widgets_cut", 0):
            self._report(f"the notebook's widget state went over what is left of its "
                         f"{self.max_notebook_output_bytes} bytes of output; it was left out"
                         if size > room else f"widget messages went over the notebook's "
                         f"{self.max_notebook_output_bytes} bytes of output; "
                         f"{self._widgets_cut} bytes of them were left out")
