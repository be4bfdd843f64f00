"""Submissions built from the hostile catalogue (tests/hostile/catalogue.toml), lean.

Lean: the release's ungraded code cells (training, plots) left out, which no test
cell depends on, so that a submission grades in seconds. Each submission is the
catalogue's answer set filled into the release, with the entry's edit applied.
"""

import tomllib

import nbformat

from course.submissions.build import fill

from . import ASSIGNMENT, ROOT, lean

CATALOGUE = tomllib.loads((ROOT / "tests" / "hostile" / "catalogue.toml").read_text())
ENTRIES = {entry["student"]: entry for entry in CATALOGUE["submission"]}
NOTEBOOK = "Initialization.ipynb"


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _at_imports(nb):
    return next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == "imports") + 1


def _other_assignment():
    """A notebook of another assignment: one answer cell and one test cell of its own."""
    other = nbformat.v4.new_notebook()
    other.cells = [nbformat.v4.new_code_cell("def squares(n):\n    return [i * i for i in range(n)]",
                                             metadata={"nbgrader": {"grade": False, "solution": True, "locked": False,
                                                                    "grade_id": "squares", "schema_version": 3}}),
                   nbformat.v4.new_code_cell("assert squares(3) == [0, 1, 4]",
                                             metadata={"nbgrader": {"grade": True, "solution": False, "locked": True,
                                                                    "points": 1, "grade_id": "check_squares",
                                                                    "schema_version": 3}})]
    return other


def _cells(code):
    return code if isinstance(code, list) else [code]


def edited(nb, entry, fmt):
    """The file name and text an entry hands in: ``nb`` with the entry's edit applied.

    ``fmt`` fills the placeholders of the entry's code (``{root}``, ``{student}``,
    ``{port}``).
    """
    edit = entry["edit"]
    code = entry.get("code", "")
    code = [c.format(**fmt) for c in code] if isinstance(code, list) else code.format(**fmt)
    if edit == "invalid_json":
        return NOTEBOOK, nbformat.writes(nb)[:-40] + ', "cells": ['
    if edit == "empty_file":
        return NOTEBOOK, ""
    if edit == "rename":
        return "Initialisation.ipynb", nbformat.writes(nb)
    if edit == "other_assignment":
        return NOTEBOOK, nbformat.writes(_other_assignment())
    if edit == "strip_metadata":
        for cell in nb.cells:
            cell.metadata.pop("nbgrader", None)
    elif edit == "delete_tests":
        nb.cells = [c for c in nb.cells if c not in _grade_cells(nb)]
    elif edit == "edit_tests":
        for cell in _grade_cells(nb):
            cell.source = 'print("✓ all good")'
    elif edit == "tests_to_markdown":
        for cell in _grade_cells(nb):
            cell.cell_type = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    elif edit == "insert_cell":   # `code` may be a list: one cell each, in order
        at = _at_imports(nb)
        nb.cells[at:at] = [nbformat.v4.new_code_cell(c) for c in _cells(code)]
    elif edit == "append_cells":
        nb.cells += [nbformat.v4.new_code_cell(c) for c in _cells(code)]
    elif edit == "insert_markdown":
        nb.cells.insert(_at_imports(nb), nbformat.v4.new_markdown_cell(code))
    elif edit == "append_to_answer":
        cell = next(c for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == entry["cell"])
        cell.source += "\n\n" + code.strip("\n")
    else:
        assert edit == "none", f"unknown edit {edit!r} in the catalogue"
    return NOTEBOOK, nbformat.writes(nb)


def hand_in(root, student, *, entry=None, answers="right", fmt=None):
    """Write ``student``'s lean submission into ``root/submitted``: an entry's, or plain answers."""
    release = nbformat.read(root / "release" / ASSIGNMENT / NOTEBOOK, as_version=4)
    folder = root / "submitted" / student / ASSIGNMENT
    folder.mkdir(parents=True)
    nb = lean(fill(release, CATALOGUE["answers"][entry["answers"] if entry else answers]))
    if entry is None:
        nbformat.write(nb, folder / NOTEBOOK)
        return
    fmt = {"root": root, "student": student, "port": 9, **(fmt or {})}
    name, text = edited(nb, entry, fmt)
    (folder / name).write_text(text)
    for extra, content in entry.get("files", {}).items():   # handed in beside it
        (folder / extra).parent.mkdir(parents=True, exist_ok=True)
        (folder / extra).write_text(content.format(**fmt))
    for extra, target in entry.get("links", {}).items():
        (folder / extra).unlink(missing_ok=True)
        (folder / extra).symlink_to(target.format(**fmt))
