"""What the feedback says of each graded cell: its exercise, what it checks, if it is graded.

nbgrader's feedback lists every test cell as ``Test cell (Score: 1.0 / 1.0)``, without
saying which exercise it belongs to, and shows an answer nobody has graded yet as
``Score: 0.0 / 2.0``, like an answer that earned nothing. :class:`DescribeGradedCells`,
registered for ``GenerateFeedback`` after nbgrader's ``GetGrades`` in
``nbgrader_config.py``, gives each graded cell ``cell.metadata.feedback``:

- ``title``: the nearest markdown heading above the cell in the release's copy of the
  notebook (the one handed in could put any heading there), as plain text
  (``Exercise 1: initialize_parameters_zeros``), or its ``grade_id`` if none;
- ``checks``: what the cell checks, from the first line of a test cell's docstring
  (``keys, shapes and dtypes``), ``written answer`` for a manually graded markdown
  answer;
- ``graded``: False while the gradebook holds no score for it at all, neither the
  autograder's nor an instructor's (nbgrader's ``Grade.score`` then says 0).

and ``resources["nbgrader"]["not_graded_points"]``, the points of the notebook still
waiting for a grader. The course's feedback template (``course/feedback/templates/``)
prints them; headings come from the student's notebook, so the template escapes them.
"""

import re
from pathlib import Path

from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.preprocessors import NbGraderPreprocessor

__all__ = ["DescribeGradedCells", "describe", "release_titles", "headings", "plain_heading",
           "what_it_checks"]

_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$")
# The opening quotes and the docstring's first line (to its closing quotes or the line's end).
_DOCSTRING = re.compile(r'^\s*[rRuU]?("""|\'\'\'|"|\')(.*?)(?:\1|$)', re.MULTILINE)


def plain_heading(line):
    """A markdown heading line as plain text, or None if ``line`` is not an ATX heading."""
    match = _HEADING.match(line)
    if not match:
        return None
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", match.group(1))   # links keep their text
    return re.sub(r"`|\*\*?", "", text).strip() or None


def headings(cells):
    """For each cell, the last heading written above it (None before the first)."""
    current, result = None, []
    for cell in cells:
        result.append(current)
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                current = plain_heading(line) or current
    return result


def what_it_checks(cell):
    """What a graded cell checks, in a few words (``keys, shapes and dtypes``)."""
    if cell.cell_type == "markdown":
        return "task" if utils.is_task(cell) else "written answer"
    if utils.is_solution(cell):
        return "coding free-response"
    match = _DOCSTRING.match(cell.source)
    if not match or not match.group(2).strip():
        return "test cell"
    line = match.group(2).strip().rstrip(".")
    # "Check initialize_parameters_zeros: keys, ..." names the function its title names
    return re.sub(r"^Check\s+[\w.]+\s*:\s*", "", line) or "test cell"


def describe(cells, grade_of, titles=None):
    """Give each graded cell of ``cells`` its ``metadata.feedback``; the points not graded yet.

    Parameters
    ----------
    cells : list of NotebookNode
        The notebook handed in, as it is rendered.
    grade_of : callable
        ``grade_of(grade_id)``: the student's ``nbgrader.api.Grade`` of that cell.
    titles : dict of str to str, optional
        :func:`release_titles`. Where given, a cell is titled by the release's heading
        above it, never by one of the notebook handed in (which could say anything);
        without it, by the heading above the cell in ``cells``.

    Returns
    -------
    float
        The points of the cells no one has graded yet, neither the autograder nor an
        instructor.
    """
    above = headings(cells)
    waiting = 0.0
    for cell, heading in zip(cells, above):
        if not (utils.is_grade(cell) or utils.is_task(cell)):
            continue
        grade_id = cell.metadata["nbgrader"]["grade_id"]
        grade = grade_of(grade_id)
        graded = grade.auto_score is not None or grade.manual_score is not None
        if not graded:
            waiting += grade.max_score
        title = titles.get(grade_id) if titles else heading
        cell.metadata["feedback"] = {"title": title or grade_id,
                                     "checks": what_it_checks(cell), "graded": graded}
    return waiting


def release_titles(path):
    """``{grade_id: heading above it}`` of the notebook at ``path`` (the release's), or None.

    None where the notebook cannot be read: the feedback then titles cells as they are.
    """
    import nbformat

    try:
        release = nbformat.read(path, as_version=4)
    except (OSError, ValueError):
        return None
    return {cell.metadata["nbgrader"]["grade_id"]: heading
            for cell, heading in zip(release.cells, headings(release.cells))
            if cell.metadata.get("nbgrader", {}).get("grade_id")}


class DescribeGradedCells(NbGraderPreprocessor):
    """Give each graded cell of a feedback page its title, what it checks, whether it is graded."""

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        titles = self._release_titles(info)
        with Gradebook(info["db_url"]) as gradebook:
            info["not_graded_points"] = describe(
                nb.cells, lambda grade_id: gradebook.find_grade(
                    grade_id, info["notebook"], info["assignment"], info["student"]), titles)
        return nb, resources

    def _release_titles(self, info):
        """:func:`release_titles` of the release's copy of the notebook, where nbgrader runs us."""
        coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None)
        if coursedir is None:
            return None
        return release_titles(Path(coursedir.format_path(
            coursedir.release_directory, ".", info["assignment"])) / f"{info['notebook']}.ipynb")
