"""Submissions built from the hostile catalogue (tests/hostile/catalogue.toml), lean.

Lean: the release's ungraded code cells (training, plots) left out, which no test
cell depends on, so that a submission grades in seconds. Each submission is the
catalogue's answer set filled into the release, with the entry's edit applied.
"""

import tomllib

import nbformat

from course.submissions import fill

from . import ASSIGNMENT, ROOT

CATALOGUE = tomllib.loads((ROOT / "tests" / "hostile" / "catalogue.toml").read_text())
ENTRIES = {entry["student"]: entry for entry in CATALOGUE["submission"]}
NOTEBOOK = "Initialization.ipynb"


def lean(nb):
    """The notebook without its ungraded code cells (the training runs)."""
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or "nbgrader" in c.metadata]
    return nb


def _grade_cells(nb):
    return [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]


def _at_imports(nb):
    return next(i for i, c in enumerate(nb.cells)
                if c.metadata.get("nbgrader", {}).get("grade_id") == "imports") + 1


def edited(nb, entry, fmt):
    """The file name and text an entry hands in (the edits the cluster tests use)."""
    edit = entry["edit"]
    code = entry.get("code", "").format(**fmt)
    if edit == "invalid_json":
        return NOTEBOOK, nbformat.writes(nb)[:-40] + ', "cells": ['
    if edit == "empty_file":
        return NOTEBOOK, ""
    if edit == "rename":
        return "Initialisation.ipynb", nbformat.writes(nb)
    if edit == "strip_metadata":
        for cell in nb.cells:
            cell.metadata.pop("nbgrader", None)
    elif edit == "delete_tests":
        nb.cells = [c for c in nb.cells if c not in _grade_cells(nb)]
    elif edit == "edit_tests":
        for cell in _grade_cells(nb):
            cell.source = 'print("✓ all good")'
    elif edit == "insert_cell":
        nb.cells.insert(_at_imports(nb), nbformat.v4.new_code_cell(code))
    elif edit == "append_to_answer":
        cell = next(c for c in nb.cells
                    if c.metadata.get("nbgrader", {}).get("grade_id") == entry["cell"])
        cell.source += "\n\n" + code.strip("\n")
    else:
        assert edit == "none", f"the cluster tests do not build the edit {edit!r}"
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
