"""What an answer cell may use, so that the grader can observe its function.

The grader's judge process (``course/judge/runner.py``) runs the answer cell in
a process of its own, so no other cell of the notebook can touch what it
observes there. The
answer cell itself shares that process with the observation: code in it that
reaches into the interpreter (its frames, its garbage collector, function
code objects, ``ctypes``) could rewrite how the judge calls the function or
what it sends back, and hide a side effect (a result handed out twice, an
input changed in place) that the values alone do not show.

It could also tell the judge process from the notebook, and behave only when
graded: by a name another cell defines (``LAYERS_DIMS``, IPython's ``In`` or
``display``), which the judge, running the cell alone, does not have.

A function of these exercises needs none of that. :func:`reaches` reads the
answer cell's syntax (it runs nothing) and lists every construct outside what
such a function uses: imports other than NumPy, ``math`` and the course's
``helpers``; names that start with two underscores, or that neither the cell
nor the imports cell defines; attributes that start with an underscore or are
not in NumPy's, ``math``'s and the built-in types' public API (and pyplot's
and IPython.display's, for a function that draws or shows what it computes);
attributes set (``np.allclose = ...``); the built-ins that read or set
attributes by name, run code, or open files.
The grader does not judge an answer cell that reaches (its test cells score
zero, and the log names the line), so that the attack gains nothing; the
instructor reads the cell in the formgrader and grades it by hand if it is
innocent. The checks under each exercise say the same at once
(:func:`cell_reaches`, :func:`message`), so that a student learns it before
handing in.
"""

import ast
import builtins
import linecache
import math
import re
import types
from functools import lru_cache

import numpy as np

__all__ = ["reaches", "message", "cell_reaches", "remember_imports", "ALLOWED_MODULES",
           "SOLVERS"]

#: What an answer cell may import.
ALLOWED_MODULES = ("numpy", "numpy.random", "numpy.linalg", "math", "matplotlib.pyplot",
                   "IPython.display")
#: What an answer cell may import from IPython.display.
_DISPLAY = {"display", "update_display", "clear_output"}


def _allowed_module(module):
    """Whether an answer cell may import ``module``: :data:`ALLOWED_MODULES`, or a public
    module of ``helpers`` (of which it may take what helpers defines)."""
    parts = (module or "").split(".")
    return module in ALLOWED_MODULES or parts[0] == "helpers" and not any(
        p.startswith("_") for p in parts)

#: Built-ins that reach objects by name, run code or touch files.
_FORBIDDEN_BUILTINS = {"getattr", "setattr", "delattr", "hasattr", "vars", "globals", "locals",
                       "eval", "exec", "compile", "__import__", "open", "breakpoint", "input",
                       "help", "memoryview", "dir", "id"}

#: Public names withheld all the same: ``str.format`` (its fields read attributes by name;
#: allowed on a string literal whose fields do not, see :func:`_safe_format_calls`), an
#: array's raw memory (``ndarray.ctypes``), files
#: (``np.load`` unpickles with ``allow_pickle``; a file is how a pickle would get there),
#: and pyplot's backends, which are modules found by name.
_WITHHELD = {"format", "format_map", "ctypes",
             # what tells the grader's process from the notebook: where an array's memory
             # lives, and matplotlib's backend (also a module imported by name)
             "base", "flags", "data", "byte_bounds", "shares_memory", "may_share_memory",
             "rcParams", "rc", "rc_context", "rcdefaults", "get_backend", "isinteractive", "load", "loads", "save", "savez", "savez_compressed", "savetxt",
             "loadtxt", "genfromtxt", "fromfile", "tofile", "dump", "dumps", "memmap",
             "DataSource", "fromregex", "imread", "imsave", "savefig", "switch_backend",
             "install_repl_displayhook", "uninstall_repl_displayhook", "new_figure_manager"}

#: NumPy's submodules an answer may go through (the others reach the interpreter:
#: ``numpy.ctypeslib``, ``numpy.lib``, ``numpy.testing``, ...).
_SUBMODULES = {"random", "linalg", "emath"}


@lru_cache(maxsize=1)
def _plain_attributes():
    """The attribute names an answer may use, but pyplot's: the public API of NumPy, math
    and the plain types, and IPython's ``display``."""
    names = set()
    sources = [np, np.random, np.linalg, math, np.ndarray, np.random.Generator,
               np.random.RandomState, np.dtype, np.generic, np.float64, dict, list, tuple,
               str, int, float, bool, complex, set, frozenset, range, slice]
    for source in sources:
        for name in dir(source):
            if name.startswith("_"):
                continue
            value = getattr(source, name, None)
            if isinstance(value, types.ModuleType) and name not in _SUBMODULES:
                continue   # ctypeslib, lib, testing, ... lead to the interpreter
            names.add(name)
    names.add("display")   # IPython's display() alone (its display classes read files)
    return frozenset(names - _WITHHELD)


@lru_cache(maxsize=1)
def _pyplot_functions():
    """pyplot's public functions (its classes, formatters among them, read attributes by
    name). Imported only when an answer uses a name NumPy's API does not have: importing
    pyplot costs the grader most of a second, and few answers draw."""
    import matplotlib.pyplot as plt

    return frozenset({name for name, value in vars(plt).items() if not name.startswith("_")
                      and isinstance(value, types.FunctionType)} - _WITHHELD)


def _allowed_attribute(name):
    """Whether an answer may use the attribute ``name`` (pyplot's looked up last)."""
    return name in _plain_attributes() or name in _pyplot_functions()


def _imports(node):
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [f"{'.' * node.level}{node.module or ''}"]
    return []


def bound_names(tree):
    """Every name a module binds anywhere: assigned, defined, imported, a parameter, a target."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            names.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            names.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
    return names


def _format_fields(text):
    """The field names of a format string, nested ones included (None if it does not parse)."""
    import string

    names = []
    try:
        for _, field, spec, _ in string.Formatter().parse(text):
            if field is not None:
                names.append(field)
            if spec:
                names += _format_fields(spec) or []
    except ValueError:
        return None
    return names


def _safe_format_calls(tree):
    """The ``.format`` attributes of calls on a string literal whose fields read nothing.

    ``"W{}".format(l)`` and ``"{0}{1}".format(k, l)`` are how students build keys;
    ``"{0.__globals__}".format(f)`` reads an attribute by name, as ``getattr`` would.
    """
    safe = set()
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format" and isinstance(node.func.value, ast.Constant)
                and type(node.func.value.value) is str):
            fields = _format_fields(node.func.value.value)
            if fields is not None and not any(set(f) & set(".[") for f in fields):
                safe.add(id(node.func))
    return safe


#: What helpers computes of the exercises themselves (by the module that defines it): an
#: answer cell that imported it would hand in the course's function instead of its own.
#: The notebooks' imports cells, which the instructor writes, may still use them.
SOLVERS = {
    "helpers.network": {"layer_forward", "layer_backward", "linear_backward", "forward",
                        "backward", "Passes", "to_layers"},
    "helpers.gradients": {"forward", "backward_step", "backward", "depth_profile", "Profile"},
    "helpers.initializers": {"initialize_parameters", "draw_weights", "scale_of", "SCALES"},
    "helpers.training": {"fit"},
}


def _solver(module, name):
    """Whether ``from module import name`` gives one of :data:`SOLVERS`, wherever it is
    imported from (``helpers.activations`` re-exports ``initialize_parameters``)."""
    import importlib

    if module == "helpers":
        return False   # a module of helpers: its attributes are refused on their own
    if name in SOLVERS.get(module, ()):
        return True
    try:
        value = getattr(importlib.import_module(module), name, None)
    except ImportError:
        return False
    owner, own_name = getattr(value, "__module__", None), getattr(value, "__name__", None)
    return type(owner) is str and type(own_name) is str and own_name in SOLVERS.get(owner, ())


def _helpers_name(module, name):
    """Whether ``from module import name`` (a module of helpers) gives something of helpers'.

    A function or class helpers defines, or a plain number or string; not what a module
    of helpers imported itself (``dataclass``, which runs code it builds from strings).
    """
    import importlib
    import importlib.util

    if module == "helpers":
        return _allowed_module(f"helpers.{name}") and \
            importlib.util.find_spec(f"helpers.{name}") is not None
    value = getattr(importlib.import_module(module), name, None)
    if type(value) in (int, float, str, bool):
        return True
    owner = getattr(value, "__module__", None)
    return type(owner) is str and owner.split(".")[0] == "helpers" and not isinstance(
        value, types.ModuleType)


def _parsed(source):
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):
        return None


#: Statements after which the rest of their block never runs.
_BLOCK_ENDS = (ast.Raise, ast.Return, ast.Continue, ast.Break)


def _unreachable_names(tree):
    """The ``Name`` nodes of statements that follow a raise, return, break or continue in
    their own block: code that never runs, as the release's stub leaves it (``raise
    NotImplementedError()`` above the function's ``return dA_prev, dW``)."""
    dead = set()
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            block = getattr(node, field, None)
            if not isinstance(block, list):
                continue
            end = next((k for k, stmt in enumerate(block) if isinstance(stmt, _BLOCK_ENDS)),
                       len(block))
            dead.update(id(name) for stmt in block[end + 1:] for name in ast.walk(stmt)
                        if isinstance(name, ast.Name))
    return dead


def reaches(source, prelude=(), names=()):
    """What in the answer cell ``source`` (Python) reaches beyond what its function needs.

    ``prelude``: the sources of the notebook's locked cells that run before it (the
    imports cell), whose names the cell may use; ``names``: more names it may use.

    Returns
    -------
    list of str
        One line per construct, ``"line 3: import of os"``; empty when the cell keeps
        to NumPy, math and the course's helpers, and to names it or the imports define.
    """
    tree = _parsed(source)
    if tree is None:
        return []   # it fails when run: the judge reports that
    formats = _safe_format_calls(tree)
    known = bound_names(tree) | set(dir(builtins)) | set(names)
    for cell in prelude:
        parsed = _parsed(cell)
        known |= bound_names(parsed) if parsed is not None else set()
    # a name read only where nothing runs tells the function nothing (every other rule
    # holds there too)
    dead = _unreachable_names(tree)
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", "?")
        for module in _imports(node):
            if not _allowed_module(module):
                found.append(f"line {line}: import of {module or 'a relative module'}")
        if isinstance(node, ast.ImportFrom) and _allowed_module(node.module):
            for alias in node.names:
                if node.module.startswith("helpers") and _solver(node.module, alias.name):
                    found.append(f"line {line}: import of {node.module}.{alias.name}, the "
                                 f"course's own version of what an exercise asks you to write")
                    continue
                bad = alias.name.startswith("_") or (
                    not _helpers_name(node.module, alias.name)
                    if node.module.startswith("helpers") else alias.name not in _DISPLAY
                    if node.module == "IPython.display" else not _allowed_attribute(alias.name))
                if bad:
                    found.append(f"line {line}: import of {node.module}.{alias.name}")
        if isinstance(node, ast.MatchClass):   # case C(attr=...) reads attr by name
            found += [f"line {line}: attribute {name} (in a class pattern)"
                      for name in node.kwd_attrs if name.startswith("_")
                      or not _allowed_attribute(name)]
        if isinstance(node, ast.Attribute) and id(node) in formats:
            continue
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_")
                                                or not _allowed_attribute(node.attr)):
            found.append(f"line {line}: attribute {node.attr}")
        elif isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load):
            found.append(f"line {line}: sets attribute {node.attr}")
        elif isinstance(node, ast.Name) and (node.id.startswith("__")
                                             or node.id in _FORBIDDEN_BUILTINS):
            found.append(f"line {line}: {node.id}")
        elif isinstance(node, ast.Name) and node.id not in known and id(node) not in dead:
            found.append(f"line {line}: {node.id}, which neither the answer cell nor the "
                         f"imports cell defines")
    return list(dict.fromkeys(found))


def message(function, reached):
    """What a student reads when the answer cell of ``function`` reaches too far."""
    return (f"{function}: the answer cell reaches beyond what the exercise needs "
            f"({'; '.join(reached[:3])}), so the grader cannot observe the function there; "
            f"this test scores zero and your instructor will read the cell")


#: The file names IPython gives the code of a cell (ipykernel's, then IPython's own).
_IPYTHON_CELL = re.compile(r"[/\\]ipykernel_\d+[/\\][^/\\]+\.py$|^<ipython-input-")

#: The names the notebook's imports cell defines, as :func:`remember_imports` was told.
_IMPORTED = set()

#: Names IPython puts in a notebook's namespace, which the grader's process does not have.
_IPYTHON_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "display"}


def remember_imports(source="", names=()):
    """Keep the names the imports cell defines, which an answer cell may use: those its
    ``source`` binds, or, where the kernel keeps no input history (nbval), the ``names``
    the namespace holds by then. ``helpers.kernel.setup_notebook`` calls this."""
    from IPython.core.inputtransformer2 import TransformerManager

    tree = _parsed(TransformerManager().transform_cell(source)) if source.strip() else None
    found = bound_names(tree) if tree is not None else {
        n for n in names if not n.startswith("_") and n not in _IPYTHON_NAMES}
    _IMPORTED.clear()
    _IMPORTED.update(found)


def cell_reaches(function):
    """:func:`reaches` on the notebook cell that defined ``function`` (empty if unknown).

    IPython keeps each cell's source under the file name its code carries; a
    function defined elsewhere (a script, a test) has no cell, and nothing is said.
    """
    code = getattr(function, "__code__", None)
    filename = getattr(code, "co_filename", None)
    if type(filename) is not str or not _IPYTHON_CELL.search(filename):
        return []
    lines = linecache.getlines(filename)
    if not lines:
        return []
    from IPython.core.inputtransformer2 import TransformerManager

    return reaches(TransformerManager().transform_cell("".join(lines)), names=_IMPORTED)
