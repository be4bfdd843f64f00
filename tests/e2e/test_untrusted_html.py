"""No script of a submission runs on a page made from it, in a real browser.

One temporary course, three students with the same right answers: ``clean``;
``mallory``, whose Initialization.ipynb has extra cells after the imports cell
that display every usual way of running script in a page (``<script>``, event
handler attributes, ``javascript:`` URLs, frames, objects, forms, SVG,
``application/javascript`` outputs, raw HTML in a markdown cell) next to
harmless outputs (a table, a PNG plot, plain text) that must still show; and
``unsanitized``, the same notebook, whose autograded copy gets the payloads'
outputs back as the kernel made them before the pages are made. ``mallory``
checks both layers of course/feedback/sanitize.py together; ``unsanitized`` checks the
pages' own sanitizing alone (``HTMLExporter.sanitize_html`` and ``clean_html``
of nbgrader_config.py), as it would act on an autograded notebook made without
``SanitizeOutputs``.

Each payload, if it ran, would say so three ways: a ``fetch`` of
``/hit-<payload>`` from a loopback listener the test runs, ``window.top.__pwned``
and the top page's title. The pages checked, in headless Chromium:

- the feedback HTML of ``generate_feedback``, served from loopback;
- nbgrader's formgrader view of the submission (``/formgrader/submissions/<id>/``),
  served by the instructor's JupyterLab (the ``lab`` fixture, on the course root);
- a control page: the same outputs rendered by nbconvert without sanitizing,
  where the payloads must be seen to run (otherwise the checks prove nothing).

Requests to anything but loopback are aborted, except jQuery (served from
nbgrader's copy, see :func:`only_loopback`). Screenshots go to
test-artifacts/e2e/<test>/.
"""

import base64
import html
import re
import threading
import time
import tomllib
import urllib.request
from contextlib import contextmanager
from functools import partial
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import nbgrader
import pytest
from bs4 import BeautifulSoup
from nbconvert import HTMLExporter
from nbgrader.api import Gradebook

from support import ASSIGNMENT, ROOT, copy_course, lean
from course import pipeline
from course.submissions.build import fill

from .jupyterlab import CHROMIUM, CHROMIUM_ARGS, PAGE_READY

pytestmark = pytest.mark.e2e

NOTEBOOK = "Initialization"
RIGHT = tomllib.loads((ROOT / "tests" / "hostile" / "catalogue.toml").read_text())["answers"]["right"]
RIGHT_POINTS = 8                      # every graded cell of Initialization.ipynb
HOSTILE = ("mallory", "unsanitized")  # the students whose pages are checked
SETTLE = 2.0                          # seconds a page is left to run after its load event
PLOT_PX = (120, 60)                   # the harmless plot: 2 x 1 inches at 60 dpi
CLICKED = ("pwn-link", "pwn-form")    # labels of the payloads that need a click
# Rendered as <img src="data:image/svg+xml;...">, in which no script runs even unsanitized.
INERT_UNSANITIZED = {"raw-svg", "raw-svg-onload"}
JQUERY = (Path(nbgrader.__file__).parent / "server_extensions" / "formgrader" / "static"
          / "node_modules" / "jquery" / "dist" / "jquery.min.js")


# -- the submission ------------------------------------------------------------------
def signal(name, port):
    """JavaScript that reports ``name`` ran: a fetch to the listener, a global, the title."""
    return (f"fetch('http://127.0.0.1:{port}/hit-{name}',{{mode:'no-cors'}}).catch(function(){{}});"
            f"try{{window.top.__pwned='{name}'}}catch(e){{}};"
            f"try{{window.top.document.title='pwned-{name}'}}catch(e){{}};"
            # undefined, so that a javascript: URL does not replace the page (and
            # cancel its own fetch) with the value of its last statement
            "void 0")


def _data_html(js):
    page = f"<script>{js}</script>".encode()
    return "data:text/html;base64," + base64.b64encode(page).decode()


def payloads(port):
    """The hostile outputs and markdown: ``(bundles by name, markdown, names they report)``."""
    names = set()

    def js(name):
        names.add(name)
        return signal(name, port)

    q = html.escape    # script inside a double-quoted attribute
    as_html = {
        "html-script": f"<script>{js('html-script')}</script>",
        # closes the output's own <div>s first, to put its script outside them
        "html-breakout": f"</div></div></div></div><script>{js('html-breakout')}</script>",
        "img-onerror": f'<img src="x" onerror="{q(js("img-onerror"))}">',
        "svg-onload": f'<svg onload="{q(js("svg-onload"))}" width="10" height="10"></svg>',
        "iframe-srcdoc": f'<iframe srcdoc="{q("<script>" + js("iframe-srcdoc") + "</script>")}"></iframe>',
        "pwn-link": f'<a href="javascript:{q(js("pwn-link"))}">pwn-link</a>',
        "object-data": f'<object data="{_data_html(js("object-data"))}" type="text/html"></object>',
        "embed-src": f'<embed src="{_data_html(js("embed-src"))}" type="text/html">',
        "pwn-form": (f'<form action="javascript:{q(js("pwn-form"))}">'
                     f'<button type="submit">pwn-form</button></form>'),
        "input-autofocus": f'<input autofocus onfocus="{q(js("input-autofocus"))}">',
    }
    bundles = {name: {"text/html": text, "text/plain": f"<{name}>"} for name, text in as_html.items()}
    bundles["display-javascript"] = {"application/javascript": js("display-javascript"),
                                     "text/plain": "<display-javascript>"}
    bundles["raw-javascript"] = {"application/javascript": js("raw-javascript")}
    # nbconvert writes an image's width unquoted: a string there is an attribute of <img>
    # (no space may end it early: JavaScript takes a comment for one)
    unquoted = js("raw-png-width").replace(" ", "/**/")
    bundles["raw-png-width"] = {"image/png": "bm90LWEtcG5n",
                                "metadata": {"image/png": {"width": "1 onerror=" + unquoted}}}
    bundles["raw-svg"] = {"image/svg+xml":
                          f'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" '
                          f'onload="{q(js("raw-svg-onload"))}"><script>{js("raw-svg")}</script></svg>'}
    markdown = ("Notes of the student.\n\n"
                f"<script>{js('md-script')}</script>\n\n"
                f'<img src="x" onerror="{q(js("md-img"))}">\n\n'
                f"</div></div></div></div><script>{js('md-breakout')}</script>\n")
    return bundles, markdown, names


def _split(bundle):
    """A bundle's ``(data, metadata)``: a payload may carry its output's metadata."""
    data = dict(bundle)
    return data, data.pop("metadata", {})


def _code(name, bundle):
    """The code cell a student would write to display ``bundle``; its first line names it."""
    head = f"# payload: {name}\n"
    if name == "display-javascript":
        return head + ("from IPython.display import Javascript, display\n"
                       f"display(Javascript({bundle['application/javascript']!r}))")
    if name.startswith("raw-"):
        bundle, metadata = _split(bundle)
        return head + (f"from IPython.display import publish_display_data\n"
                       f"publish_display_data({bundle!r}, metadata={metadata!r})")
    return head + f"from IPython.display import HTML, display\ndisplay(HTML({bundle['text/html']!r}))"


HARMLESS_CODE = f'''\
import io
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
from IPython.display import HTML, Image, display
display(HTML("<table><tr><th>harmless-table-key</th><td>harmless-table-cell</td></tr></table>"))
fig, ax = plt.subplots(figsize=({PLOT_PX[0] / 60}, {PLOT_PX[1] / 60}), dpi=60)
ax.plot([0, 1, 2], [0, 1, 0])
buffer = io.BytesIO()
fig.savefig(buffer, format="png", dpi=60)
plt.close(fig)
display(Image(buffer.getvalue()))
print("harmless plain text")
'''




def hostile_notebook(release, port):
    """The right answers, and the payloads and harmless outputs after the imports cell."""
    nb = lean(fill(release, RIGHT))
    bundles, markdown, _ = payloads(port)
    at = next(i for i, c in enumerate(nb.cells)
              if c.metadata.get("nbgrader", {}).get("grade_id") == "imports") + 1
    cells = [nbformat.v4.new_code_cell(_code(name, bundle)) for name, bundle in bundles.items()]
    cells += [nbformat.v4.new_markdown_cell(markdown), nbformat.v4.new_code_cell(HARMLESS_CODE)]
    nb.cells[at:at] = cells
    return nb


def restore_raw_outputs(path, port):
    """Give the payload cells of an autograded notebook the outputs their kernel made."""
    bundles, _, _ = payloads(port)
    nb = nbformat.read(path, as_version=4)
    restored = 0
    for cell in nb.cells:
        name = re.match(r"# payload: ([\w-]+)\n", cell.source) if cell.cell_type == "code" else None
        if name:
            data, metadata = _split(bundles[name[1]])
            cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
            restored += 1
    assert restored == len(bundles), f"{path} has {restored} payload cells of {len(bundles)}"
    nbformat.write(nb, path)


def control_page(port, path):
    """The payloads rendered by nbconvert without sanitizing (the browser checks' control)."""
    bundles, markdown, _ = payloads(port)
    nb = nbformat.v4.new_notebook()
    for name, bundle in bundles.items():
        cell = nbformat.v4.new_code_cell(_code(name, bundle), execution_count=1)
        data, metadata = _split(bundle)
        cell.outputs = [nbformat.v4.new_output("display_data", data=data, metadata=metadata)]
        nb.cells.append(cell)
    nb.cells.append(nbformat.v4.new_markdown_cell(markdown))
    text, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


# -- loopback servers ----------------------------------------------------------------
class Listener:
    """A loopback HTTP server that records the path of every request it gets."""

    def __init__(self):
        hits = self.hits = []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                hits.append(self.path)
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            do_GET = do_POST = do_OPTIONS = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]

    def names(self):
        return sorted({p.split("?")[0].removeprefix("/hit-") for p in self.hits})


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def serving(server):
    """Run ``server`` in a thread; shut it down (and close its socket) on exit."""
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@contextmanager
def static_files(folder):
    """``folder`` served over HTTP on loopback; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Quiet, directory=str(folder)))
    with serving(server):
        yield f"http://127.0.0.1:{server.server_address[1]}"


# -- the graded course -----------------------------------------------------------------
@pytest.fixture(scope="module")
def graded(tmp_path_factory, released_course):
    """The course after autograde and generate_feedback, with the listener running."""
    root = copy_course(released_course, tmp_path_factory.mktemp("untrusted") / "course")
    release = nbformat.read(root / "release" / ASSIGNMENT / f"{NOTEBOOK}.ipynb", as_version=4)
    listener = Listener()
    with serving(listener.server):
        notebooks = {"clean": lean(fill(release, RIGHT))}
        notebooks.update({s: hostile_notebook(release, listener.port) for s in HOSTILE})
        for student, nb in notebooks.items():
            path = root / "submitted" / student / ASSIGNMENT / f"{NOTEBOOK}.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, path)
        log = pipeline.nbgrader(root, "autograde", ASSIGNMENT, "--force", check=False)
        restore_raw_outputs(root / "autograded" / "unsanitized" / ASSIGNMENT / f"{NOTEBOOK}.ipynb",
                            listener.port)
        log += pipeline.nbgrader(root, "generate_feedback", ASSIGNMENT, "--force", check=False)
        assert not listener.hits, f"grading itself reached the listener: {listener.hits}"
        with Gradebook(pipeline.db_url(root)) as gb:
            ids = {s: gb.find_submission_notebook(NOTEBOOK, ASSIGNMENT, s).id for s in notebooks}
        yield {"root": root, "log": log, "listener": listener, "ids": ids,
               "scores": {s.student: s for s in pipeline.scores(root)}}


def test_hostile_outputs_cost_and_gain_nothing(graded):
    scores = graded["scores"]
    cells = scores["clean"].cells(NOTEBOOK)
    assert sum(scores["clean"].max_points[c] for c in cells) == RIGHT_POINTS
    for student in ("clean", *HOSTILE):
        points = {c: scores[student].points[c] for c in cells}
        assert points == {c: scores["clean"].max_points[c] for c in cells}, (
            f"{student} should have every point of the right answers, "
            f"{RIGHT_POINTS} in all; has {points}\n{graded['log'][-3000:]}")
        assert scores[student].subtotal(NOTEBOOK) == RIGHT_POINTS


# -- what a page's HTML holds ------------------------------------------------------------
ACTIVE_TAGS = ["script", "iframe", "frame", "object", "embed", "form", "button", "input",
               "svg", "math", "base", "meta", "link", "style", "template"]
URL_ATTRIBUTES = ["href", "src", "action", "formaction", "data", "srcdoc", "xlink:href"]


def student_regions(text):
    """The parts of a page that show what the student wrote or displayed."""
    return BeautifulSoup(text, "html.parser").select(".output_subarea, .text_cell_render")


def _payload_name(tag):
    """Which payload ``tag`` comes from (its hit-NAME, decoding data: URLs)."""
    text = str(tag)
    for chunk in re.findall(r"base64,([A-Za-z0-9+/=]+)", text):
        text += base64.b64decode(chunk).decode(errors="replace")
    names = sorted(set(re.findall(r"/hit-([\w-]+)", text)))
    return ", ".join(names) or "?"


def active_content(regions):
    """What in ``regions`` could run script: ``payload name: what`` each."""
    found = []
    for region in regions:
        for tag in region.find_all(True):
            what = []
            if tag.name in ACTIVE_TAGS:
                what.append(f"<{tag.name}>")
            for name, value in tag.attrs.items():
                value = "".join(value if isinstance(value, list) else [value]).lower()
                if name.lower().startswith("on"):
                    what.append(f"<{tag.name} {name}=...>")
                elif name.lower() in URL_ATTRIBUTES and (
                        "javascript:" in value.replace(" ", "") or value.startswith("data:text")):
                    what.append(f"<{tag.name} {name}={value[:20]}...>")
            if what:
                found.append(f"{_payload_name(tag)}: {' '.join(what)}")
    return found


def script_count(text):
    return len(BeautifulSoup(text, "html.parser").find_all("script"))


def page_title(text):
    title = BeautifulSoup(text, "html.parser").title
    return title.get_text() if title else ""


def source_problems(text, clean_text):
    """What is wrong in the HTML of a hostile submission's page, as sentences."""
    regions = student_regions(text)
    shown = " ".join(r.get_text(" ") for r in regions)
    if "pwn-link" not in shown or "harmless-table-cell" not in shown:
        return ["the page does not show the submission's outputs at all (checking its "
                "source would prove nothing)"]
    problems = [f"its HTML keeps {item}" for item in active_content(regions)]
    if script_count(text) != script_count(clean_text):
        problems.append(f"it has {script_count(text)} <script> tags, the clean submission's "
                        f"page {script_count(clean_text)}")
    return problems


# -- what a browser does with it ---------------------------------------------------------
def only_loopback(route):
    """Let loopback requests through, and abort the rest, but jQuery.

    The pages ask cdnjs for jQuery, MathJax, require.js and mermaid, which
    cannot load here. jQuery is served from nbgrader's own copy, as a reader
    online would get it: nbconvert wraps every ``application/javascript``
    output in ``var element = $(...)``, which would otherwise stop the payload
    before it ran and hide it from the checks.
    """
    url = urlsplit(route.request.url)
    if url.scheme in ("http", "https") and url.hostname not in ("127.0.0.1", "localhost"):
        if url.path.endswith("/jquery.min.js"):
            return route.fulfill(path=JQUERY, content_type="text/javascript")
        return route.abort()
    return route.continue_()


@pytest.fixture(scope="module")
def browser(playwright):
    """Debian's Chromium, launched as the harness launches it, for pages served without JupyterLab."""
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                         args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@contextmanager
def browser_page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.route("**/*", only_loopback)
        yield page
    finally:
        context.close()


def screenshot(page, artifacts, name):
    """Save the page as ``<artifacts>/<NN>-<name>.png``, as the harness does."""
    artifacts.mkdir(parents=True, exist_ok=True)
    path = artifacts / f"{len(list(artifacts.glob('*.png'))) + 1:02d}-{name}.png"
    page.screenshot(path=str(path), full_page=False)
    return path


def visit(page, url, listener):
    """Open ``url``, let it run, click what needs a click; return what ran, what shows."""
    listener.hits.clear()
    page.goto(url, wait_until="load", timeout=PAGE_READY * 1000)
    page.wait_for_timeout(SETTLE * 1000)
    for label in CLICKED:
        for element in page.locator(f"a:text-is('{label}'), button:text-is('{label}')").all():
            try:
                element.click(timeout=5000, no_wait_after=True)
            except Exception:  # hidden or detached: no reader could click it either
                pass
    page.wait_for_timeout(500)
    time.sleep(0.2)    # the listener's thread records the last requests
    seen = page.evaluate("""(size) => {
        const visible = (el) => !!el && el.getClientRects().length > 0
            && getComputedStyle(el).visibility !== 'hidden';
        const table = [...document.querySelectorAll('table td')]
            .find(td => td.textContent.trim() === 'harmless-table-cell');
        const plot = [...document.querySelectorAll('img')]
            .find(i => (i.getAttribute('src') || '').startsWith('data:image/png')
                 && i.complete && i.naturalWidth === size[0] && i.naturalHeight === size[1]);
        const text = [...document.querySelectorAll('pre')]
            .find(p => p.textContent.includes('harmless plain text'));
        return {pwned: typeof window.__pwned === 'undefined' ? null : String(window.__pwned),
                title: document.title,
                shown: {table: visible(table), plot: visible(plot), text: visible(text)}};
    }""", list(PLOT_PX))
    return {"hits": listener.names(), **seen}


def browser_problems(seen, title):
    """What ran, or is missing, in the browser, as sentences."""
    problems = []
    if seen["hits"]:
        problems.append(f"the listener got requests from: {', '.join(seen['hits'])}")
    if seen["pwned"] is not None:
        problems.append(f"window.__pwned = {seen['pwned']!r}")
    if seen["title"] != title:
        problems.append(f"the title became {seen['title']!r} (was {title!r})")
    hidden = [what for what, shown in seen["shown"].items() if not shown]
    if hidden:
        problems.append(f"the harmless {', '.join(hidden)} output(s) do not show")
    return problems


def report(problems):
    """One message for every page that went wrong: ``{page: [problem, ...]}``."""
    return "\n".join(f"{page}:\n" + "\n".join(f"  - {p}" for p in found)
                     for page, found in problems.items() if found)


def test_the_control_page_runs_the_payloads(graded, browser, artifacts, tmp_path):
    """Rendered without sanitizing, the payloads run: the checks can see a script that runs."""
    listener = graded["listener"]
    control = control_page(listener.port, tmp_path / "control" / "Control.html")
    with static_files(control.parent) as base, browser_page(browser) as page:
        seen = visit(page, f"{base}/{control.name}", listener)
        screenshot(page, artifacts, "control")
    must_run = payloads(listener.port)[2] - INERT_UNSANITIZED
    assert must_run <= set(seen["hits"]), (
        f"unsanitized, these payloads should have reached the listener: "
        f"{sorted(must_run - set(seen['hits']))} (it got {seen['hits']})")
    assert seen["pwned"] is not None and seen["title"].startswith("pwned-")
    assert active_content(student_regions(control.read_text()))


def test_feedback_page_runs_no_student_script(graded, browser, artifacts):
    root, listener = graded["root"], graded["listener"]
    folder = root / "feedback"
    clean = (folder / "clean" / ASSIGNMENT / f"{NOTEBOOK}.html").read_text()
    problems = {}
    with static_files(folder) as base, browser_page(browser) as page:
        for student in HOSTILE:
            path = folder / student / ASSIGNMENT / f"{NOTEBOOK}.html"
            assert path.exists(), f"no feedback for {student}:\n{graded['log'][-3000:]}"
            text = path.read_text()
            seen = visit(page, f"{base}/{student}/{ASSIGNMENT}/{NOTEBOOK}.html", listener)
            screenshot(page, artifacts, f"feedback-{student}")
            problems[f"feedback page of {student}"] = (source_problems(text, clean)
                                                       + browser_problems(seen, page_title(text)))
    assert not any(problems.values()), "student script is live in the feedback:\n" + report(problems)


def test_formgrader_page_runs_no_student_script(graded, lab, artifacts):
    root, listener, ids = graded["root"], graded["listener"], graded["ids"]
    problems = {}
    with lab(root) as session:
        def source(student):
            request = urllib.request.Request(f"{session.url}/formgrader/submissions/{ids[student]}/",
                                             headers={"Authorization": f"token {session.token}"})
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.read().decode()

        clean = source("clean")
        session.page.route("**/*", only_loopback)
        for student in HOSTILE:
            text = source(student)
            seen = visit(session.page, f"{session.url}/formgrader/submissions/{ids[student]}/"
                                       f"?token={session.token}", listener)
            session.screenshot(f"formgrader-{student}")
            problems[f"formgrader page of {student}"] = (source_problems(text, clean)
                                                         + browser_problems(seen, page_title(text)))
    assert not any(problems.values()), ("student script is live in the formgrader:\n"
                                        + report(problems))
