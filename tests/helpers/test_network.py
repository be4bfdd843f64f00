import numpy as np
import pytest

from helpers.network import (Passes, backward, cross_entropy, forward, layer_backward,
                             to_layers, to_parameters, update)


def _network(dims, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(size=(n, n_prev)) * np.sqrt(2 / n_prev), rng.normal(size=(n, 1)) * 0.1)
            for n_prev, n in zip(dims[:-1], dims[1:])]


def _data(n, m, seed=1):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, m)), (rng.random((1, m)) > 0.5).astype(float)


@pytest.mark.parametrize("dims", [[2, 10, 5, 1], [3, 1], [4, 6, 6, 6, 1]])
def test_backward_matches_central_differences(dims):
    X, Y = _data(dims[0], 7)
    layers = _network(dims)
    AL, caches = forward(X, layers)
    grads = backward(AL, Y, layers, caches)
    eps = 1e-6
    for l, (W, b) in enumerate(layers):
        for array, grad in ((W, grads[l][0]), (b, grads[l][1])):
            numeric = np.zeros_like(array)
            for idx in np.ndindex(array.shape):
                saved = array[idx]
                array[idx] = saved + eps
                plus = cross_entropy(forward(X, layers)[0], Y)
                array[idx] = saved - eps
                minus = cross_entropy(forward(X, layers)[0], Y)
                array[idx] = saved
                numeric[idx] = (plus - minus) / (2 * eps)
            np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


def test_forward_shapes_and_output_range():
    X, _ = _data(2, 9)
    AL, caches = forward(X, _network([2, 10, 5, 1]))
    assert AL.shape == (1, 9)
    assert np.all((AL > 0) & (AL < 1))
    assert [c[1].shape for c in caches] == [(10, 9), (5, 9), (1, 9)]
    assert all(np.all(c[1] >= 0) for c in caches[:-1])  # ReLU outputs


def test_cross_entropy_known_values():
    Y = np.array([[1, 0]])
    assert cross_entropy(np.array([[0.5, 0.5]]), Y) == pytest.approx(np.log(2), rel=1e-12)
    assert cross_entropy(np.array([[0.9, 0.2]]), Y) == pytest.approx(
        -(np.log(0.9) + np.log(0.8)) / 2, rel=1e-12)


def test_cross_entropy_of_a_certain_mistake_is_inf_without_warning():
    with np.errstate(all="raise"):
        assert cross_entropy(np.array([[0.0, 1.0]]), np.array([[1, 1]])) == np.inf
        assert cross_entropy(np.array([[1.0, 0.0]]), np.array([[1, 0]])) == 0.0


def test_update_moves_against_the_gradient_in_place():
    layers = [(np.ones((2, 3)), np.zeros((2, 1)))]
    W = layers[0][0]
    update(layers, [(np.full((2, 3), 2.0), np.ones((2, 1)))], learning_rate=0.5)
    assert W is layers[0][0]
    np.testing.assert_array_equal(W, np.zeros((2, 3)))
    np.testing.assert_array_equal(layers[0][1], -0.5 * np.ones((2, 1)))


def test_to_layers_round_trip_copies():
    parameters = {"W1": np.ones((3, 2)), "b1": np.zeros((3, 1)),
                  "W2": np.ones((1, 3)), "b2": np.zeros((1, 1))}
    layers = to_layers(parameters)
    layers[0][0][0, 0] = 5
    assert parameters["W1"][0, 0] == 1
    back = to_parameters(layers)
    assert list(back) == ["W1", "b1", "W2", "b2"]
    assert back["W1"][0, 0] == 5


@pytest.mark.parametrize("parameters, match", [
    ({"W1": np.ones((3, 2))}, r"keys \['W1'\]; expected W1, b1"),
    ({"W1": np.ones((3, 2)), "b1": np.zeros((3, 1)), "W3": np.ones((1, 3)), "b3": np.zeros((1, 1))},
     "expected W1, b1"),
    ({"W1": np.ones((3, 2)), "b1": np.zeros((3,))}, r"b1 has shape \(3,\) but should be \(3, 1\)"),
    ({"W1": np.ones((3, 2)), "b1": np.zeros((3, 1)), "W2": np.ones((3, 1)), "b2": np.zeros((3, 1))},
     r"W2 has shape \(3, 1\) but W1 has 3 rows, so W2 needs 3 columns"),
    ({"W1": np.ones(3), "b1": np.zeros((3, 1))}, r"W1 has shape \(3,\) but must be 2-D"),
    ([np.ones((3, 2))], "parameters must be a dict"),
])
def test_to_layers_rejects_bad_parameters(parameters, match):
    with pytest.raises(ValueError, match=match):
        to_layers(parameters)


def test_backward_into_buffers_equals_backward_into_new_arrays():
    X, Y = _data(2, 11)
    layers = _network([2, 10, 5, 1])
    buffers = [np.full((n, 11), np.nan) for n in (10, 5, 1)]
    AL, caches = forward(X, layers, out=buffers)
    assert AL is buffers[-1]
    fresh_AL, fresh_caches = forward(X, layers)
    np.testing.assert_array_equal(AL, fresh_AL)
    grads = [(np.empty_like(W), np.empty_like(b)) for W, b in layers]
    assert backward(AL, Y, layers, caches, out=grads) is grads
    for (dW, db), (fresh_dW, fresh_db) in zip(grads, backward(AL, Y, layers, fresh_caches)):
        np.testing.assert_array_equal(dW, fresh_dW)
        np.testing.assert_array_equal(db, fresh_db)


def test_layer_backward_masks_exactly_like_a_bool_mask():
    """dA * sign(A) for a ReLU output A equals dA * (A > 0), signed zeros and NaNs included."""
    A_prev = np.array([[0.0, 2.0, 0.0, np.inf, np.nan], [1.0, 0.0, 3.0, 0.0, np.nan]])
    W = np.array([[1.0, -1.0]])
    dZ = np.array([[-1.0, 1.0, 2.0, -3.0, np.nan]])
    dW, db = np.empty((1, 2)), np.empty((1, 1))
    with np.errstate(invalid="ignore"):
        dZ_prev = layer_backward(dZ, W, A_prev, (dW, db))
        expected = np.dot(W.T, dZ) * (A_prev > 0)
    np.testing.assert_array_equal(dZ_prev, expected)
    np.testing.assert_array_equal(np.signbit(dZ_prev), np.signbit(expected))
    assert layer_backward(dZ, W, A_prev, (dW, db), relu_below=False) is None


@pytest.mark.parametrize("dims", [[2, 1], [2, 10, 5, 1], [4, 6, 6, 6, 1]])
def test_passes_compute_the_bits_of_forward_and_backward(dims):
    """The fast path (buffers allocated once, no call per layer) is the contract, bit for bit."""
    layers = _network(dims)
    X, Y = _data(dims[0], 30)
    grads = [(np.empty_like(W), np.empty_like(b)) for W, b in layers]
    passes = Passes(X, Y.astype(int), layers, grads)
    for _ in range(2):   # reused buffers give the same bits again
        AL = passes.forward()
        passes.backward()
        want_AL, caches = forward(X, layers)
        np.testing.assert_array_equal(AL, want_AL, strict=True)
        for (dW, db), (want_dW, want_db) in zip(grads, backward(want_AL, Y, layers, caches)):
            np.testing.assert_array_equal(dW, want_dW, strict=True)
            np.testing.assert_array_equal(db, want_db, strict=True)
