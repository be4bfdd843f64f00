"""Autograding that a broken or hostile notebook cannot derail.

:class:`SandboxedExecute` replaces nbgrader's ``Execute`` preprocessor (see the
sandbox section of ``nbgrader_config.py``). It runs the notebook's cells one by
one in a :class:`~course.sandbox.SandboxKernelManager` kernel and:

- **a crash costs only what crashed**: when the kernel dies in a cell
  (``os._exit``, a segfault, a memory or CPU limit) or does not stop after its
  time limit, that cell gets an error output (a test cell then scores zero),
  a fresh kernel replays the cells that had run, and grading goes on;
- **time is bounded**: ``timeout`` per cell (nbgrader's) and
  ``notebook_timeout`` per notebook; cells left when the notebook's time is up
  get an error output and are not run;
- **output is bounded**: a cell's text output is cut at ``max_output_chars``;
- **checks are not patched**: before each test cell the modules the tests use
  (``protected_modules``: NumPy, ``helpers``, builtins) are put back as they
  were when the kernel started, and the locked cells (the notebook's imports)
  are run again, so that a cell of the student's that patched
  ``helpers.checks`` or ``numpy.testing`` has no effect on the tests;
- **the instructor is told**: one log line per problem, naming the student,
  also when a check refused what the function under test did (patched the
  checks while they called it, returned a lying subclass: see ``helpers._guard``);
- **memory is bounded as a whole**: when the sandbox (``course.cgroup``) stopped
  the kernel for the memory of all its processes together, the line says so.

The hooks :func:`grading_started` / :func:`grading_finished` and
:func:`recover_interrupted` make an interrupted grading run safe to start
again: a submission whose grading was cut off (SIGKILL) is graded again by the
next run, even without ``--force``.
"""

import copy
import json
import os
import shutil
import sys
from pathlib import Path
from time import monotonic

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.client import NotebookClient
from nbformat import NotebookNode
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, List, Unicode
from traitlets.log import get_logger

from .cgroup import describe
from .sandbox import SandboxKernelManager, problem

MARKER = ".grading-in-progress"
# What the checks (helpers/_guard.py, REFUSED) say when they refuse a result on
# principle: a function that patched them while it ran, a lying ndarray subclass.
REFUSED = "refused by the checks"
_WARNED_WATCHDOG = False    # the grader said once that no cgroup bounds the sandboxes

# Run silently when a kernel starts, before any cell of the notebook: remember
# the protected modules as they are. _course_restore() puts them back.
_SNAPSHOT = r"""
def _course_snapshot(prefixes):
    import builtins, importlib, sys, types
    for name in prefixes:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    saved = {}
    for name, module in list(sys.modules.items()):
        if module is None or not any(name == p or name.startswith(p + ".") for p in prefixes):
            continue
        functions = {key: (value, value.__code__, value.__defaults__, value.__kwdefaults__)
                     for key, value in vars(module).items() if isinstance(value, types.FunctionType)}
        attributes = dict(vars(module))
        if name == "builtins":  # the kernel itself swaps these per request
            for key in ("input", "raw_input", "get_ipython", "display", "_", "__", "___"):
                attributes.pop(key, None)
        saved[name] = (module, attributes, functions)
    ns = get_ipython().user_ns
    pinned = {}
    skip = {"In", "Out", "get_ipython", "exit", "quit", "open"}

    def protected(value):
        owner = value.__name__ if isinstance(value, types.ModuleType) else getattr(
            value, "__module__", None)
        return isinstance(owner, str) and any(
            owner == p or owner.startswith(p + ".") for p in prefixes)

    def pin():
        pinned.update({k: v for k, v in ns.items()
                       if not k.startswith("_") and k not in skip and protected(v)})

    def restore():
        changed = []
        for name, (module, attributes, functions) in saved.items():
            if sys.modules.get(name) is not module:
                sys.modules[name] = module
                changed.append(f"sys.modules[{name!r}]")
            current = vars(module)
            for key, value in attributes.items():
                if current.get(key, current) is not value:
                    current[key] = value
                    changed.append(f"{name}.{key}")
            for key, (function, code, defaults, kwdefaults) in functions.items():
                if (function.__code__, function.__defaults__, function.__kwdefaults__) != (
                        code, defaults, kwdefaults):
                    function.__code__, function.__defaults__ = code, defaults
                    function.__kwdefaults__ = kwdefaults
                    changed.append(f"the code of {name}.{key}")
        if ns.get("__builtins__") is not builtins:
            ns["__builtins__"] = builtins
            changed.append("__builtins__")
        for key, value in pinned.items():
            if ns.get(key, ns) is not value:
                ns[key] = value
                changed.append(key)
        return changed

    return pin, restore

_course_pin, _course_restore = _course_snapshot(PREFIXES)
del _course_snapshot

# The kernel's own threads that start on demand start now, so that the grader,
# counting threads, sees only the notebook's: pyzmq's garbage collector (a
# large output starts it).
try:
    from zmq.utils.garbage import gc as _course_gc
    if not _course_gc.is_alive():
        _course_gc.start()
    del _course_gc
except Exception:
    pass
"""


class SandboxUnavailableExit(SystemExit):
    """Grading stops: the sandbox cannot run here (the message names the fix)."""


def _is_grade(cell):
    return cell.metadata.get("nbgrader", {}).get("grade", False) and cell.cell_type == "code"


def _is_locked_code(cell):
    nbgrader = cell.metadata.get("nbgrader", {})
    return (cell.cell_type == "code" and nbgrader.get("locked", False)
            and not nbgrader.get("grade", False) and not nbgrader.get("solution", False))


def _label(cell, index):
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return f"cell {index} ({grade_id})" if grade_id else f"cell {index}"


def _error_output(ename, evalue):
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


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
    restore_before_tests = Bool(True, help="Before each test cell, put back the "
                                "protected modules and rerun the locked cells.").tag(config=True)
    protected_modules = List(Unicode(), ["builtins", "math", "numpy", "numpy.testing",
                                                 "helpers", "helpers.checks"],
                             help="Modules (with their submodules) restored before each "
                             "test cell.").tag(config=True)

    def __init__(self, **kwargs):
        kwargs["kernel_manager_class"] = SandboxKernelManager
        super().__init__(**kwargs)
        if not self.sandbox:
            self.kernel_manager_class = Execute().kernel_manager_class

    # -- the run ------------------------------------------------------------

    def preprocess(self, nb, resources=None, km=None):
        self._require_sandbox()
        NotebookClient.__init__(self, nb, km)
        self.reset_execution_trackers()
        self._check_assign_resources(resources)
        info = (resources or {}).get("nbgrader", {})
        self._who = f"{info.get('student', '?')} ({info.get('notebook', 'notebook')})"
        cell_timeout = self.timeout
        deadline = monotonic() + self.notebook_timeout
        out_of_time = False
        done = []
        try:
            self._start_kernel()
            for index, cell in enumerate(nb.cells):
                if cell.cell_type != "code" or not cell.source.strip():
                    continue
                remaining = deadline - monotonic()
                if remaining < 1:
                    cell.outputs = [_error_output(
                        "NotebookTimeout", f"not run: the notebook used up its "
                        f"{self.notebook_timeout} s")]
                    if not out_of_time:
                        self._report(f"the notebook used up its {self.notebook_timeout} s at "
                                     f"{_label(cell, index)}; the cells left score zero")
                    out_of_time = True
                    continue
                self.timeout = int(max(1, min(cell_timeout or remaining, remaining)))
                if _is_grade(cell) and self._threads_left(_label(cell, index)):
                    cell.outputs = [_error_output(
                        "TamperedChecks", "not run: the notebook left threads running, "
                        "which could change the checks while they run")]
                    continue
                if _is_grade(cell) and self.restore_before_tests and not self._restore(
                        _label(cell, index)):
                    cell.outputs = [_error_output(
                        "TamperedChecks", "not run: the notebook tampered with the grader's "
                        "means of restoring the checking modules")]
                    continue
                try:
                    self.execute_cell(cell, index, store_history=True)
                except DeadKernelError:
                    what = "the kernel died (os._exit, a crash, or the memory or CPU limit)"
                    if getattr(self.km, "exceeded", None):
                        what = f"the kernel was stopped: {self.km.exceeded},"
                except CellTimeoutError:
                    what = f"the kernel did not stop after the {self.timeout} s time limit"
                else:
                    self._limit_output(cell)
                    self._explain_errors(cell, index)
                    self._after_cell(cell)
                    if any(o.get("ename") == "CellTimeoutError" for o in cell.outputs):
                        self._report(f"{_label(cell, index)} ran past its {self.timeout} s "
                                     f"time limit and was interrupted; it scores zero")
                    done.append(index)
                    continue
                cell.outputs.append(_error_output("KernelDied", f"{what} in this cell; it "
                                                  f"scores zero and grading went on in a "
                                                  f"fresh kernel"))
                self._report(f"{what} in {_label(cell, index)}: that cell scores zero, the "
                             f"other cells were graded in a fresh kernel")
                self._restart(nb, done)
            left = self._leftovers()
            if left:
                self._report(f"{left} process(es) the notebook started were still running "
                             f"at the end; they were stopped")
        finally:
            self.timeout = cell_timeout
            self._stop_kernel()
        self.set_widgets_metadata()
        return nb, self.resources

    def _require_sandbox(self):
        if not self.sandbox:
            self.log.warning("SANDBOX OFF: student code runs with the grader's rights "
                             "(c.SandboxedExecute.sandbox = False in nbgrader_config.py)")
            return
        why = problem()
        if why:
            self.log.critical(f"grading stopped: {why}")
            raise SandboxUnavailableExit(2)

    def _report(self, message):
        self.log.error(f"student {self._who}: {message}")

    # -- kernels ------------------------------------------------------------

    def _start_kernel(self):
        global _WARNED_WATCHDOG
        self.km = self.create_kernel_manager()
        self._student_ran, self._thread_baseline = False, None
        self.start_new_kernel()
        bound = getattr(self.km, "bound", None)
        if bound is not None and bound.kind == "watchdog" and not _WARNED_WATCHDOG:
            _WARNED_WATCHDOG = True
            self.log.warning(f"sandbox: {describe()}")
        self.start_new_kernel_client()
        reply = self.wait_for_reply(self.kc.kernel_info())
        if reply and "language_info" in reply["content"]:
            self.nb.metadata["language_info"] = reply["content"]["language_info"]
        if self.restore_before_tests:
            code = _SNAPSHOT.replace("PREFIXES", repr(list(self.protected_modules)))
            reply = self.wait_for_reply(self.kc.execute(code, silent=True, store_history=False))
            if reply is None or reply["content"]["status"] != "ok":
                raise RuntimeError("the grader could not snapshot the checking modules")
        self._thread_baseline = self._kernel_threads()

    def _after_cell(self, cell):
        """Pin what a locked cell bound; count the kernel's threads until a student's cell ran."""
        if _is_locked_code(cell):
            if self.restore_before_tests:
                self._pin()
            if not self._student_ran:
                self._thread_baseline = self._kernel_threads()
        elif not _is_grade(cell):
            self._student_ran = True

    def _kernel_threads(self):
        count = getattr(self.km, "kernel_threads", None)
        return count() if count is not None else None

    def _threads_left(self, label):
        """Whether the kernel runs more threads than before the student's first cell.

        Counted from outside the kernel (``/proc``): a thread the notebook left running
        could change the checks at any moment, even after the restore step.
        """
        now, before = self._kernel_threads(), self._thread_baseline
        if now is None or before is None or now <= before:
            return False
        self._report(f"the notebook left {now - before} thread(s) running before {label}: "
                     f"that test was not run and scores zero")
        return True

    def _stop_kernel(self):
        if self.km is not None:
            try:
                self._cleanup_kernel()
            except Exception as error:  # a dead kernel may fail to shut down cleanly
                self.log.debug("kernel cleanup: %s", error)
        self.km = self.kc = None

    def _restart(self, nb, done):
        """A fresh kernel, with the cells that had run replayed (outputs dropped)."""
        self._stop_kernel()
        self._start_kernel()
        for index in list(done):
            cell = nb.cells[index]
            if _is_grade(cell):
                continue
            try:
                self.execute_cell(copy.deepcopy(cell), index, store_history=False)
                self._after_cell(cell)
            except (DeadKernelError, CellTimeoutError):
                done.remove(index)
                self._report(f"replaying {_label(cell, index)} crashed the kernel again; "
                             f"it is left out")
                self._stop_kernel()
                self._start_kernel()

    def _silent(self, code):
        """Run the grader's own ``code``; return the value of its last expression (a list)."""
        msg_id = self.kc.execute("", silent=False, store_history=False,
                                 user_expressions={"result": code})
        reply = self.wait_for_reply(msg_id)
        result = reply and reply["content"].get("user_expressions", {}).get("result", {})
        if not result or result.get("status") != "ok":
            raise RuntimeError(f"the grader's own code failed in the kernel: "
                               f"{result and result.get('evalue')}")
        return eval(result["data"]["text/plain"], {"__builtins__": {}})  # a list of strings

    def _pin(self):
        """Remember the names the locked cell just run bound (put back before tests)."""
        try:
            self._silent("_course_pin() or []")
        except RuntimeError:
            pass  # _restore() then fails and says so

    def _restore(self, label):
        """Put back the protected modules and the names the locked cells bound.

        Returns False when that was not possible (the notebook removed the means).
        """
        try:
            changed = self._silent("_course_restore()")
        except RuntimeError as error:
            self._report(f"could not restore the checking modules before {label} ({error}); "
                         f"that test scores zero")
            return False
        if changed:
            self._report(f"the notebook changed {', '.join(changed[:6])} used by the tests; "
                         f"put back before {label}")
        return True

    def _explain_errors(self, cell, index):
        """One line for an error in a cell that is not a test, or a test refusing a result.

        A test failing as usual is not reported: the student's mistake is in the feedback.
        """
        if _is_grade(cell):
            for output in cell.outputs:
                text = str(output.get("evalue", "")) if output.output_type == "error" else ""
                lines = [line.strip(" -") for line in text.splitlines() if REFUSED in line]
                if lines:
                    self._report(f"{_label(cell, index)}: a check refused what the function "
                                 f"under test did ({lines[0][:220]}); that test scores zero")
                    return
            return
        for output in cell.outputs:
            if output.output_type != "error" or output.ename == "CellTimeoutError":
                continue
            evalue = " ".join(str(output.evalue).split())[:160]
            hint = ""
            if output.ename == "MemoryError":
                hint = " (the memory limit)"
            elif "Resource temporarily unavailable" in evalue:
                hint = " (the process limit)"
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

    def _limit_output(self, cell):
        budget = self.max_output_chars
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream":
                if budget <= 0:
                    continue
                if len(output.text) > budget:
                    output.text = output.text[:budget] + "\n[output cut by the grader]\n"
                budget -= len(output.text)
            kept.append(output)
        if len(kept) < len(cell.outputs) or budget <= 0:
            self._report(f"a cell printed more than {self.max_output_chars} characters; "
                         f"the rest was cut")
        cell.outputs = kept


# -- interrupted runs ---------------------------------------------------------

def _autograded_dirs(notebooks):
    """``autograded/<student>/<assignment>`` for submitted notebook paths."""
    dirs = set()
    for path in notebooks:
        folder = Path(path).resolve().parent          # submitted/<student>/<assignment>
        root = folder.parent.parent.parent
        dirs.add(root / "autograded" / folder.parent.name / folder.name)
    return dirs


def grading_started(assignment=None, student=None, notebooks=(), **_):
    """nbgrader pre-convert hook: mark the submission as being graded; check its notebooks."""
    for folder in _autograded_dirs(notebooks):
        folder.mkdir(parents=True, exist_ok=True)
        (folder / MARKER).write_text(f"{os.getpid()}\n")
    for line in preflight(notebooks):
        get_logger().error(line)


def grading_finished(assignment=None, student=None, notebooks=(), **_):
    """nbgrader post-convert hook: the submission's grading completed."""
    for folder in _autograded_dirs(notebooks):
        (folder / MARKER).unlink(missing_ok=True)


def _alive(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return b"nbgrader" in f.read()
    except OSError:
        return False


def recover_interrupted(root):
    """Remove the autograded folders whose grading was cut off; return them.

    A grading process killed mid-submission leaves its marker behind; nbgrader
    would then skip that submission (its autograded notebook exists) and its
    grades would stay missing. Removing the folder makes the next run grade it.
    """
    removed = []
    for marker in sorted(Path(root).glob(f"autograded/*/*/{MARKER}")):
        try:
            pid = int(marker.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            pid = -1
        if _alive(pid):
            continue
        shutil.rmtree(marker.parent, ignore_errors=True)
        removed.append(marker.parent)
        print(f"course: the grading of {marker.parent.parent.name}/{marker.parent.name} was "
              f"interrupted; it will be graded again", file=sys.stderr)
    return removed


# -- preflight: name what is wrong with a submission ---------------------------

def _cells_by_id(nb):
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb.get("cells", [])
            if isinstance(c, dict) and c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


def preflight(notebooks):
    """One line per problem of the submitted ``notebooks`` that grading will meet.

    Compares each notebook with the release (``release/<assignment>/``): unreadable
    files, renamed or missing notebooks, missing answer cells (another
    assignment's notebook, metadata stripped), test cells deleted, edited or
    turned into text (nbgrader restores those from the gradebook).
    """
    lines = []
    paths = [Path(p) for p in notebooks]
    if not paths:
        return lines
    folder = paths[0].resolve().parent
    student, assignment = folder.parent.name, folder.name
    release = folder.parent.parent.parent / "release" / assignment
    expected = {p.name: p for p in release.glob("*.ipynb")}
    who = f"student {student}"
    found = {p.name for p in paths}
    for name in sorted(set(expected) - found):
        others = ", ".join(sorted(found)) or "nothing"
        lines.append(f"{who}: {name} was not handed in (found {others}); it scores zero")
    for path in paths:
        if path.name not in expected:
            continue
        try:
            text = path.read_text()
            if not text.strip():
                raise ValueError("the file is empty")
            nb = json.loads(text)
            if not isinstance(nb, dict) or "cells" not in nb:
                raise ValueError("no cells: not a notebook")
        except (OSError, UnicodeDecodeError, ValueError) as error:
            lines.append(f"{who}: {path.name} is not a readable notebook ({error}); "
                         f"it scores zero")
            continue
        wanted = _cells_by_id(json.loads(expected[path.name].read_text()))
        got = _cells_by_id(nb)
        answers = [k for k, c in wanted.items() if c["metadata"]["nbgrader"].get("solution")]
        if answers and not any(k in got for k in answers):
            lines.append(f"{who}: {path.name} has none of the answer cells "
                         f"({', '.join(answers)}): another assignment's notebook, or its "
                         f"nbgrader metadata was stripped; its tests will fail")
            continue
        for grade_id, cell in wanted.items():
            if not cell["metadata"]["nbgrader"].get("grade"):
                continue
            mine = got.get(grade_id)
            if mine is None:
                what = "was deleted"
            elif mine.get("cell_type") != cell["cell_type"]:
                what = f"was turned into a {mine.get('cell_type')} cell"
            elif "".join(mine.get("source", "")) != "".join(cell["source"]):
                what = "was edited"
            else:
                continue
            lines.append(f"{who}: test cell {grade_id} {what}; it is graded from the "
                         f"instructor's copy")
    return lines
