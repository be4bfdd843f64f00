"""What the grader accepts from a student's kernel: plain JSON, size-capped, schema-checked.

The probe (``course/probe.py``) answers a test with one ``display_data`` output
whose data is JSON (``probe.MIME``). :func:`read` takes the outputs of that
execution as the kernel sent them and returns the observations, decoded into
the plain data the checks judge (``helpers._plain``), or raises
:class:`ProbeError` saying what was wrong. Nothing the kernel sends is
evaluated, executed or unpickled: JSON values are walked and rebuilt, arrays
are read from base64 bytes with ``numpy.frombuffer`` for a fixed list of
numeric dtypes, and every size is bounded before anything is allocated.
"""

import base64
import binascii
import math

import numpy as np

from helpers._plain import DTYPES, MAX_ELEMENTS, MAX_INT, MAX_ITEMS, MAX_TEXT, MIN_INT, Other

from .probe import MIME

__all__ = ["ProbeError", "decode", "read", "read_safely", "SCHEMAS"]

MAX_NODES = 200_000          # JSON values in one answer
MAX_TOTAL_ELEMENTS = 4_000_000
MAX_DEPTH = 12
MAX_DIMS, MAX_SIZE = 64, 2**63 - 1   # NumPy's limits of an array's dimensions and sizes
_BASES = {"dict", "list", "tuple", "ndarray", "float", "int", "str"}


class ProbeError(ValueError):
    """The kernel's answer to a test is missing or malformed; that test fails."""


class _Budget:
    def __init__(self):
        self.nodes = 0
        self.elements = 0

    def spend(self, nodes=1, elements=0):
        self.nodes += nodes
        self.elements += elements
        if self.nodes > MAX_NODES:
            raise ProbeError(f"the answer has more than {MAX_NODES} values")
        if self.elements > MAX_TOTAL_ELEMENTS:
            raise ProbeError(f"the answer holds more than {MAX_TOTAL_ELEMENTS} array elements")


def _text(value, what):
    if type(value) is not str or len(value) > MAX_TEXT:
        raise ProbeError(f"{what} is not a string of at most {MAX_TEXT} characters")
    return value


def _int(value):
    if not MIN_INT <= value <= MAX_INT:
        raise ProbeError("an integer is out of range")
    return value


def _optional_text(value, what):
    return None if value is None else _text(value, what)


def _shape(value, what):
    # Any shape NumPy can make: a too-large array arrives as an unheld value with its shape,
    # and the elements of a held array are counted (and bounded) from its shape.
    if type(value) is not list or len(value) > MAX_DIMS or not all(
            type(n) is int and 0 <= n <= MAX_SIZE for n in value):
        raise ProbeError(f"{what} is not a list of sizes")
    return tuple(value)


def _exact_keys(value, keys, what):
    # isinstance: nbformat parses outputs into NotebookNode, a dict of the grader's own
    if not isinstance(value, dict) or set(value) != set(keys):
        raise ProbeError(f"{what} should have exactly the keys {', '.join(sorted(keys))}")


def _ndarray(spec, budget):
    _exact_keys(spec, {"dtype", "shape", "data"}, "an array")
    dtype = spec["dtype"]
    if dtype not in DTYPES:
        raise ProbeError(f"array dtype {str(dtype)[:40]!r} is not one of {', '.join(DTYPES)}")
    shape = _shape(spec["shape"], "an array's shape")
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise ProbeError(f"an array has more than {MAX_ELEMENTS} elements")
    budget.spend(elements=size)
    dtype = np.dtype(dtype)
    data = spec["data"]
    if type(data) is not str or len(data) != 4 * math.ceil(size * dtype.itemsize / 3):
        raise ProbeError(f"an array's data does not hold {size} {dtype.name} values")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ProbeError("an array's data is not base64") from None
    if len(raw) != size * dtype.itemsize:
        raise ProbeError(f"an array's data does not hold {size} {dtype.name} values")
    return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)


def _other(spec):
    _exact_keys(spec, {"type", "base", "shape", "dtype", "detail"}, "an unheld value")
    base = spec["base"]
    if base is not None and (type(base) is not str or base not in _BASES):
        raise ProbeError(f"an unheld value's base type {str(base)[:40]!r} is unknown")
    shape = None if spec["shape"] is None else _shape(spec["shape"], "an unheld value's shape")
    return Other(_text(spec["type"], "a type name"), base=base, shape=shape,
                 dtype=_optional_text(spec["dtype"], "a dtype"),
                 detail=_optional_text(spec["detail"], "a detail"))


def decode(value, budget=None, depth=0):
    """The plain data that ``course.probe.encode`` wrote as ``value``.

    Raises
    ------
    ProbeError
        If ``value`` is anything else, or too large.
    """
    budget = budget or _Budget()
    budget.spend()
    if depth > MAX_DEPTH:
        raise ProbeError(f"the answer is nested more than {MAX_DEPTH} deep")
    kind = type(value)
    if value is None or kind is bool:
        return value
    if kind is int:
        return _int(value)
    if kind is float:
        if not math.isfinite(value):
            raise ProbeError("a float is not finite (those are written as {'float': ...})")
        return value
    if kind is str:
        return _text(value, "a string")
    if kind is list:
        if len(value) > MAX_ITEMS:
            raise ProbeError(f"a list has more than {MAX_ITEMS} items")
        return [decode(item, budget, depth + 1) for item in value]
    if not isinstance(value, dict) or len(value) != 1:   # dict or nbformat's NotebookNode
        raise ProbeError(f"unexpected JSON value of type {kind.__name__}")
    (tag, body), = value.items()
    if tag == "float":
        if body not in ("nan", "inf", "-inf"):
            raise ProbeError("a non-finite float is not nan, inf or -inf")
        return float(body)
    if tag == "tuple":
        if type(body) is not list:
            raise ProbeError("a tuple is not a list")
        return tuple(decode(body, budget, depth))
    if tag == "dict":
        if type(body) is not list or len(body) > MAX_ITEMS:
            raise ProbeError(f"a dict is not a list of at most {MAX_ITEMS} pairs")
        result = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise ProbeError("a dict item is not a [key, value] pair")
            key = pair[0]
            if type(key) is not int and type(key) is not str or key in result:
                raise ProbeError("a dict key is not a new string or integer")
            if type(key) is str:
                _text(key, "a dict key")
            else:
                _int(key)
            result[key] = decode(pair[1], budget, depth + 1)
        return result
    if tag == "ndarray":
        return _ndarray(body, budget)
    if tag == "other":
        return _other(body)
    raise ProbeError(f"unexpected tag {str(tag)[:40]!r}")


# -- schemas of the observations of each kind of test ------------------------------

def _outcome(value, what="a call's outcome"):
    if type(value) is not dict or len(value) != 1 or not ({"returned", "raised"} >= set(value)):
        raise ProbeError(f"{what} is neither returned nor raised")
    if "raised" in value:
        _text(value["raised"], "an error message")
    return value


def _initializer(value):
    if type(value) is not list or not value:
        raise ProbeError("an initializer case is not a list of observations")
    for observation in value:
        _exact_keys(observation, {"call", "other"}, "an observation")
        _outcome(observation["call"])
        if observation["other"] is not None:
            _outcome(observation["other"])
    return value


def _fresh(value):
    _exact_keys(value, {"first", "second"}, "a fresh-dict observation")
    _outcome(value["first"])
    if value["second"] is not None:
        _outcome(value["second"])
    return value


def _propagate(value):
    _exact_keys(value, {"call", "draws", "std_args", "activation_calls", "X_after",
                        "global_used"}, "a propagation observation")
    _outcome(value["call"])
    draws = value["draws"]
    if type(draws) is not list or not all(
            type(d) is list and len(d) == 2 and type(d[0]) is str for d in draws):
        raise ProbeError("the recorded draws are not [method, shape] pairs")
    if type(value["std_args"]) is not list:
        raise ProbeError("the recorded weight_std calls are not a list")
    calls = value["activation_calls"]
    if type(calls) is not int or calls < 0:
        raise ProbeError("the count of activation calls is not a count")
    if type(value["global_used"]) is not bool:
        raise ProbeError("global_used is not true or false")
    return value


_INPUT_NAMES = {"dA", "A_prev", "W", "Z"}


def _backward(value):
    _exact_keys(value, {"call", "changed"}, "a backward-step observation")
    _outcome(value["call"])
    changed = value["changed"]
    if type(changed) is not list or not all(type(c) is str and c in _INPUT_NAMES
                                            for c in changed):
        raise ProbeError("the inputs changed in place are not a list of input names")
    return value


#: Per kind of test, the check of one case's observation (raises ProbeError).
SCHEMAS = {"initializer": _initializer, "fresh": _fresh, "scale": _outcome,
           "propagate": _propagate, "backward": _backward}


def read(outputs, nonce, kinds):
    """The observations in the ``outputs`` of the probe's execution, one per case.

    Parameters
    ----------
    outputs : list of dict
        The outputs nbclient collected for the probe's execution.
    nonce : str
        The request's nonce, which the answer must carry.
    kinds : list of str
        The kind of each case of the request, in order.

    Raises
    ------
    ProbeError
        If the kernel reported an error, wrote to stderr, sent outputs other than
        stdout text, displays and one answer, or the answer is malformed.
    """
    answers = []
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream" and output.get("name") == "stdout":
            continue   # the student's function may print
        if kind == "error":
            raise ProbeError(f"the kernel reported {str(output.get('ename'))[:60]} while the "
                             f"test ran")
        if kind == "stream":
            raise ProbeError("the kernel wrote to stderr while the test ran")
        data = output.get("data") if kind == "display_data" else None
        if not isinstance(data, dict):
            raise ProbeError(f"the kernel sent an unexpected {kind} output while the test ran")
        if MIME not in data:
            continue   # the student's function may display (a dict, a figure left open)
        if set(data) != {MIME}:
            raise ProbeError("the answer came with other representations beside it")
        answers.append(data[MIME])
    if not answers:
        raise ProbeError("the kernel sent no answer")
    if len(answers) > 1:
        raise ProbeError("the kernel sent more than one answer")
    answer = answers[0]
    _exact_keys(answer, {"nonce", "results"}, "the answer")
    if answer["nonce"] != nonce:
        raise ProbeError("the answer is not for this request")
    results = decode(answer["results"])
    if type(results) is not list or len(results) != len(kinds):
        raise ProbeError(f"the answer does not hold {len(kinds)} results")
    return [SCHEMAS[kind](result) for kind, result in zip(kinds, results)]


def read_safely(outputs, nonce, kinds):
    """:func:`read`, with any error it meets on what the kernel sent turned into ProbeError.

    The checks above are meant to catch every malformed answer; should one slip
    through to an error of another kind, it is still the kernel's answer that is
    bad, and only that test fails.
    """
    try:
        return read(outputs, nonce, kinds)
    except ProbeError:
        raise
    except Exception as error:
        raise ProbeError(f"the answer is malformed ({type(error).__name__})") from error
