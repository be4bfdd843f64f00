"""Checks of the gradients notebook's exercise, with messages that name the likely mistake.

As in :mod:`helpers.checks`, a check calls the student's function itself,
turns what happened into plain data (:func:`observe`), judges it
(:func:`structure_verdict`, :func:`values_verdict`) and raises
``AssertionError`` with a message in the lesson's words, under the header
:func:`where` names (the roles every check module names alike:
:mod:`helpers._checking`); on success it
returns a one-line summary to print. Checks never print, plot or warn. The
grader judges what a kernel sends it with the same verdict functions.

The expected values are passed in by the caller. To explain a wrong answer,
the verdict recomputes from the inputs the answers that the usual mistakes
give (a weight not transposed, another activation's derivative, a forgotten
``1/m``, ...) and names the one that matches.
"""

import numpy as np

from . import plain
from ._checking import RTOL, Problem, again_problems, close, failure, function_name as _name
from ._checking import observe_twice, proportional, raise_problems as _raise, raised_problem
from ._checking import refuse_reaching, spoiled_problems
from .plain import Other, type_name
from .network import ACTIVATIONS, DERIVATIVES

__all__ = ["observe", "structure_verdict", "values_verdict", "check_backward_structure",
           "check_backward_values", "where", "failure", "structure_pass_line",
           "values_pass_line"]

#: Each activation's derivative in the lesson's words.
FORMULAS = {"relu": "1 where Z > 0, else 0", "sigmoid": "s * (1 - s), s being sigmoid(Z)",
            "tanh": "1 - np.tanh(Z) ** 2"}

_INPUTS = ("dA", "A_prev", "W", "Z")


def where(name, shape, activation):
    """How a check names its call: ``backward_step(dA of shape (2, 4), cache, "relu")``."""
    return f'{name}(dA of shape {tuple(shape)}, cache, "{activation}")'


def observe(step, dA, cache, activation):
    """What ``step(dA, cache, activation)`` does, as plain data.

    The function gets copies of the inputs (in shared memory, as the grader hands
    them: :func:`helpers.plain.shared_arrays`), so that the caller's are safe, and is
    called twice with those same arrays, what it returned the first time spoiled
    in between (:func:`helpers.plain.call_again`), as the grader calls it.

    Returns
    -------
    dict
        ``"call"`` and ``"again"``: the outcomes (see :func:`helpers.plain.call`), a
        tuple result as a list; ``"changed"``: the names of the inputs it changed in place.
    """
    A_prev, W, Z = cache
    _block, given = plain.shared_arrays([np.array(a, dtype=float) for a in (dA, A_prev, W, Z)])
    args = (given[0], (given[1], given[2], given[3]), activation)
    return observe_twice(step, args, args, given, _INPUTS)


def _raised(outcome):
    problem = raised_problem(outcome)
    message = outcome["raised"]
    if "not aligned" in message or "mismatch in its core dimension" in message:
        return Problem("product_shapes", problem + ": in a product the inner sizes must "
                       "match; dA_prev = W.T @ dZ has the shape of A_prev, dW = dZ @ A_prev.T "
                       "the shape of W")
    if "could not be broadcast" in message:
        return Problem("broadcast", problem + ": dZ = dA * g'(Z) multiplies two arrays of "
                       "the same shape, elementwise")
    return problem


def _shape(value):
    if type(value) is np.ndarray:
        return value.shape
    if isinstance(value, Other) and value.type == "ndarray" and value.base is None:
        return value.shape
    return None


def _structure_problems(result, n, n_prev, m):
    if result is None:
        return [Problem("returned_none", "it returned None: end the function with "
                        "`return dA_prev, dW`")]
    if type(result) is not list:
        if isinstance(result, Other) and result.base in ("list", "tuple"):
            return [Problem("subclass", f"the result is a {result.type}, a subclass of "
                            f"{result.base}: return the plain pair `dA_prev, dW`")]
        return [Problem("not_a_pair", f"it returned {type_name(result)}, not the pair "
                        f"(dA_prev, dW): end the function with `return dA_prev, dW`")]
    if len(result) != 2:
        return [Problem("not_a_pair", f"it returned {len(result)} values; the step returns "
                        f"two, dA_prev then dW")]
    want = {"dA_prev": (n_prev, m), "dW": (n, n_prev)}
    shapes = [_shape(v) for v in result]
    if shapes == [want["dW"], want["dA_prev"]] and want["dW"] != want["dA_prev"]:
        return [Problem("swapped_results", "it returned (dW, dA_prev): return dA_prev "
                        "first, then dW")]
    problems = []
    for (label, shape), value, got in zip(want.items(), result, shapes):
        if got is None:
            kind = (f"a {value.type}, a subclass of ndarray: return plain NumPy arrays"
                    if isinstance(value, Other) and value.base == "ndarray"
                    else f"a {type_name(value)}, not a NumPy array")
            problems.append(Problem("not_an_array", f"{label} is {kind}"))
        elif got != shape:
            problems.append(_shape_message(label, got, shape, n, m))
        elif type(value) is not np.ndarray or value.dtype.kind != "f":
            problems.append(Problem("not_floats", f"{label} has dtype {value.dtype}, not floats"))
    return problems


def _shape_message(label, got, want, n, m):
    message = f"{label} has shape {got} but should be {want}"
    if label == "dW" and got == want[::-1]:
        return Problem("dW_transposed", message + ": dW has the shape of W (this layer's "
                       "units, the previous layer's), so dW = dZ @ A_prev.T, not "
                       "A_prev @ dZ.T")
    if label == "dW":
        return Problem("wrong_shape", message + ", the shape of W: dW = dZ @ A_prev.T")
    if got == (n, m):
        return Problem("dA_prev_not_through_W", message + ", the shape of A_prev: the "
                       "gradient goes back through the weights, dA_prev = W.T @ dZ")
    if got == want[::-1]:
        return Problem("dA_prev_transposed", message + ": one row per unit of the previous "
                       "layer, one column per example")
    return Problem("wrong_shape", message + ", the shape of A_prev")


def structure_verdict(observation, n, n_prev, m):
    """The problems of an :func:`observe` observation's structure (empty: right).

    Parameters
    ----------
    observation : dict
    n, n_prev, m : int
        The layer's units, the previous layer's, and the number of examples.
    """
    outcome = observation["call"]
    if "raised" in outcome:
        return [_raised(outcome)]
    return spoiled_problems(outcome) or _structure_problems(
        outcome["returned"], n, n_prev, m) or again_problems(
        observation, lambda again: structure_verdict({"call": again}, n, n_prev, m))


def _slopes(Z, activation):
    """The factors students multiply ``dA`` by, right or not: (factor, code, explanation)."""
    rule = FORMULAS[activation]
    yield DERIVATIVES[activation](Z), None, None
    if activation == "relu" and np.any(Z == 0):
        yield np.where(Z >= 0, 1.0, 0.0), "relu_slope_at_zero", (
            "takes ReLU's slope at Z == 0 as 1; this course takes it as 0 (1 where Z > 0, "
            "else 0), as the forward pass's np.maximum(0, Z) is flat there")
    for other in ACTIVATIONS:
        if other != activation:
            yield DERIVATIVES[other](Z), f"derivative_of_{other}", (
                f"uses the derivative of {other}; this layer's activation is {activation}, "
                f"whose derivative is {rule}")
    yield np.ones_like(Z), "no_derivative", (f"leaves out the activation's derivative: dZ = "
                                             f"dA * g'(Z), with g'(Z) = {rule} for {activation}")
    yield ACTIVATIONS[activation](Z), "activation_not_derivative", (
        f"multiplies dA by the activation {activation}(Z) itself; dZ = dA * g'(Z) takes its "
        f"derivative, {rule}")
    yield Z, "times_Z", f"multiplies dA by Z; dZ = dA * g'(Z), with g'(Z) = {rule}"
    if activation == "tanh":
        yield 1 - Z ** 2, "tanh_of_Z_missing", ("uses 1 - Z ** 2: tanh's derivative squares "
                                                "the activation, 1 - np.tanh(Z) ** 2, not Z")
        yield 1 - np.tanh(Z), "tanh_square_missing", ("uses 1 - np.tanh(Z): the square is "
                                                      "missing, 1 - np.tanh(Z) ** 2")
    if activation == "sigmoid":
        s = ACTIVATIONS["sigmoid"](Z)
        yield 1 - s, "sigmoid_one_minus_s", ("uses 1 - sigmoid(Z): sigmoid's derivative is "
                                             "s * (1 - s)")


def _explained(what, why):
    """One problem from the part that is wrong in the product and in the slope."""
    code = next(c for c, _ in (what, why, ("wrong_values", None)) if c)
    return Problem(code, "; ".join(filter(None, (what[1], why[1]))))


def _explain_dW(got, dA, A_prev, Z, activation, rtol):
    m = A_prev.shape[1]
    for slope, code, why in _slopes(Z, activation):
        full = np.dot(dA * slope, A_prev.T)
        for scale, what in ((1 / m, (None, None)),
                            (1.0, ("missing_one_over_m",
                                   f"is m = {m} times too large: the 1/m of the mean over "
                                   f"the examples is missing, dW = (1/m) dZ @ A_prev.T")),
                            (1 / m ** 2, ("divided_by_m_twice",
                                          "is divided by m twice: dW = (1/m) dZ @ A_prev.T, "
                                          "with dZ = dA * g'(Z) not divided by m"))):
            if m == 1 and what[0] is not None:
                continue   # with one example, 1/m changes nothing
            if close(got, full * scale, rtol):
                return _explained(what, (code, why))
    return None


def _explain_dA_prev(got, dA, W, Z, activation, m, rtol):
    for slope, code, why in _slopes(Z, activation):
        dZ = dA * slope
        forms = [(np.dot(W.T, dZ), (None, None))]
        if m > 1:
            forms.append((np.dot(W.T, dZ) / m, ("dA_prev_divided_by_m", "is divided by m: "
                          "only dW is a mean over the examples; dA_prev keeps one column per "
                          "example")))
        if W.shape[0] == W.shape[1]:
            forms.append((np.dot(W, dZ), ("W_not_transposed", "uses W where the gradient "
                                          "needs the transposed weights: dA_prev = W.T @ dZ")))
        for value, what in forms:
            if close(got, value, rtol):
                return _explained(what, (code, why))
    return None


def values_verdict(observation, dA, cache, activation, expected, *, rtol=RTOL):
    """The problems of an :func:`observe` observation's values (empty: right).

    Parameters
    ----------
    observation : dict
        From :func:`observe`, in the notebook, or decoded by the grader.
    dA : ndarray of shape (n, m)
    cache : (A_prev, W, Z)
        The inputs the function was given.
    activation : {"sigmoid", "tanh", "relu"}
    expected : (dA_prev, dW)
        The right answer for these inputs.
    """
    A_prev, W, Z = (np.asarray(a, dtype=float) for a in cache)
    dA = np.asarray(dA, dtype=float)
    n, n_prev, m = W.shape[0], W.shape[1], A_prev.shape[1]
    problems = structure_verdict(observation, n, n_prev, m)
    if problems:
        return problems
    with plain.quiet():
        return _value_problems(observation, dA, A_prev, W, Z, activation, expected, rtol) or \
            again_problems(observation, lambda again: values_verdict(
                {"call": again, "changed": []}, dA, cache, activation, expected, rtol=rtol))


def _value_problems(observation, dA, A_prev, W, Z, activation, expected, rtol):
    got_dA_prev, got_dW = observation["call"]["returned"]
    want_dA_prev, want_dW = (np.asarray(a, dtype=float) for a in expected)
    problems = []
    m = A_prev.shape[1]
    for label, got, want, explain in (
            ("dA_prev", got_dA_prev, want_dA_prev,
             lambda: _explain_dA_prev(got_dA_prev, dA, W, Z, activation, m, rtol)),
            ("dW", got_dW, want_dW,
             lambda: _explain_dW(got_dW, dA, A_prev, Z, activation, rtol))):
        if close(got, want, rtol):
            continue
        if not np.all(np.isfinite(got)):
            problems.append(Problem("not_finite", f"{label} contains inf or nan"))
            continue
        why = explain()
        if why:
            problems.append(Problem(why.code, f"{label} {why}"))
            continue
        c = proportional(got, want)
        if c is not None:
            problems.append(Problem("wrong_scale", f"{label} is {c:.4g} times the expected "
                                    f"values"))
        else:
            problems.append(Problem("wrong_values", f"{label} differs from the expected "
                                    f"values: dZ = dA * g'(Z), then dA_prev = W.T @ dZ and "
                                    f"dW = (1/m) dZ @ A_prev.T"))
    changed = observation["changed"]
    if changed:
        problems.append(Problem("changed_input", f"{', '.join(changed)} "
                                f"{'was' if len(changed) == 1 else 'were'} changed in place "
                                f"(an `*=` or `+=`?): compute dZ as a new array, the caller "
                                f"keeps its arrays"))
    return problems


def structure_pass_line(name, shape, activation, result):
    """What :func:`check_backward_structure` prints when the structure is right."""
    return (f"✓ {where(name, shape, activation)}: returns dA_prev {result[0].shape} "
            f"and dW {result[1].shape}")


def values_pass_line(name, shape, activations):
    """What :func:`check_backward_values` prints when every value is right."""
    return (f"✓ {name}(dA of shape {tuple(shape)}, cache, activation): dA_prev and dW "
            f"are right for {', '.join(activations)}")


def check_backward_structure(step, dA, cache, activation):
    """Check that ``step`` returns ``(dA_prev, dW)`` of the shapes of ``A_prev`` and ``W``.

    Parameters
    ----------
    step : callable
        ``step(dA, cache, activation) -> (dA_prev, dW)``.
    dA : ndarray of shape (n, m)
    cache : (A_prev, W, Z)
    activation : {"sigmoid", "tanh", "relu"}

    Returns
    -------
    str
        A pass line for the notebook to print.
    """
    __tracebackhide__ = True
    refuse_reaching(step)
    _A_prev, W, _Z = cache
    observation = observe(step, dA, cache, activation)
    name = _name(step)
    _raise(where(name, np.shape(dA), activation),
           structure_verdict(observation, W.shape[0], W.shape[1], np.shape(dA)[1]))
    return structure_pass_line(name, np.shape(dA), activation, observation["call"]["returned"])


def check_backward_values(step, dA, cache, expected, *, rtol=RTOL):
    """Check ``step``'s values for each activation of ``expected``, explaining differences.

    Parameters
    ----------
    step : callable
    dA : ndarray of shape (n, m)
    cache : (A_prev, W, Z)
    expected : dict of str to (dA_prev, dW)
        The right answer for each activation checked.
    rtol : float, default=1e-6

    Returns
    -------
    str
        A pass line for the notebook to print.
    """
    __tracebackhide__ = True
    refuse_reaching(step)
    name = _name(step)
    for activation, answer in expected.items():
        observation = observe(step, dA, cache, activation)
        _raise(where(name, np.shape(dA), activation),
               values_verdict(observation, dA, cache, activation, answer, rtol=rtol))
    return values_pass_line(name, np.shape(dA), list(expected))
