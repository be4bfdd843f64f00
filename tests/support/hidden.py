"""What the hidden tests of the source notebooks hold, for tests that check it stays hidden."""

import ast
import re
from pathlib import Path

import nbformat
import numpy as np

from course.feedback.hidden_tests import hide_regions

ROOT = Path(__file__).resolve().parents[2]
BEGIN, END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
INITIALIZATION = ROOT / "source" / "initialization" / "Initialization.ipynb"


def source_notebooks():
    return sorted((ROOT / "source").glob("*/*.ipynb"))


def test_cells(path):
    """The grade cells of a notebook: {grade_id: source}."""
    nb = nbformat.read(path, as_version=4)
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")}


def hidden_region(source):
    """The lines between the hidden-test markers of one cell (empty if none)."""
    match = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), source, re.DOTALL)
    return match[1] if match else ""


def grader_lines(min_length=20):
    """The grader's hidden cases: the lines of ``course/specs/initialization.py``'s module-level
    data (not its reference code, which computes as a right answer does) that hold numbers.

    Lines that a visible part of a source notebook has (the visible examples) are
    left out.
    """
    visible = ""
    for path in source_notebooks():
        nb = nbformat.read(path, as_version=4)
        visible += "\n".join(hide_regions(c.source, BEGIN, END, "") for c in nb.cells)
    lines = set()
    text = (ROOT / "course" / "specs" / "initialization.py").read_text()
    source = text.splitlines()
    for node in ast.parse(text).body:   # the hidden cases: data assigned at module level
        if not isinstance(node, ast.Assign):
            continue
        for line in source[node.lineno - 1:node.end_lineno]:
            line = line.strip()
            if len(line) >= min_length and not line.startswith("#") and re.search(r"\d", line):
                lines.add(line)
    return {line for line in lines if line not in visible}


def hidden_lines(min_length=12):
    """Every non-trivial line of the hidden regions, and of the grader's hidden material,
    that no visible part of a notebook has."""
    lines, visible = set(), ""
    for path in source_notebooks():
        nb = nbformat.read(path, as_version=4)
        visible += "\n".join(hide_regions(c.source, BEGIN, END, "") for c in nb.cells)
        for source in test_cells(path).values():
            lines.update(line.strip() for line in hidden_region(source).splitlines()
                         if len(line.strip()) >= min_length)
    return {line for line in lines if line not in visible} | grader_lines()


def _arrays(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays(v)
    elif isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, float):
        yield np.array([value])


def expected_values(part):
    """Every non-zero value the grader expects in the ``part`` ("visible" or "hidden") of
    the value tests (``course/specs/initialization.py``), rounded to 10 decimals."""
    from course.specs import initialization as spec

    visible = part == "visible"
    found = []
    for exercise in spec.EXERCISES:
        for test in exercise.tests:
            calls = test.calls[:test.visible] if visible else test.calls[test.visible:]
            if test.grade_id in ("check_zeros_values", "check_random_values", "check_he_values"):
                scheme = test.grade_id.split("_")[1]
                found += [spec.INITIALIZERS[scheme](call.args[0]) for call in calls[::2]]
            elif test.grade_id.endswith("_scale_values"):
                scheme = test.grade_id.split("_")[1]
                found += [spec.scale(scheme)(call.args[0]) for call in calls]
    found += [c.expected() for c in ((spec.VISIBLE_PROPAGATION,) if visible
                                     else spec.VALUE_PROPAGATIONS)]
    found += [c.expected() for c in (spec.VISIBLE_BACKWARD if visible
                                     else spec.BACKWARD_VALUES)]
    return {round(float(v), 10) for value in found for array in _arrays(value)
            for v in array.ravel() if v != 0}


def hidden_only_values():
    """Expected values that only hidden tests use, as the digits a leak would show.

    Seven decimals: NumPy prints eight, and fewer would meet other numbers by
    chance (the costs a training run prints, say).
    """
    visible = {f"{abs(v):.8f}"[:-1] for v in expected_values("visible")}
    only = {f"{abs(v):.8f}"[:-1] for v in expected_values("hidden") if abs(v) >= 0.01}
    return only - visible


def student_readable_files():
    """What students get: the release and the helpers package."""
    files = [p for p in (ROOT / "release").rglob("*") if p.is_file()]
    files += [p for p in (ROOT / "helpers").rglob("*.py")]
    return files
