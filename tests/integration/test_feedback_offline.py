"""The feedback page a student is handed: offline formulas, named exercises, honest scores.

Read from the graded demo class (``graded_demo``: nbgrader's ``generate_feedback`` with
the course's config); the browser's side (formulas typeset with the network cut, tables
drawn) is ``tests/e2e/test_feedback_offline.py``; the modules that make the page, on a
small course's gradebook, are tested in ``tests/course/feedback/``.
"""

import base64
import hashlib
import re

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbformat.v4 import new_markdown_cell

from course import pipeline
from course.feedback.page import MATHJAX_FILES, bundled_mathjax
from support import ASSIGNMENT, DEMO_MANUAL, MANUAL, hidden

# The notebook's graded cells and the exercise each belongs to.
EXERCISES = {
    "Initialization": {
        "check_zeros_structure": "initialize_parameters_zeros",
        "check_zeros_values": "initialize_parameters_zeros",
        "check_random_structure": "initialize_parameters_random",
        "check_random_values": "initialize_parameters_random",
        "check_he_structure": "initialize_parameters_he",
        "check_he_values": "initialize_parameters_he",
    },
    "Layers": {
        "check_xavier_scale_values": "xavier_scale",
        "check_he_scale_values": "he_scale",
        "check_propagate_structure": "propagate_activations",
        "check_propagate_values": "propagate_activations",
    },
}
WAITING = [s for s, points in DEMO_MANUAL.items() if points is None]   # wrote an answer
BLANK = [s for s, points in DEMO_MANUAL.items() if points == 0]        # scored 0 at once


def page(root, student, notebook):
    path = root / "feedback" / student / ASSIGNMENT / f"{notebook}.html"
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def summary(soup):
    """The summary's entries: {grade_id: the entry's text, spaces collapsed}."""
    entries = {}
    for item in soup.select("#toc li"):
        link = item.find("a")
        if link and link.get("href", "").startswith("#") and item.find("code"):
            entries[link["href"][1:]] = " ".join(item.get_text().split())
    return entries


def title(soup):
    return " ".join(soup.select_one(".panel-heading h4").get_text().split())


@pytest.mark.parametrize("notebook", sorted(EXERCISES))
def test_summary_names_each_test_cell_by_its_exercise(graded_demo, notebook):
    soup = page(graded_demo, "alice", notebook)
    entries = summary(soup)
    for grade_id, function in EXERCISES[notebook].items():
        assert grade_id in entries, f"{notebook}: no summary entry for {grade_id}: {entries}"
        entry = entries[grade_id]
        assert re.search(rf"Exercise \d: {function}\b", entry), entry
        assert "Test cell" not in entry
        assert "Score: " in entry and "not graded" not in entry, entry   # autograded: scored
    # what each test cell checks, from its docstring, so that two cells of one exercise differ
    assert len(set(entries.values())) == len(entries)
    if notebook == "Initialization":
        assert "Exercise 1: initialize_parameters_zeros: keys, shapes and dtypes" in (
            entries["check_zeros_structure"])
        assert "Score: 8.0 / 8.0" in title(soup) and "not final" not in title(soup)


def test_summary_names_the_written_answer(graded_demo):
    entry = summary(page(graded_demo, "alice", "Layers"))[MANUAL]
    assert "written answer" in entry and "Your turn to explain" in entry, entry
    assert "Written response" not in entry


@pytest.mark.parametrize("student", WAITING)
def test_an_answer_nobody_graded_says_not_graded_yet(graded_demo, student):
    soup = page(graded_demo, student, "Layers")
    entry = summary(soup)[MANUAL]
    assert "not graded yet, 2.0 points" in entry and "Score" not in entry, entry
    assert "not final: 2.0 points not graded yet" in title(soup), title(soup)
    heading = soup.find("a", attrs={"name": MANUAL}).find_next("div", class_="panel-heading")
    assert "not graded yet" in heading.get_text(), heading.get_text()
    assert "0.0 / 2.0" not in heading.get_text()


@pytest.mark.parametrize("student", BLANK)
def test_a_blank_answer_is_an_earned_zero(graded_demo, student):
    soup = page(graded_demo, student, "Layers")
    assert "Score: 0.0 / 2.0" in summary(soup)[MANUAL]
    assert "not graded" not in soup.select_one("#toc").get_text()
    assert "not final" not in title(soup)


@pytest.mark.slow
def test_the_answer_once_graded_shows_its_points(graded_copy):
    student = WAITING[0]
    pipeline.set_manual_grade(graded_copy, student, MANUAL, 1.5)
    pipeline.nbgrader(graded_copy, "generate_feedback", ASSIGNMENT, "--student", student, "--force")
    soup = page(graded_copy, student, "Layers")
    assert "Score: 1.5 / 2.0" in summary(soup)[MANUAL]
    assert "not graded" not in soup.get_text(" ").split("Initialization, part 2")[0]
    assert "not final" not in title(soup)


@pytest.mark.parametrize("notebook", sorted(EXERCISES))
def test_the_page_loads_nothing_from_a_cdn(graded_demo, notebook):
    soup = page(graded_demo, "alice", notebook)
    text = str(soup)
    assert "cdnjs" not in text and "mathjax/2.7" not in text
    assert not soup.find_all("link"), "a feedback page links no stylesheet or font"
    for tag in soup.find_all(src=True):
        assert not re.match(r"(?i)\s*(https?:)?//", tag["src"]), f"{tag.name} fetches {tag['src']}"
    for script in soup.find_all("script"):
        assert not script.get("src"), f"a script is fetched: {script['src']}"


@pytest.mark.parametrize("notebook", sorted(EXERCISES))
def test_the_page_holds_the_bundled_mathjax_and_the_policy_that_runs_only_it(graded_demo,
                                                                            notebook):
    soup = page(graded_demo, "alice", notebook)
    scripts = soup.find_all("script")
    assert len(scripts) == 1, [s.get_text()[:80] for s in scripts]
    script = scripts[0].string
    assert script == bundled_mathjax()
    assert "MathJax.startup" in script and "window.MathJax = {" in script
    policy = soup.find("meta", attrs={"http-equiv": "Content-Security-Policy"})["content"]
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode()
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == f"'sha256-{digest}'"
    assert directives["default-src"] == "'none'"
    # the policy comes before the one script, so that it governs it
    head = str(soup.head)
    assert head.index("Content-Security-Policy") < head.index("<script")


def test_the_bundle_holds_no_hidden_test_line_or_value():
    """The feedback tests look for hidden lines and values in the page: the bundle has none."""
    script = bundled_mathjax()
    assert len(script) > 1_000_000 and MATHJAX_FILES[0] == "tex-svg-full.js"
    assert not [line for line in hidden.hidden_lines() if line in script]
    assert not [value for value in hidden.hidden_only_values() if value in script]


@pytest.mark.slow
def test_a_heading_a_student_wrote_neither_titles_a_cell_nor_runs(graded_copy):
    """Titles come from the release; a student's own heading is only text in the page."""
    student = WAITING[0]
    path = graded_copy / "autograded" / student / ASSIGNMENT / "Layers.ipynb"
    nb = nbformat.read(path, as_version=4)
    answer = next(i for i, c in enumerate(nb.cells)
                  if c.metadata.get("nbgrader", {}).get("grade_id") == MANUAL)
    nb.cells.insert(answer, new_markdown_cell('## <img src=x onerror="alert(1)"> mine'))
    nbformat.write(nb, path)
    pipeline.nbgrader(graded_copy, "generate_feedback", ASSIGNMENT, "--student", student, "--force")
    soup = page(graded_copy, student, "Layers")
    toc = soup.select_one("#toc")
    assert not toc.find("img") and "onerror" not in toc.get_text(), toc
    assert "4 - Your turn to explain" in toc.get_text()   # the release's heading
    assert not soup.select('img[onerror]')
