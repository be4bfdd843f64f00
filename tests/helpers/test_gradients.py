"""helpers.gradients: the deep network's backward pass and its per-layer statistics."""

import warnings

import numpy as np
import pytest

from helpers.gradients import (
    ACTIVATIONS, DERIVATIVES, backward, backward_step, dead_units, depth_profile,
    format_per_layer, forward, gradient_to_weight, layer_std, saturated_share)
from helpers.initializers import draw_weights


def _cost(X, weights, activation, G):
    """The read-out cost J = (1/m) sum(G * A[L]), computed with nothing but forward."""
    activations, _ = forward(X, weights, activation)
    return float(np.sum(G * activations[-1]) / X.shape[1])


def _central(f, x, eps=1e-6):
    """Central differences of the scalar ``f()`` with respect to every entry of ``x`` (in place)."""
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        keep = x[i]
        x[i] = keep + eps
        up = f()
        x[i] = keep - eps
        down = f()
        x[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return grad


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
@pytest.mark.parametrize("sizes", [[4], [5, 3], [4, 4, 4, 2]])
def test_backward_matches_central_differences(activation, sizes):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((3, 7))
    weights = draw_weights([3, *sizes], 0.9, random_state=rng)
    activations, caches = forward(X, weights, activation)
    G = rng.standard_normal(activations[-1].shape)
    grads_A, grads_W = backward(G, caches, activation)
    for W, dW in zip(weights, grads_W):
        numeric = _central(lambda: _cost(X, weights, activation, G), W)
        np.testing.assert_allclose(dW, numeric, rtol=1e-6, atol=1e-9)
    # dA[0] is the gradient of each example's loss, m times that of the mean cost.
    numeric_X = _central(lambda: _cost(X, weights, activation, G), X)
    np.testing.assert_allclose(grads_A[0], X.shape[1] * numeric_X, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_derivatives_match_central_differences(activation):
    Z = np.linspace(-4, 4, 33) + 0.01   # away from ReLU's kink at 0
    g = ACTIVATIONS[activation]
    numeric = (g(Z + 1e-6) - g(Z - 1e-6)) / 2e-6
    np.testing.assert_allclose(DERIVATIVES[activation](Z), numeric, rtol=1e-6, atol=1e-9)


def test_backward_step_of_a_linear_relu_layer_is_known():
    """Positive inputs and weights keep ReLU on: dZ = dA, so the step is plain linear algebra."""
    A_prev = np.array([[1.0, 2.0], [3.0, 4.0], [0.5, 1.0]])
    W = np.array([[1.0, 0.0, 2.0], [0.5, 1.0, 1.0]])
    dA = np.array([[1.0, -1.0], [2.0, 0.0]])
    dA_prev, dW = backward_step(dA, (A_prev, W, W @ A_prev), "relu")
    np.testing.assert_allclose(dA_prev, [[2.0, -1.0], [2.0, 0.0], [4.0, -2.0]], rtol=1e-12)
    np.testing.assert_allclose(dW, [[-0.5, -0.5, -0.25], [1.0, 3.0, 0.5]], rtol=1e-12)


def test_identity_relu_network_passes_the_gradient_unchanged():
    X = np.abs(np.random.default_rng(0).standard_normal((4, 6))) + 0.1
    weights = [np.eye(4)] * 5
    activations, caches = forward(X, weights, "relu")
    G = np.random.default_rng(1).standard_normal((4, 6))
    grads_A, grads_W = backward(G, caches, "relu")
    for A, dA, dW in zip(activations, grads_A, grads_W):
        np.testing.assert_allclose(A, X, rtol=1e-12)
        np.testing.assert_allclose(dA, G, rtol=1e-12)
        np.testing.assert_allclose(dW, G @ X.T / 6, rtol=1e-12)


def test_backward_uses_the_step_it_is_given():
    calls = []

    def step(dA, cache, activation):
        calls.append((dA.shape, activation))
        return backward_step(dA, cache, activation)

    X = np.ones((2, 3))
    _, caches = forward(X, draw_weights([2, 4, 5], 0.5), "tanh")
    backward(np.ones((5, 3)), caches, "tanh", step=step)
    assert calls == [((5, 3), "tanh"), ((4, 3), "tanh")]


def test_depth_profile_is_deterministic_and_leaves_the_global_generator_alone():
    X = np.random.default_rng(2).standard_normal((8, 20))
    state = np.random.get_state()[1].copy()
    one = depth_profile(X, [8] * 4, "he", "relu", random_state=3)
    two = depth_profile(X, [8] * 4, "he", "relu", random_state=3)
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    for a, b in zip(one.grads_W + one.grads_A, two.grads_W + two.grads_A):
        np.testing.assert_array_equal(a, b)
    assert [W.shape for W in one.weights] == [(8, 8)] * 4
    assert [A.shape for A in one.grads_A] == [(8, 20)] * 4


def test_depth_profile_read_out_gradient_has_unit_spread():
    X = np.random.default_rng(0).standard_normal((50, 400))
    profile = depth_profile(X, [50] * 3, "xavier", "tanh", random_state=0)
    assert profile.gradient_std()[-1] == pytest.approx(1.0, abs=0.02)


def test_vanishing_exploding_and_flat_profiles():
    """The lesson's four cases, at a size the notebook can afford."""
    X = np.random.default_rng(0).standard_normal((64, 128))
    hidden = [64] * 8

    def ratio(weight_std, activation):
        spread = depth_profile(X, hidden, weight_std, activation).gradient_std()
        return spread[0] / spread[-1]

    assert ratio(0.01, "sigmoid") < 1e-8          # each layer back multiplies by ~0.02
    assert ratio(1.0, "relu") > 1e5               # ... by ~sqrt(64 / 2) = 5.7
    assert 0.2 < ratio("he", "relu") < 5
    assert 0.2 < ratio("xavier", "tanh") < 5


def test_profile_statistics_are_the_module_functions():
    X = np.random.default_rng(4).standard_normal((6, 30))
    profile = depth_profile(X, [6, 6], 1.0, "tanh", random_state=1)
    np.testing.assert_array_equal(profile.activation_std(), layer_std(profile.activations))
    np.testing.assert_array_equal(profile.weight_gradient_std(), layer_std(profile.grads_W))
    np.testing.assert_array_equal(profile.gradient_to_weight(),
                                  gradient_to_weight(profile.grads_W, profile.weights))
    label, share = profile.inactive()
    assert label == "saturated"
    np.testing.assert_array_equal(share, saturated_share(profile.pre_activations, "tanh"))
    assert depth_profile(X, [6], "he", "relu").inactive()[0] == "dead units"


def test_layer_std_of_known_arrays():
    np.testing.assert_allclose(layer_std([np.array([[1.0, -1.0]]), np.full((3, 3), 7.0),
                                          np.array([0.0, 2.0, 4.0, 6.0])]),
                               [1.0, 0.0, np.sqrt(5.0)], rtol=1e-12)


def test_dead_units_counts_units_off_for_every_example():
    Z = np.array([[-1.0, -2.0, 0.0],     # dead
                  [-1.0, 3.0, -1.0],     # alive for one example
                  [0.0, 0.0, 0.0],       # dead: ReLU passes no gradient at 0
                  [1.0, 1.0, 1.0]])
    np.testing.assert_allclose(dead_units([Z, np.ones((2, 3)), -np.ones((5, 1))]),
                               [0.5, 0.0, 1.0], rtol=1e-12)


def test_saturated_share_of_known_values():
    # tanh'(z) = 1 - tanh(z)^2 < 0.01 exactly where |z| > atanh(sqrt(0.99)) = 2.99
    Z = np.array([[0.0, 2.9, -3.1, 10.0]])
    np.testing.assert_allclose(saturated_share([Z], "tanh"), [0.5], rtol=1e-12)
    # sigmoid'(z) < 0.0025 where |z| > 5.99
    Z = np.array([[0.0, 5.9, -6.1, 40.0, -800.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        np.testing.assert_allclose(saturated_share([Z], "sigmoid"), [0.6], rtol=1e-12)
    with pytest.raises(ValueError, match="for relu count dead units"):
        saturated_share([Z], "relu")


def test_gradient_to_weight_of_known_arrays_and_zero_weights():
    W = np.array([[1.0, -1.0], [1.0, -1.0]])          # std 1
    dW = 0.001 * W
    ratios = gradient_to_weight([dW, np.ones((2, 2))], [W, np.zeros((2, 2))])
    assert ratios[0] == pytest.approx(0.001, rel=1e-12)
    assert np.isnan(ratios[1])
    with pytest.raises(ValueError, match="2 gradients for 1 weight matrices"):
        gradient_to_weight([dW, dW], [W])


def test_unknown_activation_is_named():
    with pytest.raises(ValueError, match="unknown activation 'softplus'"):
        forward(np.ones((2, 2)), [np.ones((2, 2))], "softplus")


def test_large_weights_do_not_warn():
    X = np.random.default_rng(0).standard_normal((20, 10))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        depth_profile(X, [20] * 6, 30.0, "sigmoid")
        depth_profile(X, [20] * 6, 30.0, "relu")


def test_format_per_layer_lays_out_one_row_per_layer():
    text = format_per_layer({"He ReLU": [1.26, 1.0], "1 ReLU": [2.33e5, 5.6]})
    lines = text.splitlines()
    assert lines[0].split() == ["layer", "He", "ReLU", "1", "ReLU"]
    assert lines[1].split() == ["1", "1.26", "2.33e+05"]
    assert lines[2].split() == ["2", "1", "5.6"]
    assert len({len(line) for line in lines}) == 1


def test_format_per_layer_percentages_and_missing_values():
    text = format_per_layer({"a": [0.5, np.nan], "b": [0.125]}, percent=True)
    assert [line.split() for line in text.splitlines()[1:]] == [["1", "50%", "12%"], ["2", "-"]]
    with pytest.raises(ValueError, match="columns is empty"):
        format_per_layer({})
