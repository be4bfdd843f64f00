import numpy as np
import pytest

from helpers.network import (ACTIVATIONS, DERIVATIVES, Passes, backward, cross_entropy,
                             cross_entropy_gradient, forward, layer_backward, layer_forward,
                             linear_backward, to_layers, to_parameters, update)


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
    grads = backward(AL, Y, caches)
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
    assert [Z.shape for _, _, Z in caches] == [(10, 9), (5, 9), (1, 9)]
    assert caches[0][0] is X
    for (_, _, Z), (A_next, _, _) in zip(caches, caches[1:]):   # ReLU between the layers
        np.testing.assert_array_equal(A_next, np.maximum(0, Z))


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


def _layer(n, n_prev, m, seed=2):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n_prev, m)), rng.standard_normal((n, n_prev)), \
        rng.standard_normal((n, 1))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_layer_forward_applies_the_named_activation_and_caches_its_input(activation):
    A_prev, W, b = _layer(3, 4, 5)
    A, (cached_A_prev, cached_W, Z) = layer_forward(A_prev, W, b, activation)
    np.testing.assert_allclose(Z, W @ A_prev + b, rtol=1e-12)
    np.testing.assert_array_equal(A, ACTIVATIONS[activation](Z))
    assert cached_A_prev is A_prev and cached_W is W


def test_layer_forward_without_bias():
    A_prev, W, _ = _layer(3, 4, 5)
    _, (_, _, Z) = layer_forward(A_prev, W, None, "relu")
    np.testing.assert_array_equal(Z, np.dot(W, A_prev))


@pytest.mark.parametrize("activation", list(ACTIVATIONS))
def test_layer_backward_matches_central_differences(activation):
    """dW, db and dA_prev are the gradients of the cost whose gradient dA is."""
    A_prev, W, b = _layer(3, 4, 5)
    G = np.random.default_rng(3).standard_normal((3, 5))

    def cost():   # J = sum(G * A): its gradient with respect to A is G
        return float(np.sum(G * layer_forward(A_prev, W, b, activation)[0]))

    _, cache = layer_forward(A_prev, W, b, activation)
    grads = layer_backward(G, cache, activation)
    for array, grad in zip((A_prev, W, b), grads):
        numeric = np.zeros_like(array)
        for idx in np.ndindex(array.shape):
            saved = array[idx]
            array[idx] = saved + 1e-6
            plus = cost()
            array[idx] = saved - 1e-6
            minus = cost()
            array[idx] = saved
            numeric[idx] = (plus - minus) / 2e-6
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_layer_backward_is_linear_backward_of_dA_times_the_slope():
    A_prev, W, b = _layer(3, 4, 5)
    dA = np.random.default_rng(4).standard_normal((3, 5))
    _, cache = layer_forward(A_prev, W, b, "tanh")
    for got, want in zip(layer_backward(dA, cache, "tanh"),
                         linear_backward(dA * DERIVATIVES["tanh"](cache[2]), cache)):
        np.testing.assert_array_equal(got, want, strict=True)


def test_relu_slope_at_zero_is_zero():
    np.testing.assert_array_equal(DERIVATIVES["relu"](np.array([-1.0, -0.0, 0.0, 2.0])),
                                  [0.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize("function, args", [
    (layer_forward, (np.ones((2, 3)), np.ones((1, 2)), None, "softmax")),
    (layer_backward, (np.ones((1, 3)), (np.ones((2, 3)), np.ones((1, 2)), np.ones((1, 3))),
                      "Relu")),
])
def test_an_unknown_activation_is_named(function, args):
    with pytest.raises(ValueError, match=r"unknown activation '(softmax|Relu)'; expected one "
                                         r"of sigmoid, tanh, relu"):
        function(*args)


def test_cross_entropy_gradient_is_the_output_layer_dZ():
    """dZ = dA * sigmoid'(Z) with dA the gradient of the mean cross-entropy: (AL - Y) / m."""
    Z = np.array([[-2.0, 0.5, 3.0, -0.1]])
    Y = np.array([[0, 1, 1, 0]])
    AL = ACTIVATIONS["sigmoid"](Z)
    dA = -(Y / AL - (1 - Y) / (1 - AL)) / 4
    np.testing.assert_allclose(cross_entropy_gradient(AL, Y), dA * DERIVATIVES["sigmoid"](Z),
                               rtol=1e-12)


def test_cross_entropy_gradient_stays_finite_where_the_sigmoid_saturates():
    with np.errstate(all="raise"):
        dZ = cross_entropy_gradient(np.array([[0.0, 1.0]]), np.array([[1, 1]]))
    np.testing.assert_array_equal(dZ, [[-0.5, 0.0]])


def test_relu_slope_from_the_activation_equals_the_slope_from_Z():
    """The fast path multiplies by sign(relu(Z)), the contract by (Z > 0): the same products,
    signed zeros included; where Z is NaN the gradient's column is NaN already."""
    Z = np.array([[-0.0, 2.0, -1.0, np.inf, np.nan], [1.0, 0.0, 3.0, -np.inf, np.nan]])
    dA = np.array([[-1.0, 1.0, 2.0, -3.0, np.nan], [2.0, -1.0, -2.0, 1.0, np.nan]])
    with np.errstate(invalid="ignore"):
        fast = dA * np.sign(np.maximum(np.zeros_like(Z), Z))
    plain = dA * DERIVATIVES["relu"](Z)
    np.testing.assert_array_equal(fast, plain)
    np.testing.assert_array_equal(np.signbit(fast), np.signbit(plain))


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
        for (dW, db), (want_dW, want_db) in zip(grads, backward(want_AL, Y, caches)):
            np.testing.assert_array_equal(dW, want_dW, strict=True)
            np.testing.assert_array_equal(db, want_db, strict=True)


def test_passes_compute_the_bits_of_the_contract_where_the_sigmoid_saturates():
    """Large weights: exp overflows, AL is exactly 0 or 1, the cost inf, ReLU units off or huge."""
    layers = [(W * 300, b) for W, b in _network([3, 8, 8, 1], seed=5)]
    X, Y = _data(3, 25, seed=6)
    grads = [(np.empty_like(W), np.empty_like(b)) for W, b in layers]
    passes = Passes(X, Y, layers, grads)
    with np.errstate(over="ignore"):
        AL = passes.forward()
        passes.backward()
        want_AL, caches = forward(X, layers)
    assert np.all((AL == 0) | (AL == 1))
    np.testing.assert_array_equal(AL, want_AL, strict=True)
    for (dW, db), (want_dW, want_db) in zip(grads, backward(want_AL, Y, caches)):
        np.testing.assert_array_equal(dW, want_dW, strict=True)
        np.testing.assert_array_equal(db, want_db, strict=True)
