"""What the checks of every notebook share: tolerances, observations, and how a failure reads.

Every check module (:mod:`helpers.checks`, :mod:`helpers.activation_checks`,
:mod:`helpers.gradient_checks`) names the same roles the same way:

- ``observe(function, ...)``: call the student's function as the grader does
  (twice, the first result spoiled in between) and return what happened as
  plain data, an *observation*;
- ``structure_verdict(observation, ...)`` and ``values_verdict(observation, ...)``:
  the problems found (a list of :class:`Problem`; empty when right), the same
  functions the grader runs on what it observed;
- ``where(name, ...)``: the header naming the call; :func:`failure` lays the
  problems out under it and :func:`raise_problems` raises them as one
  :class:`CheckFailed`;
- ``structure_pass_line`` and ``values_pass_line``: what a passing check prints.

Values are compared with :data:`RTOL` through :func:`close` and :func:`proportional`.
"""

import numpy as np

from . import plain
from .plain import SPOILED

__all__ = ["RTOL", "close", "proportional", "CheckFailed", "Problem", "function_name", "failure",
           "raise_problems", "raised_problem", "again_problems", "spoiled_problems", "code_of",
           "refuse_reaching", "observe_twice"]

#: Relative tolerance of every comparison of a student's values with the expected ones.
RTOL = 1e-6

#: Absolute tolerance, as a share of the largest expected value: an element that
#: should be 0 may be off by the rounding of the others.
_ATOL_SHARE = 1e-12


def _atol(want, factor=1.0):
    return _ATOL_SHARE * abs(factor) * (float(np.max(np.abs(want))) if want.size else 0.0)


def close(got, want, rtol=RTOL):
    """Whether ``got`` has the shape of ``want`` and its values within ``rtol`` of them."""
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=rtol, atol=_atol(want)))


def proportional(got, want, rtol=RTOL):
    """The factor c with ``got == c * want`` (within ``rtol``), or None when there is none.

    None too for ``c == 0`` and for an all-zero ``want``, which any array is a multiple of.
    """
    c = float(np.vdot(got, want) / np.vdot(want, want)) if np.any(want) else 0.0
    if c != 0 and np.allclose(got, c * want, rtol=rtol, atol=_atol(want, c)):
        return c
    return None


class CheckFailed(AssertionError):
    """A check's verdict: the message a student needs, shown without the checks' frames.

    IPython (JupyterLab, Validate, nbval) shows an exception that has
    ``_render_traceback_`` as the lines it returns, instead of a traceback through
    ``helpers/``: the student reads what the feedback would say, and nothing
    else. Plain Python (a script, pytest) shows the usual traceback.
    """

    def _render_traceback_(self):
        return [f"AssertionError: {self}"]


class Problem(str):
    """One problem a check found: the sentence the student reads, with a stable mistake code.

    It is the sentence (a ``str``), so that messages are built and compared as text;
    ``code`` (``"scaled_like_xavier"``, ``"missing_one_over_m"``) names the mistake
    for reports that count them across a class.
    """

    def __new__(cls, code, text):
        problem = super().__new__(cls, text)
        problem.code = code
        return problem

    def __reduce__(self):
        return (Problem, (self.code, str(self)))


def code_of(problems, default):
    """The mistake code of the first of ``problems`` that has one, else ``default``."""
    return next((p.code for p in problems if isinstance(p, Problem)), default)


def function_name(function):
    """The ``__name__`` of the student's function, or "the function" when it has none."""
    name = getattr(function, "__name__", None)
    return name if type(name) is str else "the function"


def failure(header, problems):
    """``header:`` then one ``  - problem`` line per problem."""
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{header}:\n{lines}"


def refuse_reaching(function):
    """Raise :class:`CheckFailed` if the cell defining ``function`` reaches too far.

    The grader refuses to judge such an answer cell (``helpers.answer_rules``); the
    check says so first, in the same words.
    """
    __tracebackhide__ = True
    from .answer_rules import cell_reaches, message

    reached = cell_reaches(function)
    if reached:
        raise CheckFailed(message(function_name(function), reached))


def raise_problems(header, problems):
    """Raise one :class:`CheckFailed` listing ``problems``, if any."""
    __tracebackhide__ = True
    if problems:
        raise CheckFailed(failure(header, problems))


def raised_problem(outcome):
    """The problem of a call that raised (``outcome["raised"]``), in the lesson's words."""
    message = outcome["raised"]
    code = "not_written" if "NotImplementedError" in message else "raised"
    return Problem(code, f"calling it raised {message}{_error_hint(message)}")


def _spoiled(value):
    """Whether a second call's result is the first one, spoiled (see ``plain.spoil``)."""
    if type(value) is dict:
        return SPOILED in value or _all_nan(value.values())
    if type(value) in (list, tuple):
        last = value[-1] if value else None
        return (type(value) is list and type(last) is str and last == SPOILED) or _all_nan(value)
    return False


def _all_nan(values):
    arrays = [v for v in values if type(v) is np.ndarray and v.dtype.kind == "f" and v.size]
    return bool(arrays) and any(np.isnan(a).all() for a in arrays)


def _reused():
    return Problem("reused_result", "called twice, it returned the first call's result "
                   "again (the same dict, list or arrays, kept in a global or a default "
                   "argument): build new ones on every call")


def spoiled_problems(outcome):
    """The problem of an outcome that is an earlier call's result, spoiled (else empty).

    A second call shows it at once; in a notebook, where the checks run one after
    the other, a later check's first call can show what an earlier one spoiled.
    """
    if outcome is not None and "returned" in outcome and _spoiled(outcome["returned"]):
        return [_reused()]
    return []


def again_problems(observation, problems_of):
    """The problems of the second call of ``observation`` (``"again"``), if any.

    The checks call a function twice with the same arguments, spoiling what the
    first call returned in between (``helpers.plain.call_again``): a function that
    returns the same object twice, or that changed an argument in place the first
    time, shows it in the second result. ``problems_of(outcome)`` judges one outcome.
    """
    again = observation.get("again")
    if again is None:
        return []
    reused = spoiled_problems(again) or ([_reused()] if observation.get("reused") else [])
    if reused:
        return list(reused)
    problems = problems_of(again)
    if problems:
        return [Problem("not_repeatable",
                        "called a second time with the same arguments, it gave another "
                        "result; does it change an argument in place (a list it was given?) "
                        "or keep something between calls? The second time: " + problems[0]),
                *problems[1:]]
    return []


def observe_twice(function, first_args, again_args, inputs, names):
    """An observation of two calls of ``function`` that share the arrays ``inputs``.

    ``inputs`` are the array arguments (views on shared memory, as
    :func:`helpers.plain.shared_arrays` makes them), ``names`` their names in the
    lesson. The function is called with ``first_args``, then, what it returned
    spoiled, with ``again_args`` (:func:`helpers.plain.call_again`); the inputs are
    compared with their copies as each call returns.

    Returns
    -------
    dict
        ``"call"`` and ``"again"``: the outcomes (see :func:`helpers.plain.call`), a
        tuple result as a list; ``"reused"``: whether the second result shares an
        object with the first; ``"changed"``: the names of the inputs changed in place,
        in the order of ``names``.
    """
    kept = [a.copy() for a in inputs]
    changed = set()

    def checkpoint():
        changed.update(name for name, a, b in zip(names, inputs, kept)
                       if not np.array_equal(a, b))

    first, again, reused = plain.call_again(function, first_args, again_args, inputs=inputs,
                                             checkpoint=checkpoint)
    for outcome in (first, again):
        if outcome is not None and "returned" in outcome and type(outcome["returned"]) is tuple:
            outcome["returned"] = list(outcome["returned"])
    return {"call": first, "again": again, "reused": reused,
            "changed": [name for name in names if name in changed]}


def _error_hint(message):
    if "cannot be interpreted as an integer" in message and "tuple" in message:
        return (": np.random.randn takes the sizes as separate numbers, "
                "randn(rows, columns), not a tuple (np.zeros is the one that takes a tuple)")
    if "NotImplementedError" in message:
        return ": write your code between START CODE HERE and END CODE HERE, in place of the raise line"
    if message.startswith("IndexError"):
        return ": the loop reads layers_dims[l] and layers_dims[l - 1] for l = 1 ... L only"
    return ""
