"""The release keeps each exercise's own hint (course.publish.clear_solutions)."""

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.converters import GenerateAssignment
from nbgrader.preprocessors import ClearSolutions
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from course.publish.clear_solutions import (ClearSolutionsKeepingHints, opening_line,
                                            stub_with_opening)
from support import ROOT

KERNEL = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
STUB = ("### START CODE HERE ###\n# YOUR CODE HERE\nraise NotImplementedError()\n"
        "### END CODE HERE ###")


def _answer(source, grade_id, cell=new_code_cell):
    return cell(source, metadata={"nbgrader": {"solution": True, "grade": False,
                                               "locked": False, "grade_id": grade_id,
                                               "schema_version": 3}})


def _clear(*cells):
    config = Config()
    config.ClearSolutions.begin_solution_delimeter = "START CODE HERE"
    config.ClearSolutions.end_solution_delimeter = "END CODE HERE"
    config.ClearSolutions.code_stub = {"python": STUB}
    nb = new_notebook(cells=list(cells), metadata=KERNEL)
    cleared, _ = ClearSolutionsKeepingHints(config=config).preprocess(nb, {})
    return [c.source for c in cleared.cells]


def test_each_answer_keeps_its_own_hint():
    nine = "def f(x):\n    ### START CODE HERE ### (≈ 9 lines of code)\n    y = x\n" \
           "    return y\n    ### END CODE HERE ###\n    return None"
    two = "### START CODE HERE ### (≈ 2 lines of code)\nz = 1\n### END CODE HERE ###"
    first, second = _clear(_answer(nine, "f"), _answer(two, "g"))
    assert first == ("def f(x):\n    ### START CODE HERE ### (≈ 9 lines of code)\n"
                     "    # YOUR CODE HERE\n    raise NotImplementedError()\n"
                     "    ### END CODE HERE ###\n    return None")
    assert second.splitlines()[0] == "### START CODE HERE ### (≈ 2 lines of code)"
    assert "z = 1" not in second and "y = x" not in first


def test_an_answer_without_a_hint_gets_the_stub_and_the_config_is_left_as_it_was():
    config = Config()
    config.ClearSolutions.begin_solution_delimeter = "START CODE HERE"
    config.ClearSolutions.end_solution_delimeter = "END CODE HERE"
    config.ClearSolutions.code_stub = {"python": STUB}
    clear = ClearSolutionsKeepingHints(config=config)
    nb = new_notebook(cells=[_answer("### START CODE HERE ###\nx = 1\n### END CODE HERE ###",
                                     "h")], metadata=KERNEL)
    cleared, _ = clear.preprocess(nb, {})
    assert cleared.cells[0].source == STUB
    assert clear.code_stub == {"python": STUB}


def test_written_answers_and_cells_without_the_marker_are_nbgrader_s():
    written, whole = _clear(_answer("A model answer.", "essay", new_markdown_cell),
                            _answer("x = 42", "whole"))
    assert written == "YOUR ANSWER HERE"
    assert whole == STUB   # a solution cell without the markers is replaced whole


def test_an_unclosed_region_is_still_refused():
    with pytest.raises(RuntimeError, match="no end solution statement"):
        _clear(_answer("### START CODE HERE ### (≈ 1 line)\nx = 1", "open"))


def test_opening_line_and_stub_with_opening():
    assert opening_line("a\n    ### START CODE HERE ### (≈ 3)\nb", "START CODE HERE") == \
        "### START CODE HERE ### (≈ 3)"
    assert opening_line("nothing here", "START CODE HERE") is None
    assert stub_with_opening(STUB, "START CODE HERE", "### START CODE HERE ### (≈ 3)") == \
        STUB.replace("### START CODE HERE ###", "### START CODE HERE ### (≈ 3)", 1)


def test_the_course_runs_nbgrader_s_release_steps_with_only_clear_solutions_replaced():
    """nbgrader_config.py lists GenerateAssignment's steps: nbgrader's own, in its order."""
    config = PyFileConfigLoader("nbgrader_config.py", path=str(ROOT)).load_config()
    configured = list(config.GenerateAssignment.preprocessors)
    default = [f"nbgrader.preprocessors.{p.__name__}"
               for p in GenerateAssignment().preprocessors]
    assert configured == [
        "course.publish.clear_solutions.ClearSolutionsKeepingHints"
        if p == f"nbgrader.preprocessors.{ClearSolutions.__name__}" else p for p in default]
