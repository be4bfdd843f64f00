"""benchmarks/bench_notebook.py's reading of nbclient's execution timestamps."""

import sys
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from bench_notebook import cells_span  # noqa: E402


def _cell(busy, reply):
    cell = nbformat.v4.new_code_cell("pass")
    cell.metadata["execution"] = {"iopub.status.busy": busy, "iopub.execute_input": busy,
                                  "shell.execute_reply": reply}
    return cell


def test_cells_span_runs_from_the_first_start_to_the_last_reply():
    nb = nbformat.v4.new_notebook(cells=[
        _cell("2026-11-29T11:00:00.500000Z", "2026-11-29T11:00:01.000000Z"),
        nbformat.v4.new_markdown_cell("no timestamps here"),
        _cell("2026-11-29T11:00:01.010000Z", "2026-11-29T11:00:03.250000Z"),
    ])
    assert cells_span(nb) == pytest.approx(2.75)


def test_cells_span_refuses_a_notebook_run_without_timestamps():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("pass")])
    with pytest.raises(ValueError, match="no execution timestamps"):
        cells_span(nb)
