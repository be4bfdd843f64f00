"""The settings the course's notebooks want from the kernel they run in, applied by one call.

Each notebook's imports cell ends with::

    from helpers.kernel import setup_notebook
    setup_notebook()

Importing this module, or any module of :mod:`helpers`, changes nothing; only
the call does, and only what :func:`setup_notebook` lists.
"""

import gc
import sys

from threadpoolctl import threadpool_limits

__all__ = ["setup_notebook"]


def setup_notebook(*, blas_threads=1):
    """Set up the notebook's kernel: one BLAS thread, each figure drawn once, imports frozen.

    Call it once, at the end of the imports cell. Outside an IPython kernel
    (a script, a test) only the BLAS limit applies.

    Parameters
    ----------
    blas_threads : int or None, default=1
        Threads of NumPy's BLAS (and of any OpenMP pool loaded by then);
        ``None`` leaves them as they are. See :func:`limit_blas_threads`.
    """
    if blas_threads is not None:
        limit_blas_threads(blas_threads)
    IPython = sys.modules.get("IPython")
    shell = IPython.get_ipython() if IPython is not None else None
    if shell is None:
        return
    history = shell.user_ns.get("_ih") or [""]
    remember_imports(history[-1], shell.user_ns)   # the imports cell, running now
    draw_each_figure_once(shell)
    freeze_the_imports()


def remember_imports(source, namespace):
    """Tell the checks which names the imports cell defines (see ``helpers.answer_rules``)."""
    from .answer_rules import remember_imports as remember

    remember(source, list(namespace))


def limit_blas_threads(threads=1):
    """Run NumPy's BLAS (and OpenMP, if loaded) with ``threads`` threads.

    OpenBLAS starts one thread per core, and its threads spin while they wait
    for work. The course's matrices are small, so one thread is as fast on a
    quiet machine, and on a busy one (a JupyterHub node, other kernels
    training) several kernels' threads spinning against each other made
    ``Layers.ipynb`` dozens of times slower (BENCHMARKS.md). One thread
    cannot oversubscribe the cores, and it computes the same numbers.
    NumPy is imported first, so that its BLAS is loaded when the limit is set.
    """
    import numpy  # noqa: F401 (loads the BLAS that the limit applies to)

    if not (isinstance(threads, int) and threads >= 1):
        raise ValueError(f"blas_threads must be a whole number >= 1 or None, got {threads!r}")
    threadpool_limits(limits=threads)


def draw_each_figure_once(shell):
    """Drop ``bbox_inches="tight"`` from the inline backend's settings.

    IPython's default crops each figure to what it draws, which draws it twice
    to find its edges; the course's figures set their own margins. The same as
    ``%config InlineBackend.print_figure_kwargs = {"bbox_inches": None}``,
    without the magic, which first loads every lazy magic of IPython (20 ms).
    """
    from matplotlib_inline.config import InlineBackend

    config = InlineBackend.instance(parent=shell)
    config.print_figure_kwargs = {**config.print_figure_kwargs, "bbox_inches": None}


def freeze_the_imports():
    """Collect garbage once, then put every object alive out of the collector's reach.

    By now the kernel holds about 100,000 objects (IPython, NumPy, matplotlib)
    that live as long as it does. Every full collection walks all of them
    (30 ms), and a kernel that shuts down runs several: 0.2 s at every restart
    and after every notebook graded. Frozen (:func:`gc.freeze`), they are
    skipped, and the kernel exits in 0.03 s. The collection first means that no
    garbage is frozen; objects created later are collected as usual.
    """
    gc.collect()
    gc.freeze()
