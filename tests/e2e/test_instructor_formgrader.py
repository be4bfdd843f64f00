"""The instructor's side of JupyterLab: nbgrader's formgrader, opened from the Nbgrader menu."""

import re

import pytest

from support import ASSIGNMENT, copy_course, make_course
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


# -- offline, and right about a course without an exchange (course/formgrader/) -------

# A formula of the submission's markdown, as written, and words of its paragraph.
FORMULA = ("showed that weights drawn with variance", "$2 / n^{[l-1]}$")
RAW_MATH = re.compile(r"\$[^$\n]+\$")


def cut_network(session):
    """Abort every request the page makes beyond the JupyterLab server; return the list of them."""
    asked = []

    def cut(route):
        if route.request.url.startswith(session.url + "/"):
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()

    session.page.context.route("**/*", cut)
    return asked


def submission_id(course, student, notebook):
    from nbgrader.api import Gradebook

    from course.pipeline import db_url

    with Gradebook(db_url(course)) as gradebook:
        return gradebook.find_submission_notebook(notebook, ASSIGNMENT, student).id


def test_formgrader_submission_typesets_formulas_offline(lab, graded_copy):
    """The submission view loads MathJax from the instructor's server: formulas typeset, no CDN."""
    with lab(graded_copy) as session:
        asked = cut_network(session)
        errors = []
        session.page.on("pageerror", lambda error: errors.append(str(error)))
        url = (f"{session.url}/formgrader/submissions/"
               f"{submission_id(graded_copy, 'alice', 'Initialization')}/?token={session.token}")
        session.page.goto(url, wait_until="domcontentloaded", timeout=PAGE_READY * 1000)
        session.wait_for("MathJax to typeset the submission (MathJax.Hub done)",
                         """() => window.MathJax && MathJax.Hub && MathJax.isReady
                                  && MathJax.Hub.queue.pending === 0
                                  && document.querySelectorAll('.MathJax').length > 0""",
                         PAGE_READY)
        words, formula = FORMULA
        paragraph = session.page.locator(".text_cell_render li, .text_cell_render p").filter(
            has_text=words).first
        paragraph.scroll_into_view_if_needed()
        session.screenshot("submission-offline")
        assert paragraph.locator(".MathJax").count() >= 1, paragraph.inner_html()
        assert formula not in paragraph.inner_text()
        prose = session.page.locator(".text_cell_render").all_inner_texts()
        left = [m for text in prose for m in RAW_MATH.findall(text)]
        assert not left, f"formulas left as LaTeX in the formgrader: {left[:5]}"
        assert not asked, f"the formgrader asked beyond its server for {asked[:5]}"
        assert not errors, f"errors in the formgrader's page: {errors[:5]}"


def test_manage_assignments_of_a_course_without_exchange_says_it_collects_from_an_lms(
        lab, tmp_path, released_course):
    """No exchange configured (the course collects from an LMS): a note, not a warning."""
    course = copy_course(released_course, tmp_path / "course")
    with lab(course) as session:
        session.page.goto(f"{session.url}/formgrader/manage_assignments?token={session.token}",
                          wait_until="domcontentloaded", timeout=PAGE_READY * 1000)
        session.wait_for_selector("the assignment's row on Manage Assignments",
                                  f"#main-table tr:has-text('{ASSIGNMENT}') td", PAGE_READY)
        session.screenshot("manage-assignments")
        assert session.page.locator("#warning-exchange").count() == 0, (
            session.page.locator("#warning-exchange").inner_text())
        note = session.page.locator("#info-lms").inner_text()
        assert "collects submissions from an LMS download" in note and "zip_collect" in note
        row = session.page.locator("#main-table tr", has_text=ASSIGNMENT).first.inner_text()
        assert ASSIGNMENT in row
        assert session.page.locator("#main-table .release a").count() == 0, (
            "a release button is shown for a course without an exchange")
