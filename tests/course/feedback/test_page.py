"""The feedback page (course/feedback/page.py and templates/), made in this process as
``nbgrader generate_feedback`` makes it: nbgrader's GenerateFeedback with the course's
``nbgrader_config.py``, its exporter and preprocessors, on a small course (``support.feedback``).

The graded demo class's pages are ``tests/integration/test_feedback_offline.py``, and
the browser's side ``tests/e2e/test_feedback_offline.py``.
"""

import base64
import hashlib
import re
from pathlib import Path

import mathjax
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_markdown_cell, new_notebook
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory

from course.autograde.readiness import course_config
from course.feedback.page import (MATHJAX_CONFIG, MATHJAX_FILES, TEMPLATES, FeedbackExporter,
                                  bundled_mathjax, content_security_policy, inline_script)
from support import ROOT
from support.feedback import CHECK_G, G_ERROR, HIDDEN_LINE, autograded_cells, feedback_course

MARK = "<<the MathJax bundle>>"


def _directives(policy):
    return dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())


def test_inline_script_joins_the_parts_with_a_newline():
    assert inline_script([("a", "let a = 1;"), ("b", "let b = 2;")]) == "let a = 1;\nlet b = 2;"


@pytest.mark.parametrize("text", ["x = '</script>';", "x = '</SCRIPT '", "a = 1;\r\nb = 2;"])
def test_inline_script_refuses_what_would_end_the_element_or_change_its_hash(text):
    with pytest.raises(ValueError, match=r"^part two cannot be inlined in a <script> element$"):
        inline_script([("part one", "ok();"), ("part two", text)])


def test_bundled_mathjax_is_the_settings_then_each_mathjax_file_in_order():
    folder = Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"
    files = [(folder / name).read_text(encoding="utf-8") for name in MATHJAX_FILES]
    assert bundled_mathjax() == "\n".join([MATHJAX_CONFIG, *files])
    assert MATHJAX_FILES[0] == "tex-svg-full.js"   # every TeX extension, SVG output


def test_the_policy_runs_the_one_script_it_hashes_and_fetches_nothing():
    # the SHA-256 of no bytes, base64-encoded (as CSP's hash-source writes it)
    assert _directives(content_security_policy("")) == {
        "default-src": "'none'", "script-src": "'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU='",
        "style-src": "'unsafe-inline'", "img-src": "'self' data:", "base-uri": "'none'",
        "form-action": "'none'"}
    script = "MathJax = {}; // é"   # hashed as UTF-8
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    assert _directives(content_security_policy(script))["script-src"] == f"'sha256-{digest}'"


@pytest.fixture(scope="module")
def page(tmp_path_factory, empty_gradebook):
    """alice's page of notebook ``one``: (its HTML with the MathJax bundle replaced by MARK,
    how many times the bundle was in it)."""
    root = tmp_path_factory.mktemp("feedback") / "course"
    url = feedback_course(root, empty_gradebook)
    cells = autograded_cells()
    cells.insert(4, new_markdown_cell('## <img src=x onerror="alert(1)"> mine'))   # above check_g
    converter = GenerateFeedback(coursedir=CourseDirectory(root=str(root)),
                                 config=course_config(ROOT))
    exporter = converter.exporter_class(parent=converter, config=converter.config)
    for preprocessor in converter.preprocessors:
        exporter.register_preprocessor(preprocessor)
    assert isinstance(exporter, FeedbackExporter)
    resources = {"unique_key": "one", "output_files_dir": "one_files",
                 "nbgrader": {"student": "alice", "assignment": "ps1", "notebook": "one",
                              "db_url": url}}
    html, _ = exporter.from_notebook_node(new_notebook(cells=cells), resources=resources)
    return html.replace(bundled_mathjax(), MARK), html.count(bundled_mathjax())


@pytest.fixture(scope="module")
def soup(page):
    return BeautifulSoup(page[0], "html.parser")


def _text(tag):
    return " ".join(tag.get_text().split())


def test_the_page_holds_the_bundle_once_as_its_one_script_under_the_policy(page, soup):
    assert page[1] == 1
    [script] = soup.find_all("script")
    assert script.string == MARK and not script.get("src")
    policy = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    assert policy == content_security_policy(bundled_mathjax())
    head = str(soup.head)
    assert head.index("Content-Security-Policy") < head.index("<script")


def test_the_page_fetches_nothing(soup):
    assert not soup.find_all("link") and not soup.find_all("iframe")
    for tag in soup.find_all(src=True):   # the student's own <img src=x>: this page's folder
        assert not re.match(r"(?i)\s*([a-z][a-z0-9+.-]*:)?//", tag["src"]), tag
    assert "cdnjs" not in str(soup) and "mathjax/2.7" not in str(soup)


def test_the_tables_style_is_inlined(soup):
    css = (TEMPLATES / "tables.css").read_text(encoding="utf-8")
    assert any(css in style.get_text() for style in soup.find_all("style"))


def test_the_summary_names_each_cell_by_its_exercise_and_scores_it_honestly(soup):
    entries = {item.find("a")["href"]: _text(item) for item in soup.select("#toc li")}
    assert entries == {
        "#check_f": "Exercise 1: f: its values check_f (Score: 1.0 / 1.0)",
        "#check_g": "Exercise 2: g: shapes and dtypes check_g (Score: 0.0 / 2.0)",
        "#answer": "Your turn to explain: written answer answer (not graded yet, 2.0 points)"}
    # 1 point of 5 so far; the written answer's 2 are not a zero
    assert _text(soup.select_one(".panel-heading h4")) == (
        "one (Score: 1.0 / 5.0, not final: 2.0 points not graded yet)")


def test_the_page_shows_the_checks_message_and_no_hidden_test(page, soup):
    text = soup.get_text()
    assert HIDDEN_LINE not in page[0] and "g_check(hidden=True)" not in page[0]
    assert "HIDDEN TESTS" not in text
    assert "hidden checks, not shown" in text
    assert G_ERROR.splitlines()[1].strip() in text
    assert CHECK_G.splitlines()[1] in text   # the visible part of the test cell


def test_a_heading_the_student_wrote_titles_nothing_and_runs_nothing(soup):
    assert not soup.select("img[onerror]")
    assert "mine" not in _text(soup.select_one("#toc"))
