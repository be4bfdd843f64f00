"""Feedback that keeps hidden tests hidden.

nbgrader restores hidden tests into the autograded notebook and renders that
notebook as the student's feedback, hidden tests included (nbgrader issues
#917 and #1363). :class:`HideHiddenTests`, registered for ``GenerateFeedback``
in ``nbgrader_config.py``, rewrites each test cell of the feedback first: the
hidden region becomes one neutral comment line, and an error becomes the
check's own message, without the traceback (whose frames quote the hidden
lines). The student still sees which test cell failed, its points and what the
check said; the autograded notebook, for the instructor, keeps everything.
"""

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

__all__ = ["HideHiddenTests", "hide_test_cell", "hide_regions", "reduce_error"]

PLACEHOLDER = "# (hidden checks, not shown: the same checks on other sizes and generator states)"


def hide_regions(source, begin, end, placeholder=PLACEHOLDER):
    """``source`` with every region from a ``begin`` line to an ``end`` line replaced.

    Raises
    ------
    ValueError
        If a region is not closed, so that nothing hidden is shown by mistake.
    """
    lines, hidden = [], False
    for line in source.split("\n"):
        if begin in line:
            hidden = True
            lines.append(line[:len(line) - len(line.lstrip())] + placeholder)
        elif end in line and hidden:
            hidden = False
        elif not hidden:
            lines.append(line)
    if hidden:
        raise ValueError(f"a test cell has {begin!r} without {end!r}; refusing to render it")
    return "\n".join(lines)


def reduce_error(output):
    """An error output reduced to ``Type: message``: no traceback frames, no source lines."""
    output.traceback = [f"{output.ename}: {output.evalue}"]
    return output


def hide_test_cell(cell, begin, end, placeholder=PLACEHOLDER):
    """A feedback page's ``cell``, with its hidden regions and tracebacks hidden if it is a test cell.

    A test cell is an nbgrader graded code cell that is not an answer; every other cell
    (the student's own code, a written answer) is returned as it is.
    """
    meta = cell.metadata.get("nbgrader", {})
    if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
        return cell
    cell.source = hide_regions(cell.source, begin, end, placeholder)
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            reduce_error(output)
    return cell


class HideHiddenTests(NbGraderPreprocessor):
    """Replace hidden tests, and the tracebacks that quote them, in feedback."""

    begin_test_delimeter = Unicode(
        "BEGIN HIDDEN TESTS", help="The line that opens a hidden test region").tag(config=True)
    end_test_delimeter = Unicode(
        "END HIDDEN TESTS", help="The line that closes a hidden test region").tag(config=True)
    placeholder = Unicode(
        PLACEHOLDER, help="What the student sees in place of a hidden region").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        return hide_test_cell(cell, self.begin_test_delimeter, self.end_test_delimeter,
                              self.placeholder), resources
