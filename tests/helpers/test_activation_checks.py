"""The checks of the activations notebook: they pass right answers and name each mistake."""

import math

import numpy as np
import pytest

from helpers.plain import Other
from helpers.activation_checks import (
    check_propagate_structure, check_propagate_values, check_scale, scale_problem, structure_verdict,
    values_verdict)
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
    ("he", lambda n: "0.1", "returned str, not a number"),
    ("he", lambda n: np.float64(np.nan), "= nan but sqrt(2/n_prev) = 1.41421"),
])
def test_check_scale_names_the_mistake(scheme, wrong, message):
    with pytest.raises(AssertionError) as error:
        check_scale(wrong, SIZES, _expected(scheme), scheme=scheme)
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
     "weight_std was given each layer's own size; it takes n_prev"),
    ("W = rng.standard_normal((n, n_prev))\nA = activation(np.dot(W, A_prev))",
     "the weights are not scaled: multiply each W by weight_std(n_prev)"),
    ("W = np.random.randn(n, n_prev) * weight_std(n_prev)\nA = activation(np.dot(W, A_prev))",
     "the weights were drawn from NumPy's global generator (np.random) or a generator of its "
     "own, not from rng"),
    ("W = rng.standard_normal((n_prev, n)).T * weight_std(n_prev)\nA = activation(np.dot(W, A_prev))",
     "the weights were drawn with shape (n_prev, n_l) and transposed"),
    ("W = rng.standard_normal((n, n_prev)) * weight_std(n_prev)\nA = np.dot(W, A_prev)",
     "activation was not applied"),
    ("W = rng.standard_normal((n, n_prev)) * weight_std(n_prev)\n"
     "rng.standard_normal((n, n_prev))\nA = activation(np.dot(W, A_prev))",
     "rng was drawn from more than once per layer"),
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
    with pytest.raises(AssertionError, match="the same W was used for every layer"):
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


# --- subclasses and raising functions: failed, with a message that names them -------------

def test_check_scale_fails_a_float_subclass_and_names_it():
    class Agreeable(float):
        def __eq__(self, other):
            return True

    def he_scale(n_prev):
        return Agreeable(math.sqrt(2 / n_prev))

    with pytest.raises(AssertionError) as error:
        check_scale(he_scale, SIZES, _expected("he"), scheme="he")
    assert ("he_scale(1) returned a Agreeable, a subclass of float: return a plain number, "
            "as np.sqrt or math.sqrt gives") in str(error.value)


def test_check_scale_reports_a_stub_that_was_not_filled_in():
    def xavier_scale(n_prev):
        raise NotImplementedError()

    with pytest.raises(AssertionError) as error:
        check_scale(xavier_scale, [100, 4], [0.1, 0.5], scheme="xavier")
    assert str(error.value) == (
        "xavier_scale should return sqrt(1/n_prev):\n"
        + "".join(f"  - xavier_scale({n}) raised NotImplementedError: write your code between "
                  f"START CODE HERE and END CODE HERE, in place of the raise line\n"
                  for n in (100, 4)).rstrip("\n"))


def test_check_propagate_reports_a_stub_that_was_not_filled_in():
    def propagate_activations(X, hidden_sizes, weight_std, activation, rng):
        raise NotImplementedError()

    for check in (lambda: _values(propagate_activations),
                  lambda: check_propagate_structure(propagate_activations, X, SIZES_,
                                                    lambda n: 0.5, np.tanh, seed=0)):
        with pytest.raises(AssertionError) as error:
            check()
        assert str(error.value) == (
            "propagate_activations(X of shape (4, 6), [5, 3, 7]):\n  - calling it raised "
            "NotImplementedError: write your code between START CODE HERE and END CODE HERE, "
            "in place of the raise line")


def test_check_propagate_reports_any_other_exception_with_its_message():
    def propagate_activations(X, hidden_sizes, weight_std, activation, rng):
        return [np.dot(rng.standard_normal((n, n)), X) for n in hidden_sizes]

    with pytest.raises(AssertionError, match=r"calling it raised ValueError: shapes \(5,5\) "
                                             r"and \(4,6\) not aligned"):
        _values(propagate_activations)


def test_check_propagate_fails_an_ndarray_subclass_and_names_it():
    class Agreeable(np.ndarray):
        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return True

    def liar(X, hidden_sizes, weight_std, activation, rng):
        return [a.view(Agreeable) for a in right(X, hidden_sizes, weight_std, activation, rng)]

    with pytest.raises(AssertionError, match=r"layer 1's activations are a Agreeable, a "
                                             r"subclass of ndarray: return plain NumPy arrays"):
        _values(liar)


def test_check_propagate_fails_a_list_subclass_and_names_it():
    class Recording(list):
        pass

    def liar(X, hidden_sizes, weight_std, activation, rng):
        return Recording(right(X, hidden_sizes, weight_std, activation, rng))

    with pytest.raises(AssertionError, match=r"the result is a Recording, a subclass of list: "
                                             r"return a plain list"):
        check_propagate_structure(liar, X, SIZES_, lambda n: 0.5, np.tanh, seed=0)


def test_check_propagate_accepts_a_tuple_of_arrays():
    def as_tuple(X, hidden_sizes, weight_std, activation, rng):
        return tuple(right(X, hidden_sizes, weight_std, activation, rng))

    assert _values(as_tuple).startswith("✓")


# --- the verdicts on plain data: what the grader judges ----------------------------------

def _record(returned, **changes):
    return {"call": {"returned": returned}, "again": None, "changed": [], **changes}


def _std(n):
    return 1 / np.sqrt(n)


def _wrong():
    return [A * 0.5 for A in reference(X, SIZES_, _std, np.tanh, 3)]


def _expected_values():
    return reference(X, SIZES_, _std, np.tanh, 3)


def _verdict(record):
    return values_verdict(record, X, SIZES_, _expected_values(), weight_std=_std,
                          activation=np.tanh, seed=3)


def test_values_verdict_names_values_it_cannot_explain():
    problems = _verdict(_record(_wrong()))
    assert [p.code for p in problems] == ["wrong_values"], problems


def test_values_verdict_names_results_that_change_between_calls():
    problems = _verdict(_record(_wrong(), again={"returned": [A * 2 for A in _wrong()]}))
    assert [p.code for p in problems] == ["global_generator"], problems


def test_values_verdict_names_an_input_changed_in_place():
    problems = _verdict(_record(_expected_values(), changed=["X"]))
    assert [p.code for p in problems] == ["changed_input"], problems
    assert problems[0].startswith("X was changed in place")


def test_values_verdict_empty_for_right_values():
    assert _verdict(_record(_expected_values())) == []


def test_values_verdict_names_a_list_returned_again_spoiled():
    again = [np.full_like(A, np.nan) for A in _expected_values()] + ["__spoiled__"]
    problems = _verdict(_record(_expected_values(), again={"returned": again}))
    assert [p.code for p in problems] == ["reused_result"]


def test_check_propagate_passes_a_generator_used_as_numpy_documents():
    """default_rng(rng) returns the generator itself: a right answer may call it."""
    def through_default_rng(X, hidden_sizes, weight_std, activation, rng):
        return right(X, hidden_sizes, weight_std, activation, np.random.default_rng(rng))

    assert _values(through_default_rng).startswith("✓")


def test_check_propagate_fails_a_function_that_changes_its_list_in_place():
    def reverses(X, hidden_sizes, weight_std, activation, rng):
        hidden_sizes.reverse()
        return right(X, hidden_sizes[::-1], weight_std, activation, rng)

    with pytest.raises(AssertionError, match="called a second time with the same arguments"):
        check_propagate_structure(reverses, X, SIZES_, _std, np.tanh, seed=0)


@pytest.mark.parametrize("A, message", [
    (Other("ndarray", shape=(5, 6), dtype="complex128"), "layer 1's activations have dtype "
                                                         "complex128, not floats"),
    (Other("ndarray", base="ndarray", shape=(5, 6)), "layer 1's activations are a ndarray, a "
                                                     "subclass of ndarray: return plain NumPy "
                                                     "arrays"),
    (np.zeros((5, 6), dtype=int), "layer 1's activations have dtype int64, not floats"),
])
def test_structure_verdict_names_an_unheld_array(A, message):
    output = [A, *_expected_values()[1:]]
    assert structure_verdict(_record(output), X.shape, SIZES_) == [message]


@pytest.mark.parametrize("outcome, problem", [
    ({"returned": float("nan")}, "= nan but sqrt(2/n_prev) = 1.41421"),
    ({"returned": np.array([[1.4142135623730951]])}, None),
    ({"returned": np.array([1.0, 2.0])}, "returned an array of shape (2,); the scale is one "
                                         "number for the whole layer"),
    ({"returned": Other("Decimal")}, "returned Decimal, not a number"),
    ({"raised": "ZeroDivisionError: division by zero"},
     "raised ZeroDivisionError: division by zero"),
])
def test_scale_problem_on_plain_data(outcome, problem):
    assert scale_problem(outcome, math.sqrt(2), 1, "he", "sqrt(2/n_prev)") == problem
