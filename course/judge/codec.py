"""The one codec between a judge process and the grader: plain data as JSON, and back.

:func:`encode` runs in the judge process (``course/judge/runner.py``) on what
the student's function returned, already turned into plain data by
``helpers.plain.plain``. :func:`decode` runs in the grader on what arrived:
it walks the JSON values and rebuilds exactly the plain types (``None``,
``bool``, bounded ``int``, finite or named ``float``, short ``str``, ``list``,
``tuple``, ``dict`` with short ``str`` or ``int`` keys, NumPy arrays of a fixed
list of numeric dtypes read with ``numpy.frombuffer``, and
``helpers.plain.Other``), checking every size before anything is allocated.
Nothing that arrives is evaluated, executed or unpickled.

``decode(encode(plain(x)))`` equals ``plain(x)`` for every value
(``tests/course/judge/test_codec.py`` checks it on generated values).
"""

import base64
import binascii
import math

import numpy as np

from helpers.plain import DTYPES, MAX_ELEMENTS, MAX_INT, MAX_ITEMS, MAX_TEXT, MIN_INT, Other

__all__ = ["CodecError", "encode", "decode", "MAX_NODES", "MAX_TOTAL_ELEMENTS", "MAX_DEPTH"]

MAX_NODES = 200_000          # JSON values in one answer
MAX_TOTAL_ELEMENTS = 4_000_000
MAX_DEPTH = 12
MAX_DIMS, MAX_SIZE = 64, 2**63 - 1   # NumPy's limits of an array's dimensions and sizes
_BASES = {"dict", "list", "tuple", "ndarray", "float", "int", "str"}


class CodecError(ValueError):
    """What arrived is not plain data as :func:`encode` writes it, or is too large."""


# -- encoding (the judge process) ------------------------------------------------------------

def encode(value):
    """Plain data (see ``helpers.plain``) as JSON-ready values; :func:`decode` inverts it."""
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
        return {"ndarray": encode_array(value)}
    if kind is Other:
        return {"other": {"type": value.type, "base": value.base,
                          "shape": None if value.shape is None else list(value.shape),
                          "dtype": value.dtype, "detail": value.detail}}
    raise TypeError(f"not plain data: {kind.__name__}")


def encode_array(array):
    """An array of one of ``helpers.plain.DTYPES`` as ``{"dtype", "shape", "data"}``."""
    little = np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<"), copy=False)
    return {"dtype": array.dtype.name, "shape": list(array.shape),
            "data": base64.b64encode(little.tobytes()).decode("ascii")}


# -- decoding (the grader) -------------------------------------------------------------------

class Budget:
    """What one answer may still hold: values and array elements (shared by its decodes)."""

    def __init__(self):
        self.nodes = 0
        self.elements = 0

    def spend(self, nodes=1, elements=0):
        self.nodes += nodes
        self.elements += elements
        if self.nodes > MAX_NODES:
            raise CodecError(f"the answer has more than {MAX_NODES} values")
        if self.elements > MAX_TOTAL_ELEMENTS:
            raise CodecError(f"the answer holds more than {MAX_TOTAL_ELEMENTS} array elements")


def _text(value, what):
    if type(value) is not str or len(value) > MAX_TEXT:
        raise CodecError(f"{what} is not a string of at most {MAX_TEXT} characters")
    return value


def _int(value):
    if not MIN_INT <= value <= MAX_INT:
        raise CodecError("an integer is out of range")
    return value


def _optional_text(value, what):
    return None if value is None else _text(value, what)


def _shape(value, what):
    # Any shape NumPy can make: a too-large array arrives as an unheld value with its shape.
    if type(value) is not list or len(value) > MAX_DIMS or not all(
            type(n) is int and 0 <= n <= MAX_SIZE for n in value):
        raise CodecError(f"{what} is not a list of sizes")
    return tuple(value)


def exact_keys(value, keys, what):
    """Raise :class:`CodecError` unless ``value`` is a dict with exactly ``keys``."""
    # isinstance: nbformat and json give dicts of the grader's own
    if not isinstance(value, dict) or set(value) != set(keys):
        raise CodecError(f"{what} should have exactly the keys {', '.join(sorted(keys))}")


def decode_array(spec, budget=None):
    """The array :func:`encode_array` wrote as ``spec`` (a new, writable array)."""
    budget = budget or Budget()
    exact_keys(spec, {"dtype", "shape", "data"}, "an array")
    dtype = spec["dtype"]
    if dtype not in DTYPES:
        raise CodecError(f"array dtype {str(dtype)[:40]!r} is not one of {', '.join(DTYPES)}")
    shape = _shape(spec["shape"], "an array's shape")
    size = math.prod(shape)
    if size > MAX_ELEMENTS:
        raise CodecError(f"an array has more than {MAX_ELEMENTS} elements")
    budget.spend(elements=size)
    dtype = np.dtype(dtype)
    data = spec["data"]
    if type(data) is not str or len(data) != 4 * math.ceil(size * dtype.itemsize / 3):
        raise CodecError(f"an array's data does not hold {size} {dtype.name} values")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise CodecError("an array's data is not base64") from None
    if len(raw) != size * dtype.itemsize:
        raise CodecError(f"an array's data does not hold {size} {dtype.name} values")
    return np.frombuffer(raw, dtype=dtype.newbyteorder("<")).astype(dtype).reshape(shape)


def _other(spec):
    exact_keys(spec, {"type", "base", "shape", "dtype", "detail"}, "an unheld value")
    base = spec["base"]
    if base is not None and (type(base) is not str or base not in _BASES):
        raise CodecError(f"an unheld value's base type {str(base)[:40]!r} is unknown")
    shape = None if spec["shape"] is None else _shape(spec["shape"], "an unheld value's shape")
    return Other(_text(spec["type"], "a type name"), base=base, shape=shape,
                 dtype=_optional_text(spec["dtype"], "a dtype"),
                 detail=_optional_text(spec["detail"], "a detail"))


def _dict(body, budget, depth):
    if type(body) is not list or len(body) > MAX_ITEMS:
        raise CodecError(f"a dict is not a list of at most {MAX_ITEMS} pairs")
    result = {}
    for pair in body:
        if type(pair) is not list or len(pair) != 2:
            raise CodecError("a dict item is not a [key, value] pair")
        key = pair[0]
        if type(key) is not int and type(key) is not str or key in result:
            raise CodecError("a dict key is not a new string or integer")
        if type(key) is str:
            _text(key, "a dict key")
        else:
            _int(key)
        result[key] = decode(pair[1], budget, depth + 1)
    return result


def decode(value, budget=None, depth=0):
    """The plain data that :func:`encode` wrote as ``value``.

    Raises
    ------
    CodecError
        If ``value`` is anything else, or too large.
    """
    budget = budget or Budget()
    budget.spend()
    if depth > MAX_DEPTH:
        raise CodecError(f"the answer is nested more than {MAX_DEPTH} deep")
    kind = type(value)
    if value is None or kind is bool:
        return value
    if kind is int:
        return _int(value)
    if kind is float:
        if not math.isfinite(value):
            raise CodecError("a float is not finite (those are written as {'float': ...})")
        return value
    if kind is str:
        return _text(value, "a string")
    if kind is list:
        if len(value) > MAX_ITEMS:
            raise CodecError(f"a list has more than {MAX_ITEMS} items")
        return [decode(item, budget, depth + 1) for item in value]
    if not isinstance(value, dict) or len(value) != 1:
        raise CodecError(f"unexpected JSON value of type {kind.__name__}")
    (tag, body), = value.items()
    if tag == "float":
        if body not in ("nan", "inf", "-inf"):
            raise CodecError("a non-finite float is not nan, inf or -inf")
        return float(body)
    if tag == "tuple":
        if type(body) is not list:
            raise CodecError("a tuple is not a list")
        return tuple(decode(body, budget, depth))
    if tag == "dict":
        return _dict(body, budget, depth)
    if tag == "ndarray":
        return decode_array(body, budget)
    if tag == "other":
        return _other(body)
    raise CodecError(f"unexpected tag {str(tag)[:40]!r}")
