"""The grader's probe: the only grading code that runs in a student's kernel.

At autograde the grader does not run a test cell's code in the kernel. It
sends this module's source (:func:`code`) with a request: the name of the
student's function and the inputs of each case of the test. In the kernel,
:func:`run` calls the function on those inputs with the checks' own
observation code (``helpers.checks.observe``, ``helpers.activation_checks.
observe_propagate``, ``helpers.gradient_checks.observe_backward``), and
publishes what happened as plain JSON, one ``display_data`` output of type
:data:`MIME`. The grader decodes it
(``course/wire.py``), computes the expected values itself and decides.

Nothing here is trusted: a notebook can replace any of it. Whatever arrives is
data, checked against a schema, and a wrong answer stays wrong whatever the
probe says. The module imports only NumPy, the standard library and
``helpers`` (what the sandbox shows), so that its source runs as it is.
"""

import base64
import json
import math
from pathlib import Path

import numpy as np

#: The MIME type of the probe's one output.
MIME = "application/vnd.course.probe.v1+json"


def encode(value):
    """Plain data (see ``helpers._plain``) as JSON-ready values (``course.wire.decode`` inverts it)."""
    from helpers._plain import Other

    kind = type(value)
    if value is None or kind is bool or kind is int or kind is str:
        return value
    if kind is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if kind is list:
        return [encode(item) for item in value]
    if kind is tuple:
        return {"tuple": [encode(item) for item in value]}
    if kind is dict:
        return {"dict": [[key, encode(item)] for key, item in value.items()]}
    if kind is np.ndarray:
        little = value.astype(value.dtype.newbyteorder("<"), copy=False)
        return {"ndarray": {"dtype": value.dtype.name, "shape": list(value.shape),
                            "data": base64.b64encode(little.tobytes()).decode("ascii")}}
    if kind is Other:
        return {"other": {"type": value.type, "base": value.base,
                          "shape": None if value.shape is None else list(value.shape),
                          "dtype": value.dtype, "detail": value.detail}}
    raise TypeError(f"not plain data: {kind.__name__}")


def _missing(name):
    def missing(*args):
        raise NameError(f"name {name!r} is not defined: run the cell that defines it")
    return missing


def _weight_std(spec):
    name = spec["name"]
    if name == "constant":
        value = float(spec["value"])
        return lambda n_prev: value
    if name == "inverse_sqrt":
        return lambda n_prev: 1 / np.sqrt(n_prev)
    if name == "xavier":
        return lambda n_prev: np.sqrt(1 / n_prev)
    return lambda n_prev: np.sqrt(2 / n_prev)


def _activation(name):
    from helpers.network import relu, sigmoid
    return {"tanh": np.tanh, "relu": relu, "sigmoid": sigmoid}[name]


def _array(encoded):
    spec = encoded["ndarray"]
    data = base64.b64decode(spec["data"])
    return np.frombuffer(data, dtype=np.dtype(spec["dtype"]).newbyteorder("<")).astype(
        spec["dtype"]).reshape(spec["shape"])


def _poison(result):
    """Mark a returned dict and its float arrays, so that a later call that reuses them shows it."""
    if type(result) is not dict:
        return
    for value in result.values():
        if type(value) is np.ndarray and value.dtype.kind == "f" and value.flags.writeable:
            value.fill(np.nan)
    result["__poisoned__"] = None


def observe(kind, function, case):
    """What ``function`` does on one case of a test, as plain data."""
    from helpers import _plain
    from helpers.activation_checks import observe_propagate
    from helpers.checks import observe as observe_initializer

    if kind == "initializer":
        if case["state"] is not None:
            seed, draws = case["state"]
            np.random.seed(seed)
            np.random.randn(draws)
        return [observe_initializer(function, case["dims"]) for _ in range(case["repeat"])]
    if kind == "fresh":
        with _plain.quiet():
            try:
                first = function(list(case["dims"]))
            except Exception as error:
                return {"first": {"raised": _plain.error_text(error)}, "second": None}
            kept = {"returned": _plain.plain(first)}
            _poison(first)
        return {"first": kept, "second": _plain.call(function, list(case["dims"]))}
    if kind == "scale":
        return _plain.call(function, case["n"])
    if kind == "backward":
        from helpers.gradient_checks import observe_backward
        return observe_backward(function, _array(case["dA"]),
                                tuple(_array(case[k]) for k in ("A_prev", "W", "Z")),
                                case["activation"])
    if kind == "propagate":
        return observe_propagate(function, _array(case["X"]), case["sizes"],
                                 _weight_std(case["std"]), _activation(case["activation"]),
                                 case["seed"])
    raise ValueError(f"unknown kind of test {kind!r}")


def run(request):
    """Run the request (JSON text) in this kernel and publish the observations."""
    from IPython import get_ipython
    from IPython.display import publish_display_data

    request = json.loads(request)
    name = request["function"]
    function = get_ipython().user_ns.get(name)
    if not callable(function):
        function = _missing(name)
    results = [observe(case["kind"], function, case) for case in request["cases"]]
    publish_display_data({MIME: {"nonce": request["nonce"], "results": encode(results)}})


def code(request):
    """The code the grader sends the kernel to answer ``request`` (a dict; see ``course.testcells``).

    The probe's source becomes a module of its own in the kernel, so that none of its
    names lands in the notebook's namespace (and the notebook's names, ``exec`` or
    ``json`` say, do not reach the probe).
    """
    source = Path(__file__).read_text()
    return (f"def _course_probe(source, request):\n"
            f"    import builtins, types\n"
            f"    module = types.ModuleType('course_probe')\n"
            f"    builtins.exec(builtins.compile(source, 'course_probe', 'exec'), "
            f"module.__dict__)\n"
            f"    module.run(request)\n"
            f"_course_probe({source!r}, {json.dumps(request)!r})\n"
            f"del _course_probe\n")
