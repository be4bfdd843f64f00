"""``course worker-check``: can this machine grade as a Dask worker of the course?

A worker needs what the driver grades with and nothing of the course root:
the course package (``course`` and ``helpers``) importable by the interpreter
that runs ``course worker`` (``dask worker``), nbgrader and distributed, Python
3.11 or newer, and the grading sandbox (bubblewrap, namespaces allowed). :func:`report`
checks each and says what to fix. The versions it prints are those the driver
compares before grading (``course.grading.cluster.bundle.mismatch``).
"""

import sys

__all__ = ["report", "import_lines", "LOADERS"]


def _course():
    import course
    return course


def _helpers():
    import helpers
    return helpers


def _nbgrader():
    import nbgrader
    return nbgrader


def _distributed():
    import distributed
    return distributed


#: What a worker imports to grade, in the order checked: (name, a function importing it).
LOADERS = (("course", _course), ("helpers", _helpers), ("nbgrader", _nbgrader),
           ("distributed", _distributed))

_FIX = "pip install the course package (the driver's version; it brings nbgrader and distributed)"


def report():
    """(lines to print, whether this machine can grade)."""
    lines, ok = import_lines(LOADERS)
    lines.append(f"python {sys.version.split()[0]} ({sys.executable})")
    if ok:
        from course.grading.cluster.bundle import package_digests
        from course.sandbox.kernel import memory_bound, problem

        why = problem()
        if why:
            lines.append(f"the grading sandbox cannot run here: {why}")
            ok = False
        else:
            lines.append("the grading sandbox (bubblewrap) works on this machine")
            lines.append(memory_bound())
        digests = package_digests()
        lines.append(f"course package files: {len(digests['course'])} in course, "
                     f"{len(digests['helpers'])} in helpers (the driver compares their digests)")
    lines.append("this machine can grade as a Dask worker" if ok
                 else "this machine cannot grade as a Dask worker (see above)")
    return lines, ok


def import_lines(loaders):
    """(one line per module of ``loaders``: its version and file, or why it cannot be imported;
    whether every one can).

    Parameters
    ----------
    loaders : sequence of (str, callable)
        Each module's name and a function that imports it and returns it (:data:`LOADERS`).
    """
    lines, ok = [], True
    for name, load in loaders:
        try:
            module = load()
        except ImportError as error:
            lines.append(f"cannot import {name} ({error}): {_FIX}")
            ok = False
            continue
        version = getattr(module, "__version__", "")
        where = getattr(module, "__file__", "") or ""
        lines.append(f"{name} {version} importable ({where})".replace("  ", " "))
    return lines, ok
