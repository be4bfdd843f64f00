"""Checks of the activations notebook's exercises, with messages that name the likely mistake.

As in :mod:`helpers.checks`, a check calls the student's function itself and
raises ``AssertionError`` with a message in the lesson's words when something
is wrong; on success it returns a one-line summary to print. Checks never
print, plot or warn. Expected values are passed in by the caller: this module
holds only the rules the exercises state (the two scale formulas, the shapes,
one weight draw per layer from the generator given).

The student's function gets the real thing for every argument (a
``numpy.random.Generator``, the caller's functions). To say *why* activations
are wrong, :func:`values_verdict` recomputes from the inputs what the
usual mistakes give (draws transposed, the scale of the wrong layer, no
activation, ...) and names the one that matches: a judgement on returned values
only, which the grader makes the same way on what its judge process observed.

The propagation's functions have the names every check module gives these roles
(:func:`observe`, :func:`structure_verdict`, :func:`values_verdict`, :func:`where`,
see :mod:`helpers._checking`); the scales' are :func:`scale_verdict`,
:func:`scale_header` and :func:`scale_pass_line`.
"""

import math

import numpy as np

from . import plain
from ._checking import RTOL, Problem, again_problems, close, failure, function_name as _name
from ._checking import observe_twice, raise_problems as _raise, raised_problem, refuse_reaching
from ._checking import spoiled_problems
from .plain import Other, type_name
from .initializers import SCALES

__all__ = ["SCALES", "check_scale", "check_propagate_structure", "check_propagate_values",
           "scale_verdict", "scale_problem", "scale_header", "scale_pass_line", "observe",
           "structure_verdict", "values_verdict", "where", "failure", "structure_pass_line",
           "values_pass_line"]

# SCALES (helpers.initializers): each scheme's scale as a function of n_prev, and its formula.

# Values students return by mistake: (name, value(n_prev), explanation).
_CODES = {"xavier": "xavier_scale", "he": "he_scale", "variance 1": "variance_not_std",
          "variance 2": "variance_not_std", "inverted 1": "inverted_fraction",
          "inverted 2": "inverted_fraction", "root of numerator": "sqrt_of_numerator",
          "zero": "integer_division"}

_MISTAKEN_SCALES = [
    ("xavier", SCALES["xavier"][0], f"is Xavier's scale {SCALES['xavier'][1]}"),
    ("he", SCALES["he"][0], f"is He's scale {SCALES['he'][1]}"),
    ("variance 1", lambda n: 1 / n,
     "is 1/n_prev, the variance: the standard deviation is its square root"),
    ("variance 2", lambda n: 2 / n,
     "is 2/n_prev, the variance: the standard deviation is its square root"),
    ("inverted 1", lambda n: math.sqrt(n),
     "is sqrt(n_prev): the fraction is upside down, n_prev goes below the line"),
    ("inverted 2", lambda n: math.sqrt(n / 2),
     "is sqrt(n_prev/2): the fraction is upside down, n_prev goes below the line"),
    ("root of numerator", lambda n: 2 / math.sqrt(n),
     "is 2/sqrt(n_prev): the square root covers the whole fraction, sqrt(2/n_prev)"),
    ("zero", lambda n: 0.0,
     "is 0: is it integer division? 1 // n_prev and 2 // n_prev are 0 for large n_prev"),
]


def check_scale(scale, n_prevs, expected, *, scheme, rtol=RTOL):
    """Check ``scale(n_prev)`` for every ``n_prev`` against ``expected``.

    Parameters
    ----------
    scale : callable
        The student's function of the previous layer's size.
    n_prevs : list of int
    expected : list of float
        The right value for each ``n_prev``.
    scheme : {"xavier", "he"}
        The rule the exercise asks for, used to explain a wrong value.
    rtol : float, default=1e-6

    Returns
    -------
    str
        A pass line for the notebook to print.
    """
    __tracebackhide__ = True
    refuse_reaching(scale)
    if scheme not in SCALES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {', '.join(SCALES)}")
    if len(n_prevs) != len(expected):
        raise ValueError(f"{len(n_prevs)} sizes but {len(expected)} expected values")
    n_prevs, expected = [int(n) for n in n_prevs], [float(e) for e in expected]
    outcomes = [plain.call(scale, n) for n in n_prevs]
    problems = scale_verdict(_name(scale), n_prevs, outcomes, expected, scheme, rtol=rtol)
    _raise(scale_header(_name(scale), scheme), problems)
    return scale_pass_line(_name(scale), n_prevs, outcomes)


def scale_header(name, scheme):
    """The first line of a failing :func:`check_scale`'s message."""
    return f"{name} should return {SCALES[scheme][1]}"


def scale_pass_line(name, n_prevs, outcomes):
    """What :func:`check_scale` prints when every value is right."""
    shown = ", ".join(f"{name}({n}) = {float(_number(o['returned'])):.6g}"
                      for n, o in zip(n_prevs, outcomes))
    return f"✓ {shown}"


def scale_verdict(name, n_prevs, outcomes, expected, scheme, *, rtol=RTOL):
    """The problems of the outcomes of ``name(n)`` for each ``n`` in ``n_prevs`` (empty: right)."""
    rule = SCALES[scheme][1]
    problems = []
    for n, outcome, want in zip(n_prevs, outcomes, expected):
        problem = scale_problem(outcome, want, n, scheme, rule, rtol)
        if problem:
            problems.append(Problem(problem.code, f"{name}({n}) {problem}"))
    return problems


def _number(value):
    """A one-element plain array as its number; other values unchanged."""
    if type(value) is np.ndarray and value.size == 1:
        return value.reshape(()).item()
    return value


def scale_problem(outcome, want, n, scheme, rule, rtol=RTOL):
    """What is wrong with one outcome of the scale function (None: right)."""
    if "raised" in outcome:
        raised = raised_problem(outcome)
        return Problem(raised.code, raised.replace("calling it raised", "raised", 1))
    got = outcome["returned"]
    if got is None:
        return Problem("returned_none", "returned None: end the function with `return` and "
                       "the value")
    if type(got) is np.ndarray and got.size != 1:
        return Problem("not_a_number", f"returned an array of shape {got.shape}; the scale "
                       f"is one number for the whole layer")
    got = _number(got)
    if type(got) not in (int, float, bool):
        if isinstance(got, Other) and got.base in ("float", "int", "ndarray"):
            return Problem("subclass", f"returned a {got.type}, a subclass of {got.base}: "
                           f"return a plain number, as np.sqrt or math.sqrt gives")
        return Problem("not_a_number", f"returned {type_name(got)}, not a number")
    value = float(got)
    if math.isclose(value, want, rel_tol=rtol):
        return None
    for name, mistaken, explanation in _MISTAKEN_SCALES:
        candidate = mistaken(n)
        if name != scheme and math.isclose(value, candidate, rel_tol=rtol, abs_tol=1e-15):
            return Problem(_CODES[name], f"= {value:.6g}, which {explanation}; this exercise "
                           f"asks for {rule}")
    return Problem("wrong_value", f"= {value:.6g} but {rule} = {want:.6g}")


# --- propagation -------------------------------------------------------------------------

def observe(propagate, X, hidden_sizes, weight_std, activation, seed):
    """What ``propagate`` does, as plain data: called twice, as the grader calls it.

    Each call gets a copy of ``X`` (in shared memory, as the grader hands it:
    :func:`helpers.plain.shared_arrays`), the same list ``hidden_sizes`` (so that a
    function that changes it in place shows it the second time), the caller's
    ``weight_std`` and ``activation``, and a new ``np.random.default_rng(seed)``;
    what the first call returned is spoiled before the second
    (:func:`helpers.plain.call_again`).

    Returns
    -------
    dict
        ``"call"`` and ``"again"``: the outcomes (see :func:`helpers.plain.call`), a
        tuple result as a list; ``"changed"``: ``["X"]`` if the input was changed in
        place, else ``[]``.
    """
    _block, (X_given,) = plain.shared_arrays([np.array(X, dtype=float)])
    sizes = list(hidden_sizes)

    def args():
        return (X_given, sizes, weight_std, activation, np.random.default_rng(seed))

    return observe_twice(propagate, args(), args(), (X_given,), ("X",))


def _structure_problems(output, X_shape, hidden_sizes):
    L, m = len(hidden_sizes), X_shape[1]
    if type(output) is not list:
        if isinstance(output, Other) and output.base in ("list", "tuple"):
            return [Problem("subclass", f"the result is a {output.type}, a subclass of "
                            f"{output.base}: return a plain list")]
        return [Problem("not_a_list", f"it returned {type_name(output)}, not a list: return "
                        f"the list `activations`, one array per hidden layer")]
    if len(output) != L:
        code, hint = "layer_count", ""
        if len(output) == L + 1:
            code, hint = "input_in_list", (": is the input X in the list? It holds the hidden "
                                           "layers' activations only")
        elif len(output) <= 1 < L:
            code, hint = "append_outside_loop", ": append each layer's activations inside the loop"
        return [Problem(code, f"it returned {len(output)} arrays for {L} hidden layers{hint}")]
    problems = []
    for l, (A, n) in enumerate(zip(output, hidden_sizes), start=1):
        shape = A.shape if type(A) is np.ndarray or (
            isinstance(A, Other) and A.type == "ndarray" and A.base is None) else None
        if shape is None:
            if isinstance(A, Other) and A.base == "ndarray":
                problems.append(Problem("subclass", f"layer {l}'s activations are a {A.type}, "
                                        f"a subclass of ndarray: return plain NumPy arrays"))
            else:
                problems.append(Problem("not_an_array", f"layer {l}'s activations are a "
                                        f"{type_name(A)}, not a NumPy array"))
        elif shape != (n, m):
            message = f"layer {l}'s activations have shape {shape} but should be {(n, m)}"
            if shape == (m, n):
                problems.append(Problem("transposed_shape", message + ": one row per unit and "
                                        "one column per example, Z = np.dot(W, A_prev) with W "
                                        "of shape (n_l, n_prev)"))
            else:
                problems.append(Problem("wrong_shape", message))
        elif type(A) is not np.ndarray or A.dtype.kind != "f":
            dtype = A.dtype if type(A) is np.ndarray else A.dtype
            problems.append(Problem("not_floats", f"layer {l}'s activations have dtype "
                                    f"{dtype}, not floats"))
    return problems


def where(name, X_shape, hidden_sizes):
    """How a check names the call it made, e.g. ``propagate_activations(X of shape (2, 4), [3])``."""
    return f"{name}(X of shape {tuple(X_shape)}, {list(hidden_sizes)})"


def structure_verdict(observation, X_shape, hidden_sizes):
    """The problems of an :func:`observe` observation's structure (empty: right)."""
    outcome = observation["call"]
    if "raised" in outcome:
        return [raised_problem(outcome)]
    return spoiled_problems(outcome) or \
        _structure_problems(outcome["returned"], tuple(X_shape), hidden_sizes) or \
        again_problems(observation, lambda again: structure_verdict(
            {"call": again}, X_shape, hidden_sizes))


def values_verdict(observation, X, hidden_sizes, expected, *, weight_std, activation, seed,
                   rtol=RTOL):
    """The problems of an :func:`observe` observation's values (empty: right).

    Parameters
    ----------
    observation : dict
        From :func:`observe`, in the notebook, or built by the grader from
        what its judge process observed.
    X : ndarray of shape (n_0, m)
        The input the function was given.
    hidden_sizes : list of int
    expected : list of ndarray
        The right activations of each layer.
    weight_std, activation : callable
        The scale and activation the function was given.
    seed : int
        The seed of the generator it was given.
    """
    problems = structure_verdict(observation, np.shape(X), hidden_sizes)
    if problems:
        return problems
    X = np.asarray(X, dtype=float)
    given = (weight_std, activation, seed, rtol)
    again = observation.get("again") or {}
    varies = "returned" in again and not _same(again["returned"], observation["call"]["returned"])
    with plain.quiet():
        problems = _value_problems(observation["call"]["returned"], expected, X, hidden_sizes,
                                   *given, varies=varies)
    if "X" in observation.get("changed", ()):
        problems.append(Problem("changed_input", "X was changed in place: compute new arrays, "
                                "leave the input alone"))
    return problems or again_problems(observation, lambda again: values_verdict(
        {"call": again}, X, hidden_sizes, expected, weight_std=weight_std,
        activation=activation, seed=seed, rtol=rtol))


def structure_pass_line(name, X_shape, hidden_sizes, output):
    """What :func:`check_propagate_structure` prints when the structure is right."""
    return (f"✓ {where(name, X_shape, hidden_sizes)}: one array per layer, shapes "
            f"{', '.join(str(A.shape) for A in output)}")


def values_pass_line(name, X_shape, hidden_sizes):
    """What :func:`check_propagate_values` prints when the values are right."""
    return f"✓ {where(name, X_shape, hidden_sizes)}: every layer's activations are right"


def check_propagate_structure(propagate, X, hidden_sizes, weight_std, activation, seed):
    """Check that ``propagate`` returns one (n_l, m) array per hidden layer.

    Parameters
    ----------
    propagate : callable
        ``propagate(X, hidden_sizes, weight_std, activation, rng)``.
    X : ndarray of shape (n_0, m)
    hidden_sizes : list of int
    weight_std : callable
        Standard deviation of a layer's weights as a function of n_prev.
    activation : callable
    seed : int
        Seed of the generator handed to ``propagate`` (``np.random.default_rng(seed)``).

    Returns
    -------
    str
        A pass line for the notebook to print.
    """
    __tracebackhide__ = True
    refuse_reaching(propagate)
    observation = observe(propagate, X, hidden_sizes, weight_std, activation, seed)
    name = _name(propagate)
    _raise(where(name, np.shape(X), hidden_sizes),
           structure_verdict(observation, np.shape(X), hidden_sizes))
    return structure_pass_line(name, np.shape(X), hidden_sizes, observation["call"]["returned"])


def check_propagate_values(propagate, X, hidden_sizes, weight_std, activation, seed,
                           expected, *, rtol=RTOL):
    """Check every layer's activations against ``expected``, explaining differences.

    Parameters
    ----------
    propagate, X, hidden_sizes, weight_std, activation, seed
        As in :func:`check_propagate_structure`.
    expected : list of ndarray
        The right activations of each layer, for ``rng = np.random.default_rng(seed)``.
    rtol : float, default=1e-6

    Returns
    -------
    str
        A pass line for the notebook to print.
    """
    __tracebackhide__ = True
    refuse_reaching(propagate)
    expected = [np.array(A, dtype=float) for A in expected]
    X = np.array(X, dtype=float)
    observation = observe(propagate, X, hidden_sizes, weight_std, activation, seed)
    name = _name(propagate)
    _raise(where(name, X.shape, hidden_sizes),
           values_verdict(observation, X, hidden_sizes, expected, weight_std=weight_std,
                          activation=activation, seed=seed, rtol=rtol))
    return values_pass_line(name, X.shape, hidden_sizes)


def _same(a, b):
    """Whether two results (lists of arrays, plain data) hold the same arrays."""
    return (type(a) is list and type(b) is list and len(a) == len(b) and all(
        type(x) is np.ndarray and type(y) is np.ndarray and x.shape == y.shape
        and np.array_equal(x, y, equal_nan=x.dtype.kind == "f") for x, y in zip(a, b)))


def _value_problems(output, expected, X, hidden_sizes, weight_std, activation, seed, rtol, *,
                    varies=False):
    wrong = [l for l, (A, want) in enumerate(zip(output, expected), start=1)
             if not close(A, np.asarray(want, dtype=float), rtol)]
    if not wrong:
        return []
    if varies:   # the same inputs and a new generator of the same seed: other results
        return [Problem(_MISTAKES[-1][0], _MISTAKES[-1][1])]
    for code, explanation, variant in _MISTAKES:
        try:
            candidate = _propagation(X, hidden_sizes, weight_std, activation, seed, **variant)
        except (ValueError, TypeError, ArithmeticError):
            continue    # this mistake cannot be made with these sizes
        if candidate is not None and all(close(A, c, rtol) for A, c in zip(output, candidate)):
            return [Problem(code, explanation)]
    first = wrong[0]
    if first > 1:
        return [Problem("input_not_updated", f"layer 1 is right but layer {first} is not: "
                        f"each layer's input is the previous layer's activations (update "
                        f"A_prev in the loop), not X")]
    return [Problem("wrong_values", "layer 1's activations differ from the expected ones: "
                    "draw W with rng.standard_normal((n_l, n_prev)) from the generator passed "
                    "in, multiply it by weight_std(n_prev), then A = activation(np.dot(W, "
                    "A_prev)) with no bias")]


# The usual mistakes, recomputed from the inputs: (code, explanation, how it computes).
_MISTAKES = [
    ("transposed_draws", "the weights were drawn with shape (n_prev, n_l) and transposed: "
     "draw each W as rng.standard_normal((n_l, n_prev)) (this layer's units, the previous "
     "layer's), so that the draws land where the generator puts them", {"transposed": True}),
    ("std_of_n", "weight_std was given each layer's own size; it takes n_prev, the previous "
     "layer's size", {"std_of": "n"}),
    ("std_not_applied", "the weights are not scaled: multiply each W by weight_std(n_prev), "
     "the scale of the experiment", {"std_of": None}),
    ("no_activation", "activation was not applied: each layer's output is activation(Z), "
     "the function passed in", {"activate": False}),
    ("extra_draws", "rng was drawn from more than once per layer: draw exactly one W per "
     "layer, rng.standard_normal((n_l, n_prev)), and nothing else", {"draws": 2}),
    ("one_draw", "the same W was used for every layer: draw a new W per layer, inside the loop",
     {"draws": 0}),
    ("global_generator", "the weights were drawn from NumPy's global generator (np.random) "
     "or a generator of its own, not from rng: draw each W with rng.standard_normal((n_l, "
     "n_prev)), the generator passed in, so that the results are reproducible",
     {"fresh_rng": True}),
]


def _propagation(X, hidden_sizes, weight_std, activation, seed, *, transposed=False,
                 std_of="n_prev", activate=True, fresh_rng=False, draws=1):
    """The activations a propagation gives, right or with one of :data:`_MISTAKES`.

    ``draws``: weight matrices drawn per layer (the first used; 0: one for all layers).
    """
    if fresh_rng:
        return None   # draws from elsewhere cannot be recomputed: named only by elimination
    rng, A, activations, W = np.random.default_rng(seed), X, [], None
    for n in hidden_sizes:
        n_prev = A.shape[0]
        if W is None or draws:
            W = (rng.standard_normal((n_prev, n)).T if transposed
                 else rng.standard_normal((n, n_prev)))
            for _ in range(draws - 1):
                rng.standard_normal((n, n_prev))
        scaled = W if std_of is None else W * float(weight_std(n_prev if std_of == "n_prev"
                                                               else n))
        Z = np.dot(scaled, A)
        A = activation(Z) if activate else Z
        activations.append(A)
    return activations
