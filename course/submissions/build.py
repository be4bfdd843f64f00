"""Build student submissions from the release: the demo class, test fixtures.

A submission is the release notebook with the stub of some answer cells
replaced by code. Answers are keyed by the answer cell's nbgrader ``grade_id``
(which is also the function's name), and their code is what a student would
type between ``### START CODE HERE ###`` and ``### END CODE HERE ###``; for a
written answer (a markdown cell, graded by hand), the text that replaces the
placeholder ``YOUR ANSWER HERE``.
"""

import re
import textwrap
import tomllib
from pathlib import Path

import nbformat

STUB = "# YOUR CODE HERE\nraise NotImplementedError()"
#: What nbgrader leaves in a written (markdown) answer cell of the release.
TEXT_STUB = "YOUR ANSWER HERE"
_STUB_RE = re.compile(r"^(?P<indent>[ \t]*)# YOUR CODE HERE\n(?P=indent)raise NotImplementedError\(\)$",
                      re.MULTILINE)


class SubmissionError(ValueError):
    """A submission could not be built from the answers given."""


def answer_cells(nb):
    """The answer cells of a notebook, by ``grade_id``."""
    return {cell.metadata["nbgrader"]["grade_id"]: cell for cell in nb.cells
            if cell.metadata.get("nbgrader", {}).get("solution")}


def lean(nb):
    """A copy of notebook ``nb`` without its ungraded code cells (training runs and plots).

    No test cell depends on them (the lesson's figures are drawn from what the
    graded cells define, never the other way round), and they are most of a
    notebook's grading time: the mistake catalogue and the test suite's own
    classes are graded lean. Markdown cells and every nbgrader cell stay.
    """
    nb = nbformat.from_dict(nb)
    nb.cells = [c for c in nb.cells if c.cell_type != "code" or "nbgrader" in c.metadata]
    return nb


def fill(release_nb, answers):
    """A copy of ``release_nb`` with the stub of each answered cell replaced.

    Parameters
    ----------
    release_nb : NotebookNode
        The student version (stubs still in place).
    answers : dict of str to str
        Code for the block, keyed by the answer cell's ``grade_id``. A missing
        key leaves that stub untouched, as a student who skipped it would.

    Raises
    ------
    SubmissionError
        If an answer names no answer cell, or its cell has no stub to replace.
    """
    nb = nbformat.from_dict(release_nb)
    cells = answer_cells(nb)
    unknown = sorted(set(answers) - set(cells))
    if unknown:
        raise SubmissionError(f"no answer cell named {', '.join(unknown)}; "
                              f"the notebook has {', '.join(cells)}")
    for grade_id, code in answers.items():
        cell = cells[grade_id]
        if cell.cell_type == "markdown":
            if cell.source.strip() != TEXT_STUB:
                raise SubmissionError(f"written answer cell {grade_id} does not hold "
                                      f"'{TEXT_STUB}'; is this the release notebook?")
            cell.source = textwrap.dedent(code).strip("\n")
            continue
        match = _STUB_RE.search(cell.source)
        if match is None:
            raise SubmissionError(f"answer cell {grade_id} has no '{STUB.splitlines()[0]}' "
                                  f"stub to replace; is this the release notebook?")
        body = textwrap.indent(textwrap.dedent(code).strip("\n"), match["indent"])
        cell.source = cell.source[:match.start()] + body + cell.source[match.end():]
    return nb


def load_class(path):
    """Read a class description: ``{student: {grade_id: code}}`` from TOML.

    The file has one table per student; each key of a table is an answer
    cell's ``grade_id`` and its value the code of that block. A student
    with an empty table hands in the release untouched.
    """
    with open(path, "rb") as f:
        try:
            students = tomllib.load(f)
        except tomllib.TOMLDecodeError as error:
            raise SubmissionError(f"{path} is not valid TOML: {error}") from None
    for student, answers in students.items():
        if not isinstance(answers, dict) or not all(isinstance(v, str) for v in answers.values()):
            raise SubmissionError(f"{path}: [{student}] must map answer cell names to code strings")
    return students


def write_class(students, release_dir, submitted_dir, assignment):
    """Write ``submitted/<student>/<assignment>/<notebook>`` for every student.

    Every notebook of ``release_dir`` is written for every student, filled
    with the answers that belong to it. Returns the paths written.
    """
    release_dir, submitted_dir = Path(release_dir), Path(submitted_dir)
    notebooks = {p.name: nbformat.read(p, as_version=4)
                 for p in sorted(release_dir.glob("*.ipynb"))}
    if not notebooks:
        raise SubmissionError(f"{release_dir} has no notebook: generate the release first")
    written = []
    for student, answers in students.items():
        remaining = dict(answers)
        filled = {}
        for name, nb in notebooks.items():
            mine = {k: remaining.pop(k) for k in list(remaining) if k in answer_cells(nb)}
            filled[name] = fill(nb, mine)
        if remaining:
            raise SubmissionError(f"[{student}] answers {', '.join(remaining)}, which no "
                                  f"notebook of {release_dir} has")
        for name, nb in filled.items():
            path = submitted_dir / student / assignment / name
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            written.append(path)
    return written
