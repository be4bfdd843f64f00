"""Preflight: each problem of a submission that grading will meet, named before it runs.

Called for each submission when its grading starts (``course.autograde.run.grading_started``),
so that the instructor reads, naming the student, why a notebook will score
zero or be graded from the instructor's copy of a cell.
"""

import json
from pathlib import Path

from course.autograde.outcomes import PROBLEM, Finding

__all__ = ["preflight", "links", "python_beside", "RUNNABLE"]

#: Files handed in beside the notebooks that are left out (``CourseDirectory.ignore``).
RUNNABLE = ("*.html", "*.htm", "*.xhtml", "*.shtml", "*.svg", "*.svgz", "*.xml", "*.xsl",
            "*.xslt", "*.js", "*.mjs", "*.css", "*.pdf", "*.swf")


def links(folder):
    """The symbolic links and special files under ``folder`` (relative paths).

    nbgrader copies a submission's files following links, with the grader's
    rights: a link to the solutions or the gradebook would land in
    ``autograded/`` and in the feedback (see ``course.autograde.execute``, which removes
    such copies before anything runs).
    """
    found = []
    for path in sorted(Path(folder).rglob("*")):
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            found.append(path.relative_to(folder))
    return found


def python_beside(folder):
    """The Python modules and packages at the top of a submission's ``folder`` (relative paths).

    The grading kernel runs with nothing of its folder on ``sys.path``
    (``course.sandbox.kernel``), so none of them is imported, whatever its name.
    """
    folder = Path(folder)
    return [path.relative_to(folder) for path in sorted(folder.iterdir())
            if path.suffix == ".py" and path.is_file()
            or path.is_dir() and (path / "__init__.py").is_file()]


def _cells_by_id(nb):
    return {c["metadata"]["nbgrader"]["grade_id"]: c for c in nb.get("cells", [])
            if isinstance(c, dict) and c.get("metadata", {}).get("nbgrader", {}).get("grade_id")}


#: A notebook with more cells than this, or than ten times the release's, is not
#: graded: matching its cells to the release grows as the square of their number.
MAX_CELLS = 500


def ungradable(nb, release_cells):
    """Why a notebook nbformat has read cannot be graded (one phrase), or None.

    nbformat reads some notebooks its schema rejects (it only logs the errors), and
    nbgrader then fails on the whole submission. Before the check, what editors
    commonly leave out or add to a cell (outputs, execution count, metadata) is put
    right, in place, as nbgrader's own clearing would.
    """
    import nbformat

    limit = max(MAX_CELLS, 10 * release_cells)
    if len(nb.get("cells", [])) > limit:
        return f"it has {len(nb['cells'])} cells; at most {limit} are graded"
    for cell in nb.get("cells", []):
        if not isinstance(cell, dict):
            continue
        if cell.get("cell_type") == "code":
            cell.setdefault("outputs", [])
            cell.setdefault("execution_count", None)
        else:
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
        cell.setdefault("metadata", nbformat.NotebookNode())
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError as error:
        return f"not a valid notebook: {str(error).splitlines()[0][:150]}"
    return None


def _as_nbgrader_reads_it(text, release_path):
    """Read ``text`` as the grader does; raise ValueError naming why it cannot be graded."""
    import nbformat

    try:
        nb = nbformat.reads(text, as_version=4)
    except Exception as error:   # nbformat raises what the malformed JSON leads it to
        raise ValueError(f"{type(error).__name__}: {error}") from None
    why = ungradable(nb, len(nbformat.read(release_path, as_version=4).cells))
    if why:
        raise ValueError(why)


def _matched_ids(text, release_path):
    """The grade ids the autograder's matcher (``course.autograde.match``) finds in a notebook's text."""
    import nbformat

    from course.autograde.match import match_cells

    cells = nbformat.reads(text, as_version=4).cells
    matched = match_cells(cells, nbformat.read(release_path, as_version=4).cells)
    return set(_cells_by_id({"cells": matched.cells}))


def preflight(notebooks):
    """One :class:`~course.autograde.outcomes.Finding` per problem of ``notebooks`` that grading will meet.

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

    def say(text, ungradable=False):
        lines.append(Finding(PROBLEM, text, student, ungradable=ungradable))

    for path in sorted(folder.rglob("*")):
        if path.is_file() and any(path.match(p) for p in RUNNABLE):
            say(f"{path.relative_to(folder)} was handed in beside "
                         f"the notebooks; it is left out (a browser could run it)")
    for path in python_beside(folder):
        say(f"{path}{'/' if (folder / path).is_dir() else ''} was "
                     f"handed in beside the notebooks; grading does not import it (only the "
                     f"notebooks' own code is graded)")
    release = folder.parent.parent.parent / "release" / assignment
    expected = {p.name: p for p in release.glob("*.ipynb")}
    found = {p.name for p in paths}
    others = ", ".join(sorted(found)) or "nothing"
    if expected and not set(expected) & found:   # nbgrader then grades nothing at all
        say(f"none of {', '.join(sorted(expected))} was handed in (found {others}); the "
            f"submission cannot be graded: name the notebooks as released and grade it again",
            ungradable=True)
    else:
        for name in sorted(set(expected) - found):
            say(f"{name} was not handed in (found {others}); it scores zero")
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
            _as_nbgrader_reads_it(text, expected[path.name])
        except (OSError, UnicodeDecodeError, ValueError) as error:
            say(f"{path.name} is not a readable notebook ({error}); "
                         f"it scores zero")
            continue
        wanted = _cells_by_id(json.loads(expected[path.name].read_text()))
        got = _cells_by_id(nb)
        answers = [k for k, c in wanted.items() if c["metadata"]["nbgrader"].get("solution")]
        missing = [k for k in answers if k not in got]
        ours = any(k in got for k in wanted if k not in answers)   # its other cells are there
        if missing and len(missing) == len(answers) and not ours:
            found = _matched_ids(text, expected[path.name]) & set(answers)
            if found == set(answers):
                say(f"{path.name} has none of the answer cells' nbgrader "
                    f"metadata ({', '.join(answers)}): its nbgrader metadata was "
                    f"stripped; every cell was matched to the release by content "
                    f"or place")
                continue
            say(f"{path.name} has none of the answer cells "
                f"({', '.join(a for a in answers if a not in found)}): another "
                f"assignment's notebook, or its nbgrader metadata was stripped and "
                f"its cells match none of the release's; its tests will fail")
            continue
        deleted = sorted(set(missing) - _matched_ids(text, expected[path.name])) if missing \
            else []
        if deleted:
            cells = "answer cell" + ("s " if len(deleted) > 1 else " ") + ", ".join(deleted)
            say(f"{path.name}: the {cells} {'were' if len(deleted) > 1 else 'was'} deleted; "
                f"the tests of what {'they' if len(deleted) > 1 else 'it'} defined fail "
                f"unless another cell defines it")
        for grade_id, cell in wanted.items():
            meta = cell["metadata"]["nbgrader"]
            if not meta.get("grade") or meta.get("solution"):   # a written answer is not a test
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
            say(f"test cell {grade_id} {what}; it is graded from the "
                         f"instructor's copy")
    return lines
