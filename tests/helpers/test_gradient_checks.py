"""helpers.gradient_checks: the checks of the backward step, and the mistakes they name."""

import numpy as np
import pytest

from helpers import gradient_checks as gc
from helpers.gradients import DERIVATIVES, backward_step


def _layer(n=2, n_prev=3, m=4, seed=0):
    rng = np.random.default_rng(seed)
    A_prev = rng.standard_normal((n_prev, m))
    W = rng.standard_normal((n, n_prev))
    return rng.standard_normal((n, m)), (A_prev, W, W @ A_prev)


def _expected(dA, cache):
    return {a: backward_step(dA, cache, a) for a in ("relu", "sigmoid", "tanh")}


def _message(step, n=2, n_prev=3, m=4, activations=("relu", "sigmoid", "tanh")):
    dA, cache = _layer(n, n_prev, m)
    expected = {a: v for a, v in _expected(dA, cache).items() if a in activations}
    with pytest.raises(AssertionError) as raised:
        gc.check_backward_values(step, dA, cache, expected)
    return str(raised.value)


def _step(slope=None, dA_prev=lambda W, dZ: W.T @ dZ, dW=lambda dZ, A, m: dZ @ A.T / m):
    def step(dA, cache, activation):
        A_prev, W, Z = cache
        dZ = dA * (slope or DERIVATIVES[activation])(Z)
        return dA_prev(W, dZ), dW(dZ, A_prev, A_prev.shape[1])
    return step


def test_right_step_passes_both_checks():
    dA, cache = _layer()
    assert gc.check_backward_structure(backward_step, dA, cache, "relu") == (
        '✓ backward_step(dA of shape (2, 4), cache, "relu"): returns dA_prev (3, 4) '
        'and dW (2, 3)')
    assert "right for relu, sigmoid, tanh" in gc.check_backward_values(
        backward_step, dA, cache, _expected(dA, cache))


def test_forgotten_one_over_m_is_named():
    message = _message(_step(dW=lambda dZ, A, m: dZ @ A.T))
    assert "dW is m = 4 times too large: the 1/m of the mean over the examples is missing" \
        in message


def test_one_over_m_in_dA_prev_is_named():
    message = _message(_step(dA_prev=lambda W, dZ: W.T @ dZ / 4))
    assert "dA_prev is divided by m: only dW is a mean over the examples" in message


def test_untransposed_weight_is_named_on_a_square_layer():
    message = _message(_step(dA_prev=lambda W, dZ: W @ dZ), n=3, n_prev=3)
    assert "dA_prev uses W where the gradient needs the transposed weights" in message


def test_untransposed_weight_on_a_rectangular_layer_says_the_products_do_not_fit():
    message = _message(_step(dA_prev=lambda W, dZ: W @ dZ))
    assert "calling it raised ValueError" in message
    assert "in a product the inner sizes must match" in message


@pytest.mark.parametrize("used, meant", [("sigmoid", "relu"), ("relu", "tanh"),
                                         ("tanh", "sigmoid")])
def test_another_activations_derivative_is_named(used, meant):
    message = _message(_step(slope=DERIVATIVES[used]), activations=(meant,))
    assert f"uses the derivative of {used}; this layer's activation is {meant}" in message


def test_missing_derivative_and_tanh_of_z_are_named():
    assert "leaves out the activation's derivative" in _message(
        _step(slope=np.ones_like), activations=("tanh",))
    assert "uses 1 - Z ** 2: tanh's derivative squares the activation" in _message(
        _step(slope=lambda Z: 1 - Z ** 2), activations=("tanh",))


def test_transposed_dW_and_swapped_results_are_named():
    def transposed(dA, cache, activation):
        dA_prev, dW = backward_step(dA, cache, activation)
        return dA_prev, dW.T

    def swapped(dA, cache, activation):
        dA_prev, dW = backward_step(dA, cache, activation)
        return dW, dA_prev

    assert "dW has shape (3, 2) but should be (2, 3): dW has the shape of W" in _message(
        transposed)
    assert "it returned (dW, dA_prev): return dA_prev first, then dW" in _message(swapped)


def test_change_in_place_is_named_and_the_callers_arrays_are_safe():
    def in_place(dA, cache, activation):
        A_prev, W, Z = cache
        dA *= DERIVATIVES[activation](Z)
        return W.T @ dA, dA @ A_prev.T / A_prev.shape[1]

    dA, cache = _layer()
    kept = dA.copy()
    with pytest.raises(AssertionError, match="dA was changed in place"):
        gc.check_backward_values(in_place, dA, cache, _expected(dA, cache))
    np.testing.assert_array_equal(dA, kept)


def test_missing_return_and_stub_are_named():
    dA, cache = _layer()
    with pytest.raises(AssertionError, match=r"it returned None: end the function with "
                                             r"`return dA_prev, dW`"):
        gc.check_backward_structure(lambda dA, cache, a: None, dA, cache, "relu")

    def stub(dA, cache, activation):
        raise NotImplementedError()

    with pytest.raises(AssertionError, match="write your code between START CODE HERE"):
        gc.check_backward_structure(stub, dA, cache, "relu")


def test_verdicts_on_plain_data_need_no_function():
    dA, cache = _layer()
    right = backward_step(dA, cache, "tanh")
    observation = {"call": {"returned": [right[0], right[1] * 2]}, "changed": []}
    problems = gc.values_verdict(observation, dA, cache, "tanh", right)
    assert problems == ["dW is 2 times the expected values"]
    assert gc.structure_verdict(observation, 2, 3, 4) == []
