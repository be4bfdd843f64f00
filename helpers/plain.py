"""How the checks observe a student's function: the calls they make, and what came back.

The checks never judge a live object. They call the student's function
(:func:`call`; :func:`call_again`, twice with the same arguments and the first
result spoiled in between; array inputs in shared memory, :func:`shared_arrays`)
and turn what it returned into plain data (:func:`plain`): ``None``, ``bool``,
``int`` (as int64 or uint64 holds them), ``float`` and short ``str``; plain
``list``, ``tuple`` and ``dict`` (keys short ``str`` or such ``int``); NumPy
arrays of numbers (copies); and :class:`Other` for anything else, which keeps only
the name of its type and what is known of it. The verdict functions of the check
modules judge that data alone.

That is what lets a grader judge an answer where the student's code cannot reach
it and still say what the check under the exercise says: it calls the function
the same way, turns the result into the same plain data within the same limits
(:data:`MAX_ELEMENTS` and the others below: what is larger is an :class:`Other`
in the notebook too) and hands it to the same verdict functions. Everything here
is what the checks under the exercises need; how a grader runs the function or
carries the data elsewhere is not this module's business.
"""

import contextlib
import mmap
import warnings

import numpy as np

__all__ = ["Other", "plain", "call", "call_again", "quiet", "type_name", "spoil", "SPOILED",
           "shared_arrays", "shares_state"]

#: Limits of what is kept: larger values are described by an :class:`Other`.
MAX_ELEMENTS = 1_000_000     # elements of one array
MAX_ITEMS = 1_000            # items of one list, tuple or dict
MAX_DEPTH = 4                # containers inside containers
MAX_TEXT = 500               # characters of a string (and of an error message)
MAX_NODES = 100_000          # values of one result in all (containers' items, recursively)
MAX_NAME = 100               # characters of a type's name
MIN_INT, MAX_INT = -2**63, 2**64 - 1   # what int64 and uint64 hold

#: The dtypes kept as arrays (others become an :class:`Other` with the dtype's name).
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
          "float16", "float32", "float64")

_SCALARS = frozenset(np.dtype(name).type for name in DTYPES)
_BASES = (dict, list, tuple, np.ndarray, float, int, str)
_type_name = type.__dict__["__name__"].__get__


class Other:
    """A value the checks do not hold: the name of its type and what is known of it.

    Parameters
    ----------
    type : str
        Name of the value's type, e.g. ``"list"`` or ``"Agreeable"``.
    base : str, optional
        The plain type it is a subclass of (``"dict"``, ``"ndarray"``, ...), if any.
    shape : tuple of int, optional
        For arrays: their shape.
    dtype : str, optional
        For arrays: their dtype's name.
    detail : str, optional
        Why it is not held, in words (``"its keys include a tuple"``).
    """

    __slots__ = ("type", "base", "shape", "dtype", "detail")

    def __init__(self, type, base=None, shape=None, dtype=None, detail=None):
        self.type, self.base, self.detail = type, base, detail
        self.shape = None if shape is None else tuple(shape)
        self.dtype = dtype

    def _fields(self):
        return (self.type, self.base, self.shape, self.dtype, self.detail)

    def __eq__(self, other):
        return isinstance(other, Other) and self._fields() == other._fields()

    def __hash__(self):
        return hash(self._fields())

    def __repr__(self):
        return f"Other{self._fields()!r}"


def type_name(value):
    """The name of ``value``'s type (``"list"``, ``"ndarray"``), of held and unheld values."""
    if isinstance(value, Other):
        return value.type
    return _type_name(type(value))


def plain(value, depth=0, budget=None):
    """``value`` as plain data (see the module docstring); arrays are copied.

    A result of more than :data:`MAX_NODES` values in all is described, past that
    point, by an :class:`Other` (``"too large"``): what is judged stays small, and
    the same wherever it is judged.
    """
    budget = [MAX_NODES] if budget is None else budget
    budget[0] -= 1
    kind = type(value)
    if value is None or kind is bool or kind is float:
        return value
    if kind is int:
        return value if MIN_INT <= value <= MAX_INT else Other("int", detail="a very large integer")
    if kind is str:
        return value if len(value) <= MAX_TEXT else Other("str", detail="a long string")
    if any(kind is scalar for scalar in _SCALARS):  # identity: a metaclass cannot fake it
        return value.item()
    if kind is np.ndarray:
        if value.dtype.name in DTYPES and value.size <= MAX_ELEMENTS:
            return np.array(value, copy=True, order="C")
        return Other("ndarray", shape=value.shape, dtype=value.dtype.name)
    if kind is dict or kind is list or kind is tuple:
        if depth >= MAX_DEPTH or len(value) > MAX_ITEMS or len(value) > budget[0]:
            return Other(kind.__name__, detail="too large or too deeply nested")
        if kind is dict:
            odd = next(filter(None, map(_odd_key, value)), None)
            if odd:
                return Other("dict", detail=f"its keys include {odd}")
            return {key: plain(item, depth + 1, budget) for key, item in value.items()}
        return kind(plain(item, depth + 1, budget) for item in value)
    base = next((b for b in _BASES if issubclass(kind, b)), None)  # not fooled by __class__
    shape = np.ndarray.shape.__get__(value) if base is np.ndarray else None
    return Other(_name(kind), base=base and base.__name__, shape=shape)


def _name(kind):
    return _type_name(kind)[:MAX_NAME]


def _odd_key(key):
    """What is odd about a dict key, in words (``"a tuple"``), or None for a plain key."""
    kind = type(key)
    if kind is str:
        return "a long string" if len(key) > MAX_TEXT else None
    if kind is int:
        return None if MIN_INT <= key <= MAX_INT else "a very large integer"
    return f"a {_name(kind)}"


def error_text(error):
    """``"TypeError: ..."`` for an exception, cut to :data:`MAX_TEXT` characters."""
    try:
        text = str(error)
    except Exception:  # the student's exception class may break str()
        text = "(its message could not be read)"
    name = _type_name(type(error))
    return (f"{name}: {text}" if text else name)[:MAX_TEXT]


@contextlib.contextmanager
def quiet():
    """Warnings kept out of the output and NumPy's floating point errors silenced.

    Printed to stderr, a warning would zero an nbgrader test cell.
    """
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        yield


def call(function, *args):
    """Call ``function(*args)``; return ``{"returned": plain data}`` or ``{"raised": text}``.

    Warnings are kept out of the output (see :func:`quiet`).
    """
    with quiet():
        try:
            result = function(*args)
        except Exception as error:  # the student's code: reported in the lesson's words
            return {"raised": error_text(error)}
        return {"returned": plain(result)}


#: Marks a result spoiled between two calls (see :func:`spoil`).
SPOILED = "__spoiled__"


def spoil(result, inputs=()):
    """Mark what a call returned, so that a later call that returns it again shows it.

    Its float arrays are filled with NaN (unless they share memory with one of
    ``inputs``), a dict gets the key :data:`SPOILED`, a list the item :data:`SPOILED`:
    a function that hands out the same dict, list or arrays on every call (kept in a
    global or a default argument) returns them spoiled the second time.
    """
    kind = type(result)
    items = (list(result.values()) if kind is dict else list(result) if kind in (list, tuple)
             else [result])
    for item in items:
        if (type(item) is np.ndarray and item.dtype.kind == "f" and item.flags.writeable
                and not any(np.shares_memory(item, a) for a in inputs
                            if type(a) is np.ndarray)):
            item.fill(np.nan)
    if kind is dict:
        result[SPOILED] = None
    elif kind is list:
        result.append(SPOILED)


def call_again(function, first_args, again_args, inputs=(), checkpoint=None):
    """Two calls, the second after spoiling what the first returned: both outcomes.

    ``again_args`` are the very objects of ``first_args`` (a list the function
    might change in place is the same list), but for arguments that must start
    afresh (a new generator of the same seed). Returns ``(first, again, reused)``,
    the outcomes as :func:`call` gives them, and whether the second result is, or
    holds, an object or array memory of the first (:func:`shares_state`).
    ``checkpoint()``, if given, is called as each call returns, before anything else
    runs (the checks compare the inputs with their copies then:
    :func:`helpers._checking.observe_twice`).
    """
    checkpoint = checkpoint or (lambda: None)
    with quiet():
        try:
            result = function(*first_args)
        except Exception as error:  # the student's code: reported in the lesson's words
            checkpoint()
            return {"raised": error_text(error)}, None, False
        checkpoint()
        first = {"returned": plain(result)}
        spoil(result, inputs)
        try:
            second = function(*again_args)
        except Exception as error:  # the student's code: reported in the lesson's words
            checkpoint()
            return first, {"raised": error_text(error)}, False
        checkpoint()
        return first, {"returned": plain(second)}, shares_state(second, result)


def _parts(value):
    """A result's non-empty containers and arrays, one level down (dicts, lists, tuples)."""
    kind = type(value)
    items = (list(value.values()) if kind is dict else list(value) if kind in (list, tuple)
             else [])
    containers = [v for v in [value, *items] if type(v) in (dict, list, tuple) and len(v)]
    arrays = [v for v in [value, *items] if type(v) is np.ndarray and v.size]
    return containers, arrays


def shares_state(result, earlier):
    """Whether ``result`` is ``earlier``, or holds a container or array memory of it.

    A function that keeps its result in a global or a default argument and
    refills it hands the caller the same dict, list or arrays again: a result the
    caller kept changes under it. Spoiling shows a result handed out unchanged;
    this shows one cleared and refilled.
    """
    mine, arrays = _parts(result)
    theirs, their_arrays = _parts(earlier)
    if any(a is b for a in mine for b in theirs):
        return True
    return any(np.may_share_memory(a, b) for a in arrays for b in their_arrays)


_ALIGN = 64


def shared_arrays(arrays):
    """Float copies of ``arrays`` in one block of anonymous shared memory, as views on it.

    The checks hand a function its array inputs this way, so that it gets the same
    kind of array in the notebook as where a grader calls it, in memory that another
    process can read (to see whether the function changed them in place).

    Returns
    -------
    block : mmap.mmap
    views : list of ndarray
        Writable views on ``block``, one per array, with its values, shape and dtype.
    """
    arrays = [np.asarray(a) for a in arrays]
    offsets, at = [], 0
    for array in arrays:
        offsets.append(at)
        at += -(-max(array.nbytes, 1) // _ALIGN) * _ALIGN
    block = mmap.mmap(-1, max(at, _ALIGN))
    views = []
    for array, offset in zip(arrays, offsets):
        view = np.ndarray(array.shape, dtype=array.dtype, buffer=block, offset=offset)
        view[...] = array
        views.append(view)
    return block, views
