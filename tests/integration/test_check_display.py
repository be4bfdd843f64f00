"""A failing check, in a kernel, shows the student its message and none of our frames."""

import nbformat
from nbclient import NotebookClient

ZEROS_TRANSPOSED = '''
import numpy as np
from helpers.checks import check_structure

def initialize_parameters_zeros(layers_dims):
    return {k: np.zeros((layers_dims[l - 1], layers_dims[l])) if k[0] == "W" else
            np.zeros((layers_dims[l], 1))
            for l in range(1, len(layers_dims)) for k in ("W" + str(l), "b" + str(l))}

check_structure(initialize_parameters_zeros, [3, 2, 1])
'''
SCALE_UNWRITTEN = '''
from helpers.activation_checks import check_scale

def he_scale(n_prev):
    raise NotImplementedError()

check_scale(he_scale, [2, 8], [1.0, 0.5], scheme="he")
'''


def _error(repo_root, source):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(repo_root)}}).execute()
    [error] = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    return error


def test_a_failing_check_shows_its_message_without_a_traceback(repo_root):
    error = _error(repo_root, ZEROS_TRANSPOSED)
    shown = "\n".join(error.traceback)
    assert error.traceback == [f"AssertionError: {error.evalue}"]
    assert "initialize_parameters_zeros([3, 2, 1])" in shown and "W1" in shown
    assert "checks.py" not in shown and "Traceback" not in shown and "File " not in shown


def test_an_unwritten_part_2_function_says_what_to_do(repo_root):
    error = _error(repo_root, SCALE_UNWRITTEN)
    shown = "\n".join(error.traceback)
    assert error.traceback == [f"AssertionError: {error.evalue}"]
    assert "START CODE HERE" in shown and "checks.py" not in shown
