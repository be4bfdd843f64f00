"""What the hidden tests of the source notebooks hold, for tests that check it stays hidden."""

import re
from pathlib import Path

import nbformat
import numpy as np

from course.feedback import hide_regions

ROOT = Path(__file__).resolve().parent.parent
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


def hidden_lines(min_length=12):
    """Every non-trivial line of the hidden regions that no visible part of a notebook has."""
    lines, visible = set(), ""
    for path in source_notebooks():
        nb = nbformat.read(path, as_version=4)
        visible += "\n".join(hide_regions(c.source, BEGIN, END, "") for c in nb.cells)
        for source in test_cells(path).values():
            lines.update(line.strip() for line in hidden_region(source).splitlines()
                         if len(line.strip()) >= min_length)
    return {line for line in lines if line not in visible}


def _arrays(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)
    elif isinstance(value, np.ndarray):
        yield value


def expected_values(part):
    """Values of the expected arrays the test cells pass to the checks.

    Runs the ``part`` ("visible" or "hidden") of every test cell of the
    initialization notebook with the checks replaced by recorders (the
    instructor's answers stand in for the student's functions), and returns
    every recorded non-zero value, rounded to 10 decimals.
    """
    values = set()
    for path in [INITIALIZATION]:
        nb = nbformat.read(path, as_version=4)
        recorded = []
        namespace = {"np": np}
        recorders = {
            "check_structure": lambda *a, **k: "",
            "check_fresh_dict": lambda *a, **k: "",
            "check_values": lambda f, dims, expected, **k: recorded.append(expected) or "",
        }
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type != "code" or not (meta.get("solution") or meta.get("grade")):
                continue
            if meta.get("solution"):
                exec(cell.source, namespace)
                continue
            code = hidden_region(cell.source) if part == "hidden" else hide_regions(
                cell.source, BEGIN, END, "")
            code = re.sub(r"^from helpers\.checks import .*$", "", code, flags=re.MULTILINE)
            namespace.update(recorders)
            exec(code, namespace)
        for expected in recorded:
            for array in _arrays(expected):
                values.update(round(float(v), 10) for v in array.ravel() if v != 0)
    return values


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
