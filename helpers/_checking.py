"""What the checks of every notebook share: how a failure reads, and how it is raised.

A check gathers the problems it found, each a sentence in the lesson's words,
under a header naming the call it made; :func:`failure` lays them out and
:func:`raise_problems` raises them as one :class:`CheckFailed`.
"""

__all__ = ["CheckFailed", "function_name", "failure", "raise_problems", "raised_problem"]


class CheckFailed(AssertionError):
    """A check's verdict: the message a student needs, shown without the checks' frames.

    IPython (JupyterLab, Validate, nbval) shows an exception that has
    ``_render_traceback_`` as the lines it returns, instead of a traceback through
    ``helpers/``: the student reads what the feedback would say, and nothing
    else. Plain Python (a script, pytest) shows the usual traceback.
    """

    def _render_traceback_(self):
        return [f"AssertionError: {self}"]


def function_name(function):
    """The ``__name__`` of the student's function, or "the function" when it has none."""
    name = getattr(function, "__name__", None)
    return name if type(name) is str else "the function"


def failure(header, problems):
    """``header:`` then one ``  - problem`` line per problem."""
    lines = "\n".join(f"  - {p}" for p in problems)
    return f"{header}:\n{lines}"


def raise_problems(header, problems):
    """Raise one :class:`CheckFailed` listing ``problems``, if any."""
    __tracebackhide__ = True
    if problems:
        raise CheckFailed(failure(header, problems))


def raised_problem(outcome):
    """The problem of a call that raised (``outcome["raised"]``), in the lesson's words."""
    message = outcome["raised"]
    return f"calling it raised {message}{_error_hint(message)}"


def _error_hint(message):
    if "cannot be interpreted as an integer" in message and "tuple" in message:
        return (": np.random.randn takes the sizes as separate numbers, "
                "randn(rows, columns), not a tuple (np.zeros is the one that takes a tuple)")
    if "NotImplementedError" in message:
        return ": write your code between START CODE HERE and END CODE HERE, in place of the raise line"
    if message.startswith("IndexError"):
        return ": the loop reads layers_dims[l] and layers_dims[l - 1] for l = 1 ... L only"
    return ""
