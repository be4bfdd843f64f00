"""The judge process: where the student's function is called, one test cell at a time.

This module runs inside the grading sandbox, in a process of its own that the
notebook's kernel never shares (``course/judge/process.py`` starts it). It
imports only the standard library, NumPy and ``helpers`` (what the sandbox
shows), and gets its own source and the codec's from the grader on its stdin.

It is a fork server. It first runs the notebook's locked cells (the imports
cell, restored from the instructor's copy by nbgrader), then, for each request,
forks a child that holds those imports and nothing else of the notebook: the
child runs the student's answer cell alone, calls the function on the grader's
inputs and writes what it returned, as plain JSON, to a pipe of its own. Code
in the student's other cells never runs in a judge process, so it cannot touch
what is observed here.

The inputs that are arrays live in memory shared with this fork server, which
the child cannot reach otherwise (the server is not dumpable, so the child
cannot trace it or read its memory through /proc). After the child has ended,
the server compares that memory with what it wrote there and reports which
inputs the function changed in place: an observation the child cannot forge.

Frames on stdin and stdout are an 8-byte big-endian length and that many bytes
of JSON; the child never holds either pipe.
"""

import json
import os
import sys
import warnings

import numpy as np

MAX_CHILD_OUTPUT = 64 * 2**20


# -- frames ----------------------------------------------------------------------------------

def read_exact(fd, size):
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise EOFError("the grader closed the pipe")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def read_frame(fd=0):
    return json.loads(read_exact(fd, int.from_bytes(read_exact(fd, 8), "big")))


def write_frame(payload, fd=1):
    data = payload if type(payload) is bytes else json.dumps(payload).encode()
    view = memoryview(len(data).to_bytes(8, "big") + data)
    while view:
        view = view[os.write(fd, view):]


# -- the function's arguments ----------------------------------------------------------------

def _inverse_sqrt(n_prev):
    return 1 / np.sqrt(n_prev)


def _xavier(n_prev):
    return np.sqrt(1 / n_prev)


def _he(n_prev):
    return np.sqrt(2 / n_prev)


def _constant(value):
    def constant(n_prev):
        return value
    return constant


def named(name):
    """The plain function the grader names: an activation, or a weight scale of n_prev."""
    from helpers.network import ACTIVATIONS
    table = {**ACTIVATIONS, "inverse_sqrt": _inverse_sqrt, "xavier": _xavier, "he": _he}
    return table[name]


def build(spec, arrays):
    """The live argument that ``spec`` describes; arrays are views on the shared block."""
    kind, value = next(iter(spec.items()))
    if kind == "value":
        return sys.intern(value) if type(value) is str else value
    if kind == "array":
        return arrays[value]
    if kind == "list":
        return [build(item, arrays) for item in value]
    if kind == "tuple":
        return tuple(build(item, arrays) for item in value)
    if kind == "rng":
        return np.random.default_rng(value)
    if kind == "named":
        return named(value)
    if kind == "constant":
        return _constant(float(value))
    raise ValueError(f"unknown kind of argument {kind!r}")


# -- one request: the child's side -----------------------------------------------------------

def prepared(request, arrays):
    """Every call's arguments, built before any student code runs: per call, per repeat.

    The repeats of a call share its objects (a list changed in place shows the
    second time) but for generators, made anew of the same seed. Tuples all the
    way, so that nothing the answer cell runs can swap what a call is handed.
    """
    calls = []
    for call in request["calls"]:
        first = tuple(build(spec, arrays) for spec in call["args"])
        repeats = [first] + [tuple(build(spec, arrays) if "rng" in spec else arg
                                   for spec, arg in zip(call["args"], first))
                             for _ in range(call["repeat"] - 1)]
        reseed = None if call["reseed"] is None else tuple(call["reseed"])
        calls.append((reseed, tuple(repeats)))
    return tuple(calls)


def outcomes(request, namespace, arrays, codec, checkpoint):
    """Run the answer cell in ``namespace``, then every call: the outcomes, encoded, and per
    call whether it returned (part of) an earlier result of this request again.

    ``checkpoint()`` is called as each call returns, before anything else runs: the
    fork server compares the inputs' memory then, so that a change undone by a later
    call still shows. Everything used after the answer cell has run is bound here
    first, so that the cell cannot swap it by rewriting a module's names (the grader
    also refuses an answer cell that reaches into the interpreter:
    ``helpers/answer_rules.py``).
    """
    from helpers.plain import error_text, plain, shares_state, spoil

    calls, encode, seed, randn = prepared(request, arrays), codec.encode, np.random.seed, \
        np.random.randn
    catch, errstate, ignore = warnings.catch_warnings, np.errstate, warnings.simplefilter
    name = request["function"]
    try:
        code = compile(request["answer"], request["filename"], "exec")
        load_named_lazy_modules(code, namespace)
        exec(code, namespace)
    except BaseException as error:  # noqa: B902 (a SystemExit in the cell is the cell's)
        text = f"the answer cell raised {error_text(error)} when run on its own"
        return [[encode({"raised": text})] * len(repeats) for _, repeats in calls], \
            [False] * len(calls)
    function = namespace.get(name)
    if not callable(function):
        text = (f"NameError: name {name!r} is not defined by the answer cell (the grader "
                f"runs the answer cell on its own, after the imports cell)")
        return [[encode({"raised": text})] * len(repeats) for _, repeats in calls], \
            [False] * len(calls)
    results, reused, kept = [], [], []
    for reseed, repeats in calls:
        if reseed is not None:
            seed(reseed[0])
            randn(reseed[1])
        encoded, shared = [], False
        for time, args in enumerate(repeats):
            with catch(), errstate(all="ignore"):
                ignore("ignore")
                try:
                    result = function(*args)
                except Exception as error:  # the student's code: the grader words it
                    checkpoint()
                    encoded.append(encode({"raised": error_text(error)}))
                    continue
                checkpoint()
                encoded.append(encode({"returned": plain(result)}))
                shared = shared or any(shares_state(result, earlier) for earlier in kept)
                kept.append(result)   # alive to the end: a later result cannot reuse its memory
                spoil(result, arrays)
        results.append(encoded)
        reused.append(shared)
    return results, reused


def child(request, namespace, arrays, codec, out, marks, acks):
    """The forked child: answer the request on ``out`` and end (never returns).

    After each call it writes a byte on ``marks`` and waits for the fork server's byte
    on ``acks``: the server has compared the inputs' memory by then.
    """
    status = 0
    write, read, close = os.write, os.read, os.close

    def checkpoint():
        write(marks, b"c")
        read(acks, 1)

    try:
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):   # the fork server's pipes are never the student's
            os.dup2(devnull, fd)
        results, reused = outcomes(request, namespace, arrays, codec, checkpoint)
        close(marks)
        answer = json.dumps({"outcomes": results, "reused": reused})
        view = memoryview(answer.encode())
        while view:
            view = view[os.write(out, view):]
    except BaseException:  # noqa: B902 (whatever happened, the grader sees no answer)
        status = 1
    os._exit(status)


class _Shell:
    """What ``get_ipython()`` gives the cells here: IPython's magics turned into nothing.

    The grader turns a cell's ``%magic`` lines into ``get_ipython().run_line_magic``
    calls (IPython's own transformer); the judge runs no magic: ``%matplotlib inline``
    has nothing to draw on here, and any other raises.
    """

    def run_line_magic(self, name, line, *args, **kwargs):
        if name != "matplotlib":
            raise RuntimeError(f"the grader runs no %{name} magic in an answer cell")

    def run_cell_magic(self, name, line, cell):
        raise RuntimeError(f"the grader runs no %%{name} magic in an answer cell")


# -- the fork server -------------------------------------------------------------------------

def _not_dumpable():
    """Keep a child from tracing this process or reading its memory (PR_SET_DUMPABLE 0)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(4, 0, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_DUMPABLE, 0) failed")


def _drain(fd):
    chunks, size = [], 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        size += len(chunk)
        if size <= MAX_CHILD_OUTPUT:
            chunks.append(chunk)
        else:
            chunks = [b"too long"]


def serve(request, namespace, codec):
    """Answer one request: fork, relay the child's answer, report the changed inputs."""
    from helpers.plain import shared_arrays

    block, arrays = shared_arrays([codec.decode_array(a) for a in request["arrays"]])
    before = [a.tobytes() for a in arrays]
    read_end, write_end = os.pipe()
    marks_read, marks = os.pipe()
    acks, acks_write = os.pipe()
    pid = os.fork()
    if pid == 0:
        for fd in (read_end, marks_read, acks_write):
            os.close(fd)
        child(request, namespace, arrays, codec, write_end, marks, acks)
    for fd in (write_end, marks, acks):
        os.close(fd)
    changed = set()
    while os.read(marks_read, 1):   # a call returned: compare before the child goes on
        changed |= _changed(arrays, before)
        try:
            os.write(acks_write, b"a")
        except BrokenPipeError:
            break
    answer = _drain(read_end)
    for fd in (read_end, marks_read, acks_write):
        os.close(fd)
    _, status = os.waitpid(pid, 0)
    changed |= _changed(arrays, before)
    del arrays   # the views on the block, which must go before it closes
    block.close()
    write_frame(answer)
    write_frame({"changed": sorted(changed), "status": os.waitstatus_to_exitcode(status)})


def _changed(arrays, before):
    """The positions of the arrays whose bytes are no longer those of ``before``."""
    return {k for k, (array, bytes_before) in enumerate(zip(arrays, before))
            if array.tobytes() != bytes_before}


#: The modules of matplotlib that the judge loads when a function first uses one of
#: them, not when the imports cell imports them (importlib's LazyLoader): pyplot (the
#: imports cell's), the figure and its canvas (helpers' explorers). Loading them is
#: about half a second of CPU, mostly matplotlib writing every artist's docstrings,
#: in every judge process, and no function of these exercises draws. Nothing in
#: matplotlib depends on importing them for their side effects.
LAZY_MODULES = frozenset({"matplotlib.pyplot", "matplotlib.figure",
                          "matplotlib.backends.backend_agg"})


def lazy_imports(names=LAZY_MODULES):
    """From now on, the modules ``names`` load on first use of an attribute (a ``from
    ... import`` of one is such a use)."""
    import importlib.abc
    import importlib.machinery
    import importlib.util

    class Lazy(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name not in names:
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = importlib.util.LazyLoader(spec.loader)
            return spec

    sys.meta_path.insert(0, Lazy())


def load_named_lazy_modules(code, namespace):
    """Load each lazy module of ``namespace`` that ``code`` names (``plt``), before it runs.

    A module still lazy is of another type than a module (``type(plt)``): an answer
    cell could tell the judge from the notebook by it, and behave only when graded.
    Loaded, it is a module like the kernel's. Only cells that name one pay for it.
    """
    names, codes = set(), [code]
    while codes:
        current = codes.pop()
        names.update(current.co_names)
        codes.extend(c for c in current.co_consts if isinstance(c, type(code)))
    for name in names & namespace.keys():
        value = namespace[name]
        if isinstance(value, type(sys)) and type(value) is not type(sys):
            getattr(value, "__name__")   # the first attribute read runs the module


def main(boot):
    """Run the locked cells, then answer requests until the grader closes stdin."""
    import types

    codec = types.ModuleType("course_codec")
    exec(compile(boot["codec"], "course_codec", "exec"), codec.__dict__)
    _not_dumpable()
    lazy_imports()
    shell = _Shell()
    namespace = {"__name__": "__main__", "__builtins__": __builtins__,
                 "get_ipython": lambda: shell}
    try:
        for source in boot["prelude"]:
            exec(compile(source, "<imports cell>", "exec"), namespace)
    except BaseException as error:  # noqa: B902 (the grader stops: its own cells failed)
        write_frame({"ready": False, "error": f"{type(error).__name__}: {error}"[:500]})
        return
    write_frame({"ready": True})
    while True:
        try:
            request = read_frame()
        except EOFError:
            return
        serve(request, namespace, codec)


#: What the grader runs with ``python -P -c``: read the sources, then :func:`main`.
BOOT = """\
import json, os, types
os.closerange(3, os.sysconf("SC_OPEN_MAX"))   # the lifeline (course.sandbox.lifetime), and all else
def _read(n):
    data = b""
    while len(data) < n:
        chunk = os.read(0, n - len(data))
        if not chunk:
            raise SystemExit(3)
        data += chunk
    return data
_boot = json.loads(_read(int.from_bytes(_read(8), "big")))
_judge = types.ModuleType("course_judge")
exec(compile(_boot["runner"], "course_judge", "exec"), _judge.__dict__)
del _read
_judge.main(_boot)
"""
