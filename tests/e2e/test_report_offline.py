"""An instructor opens the class report with no network: tables, figures, lists, no script.

The report of the graded demo class (``graded_demo``) is opened from a ``file://`` URL in
Debian's headless Chromium, every request but the page itself aborted and recorded by a
Playwright route: the page must ask for nothing. Screenshots go to test-artifacts/e2e/<test>/.
"""

import pytest

from course.gradebook import report, report_page
from support import ASSIGNMENT

from .jupyterlab import CHROMIUM, CHROMIUM_ARGS, PAGE_READY

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def class_report(graded_demo, tmp_path_factory):
    record = report.collect(graded_demo, ASSIGNMENT)
    folder = tmp_path_factory.mktemp("report")
    report_page.write(record, folder)
    return record, folder / "report.html"


@pytest.fixture
def offline_page(playwright, class_report, artifacts):
    """The report open in Chromium with the network cut: (page, asked URLs, errors)."""
    record, path = class_report
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    url, asked, errors = path.as_uri(), [], []

    def cut(route):
        if route.request.url.split("#")[0] == url:
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()

    context.route("**/*", cut)
    page = context.new_page()
    page.set_default_timeout(PAGE_READY * 1000)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda message: errors.append(message.text)
            if message.type == "error" else None)
    page.goto(url)
    page.wait_for_load_state("load")
    artifacts.mkdir(parents=True, exist_ok=True)
    try:
        yield record, page, asked, errors
    finally:
        page.screenshot(path=str(artifacts / "report.png"), full_page=True)
        browser.close()


def test_the_report_shows_its_tables_and_figures_with_no_network(offline_page):
    record, page, asked, errors = offline_page
    mistakes = report.mistake_rows(record)
    assert mistakes
    assert page.locator("#mistakes-table tbody tr").count() == len(mistakes)
    assert page.locator("#cells-table tbody tr").count() == len(record.tests())
    first = page.locator("#mistakes-table tbody tr").first
    assert mistakes[0].description in first.inner_text()
    images = page.locator("figure img")
    assert images.count() == len(record.notebooks) + 1
    for k in range(images.count()):
        loaded = images.nth(k).evaluate("i => i.complete && i.naturalWidth > 300")
        assert loaded, f"figure {k} did not load"
    assert not asked, f"the page asked the network for {asked[:5]}"
    assert not errors, errors


def test_the_students_of_a_mistake_show_when_asked(offline_page):
    record, page, _, _ = offline_page
    row = report.mistake_rows(record)[0]
    details = page.locator("#mistakes-table tbody tr").first.locator("details")
    names = ", ".join(row.students)
    assert not details.evaluate("d => d.open") and names not in details.inner_text()
    details.locator("summary").click()
    assert details.evaluate("d => d.open") and names in details.inner_text()


def test_the_report_runs_no_script_not_even_one_put_in_it(offline_page):
    """The Content-Security-Policy lets no script run: one added to the page stays inert."""
    _, page, _, errors = offline_page
    ran = page.evaluate("""() => {
        const s = document.createElement('script');
        s.textContent = 'window.reportRan = true';
        document.body.appendChild(s);
        return window.reportRan === true;
    }""")
    assert ran is False
    assert any("Content Security Policy" in e for e in errors), errors
