"""Checks of the activations notebook's exercises, with messages that name the likely mistake.

As in :mod:`helpers.checks`, a check calls the student's function itself and
raises ``AssertionError`` with a message in the lesson's words when something
is wrong; on success it returns a one-line summary to print. Checks never
print, plot or warn. Expected values are passed in by the caller: this module
holds only the rules the exercises state (the two scale formulas, the shapes,
one weight draw per layer from the generator given).

To say *why* activations are wrong, :func:`observe_propagate` hands the
student's function instrumented stand-ins for its ``weight_std``,
``activation`` and ``rng`` arguments that record how they were called. What it
returns, and the recordings, are plain data (:mod:`helpers._plain`), judged by
:func:`scale_problem`, :func:`propagate_structure_verdict` and
:func:`propagate_values_verdict`; the grader judges what a kernel sends it with
the same functions.
"""

import math

import numpy as np

from . import _plain
from ._checking import failure, function_name as _name, raise_problems as _raise, raised_problem
from ._plain import Other, type_name
from .initializers import SCALES

__all__ = ["SCALES", "check_scale", "check_propagate_structure", "check_propagate_values",
           "observe_propagate", "scale_problem", "propagate_structure_verdict",
           "propagate_values_verdict", "failure"]

# SCALES (helpers.initializers): each scheme's scale as a function of n_prev, and its formula.

# Values students return by mistake: (name, value(n_prev), explanation).
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

RTOL = 1e-6


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
    if scheme not in SCALES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {', '.join(SCALES)}")
    if len(n_prevs) != len(expected):
        raise ValueError(f"{len(n_prevs)} sizes but {len(expected)} expected values")
    n_prevs, expected = [int(n) for n in n_prevs], [float(e) for e in expected]
    outcomes = [_plain.call(scale, n) for n in n_prevs]
    problems = scale_problems(_name(scale), n_prevs, outcomes, expected, scheme, rtol=rtol)
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


def scale_problems(name, n_prevs, outcomes, expected, scheme, *, rtol=RTOL):
    """The problems of the outcomes of ``name(n)`` for each ``n`` in ``n_prevs`` (empty: right)."""
    rule = SCALES[scheme][1]
    problems = []
    for n, outcome, want in zip(n_prevs, outcomes, expected):
        problem = scale_problem(outcome, want, n, scheme, rule, rtol)
        if problem:
            problems.append(f"{name}({n}) {problem}")
    return problems


def _number(value):
    """A one-element plain array as its number; other values unchanged."""
    if type(value) is np.ndarray and value.size == 1:
        return value.reshape(()).item()
    return value


def scale_problem(outcome, want, n, scheme, rule, rtol=RTOL):
    """What is wrong with one outcome of the scale function (None: right)."""
    if "raised" in outcome:
        return raised_problem(outcome).replace("calling it raised", "raised", 1)
    got = outcome["returned"]
    if got is None:
        return "returned None: end the function with `return` and the value"
    if type(got) is np.ndarray and got.size != 1:
        return (f"returned an array of shape {got.shape}; the scale is one number "
                f"for the whole layer")
    got = _number(got)
    if type(got) not in (int, float, bool):
        if isinstance(got, Other) and got.base in ("float", "int", "ndarray"):
            return (f"returned a {got.type}, a subclass of {got.base}: return a plain "
                    f"number, as np.sqrt or math.sqrt gives")
        return f"returned {type_name(got)}, not a number"
    value = float(got)
    if math.isclose(value, want, rel_tol=rtol):
        return None
    for name, mistaken, explanation in _MISTAKEN_SCALES:
        candidate = mistaken(n)
        if name != scheme and math.isclose(value, candidate, rel_tol=rtol, abs_tol=1e-15):
            return f"= {value:.6g}, which {explanation}; this exercise asks for {rule}"
    return f"= {value:.6g} but {rule} = {want:.6g}"


# --- propagation -------------------------------------------------------------------------

class _RecordingGenerator:
    """Stands in for a ``numpy.random.Generator`` and records the shape of every draw."""

    _SIZE_POSITION = {"standard_normal": 0, "normal": 2, "random": 0, "uniform": 2,
                      "integers": 2}

    def __init__(self, seed):
        self._rng = np.random.default_rng(seed)
        self.draws = []  # (method name, shape)

    def __getattr__(self, name):
        method = getattr(self._rng, name)
        if not callable(method):
            return method

        def recorded(*args, **kwargs):
            size = kwargs.get("size")
            position = self._SIZE_POSITION.get(name)
            if size is None and position is not None and len(args) > position:
                size = args[position]
            try:
                shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size or ())
            except (TypeError, ValueError):
                shape = ()
            self.draws.append((name, _plain.plain(shape)))
            return method(*args, **kwargs)

        return recorded


class _Recorder:
    """Wraps a function and records the arguments of every call."""

    def __init__(self, function):
        self.function = function
        self.calls = []
        self.__name__ = _name(function)

    def __call__(self, *args, **kwargs):
        self.calls.append(_plain.plain((args + tuple(kwargs.values()))[:1]))
        return self.function(*args, **kwargs)


def observe_propagate(propagate, X, hidden_sizes, weight_std, activation, seed):
    """Run the student's function with recording stand-ins; return what happened, as plain data.

    Returns
    -------
    dict
        ``"call"``: the outcome (see :func:`helpers._plain.call`); ``"draws"``: the
        ``[method, shape]`` of every draw from ``rng``; ``"std_args"``: the first
        argument of every call of ``weight_std``; ``"activation_calls"``: how many
        times ``activation`` was called; ``"X_after"``: the input as it was after the
        call; ``"global_used"``: whether NumPy's global generator moved.
    """
    rng = _RecordingGenerator(seed)
    std, act = _Recorder(weight_std), _Recorder(activation)
    X_given = np.array(X, dtype=float)
    keys, position = np.random.get_state()[1:3]
    global_state = (keys.copy(), position)   # the keys change only every 624 draws
    outcome = _plain.call(propagate, X_given, list(hidden_sizes), std, act, rng)
    if "returned" in outcome and type(outcome["returned"]) is tuple:
        outcome["returned"] = list(outcome["returned"])
    return {
        "call": outcome, "draws": [list(d) for d in rng.draws],
        "std_args": [args[0] if args else None for args in std.calls],
        "activation_calls": len(act.calls), "X_after": _plain.plain(X_given),
        "global_used": not (np.array_equal(np.random.get_state()[1], global_state[0])
                            and np.random.get_state()[2] == global_state[1]),
    }


def _structure_problems(output, X_shape, hidden_sizes):
    L, m = len(hidden_sizes), X_shape[1]
    if type(output) is not list:
        if isinstance(output, Other) and output.base in ("list", "tuple"):
            return [f"the result is a {output.type}, a subclass of {output.base}: return a "
                    f"plain list"]
        return [f"it returned {type_name(output)}, not a list: return the list "
                f"`activations`, one array per hidden layer"]
    if len(output) != L:
        hint = ""
        if len(output) == L + 1:
            hint = ": is the input X in the list? It holds the hidden layers' activations only"
        elif len(output) <= 1 < L:
            hint = ": append each layer's activations inside the loop"
        return [f"it returned {len(output)} arrays for {L} hidden layers{hint}"]
    problems = []
    for l, (A, n) in enumerate(zip(output, hidden_sizes), start=1):
        shape = A.shape if type(A) is np.ndarray or (
            isinstance(A, Other) and A.type == "ndarray" and A.base is None) else None
        if shape is None:
            if isinstance(A, Other) and A.base == "ndarray":
                problems.append(f"layer {l}'s activations are a {A.type}, a subclass of "
                                f"ndarray: return plain NumPy arrays")
            else:
                problems.append(f"layer {l}'s activations are a {type_name(A)}, "
                                f"not a NumPy array")
        elif shape != (n, m):
            message = f"layer {l}'s activations have shape {shape} but should be {(n, m)}"
            if shape == (m, n):
                message += (": one row per unit and one column per example, "
                            "Z = np.dot(W, A_prev) with W of shape (n_l, n_prev)")
            problems.append(message)
        elif type(A) is not np.ndarray or A.dtype.kind != "f":
            dtype = A.dtype if type(A) is np.ndarray else A.dtype
            problems.append(f"layer {l}'s activations have dtype {dtype}, not floats")
    return problems


def where(name, X_shape, hidden_sizes):
    """How a check names the call it made, e.g. ``propagate_activations(X of shape (2, 4), [3])``."""
    return f"{name}(X of shape {tuple(X_shape)}, {list(hidden_sizes)})"


def propagate_structure_verdict(observation, X_shape, hidden_sizes):
    """The problems of an :func:`observe_propagate` observation's structure (empty: right)."""
    outcome = observation["call"]
    if "raised" in outcome:
        return [raised_problem(outcome)]
    return _structure_problems(outcome["returned"], tuple(X_shape), hidden_sizes)


def propagate_values_verdict(observation, X, hidden_sizes, expected, *, rtol=RTOL):
    """The problems of an :func:`observe_propagate` observation's values (empty: right).

    Parameters
    ----------
    observation : dict
        From :func:`observe_propagate`, in the notebook, or decoded by the grader.
    X : ndarray of shape (n_0, m)
        The input the function was given.
    hidden_sizes : list of int
    expected : list of ndarray
        The right activations of each layer.
    """
    problems = propagate_structure_verdict(observation, np.shape(X), hidden_sizes)
    if problems:
        return problems
    with _plain.quiet():
        return _value_problems(observation["call"]["returned"], expected, X, hidden_sizes,
                               observation, rtol)


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
        Seed of the generator handed to ``propagate``.

    Returns
    -------
    str
        A pass line for the notebook to print.
    """
    __tracebackhide__ = True
    observation = observe_propagate(propagate, X, hidden_sizes, weight_std, activation, seed)
    name = _name(propagate)
    _raise(where(name, np.shape(X), hidden_sizes),
           propagate_structure_verdict(observation, np.shape(X), hidden_sizes))
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
    expected = [np.array(A, dtype=float) for A in expected]
    X = np.array(X, dtype=float)
    observation = observe_propagate(propagate, X, hidden_sizes, weight_std, activation, seed)
    name = _name(propagate)
    _raise(where(name, X.shape, hidden_sizes),
           propagate_values_verdict(observation, X, hidden_sizes, expected, rtol=rtol))
    return values_pass_line(name, X.shape, hidden_sizes)


def _value_problems(output, expected, X, hidden_sizes, record, rtol):
    problems = []
    X_after = record["X_after"]
    if not (type(X_after) is np.ndarray and X_after.shape == np.shape(X)
            and np.array_equal(X_after, X)):
        problems.append("X was changed in place: compute new arrays, leave the input alone")
    wrong = [l for l, (A, want) in enumerate(zip(output, expected), start=1)
             if A.shape != want.shape or not np.allclose(A, want, rtol=rtol, atol=1e-12)]
    if not wrong:
        return problems
    changed = len(problems)
    problems += _process_problems(X, hidden_sizes, record)
    if len(problems) > changed:
        return problems
    first = wrong[0]
    if first > 1:
        problems.append(f"layer 1 is right but layer {first} is not: each layer's input is "
                        f"the previous layer's activations (update A_prev in the loop), "
                        f"not X")
    else:
        problems.append("layer 1's activations differ from the expected ones: compute "
                        "Z = np.dot(W, X) with no bias, then A = activation(Z)")
    return problems


def _process_problems(X, hidden_sizes, record):
    """What the recorded calls say about how the activations were computed."""
    L = len(hidden_sizes)
    sizes = [np.shape(X)[0]] + list(hidden_sizes)
    problems = []
    draws = [tuple(n if type(n) is int else type_name(n) for n in shape)
             for name, shape in record["draws"]
             if name in ("standard_normal", "normal") and type(shape) in (list, tuple)]
    if not record["draws"]:
        where = "NumPy's global generator (np.random)" if record["global_used"] else "nowhere"
        problems.append(f"no weights were drawn from rng; they came from {where}. "
                        f"Draw each W with rng.standard_normal((n_l, n_prev)), the "
                        f"generator passed in, so that the results are reproducible")
    elif len(draws) != L:
        problems.append(f"{len(draws)} normal draws from rng for {L} layers: draw one new "
                        f"W per layer, inside the loop")
    else:
        for l, shape in enumerate(draws, start=1):
            want = (sizes[l], sizes[l - 1])
            if shape == want[::-1] and want[0] != want[1]:
                problems.append(f"W{l} was drawn with shape {shape}; draw it as "
                                f"{want} (this layer's units, previous layer's units)")
            elif shape != want:
                problems.append(f"W{l} was drawn with shape {shape} but should be {want}")
    std_args = [a if type(a) in (int, float, bool) else type_name(a) for a in record["std_args"]]
    if not std_args:
        problems.append("weight_std was never called: multiply each W by "
                        "weight_std(n_prev), the scale of the experiment")
    elif std_args != sizes[:-1][:len(std_args)] or len(std_args) != L:
        if std_args == sizes[1:len(std_args) + 1] and sizes[1:] != sizes[:-1]:
            problems.append(f"weight_std was called with {std_args}, each layer's own "
                            f"size; it takes n_prev, the previous layer's size {sizes[:-1]}")
        else:
            problems.append(f"weight_std was called with {std_args}; call it once per "
                            f"layer with n_prev, the previous layer's size: {sizes[:-1]}")
    n_act = record["activation_calls"]
    if n_act == 0:
        problems.append("activation was never called: each layer's output is "
                        "activation(Z), the function passed in")
    elif n_act != L:
        problems.append(f"activation was called {n_act} times for {L} layers: apply "
                        f"it once per layer, to Z = np.dot(W, A_prev)")
    return problems
