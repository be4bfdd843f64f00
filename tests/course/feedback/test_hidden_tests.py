"""Hidden tests kept out of feedback (course/feedback/hidden_tests.py), on built notebooks.

That no hidden line reaches a real feedback page is ``tests/integration/test_feedback_hidden.py``.
"""

import copy

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from traitlets.config import Config

from course.feedback.hidden_tests import (PLACEHOLDER, HideHiddenTests, hide_regions,
                                          hide_test_cell, reduce_error)

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"


def _graded_cell(source, outputs, *, solution=False, cell=None):
    cell = cell or new_code_cell(source, outputs=outputs)
    cell.metadata["nbgrader"] = {"grade": True, "solution": solution, "grade_id": "check_x",
                                 "points": 1, "locked": not solution, "schema_version": 3}
    return cell


def test_hide_regions_puts_one_placeholder_line_for_each_region_at_its_indent():
    source = ("check(f)\n### BEGIN HIDDEN TESTS\nsecret_1\n### END HIDDEN TESTS\n"
              "for case in cases:\n    # BEGIN HIDDEN TESTS\n    secret_2\n    secret_3\n"
              "    # END HIDDEN TESTS\nprint('done')")
    assert hide_regions(source, BEGIN, END, "# (hidden)") == (
        "check(f)\n# (hidden)\nfor case in cases:\n    # (hidden)\nprint('done')")


def test_hide_regions_keeps_a_cell_without_regions_and_an_end_marker_alone():
    source = "check(f)\n# END HIDDEN TESTS is how a region closes"
    assert hide_regions(source, BEGIN, END) == source


def test_unclosed_hidden_region_is_refused():
    with pytest.raises(ValueError, match="without 'END HIDDEN TESTS'; refusing to render it"):
        hide_regions("a\n### BEGIN HIDDEN TESTS\nsecret", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")


def test_reduce_error_keeps_the_type_and_message_and_no_frame():
    output = new_output("error", ename="ValueError", evalue="bad shape (2,)",
                        traceback=["frame 1", "secret_reference = 42", "ValueError: bad shape (2,)"])
    assert reduce_error(output) is output
    assert output.traceback == ["ValueError: bad shape (2,)"]
    assert (output.ename, output.evalue) == ("ValueError", "bad shape (2,)")


def test_hide_test_cell_leaves_every_cell_but_a_test_cell_as_it_is():
    error = new_output("error", ename="NameError", evalue="x", traceback=["frame", "NameError: x"])
    region = "a\n### BEGIN HIDDEN TESTS\nb\n### END HIDDEN TESTS"
    cells = [new_code_cell(region, outputs=[error]),                       # the student's own
             _graded_cell(region, [error], solution=True),                 # an autograded answer
             _graded_cell(region, [], solution=True, cell=new_markdown_cell(region)),  # written
             new_markdown_cell(region)]
    for cell in cells:
        before = copy.deepcopy(cell)
        assert hide_test_cell(cell, BEGIN, END) == before


def test_hide_test_cell_refuses_a_test_cell_with_an_unclosed_region():
    cell = _graded_cell("check()\n### BEGIN HIDDEN TESTS\nsecret", [])
    with pytest.raises(ValueError, match="refusing to render it"):
        hide_test_cell(cell, BEGIN, END)


def test_preprocessor_hides_regions_and_tracebacks():
    error = new_output("error", ename="AssertionError",
                       evalue="f([3, 2, 1]):\n  - W1 looks unscaled",
                       traceback=["\x1b[0;31m----\x1b[0m", "secret_reference = 42", "AssertionError"])
    student = new_code_cell("def f(d):\n    return d", outputs=[error.copy()])
    nb = new_notebook(cells=[student, _graded_cell(
        "print(check(f))\n### BEGIN HIDDEN TESTS\nsecret_reference = 42\n### END HIDDEN TESTS",
        [new_output("stream", name="stdout", text="✓ fine\n"), error])])
    nb, _ = HideHiddenTests().preprocess(nb, {})
    graded = nb.cells[1]
    assert graded.source == f"print(check(f))\n{PLACEHOLDER}"
    assert graded.outputs[0].text == "✓ fine\n"
    assert graded.outputs[1].traceback == ["AssertionError: f([3, 2, 1]):\n  - W1 looks unscaled"]
    assert nb.cells[0].outputs[0].traceback[1] == "secret_reference = 42"  # the student's own cell


def test_preprocessor_reads_its_markers_and_placeholder_from_the_configuration():
    config = Config({"HideHiddenTests": {"begin_test_delimeter": "BEGIN SECRET",
                                         "end_test_delimeter": "END SECRET",
                                         "placeholder": "# (more checks)"}})
    nb = new_notebook(cells=[_graded_cell(
        "check()\n# BEGIN SECRET\nsecret()\n# END SECRET\n### BEGIN HIDDEN TESTS", [])])
    nb, _ = HideHiddenTests(config=config).preprocess(nb, {})
    assert nb.cells[0].source == "check()\n# (more checks)\n### BEGIN HIDDEN TESTS"
