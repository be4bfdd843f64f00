"""The grader's trusted path, run in this process: no sandbox, for fast tests.

At autograde the grader asks a judge process (``course/judge/runner.py``, in the
sandbox) to run a student's answer cell alone and call the function on a test's
inputs, then judges what came back (``course/specs/``). :func:`grade` takes the
same steps here: the runner's own ``outcomes`` on the answer cell, every outcome
through the codec and ``process.read_answer`` as the grader reads a judge's
answer, arrays changed in place found by comparing copies, then the test's judge.

Also: the source notebooks' test cells and answer cells, the visible part of a
test cell run with the checks replaced by recorders, and the functions of the
mistake catalogue (``tests/catalogue``) built from the source answer cells.
"""

import functools
import json
import re
from pathlib import Path

import nbformat
import numpy as np

from course.submissions import catalogue
from course.feedback.hidden_tests import hide_regions
from course.judge import codec, process, runner, spec

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CATALOGUE = catalogue.load_catalogue(ROOT / "tests" / "catalogue")

#: What the imports cells of the notebooks give the answer cells.
PRELUDE = "import numpy as np\nfrom helpers.network import relu, sigmoid\n"


@functools.cache
def notebooks():
    """The source notebooks: {name without .ipynb: NotebookNode}, read once (do not change them)."""
    return {path.stem: nbformat.read(path, as_version=4)
            for path in sorted((ROOT / "source").glob("*/*.ipynb"))}


def _meta(cell):
    return cell.metadata.get("nbgrader", {})


def graded_cells(nb):
    """The code test cells of a notebook (grade, not solution), by grade id, in order."""
    return {_meta(c)["grade_id"]: c for c in nb.cells
            if c.cell_type == "code" and _meta(c).get("grade") and not _meta(c).get("solution")}


def answer_cells(nb):
    """The code answer cells of a notebook, by grade id (the function's name)."""
    return {_meta(c)["grade_id"]: c for c in nb.cells
            if c.cell_type == "code" and _meta(c).get("solution")}


def solution_namespace(nb):
    """A namespace with the instructor's answers of ``nb`` defined in it."""
    namespace = {}
    exec(PRELUDE, namespace)
    for cell in answer_cells(nb).values():
        exec(cell.source, namespace)
    return namespace


def stored_stdout(cell):
    """What a test cell of a source notebook printed, as stored, stripped."""
    return "".join(o.get("text", "") for o in cell.outputs
                   if o.output_type == "stream" and o.name == "stdout").strip()


def visible_part(cell):
    """The code of a test cell a student sees: its hidden region removed."""
    return hide_regions(cell.source, BEGIN, END, "")


def visible_calls(nb):
    """Each test cell's visible checks, recorded: {grade_id: [(check name, args, kwargs)]}.

    Runs the visible part of every test cell of ``nb`` in order, in one namespace
    (a later cell may use what an earlier one defined), with the instructor's
    answers defined and every check replaced by a recorder.
    """
    namespace = solution_namespace(nb)
    namespace["print"] = lambda *args, **kwargs: None   # a recorder's "" is printed
    calls = {}
    for grade_id, cell in graded_cells(nb).items():
        recorded = calls.setdefault(grade_id, [])
        for name in ("check_structure", "check_values", "check_scale",
                     "check_propagate_structure", "check_propagate_values",
                     "check_backward_structure", "check_backward_values"):
            namespace[name] = (lambda name: lambda *args, **kwargs:
                               recorded.append((name, args, kwargs)) or "")(name)
        exec(visible_part(cell), namespace)
    return calls


# -- the trusted path ------------------------------------------------------------------------

EXERCISES = spec.exercises("initialization")
TESTS = [(exercise, test) for exercise in EXERCISES for test in exercise.tests]


def observe(answer_source, function, calls):
    """What the judge process observes of ``calls`` (``spec.Observed``), made in this process."""
    namespace = {"__name__": "__main__"}
    exec(PRELUDE, namespace)
    request, owners = process.make_request(answer_source, function, calls)
    arrays = [codec.decode_array(a) for a in request["arrays"]]
    before = [a.copy() for a in arrays]
    changed = set()

    def checkpoint():   # as the fork server does after each call
        changed.update(k for k, (a, b) in enumerate(zip(arrays, before))
                       if not np.array_equal(a, b))

    saved = np.random.get_state()
    reseed()   # as the visible checks it is compared with
    try:
        raw, reused = runner.outcomes(request, namespace, arrays, codec, checkpoint)
    finally:
        np.random.set_state(saved)
    outcomes, reused = process.read_answer(
        json.dumps({"outcomes": raw, "reused": reused}).encode(), calls)
    return [spec.Observed(o, [i for i, k in enumerate(mine) if k in changed], r)
            for o, mine, r in zip(outcomes, owners, reused)]


def grade(exercise, test, answer_source):
    """The :class:`course.judge.spec.Verdict` on ``test`` for the answer cell ``answer_source``."""
    return test.judge(observe(answer_source, exercise.function, test.calls))


def solution_source(exercise):
    """The instructor's answer cell of ``exercise``."""
    return answer_cells(notebooks()[exercise.notebook])[exercise.answer].source


# -- the mistake catalogue, as functions -----------------------------------------------------

_BLOCK = re.compile(r"^(?P<indent>[ \t]*)### START CODE HERE ###.*\n(?:.*\n)*?"
                    r"(?P=indent)### END CODE HERE ###$", re.MULTILINE)


def entry_source(entry):
    """The answer cell of ``entry.function`` as the entry's student wrote it."""
    cell = next(answer_cells(nb)[entry.function] for nb in notebooks().values()
                if entry.function in answer_cells(nb))
    match = _BLOCK.search(cell.source)
    assert match, f"{entry.function}'s answer cell has no START/END CODE HERE block"
    indent = match["indent"]
    body = "".join(f"{indent}{line}\n" if line.strip() else "\n"
                   for line in entry.code.strip("\n").splitlines())
    source = cell.source[:match.start()] + body + cell.source[match.end() + 1:]
    for old, new in entry.frame:
        assert old in source, f"entry {entry.name}: no {old!r} to replace"
        source = source.replace(old, new, 1)
    return source


def entry_namespace(entry):
    """A new namespace with ``entry``'s function defined: each call of this starts afresh."""
    namespace = {}
    exec(PRELUDE, namespace)
    exec(entry_source(entry), namespace)
    return namespace


def tests_of(function):
    """The ``(exercise, test)`` pairs of the test cells that call ``function``."""
    return [(e, t) for e, t in TESTS if e.function == function]


def reseed():
    """Leave NumPy's global generator in the same state before each run that is compared."""
    np.random.seed(12345)
