"""helpers.activations: inputs and per-layer statistics."""

import numpy as np
import pytest

from helpers.activations import ACTIVATIONS, format_layer_stats, gaussian_inputs, layer_stats


def test_activations_are_the_three_of_the_lesson():
    z = np.array([-2.0, 0.0, 3.0])
    assert list(ACTIVATIONS) == ["sigmoid", "tanh", "relu"]
    np.testing.assert_allclose(ACTIVATIONS["sigmoid"](z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(ACTIVATIONS["tanh"](z), np.tanh(z))
    np.testing.assert_array_equal(ACTIVATIONS["relu"](z), [0.0, 0.0, 3.0])


def test_gaussian_inputs_shape_determinism_and_global_state():
    np.random.seed(9)
    state = np.random.get_state()[1].copy()
    X = gaussian_inputs(100, 1000, random_state=0)
    assert X.shape == (100, 1000)
    np.testing.assert_array_equal(X, gaussian_inputs(100, 1000, random_state=0))
    assert not np.allclose(X, gaussian_inputs(100, 1000, random_state=1))
    assert abs(X.mean()) < 0.02 and abs(X.std() - 1) < 0.02
    np.testing.assert_array_equal(np.random.get_state()[1], state)


@pytest.mark.parametrize("args", [(0, 5), (5, -1), (2.5, 3)])
def test_gaussian_inputs_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="must be a whole number >= 1"):
        gaussian_inputs(*args)


def test_layer_stats_match_numpy():
    layers = [np.arange(6.0).reshape(2, 3), np.array([[1.0, -1.0]])]
    means, stds = layer_stats(layers)
    np.testing.assert_allclose(means, [2.5, 0.0])
    np.testing.assert_allclose(stds, [np.std(np.arange(6.0)), 1.0])
    with pytest.raises(ValueError, match="activations is empty"):
        layer_stats([])


def test_format_layer_stats_has_a_mean_and_a_std_line_per_experiment_and_a_column_per_layer():
    experiments = {"He": [np.full((2, 2), 3.0), np.array([[0.0, 2.0]])],
                   "std 0.01": [np.zeros((2, 2)), np.array([[1e-6, 3e-6]])]}
    lines = format_layer_stats(experiments).splitlines()
    assert len(lines) == 5
    assert lines[0].split() == ["layer", "1", "layer", "2"]
    assert lines[1].split() == ["He", "mean", "3", "1"]
    assert lines[2].split() == ["std", "0", "1"]
    assert lines[3].split() == ["std", "0.01", "mean", "0", "2e-06"]
    assert lines[4].split() == ["std", "0", "1e-06"]
    # Numbers are right-aligned under their layer's heading.
    assert all(len(line) == len(lines[0]) for line in lines)
    with pytest.raises(ValueError, match="experiments is empty"):
        format_layer_stats({})


def _layers_with(stats):
    """One layer per (mean, std): two values, mean - std and mean + std."""
    return [np.array([[mean - std, mean + std]]) for mean, std in stats]


#: The widest numbers the notebooks print: signed, with an exponent, in every column.
WIDEST = [(-1.66e-08, 1.53e+04), (-0.000205, 1.01e-05), (1.08e+04, 2.27e-05)]


def test_format_layer_stats_fits_80_columns_for_the_notebooks_five_layers():
    experiments = {name: _layers_with([WIDEST[k % 3]] * 5)
                   for k, name in enumerate(["std 1", "std 0.01", "Xavier", "He"])}
    table = format_layer_stats(experiments)
    lines = table.splitlines()
    assert max(map(len, lines)) <= 80
    assert len(lines) == 1 + 2 * 4  # one block: the five layers side by side
    assert lines[0].split()[-2:] == ["layer", "5"]
    assert lines[1].split() == ["std", "1", "mean"] + ["-1.66e-08"] * 5
    assert lines[2].split() == ["std"] + ["1.53e+04"] * 5


def test_format_layer_stats_wraps_many_layers_into_blocks_of_at_most_width():
    experiments = {"a rather long experiment name": _layers_with([WIDEST[0]] * 12),
                   "b": _layers_with([(l, 1.0) for l in range(12)])}
    table = format_layer_stats(experiments)
    assert max(map(len, table.splitlines())) <= 80
    blocks = table.split("\n\n")
    assert len(blocks) > 1
    headings = [int(n) for block in blocks for n in block.splitlines()[0].split()[1::2]]
    assert headings == list(range(1, 13))  # every layer once, in order
    b_means = [float(x) for block in blocks for x in block.splitlines()[3].split()[2:]]
    assert b_means == list(range(12))
    narrow = format_layer_stats(experiments, width=60)
    assert max(map(len, narrow.splitlines())) <= 60
    assert len(narrow.split("\n\n")) > len(blocks)
