"""The explorers in JupyterLab: every control redraws the figure, cleanly.

The explorer of Gradients.ipynb, and the moons explorer of Initialization.ipynb.
JupyterLab on a copy of the source notebooks (outputs cleared), Run All, then
each control of the explorer moved as a student moves it (a toggle button
clicked, a slider's value typed into its readout); after each change the
figure's image must change, and the browser console must stay free of errors.
The explorer's cell shows one figure (no still copy beside the live one), and
every button's label fits in it.
"""

import shutil
from pathlib import Path

import nbformat
import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
REDRAW = 30   # seconds a change may take to show, on a busy machine (a new moons
              # setting trains part 1's network: 2-4 s here)

IMAGE = ".jp-NotebookPanel:not(.lm-mod-hidden) .widget-image"


def _controls(session):
    return session.page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .widget-vbox").last


def _image_source(session):
    return session.page.locator(IMAGE).last.get_attribute("src")


def _wait_for_new_image(session, before, what):
    session.wait_for(f"the explorer's figure to change after {what}",
                     """([selector, before]) => {
                         const images = document.querySelectorAll(selector);
                         const last = images[images.length - 1];
                         return last && last.complete && last.naturalWidth > 0
                             && last.getAttribute('src') !== before;
                     }""", REDRAW, arg=[IMAGE, before])


def _figures_in_explorer_cell(session):
    """How many images the cell holding the explorer shows."""
    return session.page.evaluate("""(selector) => {
        const figure = [...document.querySelectorAll(selector)].pop();
        return figure.closest('.jp-Cell').querySelectorAll('.jp-OutputArea-output img').length;
    }""", IMAGE)


def _clipped_buttons(session):
    """The labels of the explorer's toggle buttons that do not fit (drawn as "sig...")."""
    return _controls(session).locator(".widget-toggle-button").evaluate_all(
        "buttons => buttons.filter(b => b.scrollWidth > b.clientWidth).map(b => b.innerText)")


def _toggle(session, label):
    _controls(session).locator(".widget-toggle-button", has_text=label).first.click()


def _slider(session, description, value):
    box = _controls(session).locator(".widget-slider", has=session.page.locator(
        ".widget-label", has_text=description)).first
    readout = box.locator(".widget-readout")
    readout.click()
    session.page.keyboard.press("Control+a")
    session.page.keyboard.type(str(value))
    session.page.keyboard.press("Enter")


def _move_every_control(lab, tmp_path, notebook, moves):
    """Run ``notebook`` in JupyterLab, then make each of ``moves`` (what, action(session))."""
    folder = tmp_path / "student"
    shutil.copytree(ROOT / "source" / "initialization", folder / "initialization")
    nb = nbformat.read(folder / notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.write(nb, folder / notebook)
    with lab(folder) as session:
        problems = []
        session.page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                        if m.type == "error" else None)
        session.page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        session.open_notebook(notebook)
        session.run_all()
        session.wait_until_run()
        session.wait_for_selector("the explorer's figure", IMAGE, REDRAW)
        session.screenshot("explorer")
        assert _figures_in_explorer_cell(session) == 1, (
            "the explorer's cell shows more than its own figure (a still copy goes stale)")
        assert not _clipped_buttons(session), (
            f"button labels cut short: {_clipped_buttons(session)}")
        for what, move in moves:
            before = _image_source(session)
            move(session)
            _wait_for_new_image(session, before, what)
        session.screenshot("moved")
        assert not problems, "the browser reported:\n" + "\n".join(problems)


def test_every_control_of_the_explorer_redraws_the_figure(lab, tmp_path):
    _move_every_control(lab, tmp_path, "initialization/Gradients.ipynb", [
        ("the start toggled to std", lambda s: _toggle(s, "std")),
        ("std set to 1", lambda s: _slider(s, "std", 1)),
        ("the activation toggled to tanh", lambda s: _toggle(s, "tanh")),
        ("the depth set to 3", lambda s: _slider(s, "depth", 3)),
        ("the width set to 128", lambda s: _slider(s, "width", 128)),
        ("the start toggled to Xavier", lambda s: _toggle(s, "Xavier"))])


def test_every_control_of_the_moons_explorer_redraws_the_figure(lab, tmp_path):
    """Three new settings trained in the kernel, and three of the notebook's runs shown
    again (the x10 start, back to learning rate 0.01, zeros)."""
    _move_every_control(lab, tmp_path, "initialization/Initialization.ipynb", [
        ("the start toggled to std (trained)", lambda s: _toggle(s, "std")),
        ("std set to 1 (trained)", lambda s: _slider(s, "std", 1)),
        ("the start toggled to x10 (the notebook's run)", lambda s: _toggle(s, "x10")),
        ("the learning rate toggled to 0.1 (trained)", lambda s: _toggle(s, "0.1")),
        ("the learning rate toggled back to 0.01 (the notebook's run)",
         lambda s: _toggle(s, "0.01")),
        ("the start toggled to zeros (the notebook's run)", lambda s: _toggle(s, "zeros"))])
