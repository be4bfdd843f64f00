"""Checks of the initialization exercises, with messages that name the likely mistake.

A check calls the student's function itself, turns what it returned into plain
data (:func:`observe`, see :mod:`helpers.plain`), judges that data
(:func:`structure_verdict`, :func:`values_verdict`) and raises
``AssertionError`` with a message in the lesson's words, under the header
:func:`where` names, when something is wrong (the roles every check module
names alike: :mod:`helpers._checking`). On success it returns a one-line
summary for the notebook to print. Checks never print, plot or warn. The
grader judges what the kernel sends it with the same verdict functions, so a
message is the same in the notebook and in the feedback.

The expected values are always passed in by the caller; this module holds only
the rules the exercises state (shapes, zero biases, the scale of each scheme).
"""

import math
import re

import numpy as np

from . import plain
from ._checking import RTOL, CheckFailed, Problem, again_problems, close, code_of, failure
from ._checking import function_name as _name, proportional, raise_problems, raised_problem
from ._checking import refuse_reaching, spoiled_problems
from .plain import Other, type_name
from .initializers import SCALES

__all__ = ["SCHEMES", "SEED", "check_structure", "check_values", "observe", "structure_verdict",
           "values_verdict", "where", "failure", "structure_pass_line", "values_pass_line",
           "diagnose", "raised_problem", "Problem", "code_of", "CheckFailed"]

#: The seed the random exercises set with ``np.random.seed`` before drawing.
SEED = 3

#: Weight scale of each scheme, as a function of (n_prev, n) for layer l.
SCHEMES = {
    "zeros": lambda n_prev, n: 0.0,
    "random": lambda n_prev, n: 10.0,
    "he": lambda n_prev, n: SCALES["he"][0](n_prev),
}

# Scales students use by mistake, tried in this order when the weights are a
# multiple of the expected ones. Each is (mistake code, scale(n_prev, n),
# explanation, the exercises where it is a likely mistake).
_MISTAKEN_SCALES = [
    ("scaled_like_xavier", lambda p, n: SCALES["xavier"][0](p),
     "looks scaled by sqrt(1/n_prev) (Xavier); He initialization uses sqrt(2/n_prev)", {"he"}),
    ("scaled_with_n", lambda p, n: math.sqrt(2 / n),
     "looks scaled with this layer's size n instead of the previous layer's n_prev: "
     "He initialization uses sqrt(2/n_prev), n_prev = layers_dims[l - 1]", {"he"}),
    ("missing_sqrt", lambda p, n: 2 / p,
     "looks scaled by 2/n_prev: the square root is missing, He initialization "
     "uses sqrt(2/n_prev)", {"he"}),
    ("sqrt_of_numerator", lambda p, n: math.sqrt(2) / p,
     "looks scaled by sqrt(2)/n_prev: the square root must cover the whole fraction, "
     "He initialization uses sqrt(2/n_prev)", {"he"}),
    ("scaled_like_glorot", lambda p, n: math.sqrt(2 / (p + n)),
     "looks scaled by sqrt(2/(n_prev + n)) (Glorot's average of the two sizes); "
     "He initialization uses sqrt(2/n_prev)", {"he"}),
    ("unscaled", lambda p, n: 1.0,
     "looks unscaled: np.random.randn has standard deviation 1, and this "
     "initialization multiplies it by {rule}", {"he", "random"}),
    ("scaled_by_10", lambda p, n: 10.0,
     "looks scaled by 10 (the large random initialization); this one uses {rule}", {"he"}),
    ("scaled_by_0_01", lambda p, n: 0.01,
     "looks scaled by 0.01, the usual 'small random' choice; this exercise uses {rule}",
     {"he", "random"}),
    ("scaled_like_he", lambda p, n: SCALES["he"][0](p),
     "looks scaled by sqrt(2/n_prev) (He); this exercise uses {rule}", {"random"}),
]

_RULES = {"zeros": "zeros", "random": "10", "he": SCALES["he"][1]}


def observe(initialize, layers_dims):
    """What ``initialize(layers_dims)`` returns, as plain data.

    Returns
    -------
    dict
        ``"call"``: the outcome of the call (``{"returned": ...}`` or ``{"raised": ...}``,
        see :func:`helpers.plain.call`); ``"again"``: the outcome of a second call
        with the same list, after the first result was spoiled
        (:func:`helpers.plain.call_again`); ``"other"``: when the result is not well
        formed, the outcome of a second call for other sizes (``layers_dims`` plus
        one each), which tells typed-in shapes apart; else None.
    """
    dims = list(layers_dims)
    outcome, again, reused = plain.call_again(initialize, (dims,), (dims,))
    other = None
    if "returned" in outcome and _structure_problems(outcome["returned"], layers_dims):
        other = plain.call(initialize, [n + 1 for n in layers_dims])
    return {"call": outcome, "again": again, "reused": reused, "other": other}


def _structure_problems(parameters, layers_dims):
    """Everything wrong with the keys, types, shapes and dtypes of ``parameters`` (plain data)."""
    if type(parameters) is not dict:
        if isinstance(parameters, Other) and parameters.type == "dict" and parameters.detail:
            return [Problem("odd_keys", f"{parameters.detail}: keys are plain strings such as 'W1'")]
        if isinstance(parameters, Other) and parameters.base == "dict":
            return [Problem("subclass", _subclass_message("the result", parameters))]
        return [Problem("not_a_dict", f"it returned {type_name(parameters)}, not a dict: "
                        f"return the parameters dictionary at the end of the function")]
    L = len(layers_dims) - 1
    wanted = _keys(layers_dims)
    missing = [k for k in wanted if k not in parameters]
    extra = [k for k in parameters if k not in wanted]
    problems = []
    if "W0" in parameters or "b0" in parameters:
        keys = ", ".join(wanted) if L <= 3 else f"W1, b1, ..., W{L}, b{L}"
        return [Problem("keys_from_zero",
                        f"keys start at {'W0' if 'W0' in parameters else 'b0'}: layer 0 is the "
                        f"input, it has no weights; layers are numbered from 1, so the keys "
                        f"are {keys}")]
    if missing:
        hint = ""
        if f"W{L}" in missing and f"W{L - 1}" not in missing and L > 1:
            hint = (f": layers_dims {list(layers_dims)} has {L} layers after the input, "
                    f"so the loop must run up to and including layer {L}")
        elif "W1" in missing and any(str(k).startswith("W") for k in parameters):
            hint = ": keys are 'W1', 'b1', 'W2', ..., with the layer number straight after W or b"
        code = "missing_last_layer" if hint.startswith(": layers_dims") else "missing_keys"
        problems.append(Problem(code, f"keys {', '.join(missing)} are missing{hint}"))
    if extra:
        hint = ""
        if all(re.fullmatch(r"[Wb][0-9]+", str(k)) and int(str(k)[1:]) > L for k in extra):
            hint = (f": layers_dims {list(layers_dims)} has {L} layer{'s' * (L > 1)} after "
                    f"the input. Left over from an earlier call? Build a new dict inside "
                    f"the function on every call, not in a global or a default argument")
        problems.append(Problem("unexpected_keys",
                                f"unexpected keys {', '.join(map(str, extra))}{hint}"))
    for key in wanted:
        if key in missing:
            continue
        l = int(key[1:])
        shape = (layers_dims[l], layers_dims[l - 1]) if key[0] == "W" else (layers_dims[l], 1)
        value = parameters[key]
        if isinstance(value, Other) and value.type == "ndarray" and value.base is None:
            value_shape, dtype = value.shape, str(value.dtype)   # an array too large or odd
        elif type(value) is np.ndarray:
            value_shape, dtype = value.shape, value.dtype.name
        else:
            problems.append(Problem("subclass", _subclass_message(key, value))
                            if isinstance(value, Other) and value.base == "ndarray" else
                            Problem("not_an_array",
                                    f"{key} is a {type_name(value)}, not a NumPy array"))
            continue
        if value_shape != shape:
            problems.append(_shape_message(key, value_shape, shape, layers_dims))
        elif not dtype.startswith("float"):
            problems.append(Problem("not_floats", f"{key} has dtype {dtype}; parameters must "
                                    f"hold floating point numbers, or gradient descent cannot "
                                    f"change them smoothly"))
        elif type(value) is not np.ndarray:
            problems.append(Problem("dtype", f"{key} has dtype {dtype}: use float64, "
                                             f"NumPy's default"))
    return problems


def _subclass_message(what, value):
    return (f"{what} is a {value.type}, a subclass of {value.base}: return a plain "
            f"{value.base}, as the exercise builds it")


def _keys(layers_dims):
    return [f"{k}{l}" for l in range(1, len(layers_dims)) for k in "Wb"]


def _shapes(parameters):
    if type(parameters) is not dict:
        return None
    return {k: v.shape if type(v) is np.ndarray or isinstance(v, Other) else None
            for k, v in parameters.items()}


def _typed_in(parameters, other):
    """Whether a second call, for other sizes, returned the same shapes: typed-in answers."""
    if other is None or "returned" not in other:
        return False
    return _shapes(other["returned"]) == _shapes(parameters)


def _shape_message(key, got, want, layers_dims):
    message = f"{key} has shape {got} but should be {want}"
    if key[0] == "W" and got == want[::-1]:
        return Problem("transposed_shape", message + ": rows are this layer's units, columns "
                       "the previous layer's (layers_dims[l], layers_dims[l - 1])")
    if key[0] == "b" and got == (want[0],):
        return Problem("bias_not_a_column", message + ": a bias is a column vector with one "
                       "row per unit")
    return Problem("wrong_shape", message)


def structure_verdict(observation, layers_dims):
    """The problems of an :func:`observe` observation's keys, shapes and dtypes (empty: right)."""
    outcome = observation["call"]
    if "raised" in outcome:
        return [raised_problem(outcome)]
    parameters = outcome["returned"]
    problems = spoiled_problems(outcome) or _with_typed_in(
        _structure_problems(parameters, layers_dims), parameters, observation.get("other"))
    return problems or again_problems(
        observation, lambda again: structure_verdict({"call": again}, layers_dims))


def values_verdict(observation, layers_dims, expected, scheme, *, rtol=None):
    """The problems of an :func:`observe` observation's values against ``expected`` (empty: right).

    Parameters
    ----------
    observation : dict
        From :func:`observe`, in the notebook, or decoded by the grader.
    layers_dims : list of int
    expected : dict of str to ndarray
        The right parameters for ``layers_dims``.
    scheme : {"zeros", "random", "he"}
        The rule the exercise asks for, used to explain a wrong scale.
    rtol : float, default=1e-6
    """
    if scheme not in SCHEMES:
        raise ValueError(f"unknown initialization scheme {scheme!r}; "
                         f"expected one of {', '.join(SCHEMES)}")
    problems = structure_verdict(observation, layers_dims)
    if problems:
        return problems
    rtol = RTOL if rtol is None else rtol
    with plain.quiet():
        return diagnose(observation["call"]["returned"], expected, layers_dims, scheme,
                        rtol=rtol) or again_problems(
            observation, lambda again: values_verdict({"call": again}, layers_dims, expected,
                                                      scheme, rtol=rtol))


def where(name, layers_dims):
    """How a check names the call it made, e.g. ``initialize_parameters_he([2, 4, 1])``."""
    return f"{name}({list(layers_dims)})"


def structure_pass_line(name, layers_dims, parameters):
    """What :func:`check_structure` prints when the structure is right."""
    return (f"✓ {where(name, layers_dims)}: keys and shapes are right "
            f"({', '.join(f'{k} {v.shape}' for k, v in parameters.items())})")


def values_pass_line(name, layers_dims):
    """What :func:`check_values` prints when the values are right."""
    return f"✓ {where(name, layers_dims)}: values are right"


def check_structure(initialize, layers_dims):
    """Check keys, shapes and dtypes of ``initialize(layers_dims)``.

    Returns
    -------
    str
        A pass line for the notebook to print.

    Raises
    ------
    AssertionError
        Listing every problem found.
    """
    __tracebackhide__ = True  # IPython and pytest show the message, not this frame
    refuse_reaching(initialize)
    observation = observe(initialize, layers_dims)
    _raise(initialize, layers_dims, structure_verdict(observation, layers_dims))
    return structure_pass_line(_name(initialize), layers_dims, observation["call"]["returned"])


def check_values(initialize, layers_dims, expected, *, scheme, rtol=RTOL):
    """Check the values of ``initialize(layers_dims)`` against ``expected``.

    Parameters
    ----------
    initialize : callable
        The student's function.
    layers_dims : list of int
    expected : dict of str to ndarray
        The right parameters for ``layers_dims``.
    scheme : {"zeros", "random", "he"}
        The rule the exercise asks for, used to explain a wrong scale.
    rtol : float, default=1e-6
        Relative tolerance of the comparison.
    """
    __tracebackhide__ = True
    refuse_reaching(initialize)
    expected = {key: np.array(value, dtype=float) for key, value in expected.items()}
    observation = observe(initialize, layers_dims)
    _raise(initialize, layers_dims,
           values_verdict(observation, layers_dims, expected, scheme, rtol=rtol))
    return values_pass_line(_name(initialize), layers_dims)


def _with_typed_in(problems, parameters, other):
    """Put first, when it applies, the hint that the shapes ignore ``layers_dims``."""
    if problems and _typed_in(parameters, other):
        return [Problem("typed_in", "the keys and shapes it returns do not change with "
                        "layers_dims: were they typed in from the example? Build every array "
                        "from layers_dims, inside the loop over l"), *problems]
    return problems


def diagnose(parameters, expected, layers_dims, scheme, *, rtol=RTOL):
    """Explain how the (well-shaped) ``parameters`` differ from ``expected``.

    Returns
    -------
    list of str
        Empty when every array matches.
    """
    problems = []
    explained = _mistaken_scale(parameters, expected, layers_dims, scheme, rtol)
    for l in range(1, len(layers_dims)):
        b = parameters[f"b{l}"]
        if np.any(b != 0):
            problems.append(Problem("bias_not_zero", f"b{l} is not all zeros: biases start at "
                                    f"zero, the random weights alone break the symmetry"))
    for l in range(1, len(layers_dims)):
        key = f"W{l}"
        got, want = parameters[key], np.asarray(expected[key], dtype=float)
        if close(got, want, rtol):
            continue
        if explained:
            problems.append(Problem(explained.code, f"{key} {explained}"))
        else:
            problems.append(_weight_message(key, got, want, layers_dims[l - 1],
                                            layers_dims[l], scheme, parameters))
    return problems


def _mistaken_scale(parameters, expected, layers_dims, scheme, rtol):
    """The explanation of a mistaken scale that accounts for every layer at once, or None.

    At small sizes two mistakes can give one layer the same scale (2/4 is
    sqrt(1/4)); looking at all the layers together tells them apart.
    """
    used = []
    for l in range(1, len(layers_dims)):
        want = np.asarray(expected[f"W{l}"], dtype=float)
        factor = proportional(parameters[f"W{l}"], want)
        if factor is None:
            return None
        used.append((factor * SCHEMES[scheme](layers_dims[l - 1], layers_dims[l]),
                     layers_dims[l - 1], layers_dims[l]))
    for code, scale, explanation, schemes in _MISTAKEN_SCALES:
        if scheme in schemes and all(math.isclose(u, scale(p, n), rel_tol=rtol)
                                     for u, p, n in used):
            return Problem(code, explanation.format(rule=_RULES[scheme]))
    return None


def _weight_message(key, got, want, n_prev, n, scheme, parameters):
    code, text = _weight_mistake(key, got, want, n_prev, n, scheme, parameters)
    return Problem(code, text)


def _weight_mistake(key, got, want, n_prev, n, scheme, parameters):
    rule = _RULES[scheme]
    if not np.all(np.isfinite(got)):
        return "not_finite", f"{key} contains inf or nan"
    if scheme == "zeros":
        return "nonzero_weights", (f"{key} has non-zero values; this exercise sets every weight to zero "
                f"(the next cells show why that fails)")
    if not np.any(got):
        return "all_zero_weights", (f"{key} is all zeros: the weights need random values scaled by {rule}. "
                f"If the scale is computed, check for integer division (2 // n is 0 for n > 2)")
    factor = proportional(got, want)
    if factor is not None:
        used = factor * SCHEMES[scheme](n_prev, n)
        for code, scale, explanation, schemes in _MISTAKEN_SCALES:
            if scheme in schemes and math.isclose(used, scale(n_prev, n), rel_tol=RTOL) and not \
                    math.isclose(scale(n_prev, n), SCHEMES[scheme](n_prev, n), rel_tol=RTOL):
                return code, f"{key} {explanation.format(rule=rule)}"
        return "wrong_scale", (f"{key} is {factor:.4g} times the expected values: the draws are right "
                f"but the scale is not; this initialization multiplies np.random.randn by {rule}")
    if _reseeded(key, got, parameters, want):
        return "reseeded_in_loop", (f"{key} starts with the same draws as W1: is the generator reseeded "
                f"inside the loop? Seed once, before the loop")
    if np.all(got >= 0) and (got.size >= 20 or _uniform_run(got)):
        return "uniform_draws", (f"all of {key}'s values are >= 0: np.random.rand draws uniformly from "
                f"[0, 1); use np.random.randn, a standard normal draw")
    if _from_default_rng(key, got, parameters):
        return "default_rng", (f"{key} was drawn with NumPy's np.random.default_rng: this exercise uses "
                f"the global generator that np.random.seed({SEED}) seeds, with np.random.randn")
    where = _place_in_stream(got)
    if where == "transposed":
        return "transposed_draws", (f"{key} holds the right draws, put in the wrong places: drawn with the shape "
                f"transposed and turned around with .T? Draw the weight's own shape, "
                f"(rows, columns) = (this layer's units, the previous layer's), directly")
    if where == "later":
        return "later_draws", (f"{key} holds draws from further along the random sequence than expected: "
                f"was np.random.seed({SEED}) removed, so that the draws carry on from an earlier "
                f"call, or did something else draw from the generator first (an extra "
                f"np.random call, e.g. for a bias)? Seed once, then draw exactly one weight "
                f"matrix per layer")
    spread = np.std(got) / np.std(want)
    if 0.3 < spread < 3:
        return "wrong_draws", (f"the values of {key} differ from the expected ones though their scale is "
                f"right: was np.random.seed({SEED}) removed, or were numbers drawn in a "
                f"different order (an extra draw, a transposed shape, np.random.default_rng)?")
    return "wrong_values", (f"{key} has the wrong values and a spread {spread:.3g} times the expected one: "
            f"draw one np.random.randn(rows, columns) per layer and scale it by {rule}")


def _reseeded(key, got, parameters, want):
    """Whether ``key`` repeats W1's first draws, as reseeding inside the loop does."""
    if key == "W1":
        return False
    first = parameters["W1"].ravel()
    k = min(first.size, got.size)
    return proportional(got.ravel()[:k], first[:k]) is not None


def _from_default_rng(key, got, parameters):
    """Whether ``key`` holds draws of ``np.random.default_rng(SEED)``, reseeded or not."""
    l = int(key[1:])
    stream = np.random.default_rng(SEED)
    for k in range(1, l + 1):
        drawn = stream.standard_normal(parameters[f"W{k}"].shape)
    fresh = np.random.default_rng(SEED).standard_normal(got.shape)
    return any(proportional(got, d) is not None for d in (drawn, fresh))


def _uniform_run(got):
    """Whether ``got`` is a scaled run of ``np.random.rand``'s draws after ``np.random.seed(SEED)``.

    Six normal draws are all >= 0 once in 64 times: a generator left unseeded must not
    be blamed on rand by chance, so a small array shows rand by its values alone.
    """
    stream = np.random.RandomState(SEED).random_sample(got.size + 4096)
    return got.ravel()[0] != 0 and _runs_of(got.ravel(), stream)


def _place_in_stream(got):
    """Where the draws of ``got`` sit in the seeded sequence, if they are a run of it.

    Returns "transposed" when they are a run of it laid out in transposed order,
    "later" when they are a run that starts further along than it should, and
    None otherwise. Uses a generator of its own: the global one is left alone.
    """
    stream = np.random.RandomState(SEED).standard_normal(got.size + 4096)
    for name, values in (("transposed", got.T.ravel()), ("later", got.ravel())):
        if name == "transposed" and 1 in got.shape:
            continue
        if values[0] == 0:
            continue
        if _runs_of(values, stream):
            return name
    return None


def _runs_of(values, stream, rtol=RTOL):
    """Whether ``values`` is ``c * stream[start:start + len(values)]`` for some start and c.

    The same test as ``np.allclose(values, c * run, rtol=rtol, atol=0)`` at every
    start, made for many starts at once (``values`` are finite: checked before).
    """
    windows = np.lib.stride_tricks.sliding_window_view(stream, values.size)
    step = max(1, 1_000_000 // values.size)
    for first in range(0, len(windows), step):
        runs = windows[first:first + step]
        scaled = (values[0] / runs[:, :1]) * runs
        if np.any(np.all(np.abs(values - scaled) <= rtol * np.abs(scaled), axis=1)):
            return True
    return False


def _raise(initialize, layers_dims, problems):
    """Raise one :class:`CheckFailed` listing ``problems``, if any."""
    __tracebackhide__ = True
    raise_problems(where(_name(initialize), layers_dims), problems)
