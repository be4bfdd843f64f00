"""The instructor's side of JupyterLab: nbgrader's formgrader, opened from the Nbgrader menu."""

import re

import pytest

from support import make_course
from course import pipeline

from .jupyterlab import PAGE_READY

pytestmark = pytest.mark.e2e


def test_formgrader_lists_the_assignment_and_the_demo_class(lab, tmp_path):
    course = make_course(tmp_path / "course", with_submitted=True)
    pipeline.release(course)
    students = sorted(p.name for p in (course / "submitted").iterdir())
    with lab(course) as session:
        session.open_lab()
        session.menu("Nbgrader", "Formgrader")
        text = session.wait_for(
            "the formgrader to list the assignment 'initialization'",
            """() => {
                const frame = [...document.querySelectorAll('iframe')]
                    .find(f => (f.src || '').includes('/formgrader'));
                const body = frame && frame.contentDocument && frame.contentDocument.body;
                const text = body ? body.innerText : '';
                return /Manage Assignments/.test(text) && /\\binitialization\\b/.test(text) ? text : false;
            }""", PAGE_READY)
        session.screenshot("formgrader")
    row = next(line for line in text.splitlines() if line.startswith("initialization"))
    assert re.search(rf"\b{len(students)}\b", row), (
        f"the formgrader should count {len(students)} submissions; its row reads {row!r}")
