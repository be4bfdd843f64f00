"""nbgrader's ClearSolutions, keeping each answer's own hint in the release.

An answer cell opens its solution with a line such as
``### START CODE HERE ### (≈ 9 lines of code)``: the marker, then a hint sized
for that exercise. nbgrader replaces the whole region, that line included, by
one ``ClearSolutions.code_stub`` for every cell, so a hint written in the stub
would be the same for every exercise. This subclass keeps the cell's own
opening line in place of the stub's line that holds the same marker; the rest
of the stub (``# YOUR CODE HERE``, ``raise NotImplementedError()``, the closing
marker) comes from the configuration as before. Everything else is
nbgrader's: written answers, cells without the marker, nested or unclosed
regions (which nbgrader refuses).

Wired in ``nbgrader_config.py`` in place of ClearSolutions among
``GenerateAssignment.preprocessors``; ``c.ClearSolutions`` settings apply to it.
"""

from nbgrader.preprocessors import ClearSolutions


def opening_line(source, marker):
    """The first line of ``source`` holding ``marker``, without its indentation, or None."""
    return next((line.strip() for line in source.split("\n") if marker in line), None)


def stub_with_opening(stub, marker, opening):
    """``stub`` with its line holding ``marker`` replaced by ``opening`` (if it has one)."""
    lines = stub.split("\n")
    return "\n".join(opening if marker in line else line for line in lines)


class ClearSolutionsKeepingHints(ClearSolutions):
    """ClearSolutions whose stub keeps each answer's own opening line (its hint)."""

    def preprocess_cell(self, cell, resources, cell_index):
        marker = self.begin_solution_delimeter
        opening = opening_line(cell.source, marker) if cell.cell_type == "code" else None
        language = resources["language"]
        if opening is None or marker not in self.code_stub[language]:
            return super().preprocess_cell(cell, resources, cell_index)
        configured = self.code_stub
        self.code_stub = {**configured,
                          language: stub_with_opening(configured[language], marker, opening)}
        try:
            return super().preprocess_cell(cell, resources, cell_index)
        finally:
            self.code_stub = configured
