"""Checks of the activations notebook's exercises, with messages that name the likely mistake.

As in :mod:`helpers.checks`, a check calls the student's function itself and
raises ``AssertionError`` with a message in the lesson's words when something
is wrong; on success it returns a one-line summary to print. Checks never
print, plot or warn. Expected values are passed in by the caller: this module
holds only the rules the exercises state (the two scale formulas, the shapes,
one weight draw per layer from the generator given).

To say *why* activations are wrong, :func:`check_propagate_values` hands the
student's function instrumented stand-ins for its ``weight_std``,
``activation`` and ``rng`` arguments that record how they were called.
"""

import math
import warnings

import numpy as np

from . import _guard

__all__ = ["SCALES", "check_scale", "check_propagate_structure", "check_propagate_values"]

#: The scale of each scheme as a function of n_prev, and its formula in words.
SCALES = {
    "xavier": (lambda n: math.sqrt(1 / n), "sqrt(1/n_prev)"),
    "he": (lambda n: math.sqrt(2 / n), "sqrt(2/n_prev)"),
}

# Values students return by mistake: (name, value(n_prev), explanation).
_MISTAKEN_SCALES = [
    ("xavier", lambda n: math.sqrt(1 / n), "is Xavier's scale sqrt(1/n_prev)"),
    ("he", lambda n: math.sqrt(2 / n), "is He's scale sqrt(2/n_prev)"),
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


def _name(function):
    return _guard.function_name(function)


def _quiet(function, *args):
    """Call ``function(*args)`` with warnings kept out of the output (they would zero a test).

    Any change the function made to NumPy or the checks while it ran is undone and
    fails the check (see :mod:`helpers._guard`).
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        result, tampering = _guard.call(function, *args)
    if tampering:
        _raise(_name(function), [_guard.describe(tampering)])
    return result


def _raise(where, problems):
    if problems:
        lines = "\n".join(f"  - {p}" for p in problems)
        raise AssertionError(f"{where}:\n{lines}")


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
    if scheme not in SCALES:
        raise ValueError(f"unknown scheme {scheme!r}; expected one of {', '.join(SCALES)}")
    if len(n_prevs) != len(expected):
        raise ValueError(f"{len(n_prevs)} sizes but {len(expected)} expected values")
    rule = SCALES[scheme][1]
    n_prevs, expected = [int(n) for n in n_prevs], [float(e) for e in expected]
    problems, values = [], []
    for n, want in zip(n_prevs, expected):
        got = _quiet(scale, n)
        problem = _scale_problem(got, want, n, scheme, rule, rtol)
        if problem:
            problems.append(f"{_name(scale)}({n}) {problem}")
        else:
            values.append(float(got))
    _raise(f"{_name(scale)} should return {rule}", problems)
    _guard.verify()
    shown = ", ".join(f"{_name(scale)}({n}) = {value:.6g}" for n, value in zip(n_prevs, values))
    return f"✓ {shown}"


def _scale_problem(got, want, n, scheme, rule, rtol):
    if got is None:
        return "returned None: end the function with `return` and the value"
    if type(got) is _guard.ndarray and got.size != 1:
        return (f"returned an array of shape {got.shape}; the scale is one number "
                f"for the whole layer")
    if not _plain_number(got):
        if _guard.is_subclass_instance(got, float) or _guard.is_subclass_instance(got, np.ndarray):
            return _guard.subclass_message("it", got, float)
        return f"returned {_guard.type_name(got)}, not a number"
    try:
        value = float(got)
    except (TypeError, ValueError):
        return f"returned {_guard.type_name(got)}, not a number"
    if _guard.isclose(value, want, rel_tol=rtol):
        return None
    for name, mistaken, explanation in _MISTAKEN_SCALES:
        candidate = mistaken(n)
        if name != scheme and math.isclose(value, candidate, rel_tol=rtol, abs_tol=1e-15):
            return f"= {value:.6g}, which {explanation}; this exercise asks for {rule}"
    return f"= {value:.6g} but {rule} = {want:.6g}"


def _plain_number(value):
    """Whether ``value`` is a number of Python's or NumPy's own types (not a subclass)."""
    kind = type(value)
    if kind is int or kind is float or kind is bool:
        return True
    if kind is _guard.ndarray:
        return value.dtype.kind in "biuf"
    return any(kind is t for t in _NUMPY_SCALARS)


_NUMPY_SCALARS = tuple({np.dtype(code).type for code in "bBhHiIlLqQefdg?"})


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
            shape = (size,) if isinstance(size, (int, np.integer)) else tuple(size or ())
            self.draws.append((name, shape))
            return method(*args, **kwargs)

        return recorded


class _Recorder:
    """Wraps a function and records the arguments of every call."""

    def __init__(self, function):
        self.function = function
        self.calls = []
        self.__name__ = _name(function)

    def __call__(self, *args, **kwargs):
        self.calls.append(args + tuple(kwargs.values()))
        return self.function(*args, **kwargs)


def _call_propagate(propagate, X, hidden_sizes, weight_std, activation, seed):
    """Run the student's function with recording stand-ins; return output and records."""
    rng = _RecordingGenerator(seed)
    std, act = _Recorder(weight_std), _Recorder(activation)
    X_given = np.array(X, dtype=float)
    keys, position = np.random.get_state()[1:3]
    global_state = (keys.copy(), position)   # the keys change only every 624 draws
    output = _quiet(propagate, X_given, list(hidden_sizes), std, act, rng)
    if type(output) is list or type(output) is tuple:   # copies, out of the function's reach
        output = [A.copy() if type(A) is _guard.ndarray else A for A in output]
    return output, {
        "draws": rng.draws, "std_calls": std.calls, "activation_calls": act.calls,
        "X_changed": not np.array_equal(X_given, X),
        "global_used": not (np.array_equal(np.random.get_state()[1], global_state[0])
                            and np.random.get_state()[2] == global_state[1]),
    }


def _structure_problems(output, X, hidden_sizes):
    L, m = len(hidden_sizes), np.shape(X)[1]
    if type(output) is not list:   # _call_propagate made a list of a list or tuple
        if _guard.is_subclass_instance(output, list) or _guard.is_subclass_instance(output, tuple):
            return [_guard.subclass_message("the result", output, list)]
        return [f"it returned {_guard.type_name(output)}, not a list: return the list "
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
        if type(A) is not _guard.ndarray:
            if _guard.is_subclass_instance(A, _guard.ndarray):
                problems.append(_guard.subclass_message(f"layer {l}'s activations", A, np.ndarray))
            else:
                problems.append(f"layer {l}'s activations are a {_guard.type_name(A)}, "
                                f"not a NumPy array")
        elif A.shape != (n, m):
            message = f"layer {l}'s activations have shape {A.shape} but should be {(n, m)}"
            if A.shape == (m, n):
                message += (": one row per unit and one column per example, "
                            "Z = np.dot(W, A_prev) with W of shape (n_l, n_prev)")
            problems.append(message)
        elif A.dtype.kind != "f":
            problems.append(f"layer {l}'s activations have dtype {A.dtype}, not floats")
    return problems


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
    output, _ = _call_propagate(propagate, X, hidden_sizes, weight_std, activation, seed)
    where = f"{_name(propagate)}(X of shape {np.shape(X)}, {list(hidden_sizes)})"
    _raise(where, _structure_problems(output, X, hidden_sizes))
    _guard.verify()
    return f"✓ {where}: one array per layer, shapes {', '.join(str(A.shape) for A in output)}"


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
    frozen = _guard.freeze(dict(enumerate(expected)))   # out of the function's reach
    output, record = _call_propagate(propagate, X, hidden_sizes, weight_std, activation, seed)
    where = f"{_name(propagate)}(X of shape {np.shape(X)}, {list(hidden_sizes)})"
    problems = _structure_problems(output, X, hidden_sizes)
    if not problems:
        expected = list(_guard.thaw(frozen).values())
        problems = _value_problems(output, expected, X, hidden_sizes, record, rtol)
    _raise(where, problems)
    _guard.verify()
    return f"✓ {where}: every layer's activations are right"


def _value_problems(output, expected, X, hidden_sizes, record, rtol):
    problems = []
    if record["X_changed"]:
        problems.append("X was changed in place: compute new arrays, leave the input alone")
    wrong = [l for l, (A, want) in enumerate(zip(output, expected), start=1)
             if A.shape != want.shape or not _guard.allclose(A, want, rtol, atol=1e-12)]
    if not wrong:
        return problems
    problems += _process_problems(X, hidden_sizes, record)
    if len(problems) > int(record["X_changed"]):
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
    draws = [shape for name, shape in record["draws"] if name in ("standard_normal", "normal")]
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
    std_args = [args[0] if args else None for args in record["std_calls"]]
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
    n_act = len(record["activation_calls"])
    if n_act == 0:
        problems.append("activation was never called: each layer's output is "
                        "activation(Z), the function passed in")
    elif n_act != L:
        problems.append(f"activation was called {n_act} times for {L} layers: apply "
                        f"it once per layer, to Z = np.dot(W, A_prev)")
    return problems


_guard.seal(__name__)
