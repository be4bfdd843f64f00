"""The submission preflight: what it says of a notebook before grading, without a kernel."""

import json
import shutil

import nbformat
import pytest

from course.autograde.outcomes import PROBLEM, Finding
from course.autograde.preflight import MAX_CELLS, preflight, python_beside, ungradable
from support import ASSIGNMENT, ROOT

RELEASE = ROOT / "release" / ASSIGNMENT


@pytest.fixture
def course(tmp_path):
    """A course root holding the release, and alice's folder in submitted/."""
    shutil.copytree(RELEASE, tmp_path / "release" / ASSIGNMENT)
    folder = tmp_path / "submitted" / "alice" / ASSIGNMENT
    shutil.copytree(ROOT / "submitted" / "alice" / ASSIGNMENT, folder)
    return folder


def _release_cells():
    return len(nbformat.read(RELEASE / "Initialization.ipynb", as_version=4).cells)


def test_a_notebook_as_handed_out_is_gradable_and_a_sloppy_one_is_put_right():
    nb = nbformat.read(RELEASE / "Initialization.ipynb", as_version=4)
    assert ungradable(nb, _release_cells()) is None
    code = next(c for c in nb.cells if c.cell_type == "code")
    del code["outputs"], code["execution_count"]   # as some editors save it
    text = next(c for c in nb.cells if c.cell_type == "markdown")
    text["outputs"] = []
    assert ungradable(nb, _release_cells()) is None
    assert code.outputs == [] and "outputs" not in text


def test_a_notebook_against_the_schema_is_not_gradable():
    nb = nbformat.read(RELEASE / "Initialization.ipynb", as_version=4)
    next(c for c in nb.cells if c.cell_type == "markdown").source = {"not": "text"}
    assert ungradable(nb, _release_cells()).startswith("not a valid notebook: ")


def test_a_notebook_of_too_many_cells_is_not_gradable():
    nb = nbformat.read(RELEASE / "Initialization.ipynb", as_version=4)
    nb.cells += [nbformat.v4.new_markdown_cell("x") for _ in range(MAX_CELLS)]
    assert ungradable(nb, _release_cells()) == (f"it has {len(nb.cells)} cells; at most "
                                                f"{max(MAX_CELLS, 10 * _release_cells())} are graded")


def test_preflight_says_such_a_notebook_scores_zero(course):
    nb = json.loads((course / "Layers.ipynb").read_text())
    next(c for c in nb["cells"] if c["cell_type"] == "markdown")["source"] = {"not": "text"}
    (course / "Layers.ipynb").write_text(json.dumps(nb))
    lines = [f"student {f.line}" for f in preflight(sorted(course.glob("*.ipynb")))]
    assert len(lines) == 1, lines
    assert lines[0].startswith("student alice: Layers.ipynb is not a readable notebook (not a "
                               "valid notebook: ") and lines[0].endswith("it scores zero")


def test_python_handed_in_beside_the_notebooks_is_named_and_not_imported(course):
    (course / "helpers").mkdir()
    (course / "helpers" / "__init__.py").write_text("")
    (course / "numpy.py").write_text("")
    (course / "data").mkdir()   # a plain folder is nobody's business
    assert python_beside(course) == [type(course)("helpers"), type(course)("numpy.py")]
    lines = [f"student {f.line}" for f in preflight(sorted(course.glob("*.ipynb")))]
    assert [line.split(" was ")[0] for line in lines] == ["student alice: helpers/",
                                                          "student alice: numpy.py"]
    assert all("grading does not import it" in line for line in lines)


def test_a_submission_with_none_of_the_notebooks_says_it_cannot_be_graded(course):
    (course / "Initialization.ipynb").rename(course / "Initialisation.ipynb")
    (course / "Layers.ipynb").rename(course / "Layers (1).ipynb")
    (course / "Gradients.ipynb").rename(course / "gradients.ipynb")
    lines = [f"student {f.line}" for f in preflight(sorted(course.glob("*.ipynb")))]
    assert lines == ["student alice: none of Gradients.ipynb, Initialization.ipynb, Layers.ipynb "
                     "was handed in (found Initialisation.ipynb, Layers (1).ipynb, "
                     "gradients.ipynb); the submission cannot be graded: name the "
                     "notebooks as released and grade it again"]
    assert [f.ungradable for f in preflight(sorted(course.glob("*.ipynb")))] == [True]


def test_preflight_findings_are_records_of_the_student_not_lines_to_parse(course):
    (course / "Layers.ipynb").write_text("")
    findings = preflight(sorted(course.glob("*.ipynb")))
    assert [(f.kind, f.student, f.notebook) for f in findings] == [(PROBLEM, "alice", "")]
    assert findings[0].text.startswith("Layers.ipynb is not a readable notebook (")
    assert Finding.from_data(findings[0].as_data()) == findings[0]


def test_a_deleted_answer_cell_is_named_not_blamed_on_another_assignment(course):
    nb = json.loads((course / "Gradients.ipynb").read_text())
    answers = [c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("solution")
               and c["cell_type"] == "code"]
    nb["cells"] = [c for c in nb["cells"] if c is not answers[0]]
    (course / "Gradients.ipynb").write_text(json.dumps(nb))
    lines = [f.line for f in preflight(sorted(course.glob("*.ipynb")))]
    grade_id = answers[0]["metadata"]["nbgrader"]["grade_id"]
    assert lines == [f"alice: Gradients.ipynb: the answer cell {grade_id} was deleted; the "
                     f"tests of what it defined fail unless another cell defines it"]
