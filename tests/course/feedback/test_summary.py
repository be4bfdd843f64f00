"""Each graded cell of a feedback page named, and said to be graded or not
(course/feedback/summary.py), on a small course's gradebook (``support.feedback``).

The pages of the graded demo class are ``tests/integration/test_feedback_offline.py``.
"""

import functools

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell
from nbgrader.api import Gradebook
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory

from course.feedback.summary import (DescribeGradedCells, describe, headings, plain_heading,
                                     release_titles, what_it_checks)


def test_a_cell_is_titled_by_the_last_heading_above_it():
    cells = [new_markdown_cell("# Part\n\n## 4 - Zeros\n### Exercise 1: `f_zeros`\ntext"),
             new_code_cell('"""Check f_zeros: keys, shapes and dtypes."""\ncheck(f_zeros)'),
             new_markdown_cell("no heading here"),
             new_code_cell("check(f_zeros)")]
    assert headings([new_markdown_cell("text")] + cells)[1:] == [
        None, "Exercise 1: f_zeros", "Exercise 1: f_zeros", "Exercise 1: f_zeros"]
    assert what_it_checks(cells[1]) == "keys, shapes and dtypes"
    assert what_it_checks(cells[3]) == "test cell"
    assert plain_heading("## The **[He](https://x.org/he)** scale ##") == "The He scale"
    assert plain_heading("#hashtag") is None and plain_heading("text") is None


@pytest.mark.parametrize("line, text", [
    ("# Title", "Title"),
    ("   ###### Six deep", "Six deep"),           # up to three spaces before it
    ("    # Code, not a heading", None),         # four spaces: an indented code block
    ("## `he_scale` *and* **more** ###", "he_scale and more"),   # code and emphasis marks go
    ("## [Xavier](https://x.org) and [He](#he)", "Xavier and He"),
    ("##", None), ("## **  **", None),          # nothing left to say
])
def test_plain_heading_follows_markdowns_atx_headings(line, text):
    assert plain_heading(line) == text


@pytest.mark.parametrize("source, checks", [
    ("'''Check propagate_activations: the spread per layer.'''\ncheck()", "the spread per layer"),
    ('r"""Check f.g: values."""', "values"),
    ('"""Keys and shapes.\n\nMore words."""\ncheck()', "Keys and shapes"),   # numpydoc's form
    ('"""Check f: """', "test cell"),
    ('""""""\ncheck()', "test cell"),
    ("check()  # no docstring", "test cell"),
])
def test_what_a_test_cell_checks_is_the_first_line_of_its_docstring(source, checks):
    assert what_it_checks(new_code_cell(source)) == checks


def test_a_written_answer_and_a_task_are_named_for_what_they_are():
    answer = new_markdown_cell("**He**")
    answer.metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "a", "points": 2}
    task = new_markdown_cell("Describe")
    task.metadata["nbgrader"] = {"task": True, "grade_id": "t", "points": 1}
    code = new_code_cell("def f(): ...")
    code.metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "c", "points": 1}
    assert what_it_checks(answer) == "written answer"
    assert what_it_checks(task) == "task"
    assert what_it_checks(code) == "coding free-response"


def _grades(url):
    gb = Gradebook(url)
    return gb, functools.partial(gb.find_grade, notebook="one", assignment="ps1", student="alice")


def test_describe_names_each_graded_cell_and_counts_the_points_no_one_graded(course):
    _, resources, nb = course
    gb, grade_of = _grades(resources["nbgrader"]["db_url"])
    with gb:
        waiting = describe(nb.cells, grade_of)
    feedback = {c.metadata.nbgrader.grade_id: c.metadata.feedback for c in nb.cells
                if "feedback" in c.metadata}
    assert feedback == {
        "check_f": {"title": "Exercise 1: f", "checks": "its values", "graded": True},
        "check_g": {"title": "Exercise 2: g", "checks": "shapes and dtypes", "graded": True},
        "answer": {"title": "Your turn to explain", "checks": "written answer", "graded": False}}
    assert waiting == 2.0    # the written answer's points; check_g's 0 is a grade


def test_an_answer_an_instructor_graded_is_graded_even_at_zero(course):
    _, resources, nb = course
    gb, grade_of = _grades(resources["nbgrader"]["db_url"])
    with gb:
        grade_of("answer").manual_score = 0
        gb.db.commit()
        assert describe(nb.cells, grade_of) == 0.0
    assert nb.cells[6].metadata.feedback["graded"] is True


def test_describe_titles_cells_by_the_releases_headings_not_the_students(course):
    root, resources, nb = course
    nb.cells.insert(4, new_markdown_cell('## <img src=x onerror="alert(1)"> mine'))  # above check_g
    nb.cells.insert(0, new_markdown_cell("## My own title"))
    titles = release_titles(root / "release" / "ps1" / "one.ipynb")
    gb, grade_of = _grades(resources["nbgrader"]["db_url"])
    with gb:
        describe(nb.cells, grade_of, titles)
    assert [c.metadata.feedback["title"] for c in nb.cells if "feedback" in c.metadata] == [
        "Exercise 1: f", "Exercise 2: g", "Your turn to explain"]
    # without the release, the notebook's own headings (the page escapes them)
    gb, grade_of = _grades(resources["nbgrader"]["db_url"])
    with gb:
        describe(nb.cells, grade_of)
    assert nb.cells[3].metadata.feedback["title"] == "Exercise 1: f"
    assert nb.cells[6].metadata.feedback["title"] == '<img src=x onerror="alert(1)"> mine'


def test_a_cell_the_release_has_under_no_heading_is_titled_by_its_grade_id(course):
    _, resources, nb = course
    gb, grade_of = _grades(resources["nbgrader"]["db_url"])
    with gb:
        describe(nb.cells, grade_of, {"check_f": None, "x": "X"})
    titles = {c.metadata.nbgrader.grade_id: c.metadata.feedback["title"] for c in nb.cells
              if "feedback" in c.metadata}
    assert titles == {"check_f": "check_f", "check_g": "check_g", "answer": "answer"}


def test_release_titles_are_the_heading_above_each_cell_of_the_release(course):
    root, _, _ = course
    assert release_titles(root / "release" / "ps1" / "one.ipynb") == {
        "f": "Exercise 1: f", "check_f": "Exercise 1: f", "check_g": "Exercise 2: g",
        "answer": "Your turn to explain"}


def test_release_titles_of_a_notebook_that_cannot_be_read_are_none(tmp_path):
    assert release_titles(tmp_path / "missing.ipynb") is None
    (tmp_path / "broken.ipynb").write_text("{not json")
    assert release_titles(tmp_path / "broken.ipynb") is None


def test_the_preprocessor_titles_cells_from_the_release_of_nbgraders_course(course):
    """As nbgrader runs it: GenerateFeedback's exporter is its parent, the course directory
    says where the release is."""
    root, resources, nb = course
    nb.cells[0].source = "# Problem set 1\n## Exercise 1: a title of alice's"
    converter = GenerateFeedback(coursedir=CourseDirectory(root=str(root)))
    step = DescribeGradedCells(parent=converter.exporter_class(parent=converter))
    nb, resources = step.preprocess(nb, resources)
    assert nb.cells[2].metadata.feedback == {"title": "Exercise 1: f", "checks": "its values",
                                             "graded": True}
    assert resources["nbgrader"]["not_graded_points"] == 2.0


def test_the_preprocessor_alone_titles_cells_by_the_notebooks_headings(course):
    _, resources, nb = course
    nb.cells[0].source = "## Exercise 1: a title of alice's"
    nb, resources = DescribeGradedCells().preprocess(nb, resources)
    assert nb.cells[2].metadata.feedback["title"] == "Exercise 1: a title of alice's"
    assert resources["nbgrader"]["not_graded_points"] == 2.0
    assert nbformat.validate(nb) is None
