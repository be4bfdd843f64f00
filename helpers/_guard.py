"""Calling a student's function so that it cannot change how it is checked.

The checks of :mod:`helpers.checks` and :mod:`helpers.activation_checks` call
the function under test themselves. While it runs, that function could patch
NumPy or the checks (``np.allclose = lambda *a, **k: True``), rebind the names
the test cell uses, start a thread or install a hook that does so a moment
later, or return objects whose comparisons lie. This module

- compares with primitives bound when it is imported (NumPy's ufuncs and the
  C methods of ``ndarray``), so that later patches of NumPy's attributes cannot
  change a comparison (:func:`allclose`);
- snapshots NumPy, ``math``, ``builtins`` and ``helpers`` when it is imported, and
  after every call of a student's function (:func:`call`) finds, undoes and
  reports any change to them, to the calling test cell's functions and
  modules, to the trace, profile and signal hooks, and any thread the call
  started that is still running.

It cannot stop code that writes to memory directly (``ctypes``); the grading
sandbox restores NumPy and ``helpers`` before every test cell as a second line.
"""

import gc
import math
import operator
import os
import signal
import sys
import threading
import time
import types

import numpy as np

# Primitives bound now: a later ``np.absolute = ...`` does not reach them, and
# ufuncs and the methods of the exact ``ndarray`` type cannot be patched.
ndarray = np.ndarray
asarray = np.asarray
_absolute, _subtract, _multiply, _add = np.absolute, np.subtract, np.multiply, np.add
_less_equal, _not_equal = np.less_equal, np.not_equal
isclose = math.isclose
frombuffer, shares_memory = np.frombuffer, np.shares_memory
_getframe, _type, _isinstance, _id = sys._getframe, type, isinstance, id
_all, _map, _is = all, map, operator.is_
_getitem = operator.getitem
_code = operator.attrgetter("__code__")
_defaults = operator.attrgetter("__defaults__")
_kwdefaults = operator.attrgetter("__kwdefaults__")

PROTECTED = ("builtins", "math", "numpy", "helpers")
_FUNCTION = types.FunctionType


def _protected(name):
    return any(name == p or name.startswith(p + ".") for p in PROTECTED)


def _snapshot(only=None):
    saved = {}
    for name, module in list(sys.modules.items()):
        if module is None or not _protected(name) or only is not None and name != only:
            continue
        attributes = dict(vars(module))
        if name == "builtins":   # IPython swaps these per request
            for key in ("input", "raw_input", "get_ipython", "display", "_", "__", "___",
                        "exit", "quit", "help"):
                attributes.pop(key, None)
        functions = {key: (value.__code__, value.__defaults__, value.__kwdefaults__)
                     for key, value in attributes.items() if _type(value) is _FUNCTION}
        saved[name] = (module, attributes, functions)
    return saved


_SAVED = _snapshot()


def seal(name):
    """Snapshot module ``name`` again, now that its import is complete.

    The checks import this module at their top, before they define anything:
    each calls ``seal(__name__)`` at its end.
    """
    _SAVED.update(_snapshot(name))
    _FLAT.clear()


def _remember_new_modules():
    """Snapshot protected modules imported since (``helpers.checks`` loads some lazily)."""
    new = sys.modules.keys() - _SEEN
    _SEEN.update(new)
    if any(name not in _SAVED and _protected(name) for name in new):
        _SAVED.update({k: v for k, v in _snapshot().items() if k not in _SAVED})
        _FLAT.clear()


#: Module names already looked at by _remember_new_modules.
_SEEN = set(sys.modules)


def _unchanged(name, module, attributes, functions):
    """Whether ``module`` holds exactly its snapshot (identity only), found in C loops.

    A check at every call of a student's function: a Python loop over the
    thousands of attributes of NumPy's modules took a millisecond and more.
    """
    fast = _FAST.get(name)
    if fast is None or fast[0] is not attributes:
        keys = tuple(attributes)
        functions_now = tuple(attributes[k] for k in functions)
        fast = (attributes, keys, tuple(attributes.values()), functions_now,
                tuple(f[0] for f in functions.values()), tuple(f[1] for f in functions.values()),
                tuple(f[2] for f in functions.values()))
        _FAST[name] = fast
    _, keys, values, functions_now, codes, defaults, kwdefaults = fast
    current = vars(module)
    try:
        now = tuple(_map(current.__getitem__, keys))
    except KeyError:
        return False
    return (_all(_map(_is, now, values)) and _all(_map(_is, _map(_code, functions_now), codes))
            and _all(_map(_is, _map(_defaults, functions_now), defaults))
            and _all(_map(_is, _map(_kwdefaults, functions_now), kwdefaults)))


_FAST = {}


def _all_unchanged():
    """Whether every snapshotted module is as snapshotted: one C pass over them all."""
    if not _FLAT:
        names, modules, dicts, keys, values, functions, saved_functions = [], [], [], [], [], [], []
        for name, (module, attributes, function_parts) in _SAVED.items():
            names.append(name)
            modules.append(module)
            current = vars(module)
            for key, value in attributes.items():
                dicts.append(current)
                keys.append(key)
                values.append(value)
            for key, parts in function_parts.items():
                functions.append(attributes[key])
                saved_functions.append(parts)
        _FLAT.update(names=tuple(names), modules=tuple(modules), dicts=tuple(dicts),
                     keys=tuple(keys), values=tuple(values), functions=tuple(functions),
                     codes=tuple(p[0] for p in saved_functions),
                     defaults=tuple(p[1] for p in saved_functions),
                     kwdefaults=tuple(p[2] for p in saved_functions))
    flat = _FLAT
    try:
        now = tuple(_map(_getitem, flat["dicts"], flat["keys"]))
    except KeyError:
        return False
    functions = flat["functions"]
    return (_all(_map(_is, _map(sys.modules.get, flat["names"]), flat["modules"]))
            and _all(_map(_is, now, flat["values"]))
            and _all(_map(_is, _map(_code, functions), flat["codes"]))
            and _all(_map(_is, _map(_defaults, functions), flat["defaults"]))
            and _all(_map(_is, _map(_kwdefaults, functions), flat["kwdefaults"])))


#: _all_unchanged's flattened snapshot; emptied whenever _SAVED changes.
_FLAT = {}


def _undo_module_changes():
    """Put back every protected module as snapshotted; return what had changed."""
    changed = []
    if _all_unchanged():
        return changed
    for name, (module, attributes, functions) in _SAVED.items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
            changed.append(f"sys.modules[{name!r}]")
        if _unchanged(name, module, attributes, functions):
            continue
        current = vars(module)
        for key, value in attributes.items():
            if current.get(key, current) is not value:
                current[key] = value
                changed.append(f"{name}.{key}")
        for key, (code, defaults, kwdefaults) in functions.items():
            function = attributes[key]
            if (function.__code__ is not code or function.__defaults__ is not defaults
                    or function.__kwdefaults__ is not kwdefaults):
                function.__code__, function.__defaults__ = code, defaults
                function.__kwdefaults__ = kwdefaults
                changed.append(f"the code of {name}.{key}")
    return changed


def _threads():
    try:
        return set(os.listdir("/proc/self/task"))
    except OSError:
        return {str(t.ident) for t in threading.enumerate()}


def _caller_globals():
    """The globals of the first frame outside ``helpers``: the test cell's namespace."""
    frame = _getframe(1)
    while frame is not None and str(frame.f_globals.get("__name__", "")).startswith("helpers"):
        frame = frame.f_back
    return frame.f_globals if frame is not None else {}


def _hooks():
    handlers = {}
    for number in range(1, signal.NSIG):
        try:
            handlers[number] = signal.getsignal(number)
        except (ValueError, OSError):
            continue
    return (sys.gettrace(), sys.getprofile(), threading._trace_hook, threading._profile_hook,
            len(gc.callbacks), handlers)


#: Threads that student functions started and left running (checked by every call).
_LEFT_RUNNING = set()


def call(function, *args):
    """``function(*args)``, and the list of what it did to the checks meanwhile.

    Returns
    -------
    result : object
        What the function returned.
    tampering : list of str
        Empty for an honest function. Otherwise each change it made (undone here)
        to NumPy, ``math``, ``builtins``, ``helpers``, the calling cell's functions
        and modules, or the interpreter's hooks; or the threads it left running.
    """
    _remember_new_modules()
    cell = _caller_globals()
    names = {k: v for k, v in cell.items()
             if _isinstance(v, (types.ModuleType, types.FunctionType, type))
             or callable(v) and _protected(str(getattr(_type(v), "__module__", "")))}
    hooks, threads = _hooks(), _threads()
    try:
        result = function(*args)
    finally:
        tampering = _after(cell, names, hooks, threads)
    return result, tampering


def _after(cell, names, hooks, threads):
    # A thread the call started gets half a second to end, so that what it changes
    # meanwhile is found below rather than at some later time.
    waited = 0.0
    while _threads() - threads and waited < 0.5:
        time.sleep(0.01)
        waited += 0.01
    tampering = _undo_module_changes()
    for key, value in names.items():
        if cell.get(key, cell) is not value:
            cell[key] = value
            tampering.append(f"the test cell's {key}")
    now = _hooks()
    labels = ("sys.settrace", "sys.setprofile", "threading.settrace", "threading.setprofile",
              "gc.callbacks", "signal handlers")
    for label, before, after in zip(labels, hooks, now):
        if before != after:
            tampering.append(label)
    if now[0] is not hooks[0]:
        sys.settrace(hooks[0])
    if now[1] is not hooks[1]:
        sys.setprofile(hooks[1])
    threading._trace_hook, threading._profile_hook = hooks[2], hooks[3]
    del gc.callbacks[hooks[4]:]
    for number, handler in hooks[5].items():
        if now[5].get(number) is not handler and handler is not None:
            try:
                signal.signal(number, handler)
            except (ValueError, OSError, TypeError):
                pass
    _LEFT_RUNNING.update(_threads() - threads)
    running = _LEFT_RUNNING & _threads()
    _LEFT_RUNNING.intersection_update(running)
    if running:
        tampering.append(f"{len(running)} thread(s) it started, still running")
    return tampering


_type_name = type.__dict__["__name__"].__get__
_type_mro = type.__dict__["__mro__"].__get__
_type_module = type.__dict__["__module__"].__get__
_exception_str = BaseException.__str__


def type_name(value):
    """The name of ``value``'s type, read without running any code of that type."""
    return _type_name(_type(value))


_ndarray_shape = np.ndarray.shape.__get__


def shape(value):
    """The shape of an ndarray (of a subclass too, without its code), else None."""
    return _ndarray_shape(value) if is_subclass_instance(value, ndarray) else None


def is_subclass_instance(value, cls):
    """Whether ``value`` is an instance of a subclass of ``cls`` (no code of its type runs)."""
    return any(c is cls for c in _type_mro(_type(value)))


def function_name(function):
    """``function.__name__`` for a plain function, else "the function" (nothing else runs)."""
    return function.__name__ if _type(function) is _FUNCTION else "the function"


def error_message(error):
    """``"TypeError: ..."`` for an exception the function raised, running none of its code
    unless its type is Python's own."""
    cls = _type(error)
    text = str(error) if _type_module(cls) == "builtins" else _exception_str(error)
    return _type_name(cls) + (f": {text}" if text else "")


def verify():
    """Raise AssertionError if NumPy or ``helpers`` changed since the last look (undoing it)."""
    changed = _undo_module_changes()
    if changed:
        raise AssertionError(describe(changed))


#: In every message of a check that refuses a result on principle (the grader logs them).
REFUSED = "refused by the checks"


def describe(tampering):
    """The check's message for ``tampering`` (see :func:`call`)."""
    shown = ", ".join(tampering[:4]) + (", ..." if len(tampering) > 4 else "")
    return (f"{REFUSED}: while it ran, it changed what the checks rely on ({shown}); a "
            f"function under test computes its result and returns it, without patching "
            f"NumPy or the checks, nor leaving threads or hooks behind")


def subclass_message(what, value, plain):
    """The check's message for ``what`` being a subclass of the ``plain`` type it should be."""
    return (f"{what} is a {type_name(value)}, a subclass of {plain.__name__} ({REFUSED}: "
            f"a subclass can change how it compares); return a plain {plain.__name__}")


def freeze(arrays):
    """``{key: array}`` as immutable bytes, out of reach of the function under test."""
    frozen = {}
    for key, value in arrays.items():
        value = asarray(value, dtype=float)
        frozen[key] = (value.tobytes(), value.shape)
    return frozen


def thaw(frozen):
    """The arrays :func:`freeze` stored, as fresh float arrays."""
    return {key: frombuffer(data, dtype=float).reshape(shape).copy()
            for key, (data, shape) in frozen.items()}


def allclose(got, want, rtol, atol=0.0):
    """``np.allclose(got, want, rtol=rtol, atol=atol)`` with primitives bound at import.

    ``got`` and ``want`` must be plain ndarrays (see :func:`plain_array`); a NaN is
    never close.
    """
    diff = _absolute(_subtract(got, want))
    bound = _add(atol, _multiply(rtol, _absolute(want)))
    exact = (got == want)
    return bool((_less_equal(diff, bound) | exact).all())


def any_nonzero(values):
    """Whether the plain ndarray ``values`` has a non-zero entry."""
    return bool(_not_equal(values, 0).any())
