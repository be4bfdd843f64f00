"""The student's journey in a real browser: JupyterLab, the notebook, nbgrader's Validate.

Each test starts its own JupyterLab on loopback (free port, random token) on a
temporary student folder, drives Debian's headless Chromium through it, and
saves screenshots to test-artifacts/e2e/<test>/.
"""

import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course.submissions.build import answer_cells, fill

from .answers import RIGHT, type_answers

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = "initialization/Initialization.ipynb"

# He written with Xavier's scale: the usual mix-up of the two.
XAVIER = dict(RIGHT, initialize_parameters_he=[
    'parameters["W" + str(l)] = np.random.randn(layers_dims[l], layers_dims[l - 1]) * np.sqrt(1 / layers_dims[l - 1])',
    'parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))',
])

# (train, test) accuracy printed after training from each run, on the course's data.
ACCURACIES = {
    "zeros_run": (0.5, 0.5),
    "random_run": (0.8866666666666667, 0.87),
    "he_run": (1.0, 1.0),
}


def release_notebook():
    return nbformat.read(ROOT / "release" / NOTEBOOK, as_version=4)


def cell_index(nb, predicate, what):
    found = [i for i, cell in enumerate(nb.cells) if predicate(cell)]
    assert found, f"no cell of {NOTEBOOK} is {what}"
    return found


def check_cells(nb):
    """Indices and grade_ids of the visible checks (nbgrader test cells)."""
    return {cell.metadata["nbgrader"]["grade_id"]: i for i, cell in enumerate(nb.cells)
            if cell.metadata.get("nbgrader", {}).get("grade")}


def accuracy_cells(nb):
    """Index of the cell printing each run's accuracies, by run name."""
    return {run: cell_index(nb, lambda c: c.cell_type == "code" and "Train accuracy" in c.source
                            and f"{run}.parameters" in c.source, f"printing {run}'s accuracy")[0]
            for run in ACCURACIES}


def figure_cells(nb):
    return cell_index(nb, lambda c: c.cell_type == "code" and "plt.show()" in c.source,
                      "drawing a figure")


def assert_saved_answers(path, answers):
    """The notebook on disk holds exactly the code typed, in the right blocks."""
    saved = answer_cells(nbformat.read(path, as_version=4))
    wanted = answer_cells(fill(release_notebook(), {k: "\n".join(v) for k, v in answers.items()}))
    for grade_id in answers:
        assert saved[grade_id].source == wanted[grade_id].source, (
            f"{grade_id} as saved differs from what was typed:\n{saved[grade_id].source}")


def printed_accuracies(text):
    found = dict(re.findall(r"(Train|Test) accuracy:\s*([0-9.eE+-]+)", text))
    return float(found["Train"]), float(found["Test"])


def test_student_happy_path(lab, student_folder):
    nb = release_notebook()
    with lab(student_folder) as session:
        session.open_notebook(NOTEBOOK)
        session.screenshot("opened")

        type_answers(session, nb, RIGHT)
        session.cell(max(answer_cells_indices(nb))).scroll_into_view_if_needed()
        session.screenshot("typed")

        session.run_all()
        session.wait_until_run()

        for grade_id, i in check_cells(nb).items():
            shown = session.outputs(i)
            assert shown.strip().startswith("✓"), (
                f"the visible check {grade_id} (cell {i}) shows no ✓ pass line in the "
                f"browser; it shows:\n{shown}")
        for run, i in accuracy_cells(nb).items():
            shown = session.outputs(i)
            assert printed_accuracies(shown) == pytest.approx(ACCURACIES[run], rel=1e-12), (
                f"{run}: the browser shows\n{shown}")
        for i in figure_cells(nb):
            images = session.images(i)
            assert images and all(w > 100 and h > 100 for w, h in images), (
                f"cell {i} should draw a figure; its rendered images (width, height) are "
                f"{images}, its output text:\n{session.outputs(i)}")
        session.cell(accuracy_cells(nb)["he_run"]).scroll_into_view_if_needed()
        session.screenshot("ran")

        succeeded, message = session.validate()
        session.screenshot("validated")
        assert succeeded, f"Validate did not succeed; its dialog says:\n{message}"
        assert "passes all the tests" in message
        session.close_dialog()
    assert_saved_answers(student_folder / NOTEBOOK, RIGHT)


def answer_cells_indices(nb):
    return [i for i, cell in enumerate(nb.cells) if cell.metadata.get("nbgrader", {}).get("solution")]


def test_student_mistake_xavier_for_he(lab, student_folder):
    nb = release_notebook()
    he_check = check_cells(nb)["check_he_values"]
    with lab(student_folder) as session:
        session.open_notebook(NOTEBOOK)
        type_answers(session, nb, XAVIER)
        session.run_all()
        session.wait_until_run()

        shown = session.outputs(he_check)
        session.cell(he_check).scroll_into_view_if_needed()
        session.screenshot("hint")
        assert not re.search(r"^✓", shown, re.MULTILINE), (
            f"the He check printed a pass line for a Xavier-scaled He:\n{shown}")
        assert "Xavier" in shown, (f"the He check should name Xavier's scale in the browser; "
                                   f"it shows:\n{shown}")
        assert "checks.py" not in shown and "Traceback" not in shown, (
            f"the He check should show its message, not the checks' frames; it shows:\n{shown}")
        for grade_id in ("check_zeros_values", "check_random_values"):
            assert session.outputs(check_cells(nb)[grade_id]).strip().startswith("✓")

        succeeded, message = session.validate()
        session.screenshot("validate-failed")
        assert not succeeded, f"Validate accepted He with Xavier's scale:\n{message}"
        assert "The following cell failed" in message and "Xavier" in message, message
        session.close_dialog()
    assert_saved_answers(student_folder / NOTEBOOK, XAVIER)


def other_notebooks():
    """Every notebook of source/initialization but Initialization.ipynb."""
    found = sorted(p.name for p in (ROOT / "source" / "initialization").glob("*.ipynb")
                   if p.name != "Initialization.ipynb")
    if not found:
        return [pytest.param(None, marks=pytest.mark.skip(
            reason="source/initialization has no notebook besides Initialization.ipynb"))]
    return found


@pytest.mark.parametrize("name", other_notebooks())
def test_other_notebook_runs_in_the_browser(lab, tmp_path, name):
    folder = tmp_path / "student"
    shutil.copytree(ROOT / "source" / "initialization", folder / "initialization")
    path = f"initialization/{name}"
    nb = nbformat.read(folder / path, as_version=4)
    for cell in nb.cells:          # stored outputs cleared: only this run's count
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, folder / path)
    with lab(folder) as session:
        session.open_notebook(path)
        session.run_all()
        session.wait_until_run()
        session.screenshot("ran")
        errors = session.page.locator(
            ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
        ).all_inner_texts()
        tracebacks = [e for e in errors if "Error" in e or "Traceback" in e]
        assert not tracebacks, f"{name} raised in the browser:\n" + "\n---\n".join(tracebacks)
        session.save()
    nb = nbformat.read(folder / path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    not_run = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and c.source.strip()
               and not c.execution_count]
    assert code and not not_run, f"{name}: cells {not_run} did not run"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
