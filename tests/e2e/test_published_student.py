"""A student's screen, from the published folder installed as its README says.

JupyterLab runs from the students' own environment (``student_install``: the
folder `course publish` wrote, installed into a fresh venv by the commands of
its README), serving a copy of that folder with the first notebook answered.
The student sees nbgrader's Validate button and Assignment List and nothing of
the instructor's (no formgrader, course list or Create Assignment; the
formgrader's pages are not served), runs the notebook, meets one explorer
figure, presses Validate and reads Success. The server's log shows no error
and no kernel warning about TCP without encryption.
"""

import re
import shutil

import nbformat
import pytest

from course.submissions.build import fill, load_class
from support import ASSIGNMENT, ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NOTEBOOK = f"{ASSIGNMENT}/Initialization.ipynb"


def _student_folder(student_install, tmp_path):
    """A copy of the published folder (without its environment), the first notebook answered."""
    folder = tmp_path / "student"
    shutil.copytree(student_install, folder, ignore=shutil.ignore_patterns(".venv"))
    path = folder / NOTEBOOK
    answers = load_class(ROOT / "demo" / "class.toml")["alice"]
    nb = nbformat.read(path, as_version=4)
    cells = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("solution")}
    nbformat.write(fill(nb, {k: v for k, v in answers.items() if k in cells}), path)
    return folder


def _menu_items(session, top):
    """The labels of the visible items of a menu of the menu bar (left open)."""
    session.page.locator(".lm-MenuBar-itemLabel",
                         has_text=re.compile(rf"^{re.escape(top)}$")).click()
    menu = session.page.locator(".lm-Menu").last
    menu.wait_for()
    return [t.strip() for t in menu.locator(".lm-Menu-item:not(.lm-mod-hidden) "
                                            ".lm-Menu-itemLabel").all_inner_texts() if t.strip()]


def test_a_student_sees_validate_and_the_assignment_list_only(lab, student_install, tmp_path):
    folder = _student_folder(student_install, tmp_path)
    python = student_install / ".venv" / "bin" / "python"
    with lab(folder, python=python) as session:
        problems = []
        session.page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                        if m.type == "error" else None)
        session.page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        session.open_notebook(NOTEBOOK)

        assert _menu_items(session, "Nbgrader") == ["Assignment List"]
        session.screenshot("nbgrader-menu")
        session.page.keyboard.press("Escape")
        assert session.page.get_by_text("Create Assignment").count() == 0
        assert session.page.get_by_text("Formgrader").count() == 0
        formgrader = session.page.request.get(f"{session.url}/formgrader?token={session.token}")
        assert formgrader.status == 404, formgrader.status
        courses = session.page.request.get(f"{session.url}/formgraders?token={session.token}")
        assert courses.status == 404, courses.status

        session.run_all()
        session.wait_until_run()
        session.wait_for_selector("the moons explorer's figure",
                                  ".jp-NotebookPanel:not(.lm-mod-hidden) .widget-image", 60)
        figures = session.page.evaluate("""() => {
            const figure = [...document.querySelectorAll('.widget-image')].pop();
            return figure.closest('.jp-Cell').querySelectorAll('.jp-OutputArea-output img').length;
        }""")
        assert figures == 1
        session.page.locator(".widget-image").last.scroll_into_view_if_needed()
        session.screenshot("explorer")
        outputs = session.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) "
                                       ".jp-OutputArea-output").all_inner_texts()
        assert sum("✓" in text for text in outputs) >= 6   # each check under an exercise
        assert not [text for text in outputs if "Traceback" in text or "Error" in text]

        succeeded, text = session.validate()
        session.screenshot("validated")
        assert succeeded, text
        assert "Success! Your notebook passes all the tests." in text
        session.close_dialog()
        assert not problems, "the browser reported:\n" + "\n".join(problems)
    log = (folder.parent / "jupyterlab.log").read_text()
    assert not re.search(r"^\[E ", log, re.MULTILINE), log[-3000:]
    for warning in ("without encryption", "not a subdirectory", "No nbgrader_config.py"):
        assert warning not in log, warning
