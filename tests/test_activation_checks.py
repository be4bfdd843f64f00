"""The checks of the activations notebook: they pass right answers and name each mistake."""

import math

import numpy as np
import pytest

from helpers.activation_checks import (
    check_propagate_structure, check_propagate_values, check_scale)
from helpers.network import relu, sigmoid


# --- scales ------------------------------------------------------------------------------

SIZES = [1, 4, 100, 1000]


def _expected(scheme):
    factor = 1 if scheme == "xavier" else 2
    return [math.sqrt(factor / n) for n in SIZES]


@pytest.mark.parametrize("scheme, right", [
    ("xavier", lambda n: np.sqrt(1 / n)),
    ("xavier", lambda n: 1 / math.sqrt(n)),
    ("he", lambda n: np.sqrt(2 / n)),
    ("he", lambda n: np.sqrt(2) / np.sqrt(n)),
])
def test_check_scale_passes_right_formulas(scheme, right):
    line = check_scale(right, SIZES, _expected(scheme), scheme=scheme)
    assert line.startswith("✓") and "(100) = " in line


@pytest.mark.parametrize("scheme, wrong, message", [
    ("xavier", lambda n: 1 / n, "is 1/n_prev, the variance"),
    ("he", lambda n: 2 / n, "is 2/n_prev, the variance"),
    ("he", lambda n: math.sqrt(1 / n), "is Xavier's scale sqrt(1/n_prev); this exercise asks for sqrt(2/n_prev)"),
    ("xavier", lambda n: math.sqrt(2 / n), "is He's scale sqrt(2/n_prev); this exercise asks for sqrt(1/n_prev)"),
    ("he", lambda n: math.sqrt(n / 2), "the fraction is upside down"),
    ("he", lambda n: 2 / math.sqrt(n), "the square root covers the whole fraction"),
    ("xavier", lambda n: np.sqrt(1 // n), "integer division"),
    ("xavier", lambda n: None, "returned None"),
    ("xavier", lambda n: np.full(n, 1 / math.sqrt(n)), "returned an array of shape (4,)"),
    ("he", lambda n: "0.1", None),
])
def test_check_scale_names_the_mistake(scheme, wrong, message):
    with pytest.raises(AssertionError) as error:
        check_scale(wrong, SIZES, _expected(scheme), scheme=scheme)
    if message:
        assert message in str(error.value)


def test_check_scale_rejects_unknown_scheme_and_length_mismatch():
    with pytest.raises(ValueError, match="unknown scheme 'glorot'"):
        check_scale(math.sqrt, [1], [1.0], scheme="glorot")
    with pytest.raises(ValueError, match="2 sizes but 1 expected values"):
        check_scale(math.sqrt, [1, 2], [1.0], scheme="he")


# --- propagation -------------------------------------------------------------------------

def right(X, hidden_sizes, weight_std, activation, rng):
    activations, A_prev = [], X
    for n in hidden_sizes:
        n_prev = A_prev.shape[0]
        W = rng.standard_normal((n, n_prev)) * weight_std(n_prev)
        A = activation(np.dot(W, A_prev))
        activations.append(A)
        A_prev = A
    return activations


def with_normal(X, hidden_sizes, weight_std, activation, rng):
    activations, A_prev = [], X
    for n in hidden_sizes:
        W = rng.normal(0, weight_std(A_prev.shape[0]), size=(n, A_prev.shape[0]))
        A_prev = activation(W @ A_prev)
        activations.append(A_prev)
    return activations


def reference(X, sizes, std, activation, seed):
    return right(X, sizes, std, activation, np.random.default_rng(seed))


X = np.linspace(-1.5, 2.0, 4 * 6).reshape(4, 6)
SIZES_ = [5, 3, 7]


def _values(function, sizes=SIZES_, activation=np.tanh, seed=3):
    std = lambda n: 1 / np.sqrt(n)  # noqa: E731
    return check_propagate_values(function, X, sizes, std, activation, seed,
                                  reference(X, sizes, std, activation, seed))


@pytest.mark.parametrize("function", [right, with_normal])
@pytest.mark.parametrize("activation", [np.tanh, relu, sigmoid])
def test_check_propagate_passes_right_answers(function, activation):
    std = lambda n: 1 / np.sqrt(n)  # noqa: E731
    assert check_propagate_structure(function, X, SIZES_, std, activation, seed=0).startswith("✓")
    assert _values(function, activation=activation).startswith("✓")


def _mistake(body):
    """A propagate function whose loop body is ``body`` (n, n_prev, A_prev, rng, ... in scope)."""
    namespace = {"np": np}
    source = ("def propagate_activations(X, hidden_sizes, weight_std, activation, rng):\n"
              "    activations = []\n    A_prev = X\n    for n in hidden_sizes:\n"
              "        n_prev = A_prev.shape[0]\n"
              + "".join(f"        {line}\n" for line in body.strip().splitlines())
              + "        activations.append(A)\n        A_prev = A\n    return activations\n")
    exec(source, namespace)
    return namespace["propagate_activations"]


@pytest.mark.parametrize("body, message", [
    ("W = rng.standard_normal((n, n_prev)) * weight_std(n)\nA = activation(np.dot(W, A_prev))",
     "weight_std was called with [5, 3, 7], each layer's own size; it takes n_prev"),
    ("W = rng.standard_normal((n, n_prev))\nA = activation(np.dot(W, A_prev))",
     "weight_std was never called"),
    ("W = np.random.randn(n, n_prev) * weight_std(n_prev)\nA = activation(np.dot(W, A_prev))",
     "no weights were drawn from rng; they came from NumPy's global generator"),
    ("W = rng.standard_normal((n_prev, n)).T * weight_std(n_prev)\nA = activation(np.dot(W, A_prev))",
     "W1 was drawn with shape (4, 5); draw it as (5, 4)"),
    ("W = rng.standard_normal((n, n_prev)) * weight_std(n_prev)\nA = np.dot(W, A_prev)",
     "activation was never called"),
    ("W = rng.standard_normal((n, n_prev)) * weight_std(n_prev)\n"
     "rng.standard_normal((n, n_prev))\nA = activation(np.dot(W, A_prev))",
     "6 normal draws from rng for 3 layers"),
    ("W = rng.standard_normal((n, n_prev)) * weight_std(n_prev)\n"
     "A = activation(np.dot(W, A_prev) + 0.1)",
     "layer 1's activations differ from the expected ones"),
])
def test_check_propagate_values_names_the_mistake(body, message):
    with pytest.raises(AssertionError) as error:
        _values(_mistake(body))
    assert message in str(error.value)


def test_check_propagate_values_spots_inputs_fed_to_every_layer():
    def from_X(X, hidden_sizes, weight_std, activation, rng):
        return [activation(np.dot(rng.standard_normal((n, X.shape[0])) * weight_std(X.shape[0]), X))
                for n in hidden_sizes]
    sizes = [4, 4, 4]  # square layers, so that the shapes do not give it away
    with pytest.raises(AssertionError, match="layer 1 is right but layer 2 is not"):
        _values(from_X, sizes=sizes)


def test_check_propagate_values_spots_a_reused_weight_matrix():
    def once(X, hidden_sizes, weight_std, activation, rng):
        W = rng.standard_normal((4, 4)) * weight_std(4)
        out, A = [], X
        for _ in hidden_sizes:
            A = activation(W @ A)
            out.append(A)
        return out
    with pytest.raises(AssertionError, match="1 normal draws from rng for 3 layers"):
        _values(once, sizes=[4, 4, 4])


def test_check_propagate_values_spots_inputs_changed_in_place():
    def in_place(X, hidden_sizes, weight_std, activation, rng):
        out = right(X, hidden_sizes, weight_std, activation, rng)
        X *= 0
        return out
    # The activations are right; changing the caller's X is still a mistake.
    with pytest.raises(AssertionError, match="X was changed in place") as error:
        _values(in_place)
    assert "differ" not in str(error.value)


@pytest.mark.parametrize("returned, message", [
    (lambda acts, X: acts[-1], "not a list"),
    (lambda acts, X: [X] + acts, "is the input X in the list?"),
    (lambda acts, X: acts[-1:], "append each layer's activations inside the loop"),
    (lambda acts, X: [a.T for a in acts], "one row per unit and one column per example"),
    (lambda acts, X: [a.tolist() for a in acts], "not a NumPy array"),
])
def test_check_propagate_structure_names_the_mistake(returned, message):
    def function(X_, hidden_sizes, weight_std, activation, rng):
        return returned(right(X_, hidden_sizes, weight_std, activation, rng), X_)
    with pytest.raises(AssertionError) as error:
        check_propagate_structure(function, X, SIZES_, lambda n: 0.5, np.tanh, seed=0)
    assert message in str(error.value)


def test_checks_do_not_print_or_touch_the_global_generator(capsys):
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    _values(right)
    check_scale(lambda n: math.sqrt(2 / n), [3], [math.sqrt(2 / 3)], scheme="he")
    assert capsys.readouterr() == ("", "")
    np.testing.assert_array_equal(np.random.get_state()[1], state)


# --- a function under test that attacks the checks while they call it ----------------------

def test_check_scale_refuses_a_float_subclass_that_lies():
    class Agreeable(float):
        def __eq__(self, other):
            return True

    with pytest.raises(AssertionError, match=r"Agreeable, a subclass of float \(refused by the checks"):
        check_scale(lambda n: Agreeable(0.5), SIZES, _expected("he"), scheme="he")


def test_check_propagate_refuses_patching_numpy_during_the_call():
    allclose = np.allclose

    def cheat(X, hidden_sizes, weight_std, activation, rng):
        np.allclose = lambda *args, **kwargs: True
        return [np.zeros((n, X.shape[1])) for n in hidden_sizes]

    with pytest.raises(AssertionError, match=r"refused by the checks: while it ran.*numpy.allclose"):
        _values(cheat)
    assert np.allclose is allclose


def test_check_propagate_refuses_a_lying_subclass():
    class Agreeable(np.ndarray):
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return True

    def liar(X, hidden_sizes, weight_std, activation, rng):
        return [np.zeros((n, X.shape[1])).view(Agreeable) for n in hidden_sizes]

    with pytest.raises(AssertionError, match=r"layer 1's activations is a Agreeable, a subclass"):
        _values(liar)
