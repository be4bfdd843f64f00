"""A student opens the feedback HTML with no network: formulas typeset, tables drawn.

The page is opened as a student opens an LMS download, from a ``file://`` URL, in
Debian's headless Chromium, with every request but the page itself aborted by a
Playwright route (and recorded: the page must ask for nothing). The feedback is the
graded demo class's (``graded_demo``). Screenshots go to test-artifacts/e2e/<test>/.
"""

import re

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from support import ASSIGNMENT

from .jupyterlab import CHROMIUM, CHROMIUM_ARGS, PAGE_READY

pytestmark = pytest.mark.e2e

# A formula of each notebook's markdown, as written, and words of its paragraph.
FORMULAS = {
    "Initialization": ("showed that weights drawn with variance", "$2 / n^{[l-1]}$"),
    "Layers": ("write the two scales that keep signals healthy", r"$\sqrt{1/n^{[l-1]}}$"),
}
MATHJAX_START = 30    # seconds: MathJax is in the page, nothing to wait for but the CPU
RAW_MATH = re.compile(r"\$[^$\n]+\$")


def open_offline(playwright, path, artifacts):
    """``path`` open in Chromium with the network cut: (browser, page, the URLs it asked for)."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=CHROMIUM_ARGS)
    context = browser.new_context(viewport={"width": 1200, "height": 1000})
    url, asked = path.as_uri(), []

    def cut(route):
        if route.request.url.split("#")[0] == url:
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()

    context.route("**/*", cut)
    page = context.new_page()
    page.set_default_timeout(PAGE_READY * 1000)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    try:   # MathJax's startup promise settles once the first typesetting is done
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise",
                               timeout=MATHJAX_START * 1000)
    except PlaywrightTimeout:
        browser.close()
        pytest.fail(f"MathJax did not start with the network cut ({MATHJAX_START} s); the page "
                    f"asked for {asked[:3]}, errors: {errors[:3]}", pytrace=False)
    page.evaluate("() => MathJax.startup.promise")
    artifacts.mkdir(parents=True, exist_ok=True)
    return browser, page, asked, errors


@pytest.mark.parametrize("notebook", sorted(FORMULAS))
def test_formulas_are_typeset_with_no_network(graded_demo, playwright, artifacts, notebook):
    path = graded_demo / "feedback" / "alice" / ASSIGNMENT / f"{notebook}.html"
    browser, page, asked, errors = open_offline(playwright, path, artifacts)
    try:
        words, formula = FORMULAS[notebook]
        paragraph = page.locator(".text_cell_render li, .text_cell_render p").filter(
            has_text=words).first
        paragraph.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / f"{notebook}-formula.png"))
        assert paragraph.locator("mjx-container svg").count() >= 1, paragraph.inner_html()
        assert formula not in paragraph.inner_text()
        typeset = page.locator("mjx-container[jax='SVG']").count()
        assert typeset >= 10, f"only {typeset} formulas typeset"
        prose = page.locator(".text_cell_render").all_inner_texts()
        left = [m for text in prose for m in RAW_MATH.findall(text)]
        assert not left, f"formulas left as LaTeX: {left[:5]}"
        assert not asked, f"the page asked the network for {asked[:5]}"
        assert not errors, errors
    finally:
        browser.close()


def test_tables_have_borders_and_padding_with_no_network(graded_demo, playwright, artifacts):
    path = graded_demo / "feedback" / "alice" / ASSIGNMENT / "Initialization.html"
    browser, page, asked, errors = open_offline(playwright, path, artifacts)
    try:
        table = page.locator(".text_cell_render table").first
        table.scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts / "table.png"))
        style = table.evaluate("""t => {
            const s = (e, p) => getComputedStyle(e).getPropertyValue(p);
            const head = t.querySelector('thead'), th = t.querySelector('th');
            const rows = t.querySelectorAll('tbody tr');
            return {collapse: s(t, 'border-collapse'),
                    rule: [s(head, 'border-bottom-width'), s(head, 'border-bottom-style')],
                    padding: parseFloat(s(th, 'padding-left')), bold: s(th, 'font-weight'),
                    stripes: [s(rows[0], 'background-color'), s(rows[1], 'background-color')]};
        }""")
        assert style["collapse"] == "collapse"
        assert style["rule"] == ["1px", "solid"], style
        assert style["padding"] >= 4, style
        assert int(style["bold"]) >= 700, style
        assert style["stripes"][0] != style["stripes"][1], style
        assert not asked and not errors, (asked, errors)
    finally:
        browser.close()


def test_a_formula_can_carry_no_script_link_and_no_id(graded_demo, playwright, artifacts):
    """A student's formula is typeset by MathJax with its safe extension: no javascript: link,
    no id that could pose as the page's own (``\\cssId``)."""
    path = graded_demo / "feedback" / "alice" / ASSIGNMENT / "Layers.html"
    browser, page, asked, errors = open_offline(playwright, path, artifacts)
    try:
        rendered = page.evaluate(r"""() => MathJax.tex2svg(
            '\\href{javascript:alert(1)}{x} \\cssId{toc}{y} \\href{https://example.org}{z}'
        ).outerHTML""")
        assert 'href="https://example.org"' in rendered, rendered[:300]
        assert "javascript:" not in rendered and 'id="toc"' not in rendered
    finally:
        browser.close()
