"""A small course to make feedback in (tests/course/feedback/): one notebook, autograded for
alice, in a gradebook of its own.

Notebook ``one`` of ``ps1``: exercise 1 (answer cell ``f``, test cell ``check_f``, 1 point,
passed), exercise 2 (``check_g``, 2 points, failed: its error's traceback quotes a hidden
line), and a written answer (``answer``, 2 points) that no one has graded yet.
"""

import shutil
import warnings

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from nbgrader.api import Gradebook
from sqlalchemy.exc import SAWarning

HIDDEN_LINE = "assert f(2) == 4"
CHECK_F = f'"""Check f: its values."""\nassert f(1) == 2\n### BEGIN HIDDEN TESTS\n{HIDDEN_LINE}\n### END HIDDEN TESTS'
CHECK_G = '"""Check g: shapes and dtypes."""\ng_check()\n### BEGIN HIDDEN TESTS\ng_check(hidden=True)\n### END HIDDEN TESTS'
G_ERROR = "g([3, 2]):\n  - the result has shape (2,) but should be (2, 1)"


def _meta(cell, grade_id, *, grade=False, solution=False, points=None, locked=False):
    cell.metadata["nbgrader"] = {"grade": grade, "solution": solution, "locked": locked,
                                 "grade_id": grade_id, "schema_version": 3}
    if points is not None:
        cell.metadata["nbgrader"]["points"] = points
    return cell


def release_cells():
    """The notebook as released: headings, answer stubs, test cells without hidden tests."""
    return [
        new_markdown_cell("# Problem set 1\n## Exercise 1: `f`"),
        _meta(new_code_cell("def f(x):\n    raise NotImplementedError()"), "f", solution=True),
        _meta(new_code_cell('"""Check f: its values."""\nassert f(1) == 2'), "check_f",
              grade=True, points=1, locked=True),
        new_markdown_cell("## Exercise 2: `g`"),
        _meta(new_code_cell('"""Check g: shapes and dtypes."""\ng_check()'), "check_g",
              grade=True, points=2, locked=True),
        new_markdown_cell("## Your turn to explain"),
        _meta(new_markdown_cell("YOUR ANSWER HERE"), "answer", grade=True, solution=True,
              points=2),
    ]


def autograded_cells():
    """alice's notebook as autograde leaves it: her answers, hidden tests restored, outputs."""
    cells = release_cells()
    cells[1].source = "def f(x):\n    return 2 * x"
    cells[2].source = CHECK_F
    cells[2].outputs = [new_output("stream", name="stdout", text="✓ f looks right\n")]
    cells[4].source = CHECK_G
    cells[4].outputs = [new_output("error", ename="AssertionError", evalue=G_ERROR,
                                   traceback=["\x1b[0;31m---------\x1b[0m",
                                              "g_check(hidden=True)", f"AssertionError: {G_ERROR}"])]
    cells[6].source = "He keeps the spread of ReLU activations."
    return cells


def feedback_course(root, empty_gradebook):
    """A course root: the release of ``one``, and a gradebook with alice's grades."""
    (root / "release" / "ps1").mkdir(parents=True)
    nbformat.write(new_notebook(cells=release_cells()), root / "release" / "ps1" / "one.ipynb")
    shutil.copy2(empty_gradebook, root / "gradebook.db")
    url = f"sqlite:///{root / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment("ps1")
        gb.add_notebook("one", "ps1")
        for grade_id in ("f", "answer"):
            gb.add_solution_cell(grade_id, "one", "ps1")
        gb.add_grade_cell("check_f", "one", "ps1", max_score=1, cell_type="code")
        gb.add_grade_cell("check_g", "one", "ps1", max_score=2, cell_type="code")
        gb.add_grade_cell("answer", "one", "ps1", max_score=2, cell_type="markdown")
        gb.add_student("alice")
        with warnings.catch_warnings():
            # nbgrader 0.9.6 builds a submission's rows in a way SQLAlchemy 2 warns of
            # ("... not in session, add operation ... will not proceed"); the rows are made
            warnings.simplefilter("ignore", SAWarning)
            gb.add_submission("ps1", "alice")
        gb.find_grade("check_f", "one", "ps1", "alice").auto_score = 1
        gb.find_grade("check_g", "one", "ps1", "alice").auto_score = 0
        gb.db.commit()
    return url
