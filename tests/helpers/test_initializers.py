"""helpers.initializers: the scale tables, and weights drawn at a chosen scale."""

import math

import numpy as np
import pytest

from helpers import activations
from helpers.initializers import SCALES, draw_weights, initialize_parameters, scale_of


def test_initialize_parameters_shapes_zero_biases_and_determinism():
    dims = [64, 32, 16, 1]
    parameters = initialize_parameters(dims, 0.5, random_state=1)
    assert sorted(parameters) == ["W1", "W2", "W3", "b1", "b2", "b3"]
    for l in range(1, 4):
        assert parameters[f"W{l}"].shape == (dims[l], dims[l - 1])
        np.testing.assert_array_equal(parameters[f"b{l}"], np.zeros((dims[l], 1)))
    again = initialize_parameters(dims, 0.5, random_state=1)
    for key in parameters:
        np.testing.assert_array_equal(parameters[key], again[key])
    np.testing.assert_array_equal(initialize_parameters(dims, 0.0)["W2"], np.zeros((16, 32)))


def test_initialize_parameters_scales_by_a_function_of_n_prev():
    dims = [400, 300, 200]
    he = initialize_parameters(dims, lambda n_prev: np.sqrt(2 / n_prev), random_state=0)
    for l in (1, 2):
        assert he[f"W{l}"].var() == pytest.approx(2 / dims[l - 1], rel=0.05)
    # The same draws as a constant scale, rescaled: only the scale differs.
    unit = initialize_parameters(dims, 1.0, random_state=0)
    np.testing.assert_allclose(he["W2"], unit["W2"] * np.sqrt(2 / 300))


@pytest.mark.parametrize("dims, std, message", [
    ([5], 1.0, "at least two layer sizes"),
    ([5, 0, 1], 1.0, "at least two layer sizes"),
    ([5, 3], -1.0, "weight_std gave -1.0 for layer 1"),
    ([5, 3], lambda n: float("nan"), "expected a finite number >= 0"),
])
def test_initialize_parameters_rejects_bad_input(dims, std, message):
    with pytest.raises(ValueError, match=message):
        initialize_parameters(dims, std)


def test_initialize_parameters_keeps_its_old_import_path():
    assert activations.initialize_parameters is initialize_parameters


@pytest.mark.parametrize("name, n_prev, want", [
    ("xavier", 100, 0.1), ("xavier", 4, 0.5), ("he", 8, 0.5), ("he", 200, 0.1)])
def test_scales_state_the_two_formulas(name, n_prev, want):
    assert SCALES[name][0](n_prev) == pytest.approx(want, rel=1e-12)
    assert SCALES[name][1] == {"xavier": "sqrt(1/n_prev)", "he": "sqrt(2/n_prev)"}[name]


def test_scale_of_takes_a_number_a_name_or_a_function():
    assert scale_of(0.01)(50) == 0.01
    assert scale_of("he")(2) == pytest.approx(1.0, rel=1e-12)
    double = scale_of(lambda n: 2 * n)
    assert double(3) == 6
    with pytest.raises(ValueError, match="unknown scale 'glorot'"):
        scale_of("glorot")


def test_draw_weights_are_the_weights_of_initialize_parameters():
    dims = [6, 5, 4]
    weights = draw_weights(dims, "xavier", random_state=3)
    parameters = initialize_parameters(dims, lambda n: math.sqrt(1 / n), random_state=3)
    assert len(weights) == 2
    for l, W in enumerate(weights, start=1):
        np.testing.assert_array_equal(W, parameters[f"W{l}"])
