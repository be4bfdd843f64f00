"""nbgrader's ``OverwriteCells``, without a warning for what every submission does.

The release strips the hidden tests from each test cell (``ClearHiddenTests``), so
every test cell a student hands in differs from the gradebook's source cell, and
nbgrader's ``OverwriteCells`` warns ``Attribute 'checksum' for cell ... has changed!``
for each of them: six lines per clean submission, in every autograde log. This
subclass still puts the instructor's cell back in every case; it warns only when the
student's cell differs from what the release gave them (a test cell the student
edited), and says once per run why the others are not reported.
"""

import nbformat
from nbgrader.api import MissingEntry
from nbgrader.preprocessors import ClearHiddenTests, OverwriteCells

__all__ = ["OverwriteReleasedCells", "as_released"]

_EXPLAINED = False


def as_released(source, clear_hidden):
    """A test cell's ``source`` as the release hands it out: its hidden tests cut.

    Parameters
    ----------
    source : str
        The instructor's test cell (the gradebook's source cell).
    clear_hidden : nbgrader.preprocessors.ClearHiddenTests
        nbgrader's own cut, with the course's delimiters, as the release made it.
    """
    cell = nbformat.v4.new_code_cell(source)
    clear_hidden._remove_hidden_test_region(cell)
    return cell.source


class OverwriteReleasedCells(OverwriteCells):
    """``OverwriteCells``, reporting a checksum change only for a cell the student changed."""

    def preprocess_cell(self, cell, resources, cell_index):
        self._as_released = self._is_as_released(cell)
        return super().preprocess_cell(cell, resources, cell_index)

    def _is_as_released(self, cell):
        """Whether ``cell`` is its source cell as the release hands it out (hidden tests cut)."""
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is None:
            return False
        try:
            source = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
        except MissingEntry:
            return False
        return (cell.cell_type == source.cell_type
                and cell.source == as_released(source.source, ClearHiddenTests(parent=self)))

    def report_change(self, name, attr, old, new):
        global _EXPLAINED
        if attr == "checksum" and getattr(self, "_as_released", False):
            if not _EXPLAINED:
                _EXPLAINED = True
                self.log.info("test cells are handed in without their hidden tests (the "
                              "release cuts them), so their checksums differ from the "
                              "gradebook's; they are put back from the source, and only "
                              "a test cell a student changed is reported")
            return
        super().report_change(name, attr, old, new)
