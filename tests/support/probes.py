"""The grader's trusted path, run in this process: no kernel, for fast tests.

At autograde the grader sends a test cell's request to the student's kernel,
where ``course.probe`` observes the student's function and publishes one
``display_data`` output; the grader reads it back (``course.wire.read``) and
judges (``course.testcells``). Here the same steps run in-process, with a JSON
round trip and an nbformat output in between, so that what is judged has
crossed the same boundary as in grading.

Also: the source notebooks' test cells and answer cells, the visible part of a
test cell run with the checks replaced by recorders, and the functions of the
mistake catalogue (``tests/catalogue``) built from the source answer cells.
"""

import functools
import json
import re
import secrets
from pathlib import Path

import nbformat
import numpy as np

from course import mutants, probe, wire
from course.feedback import hide_regions

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CATALOGUE = mutants.load_catalogue(ROOT / "tests" / "catalogue")

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

def answer_output(payload):
    """The probe's one ``display_data`` output carrying ``payload``, as nbclient stores it."""
    return nbformat.from_dict({"output_type": "display_data", "metadata": {},
                               "data": {probe.MIME: json.loads(json.dumps(payload))}})


def observe(function_name, namespace, cases):
    """The kernel's side: the probe's answer to ``cases`` for ``namespace[function_name]``.

    Returns the ``(nonce, outputs)`` the grader would collect.
    """
    nonce = secrets.token_hex(8)
    request = json.loads(json.dumps({"function": function_name, "nonce": nonce,
                                     "cases": cases}))
    function = namespace.get(request["function"])
    if not callable(function):
        function = probe._missing(request["function"])
    results = [probe.observe(case["kind"], function, case) for case in request["cases"]]
    return nonce, [answer_output({"nonce": nonce, "results": probe.encode(results)})]


def observations(function_name, namespace, cases):
    """What the grader receives for ``cases``: decoded and schema-checked observations."""
    nonce, outputs = observe(function_name, namespace, cases)
    return wire.read(outputs, nonce, [case["kind"] for case in cases])


def lie(cell, results):
    """What the grader makes of a kernel that answers ``cell`` with ``results`` (plain data)."""
    nonce = secrets.token_hex(8)
    outputs = [answer_output({"nonce": nonce, "results": probe.encode(results)})]
    return wire.read(outputs, nonce, cell.kinds())


def grade(cell, namespace):
    """The :class:`course.testcells.Verdict` on ``cell`` for the functions of ``namespace``."""
    return cell.judge(observations(cell.function, namespace, cell.cases()))


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


def reseed():
    """Leave NumPy's global generator in the same state before each run that is compared."""
    np.random.seed(12345)
