"""What the checks of every notebook share: how a failure reads, and how it is raised.

A check gathers the problems it found, each a sentence in the lesson's words,
under a header naming the call it made; :func:`failure` lays them out and
:func:`raise_problems` raises them as one :class:`CheckFailed`.
"""

import numpy as np

from ._plain import SPOILED

__all__ = ["CheckFailed", "Problem", "function_name", "failure", "raise_problems", "raised_problem",
           "again_problems", "spoiled_problems", "code_of", "refuse_reaching"]


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
    """Whether a second call's result is the first one, spoiled (see ``_plain.spoil``)."""
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
    first call returned in between (``helpers._plain.call_again``): a function that
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


def _error_hint(message):
    if "cannot be interpreted as an integer" in message and "tuple" in message:
        return (": np.random.randn takes the sizes as separate numbers, "
                "randn(rows, columns), not a tuple (np.zeros is the one that takes a tuple)")
    if "NotImplementedError" in message:
        return ": write your code between START CODE HERE and END CODE HERE, in place of the raise line"
    if message.startswith("IndexError"):
        return ": the loop reads layers_dims[l] and layers_dims[l - 1] for l = 1 ... L only"
    return ""
