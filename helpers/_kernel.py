"""The settings the course's notebooks want from the IPython kernel they run in.

:mod:`helpers.plotting` applies them once it is imported, which in both
notebooks is after NumPy and matplotlib. Outside a kernel (scripts, tests, the
``course`` tool) nothing changes.
"""

import gc
import sys


def setup():
    """Apply both settings below, if this runs inside an IPython kernel."""
    IPython = sys.modules.get("IPython")
    shell = IPython.get_ipython() if IPython is not None else None
    if shell is None:
        return
    draw_each_figure_once(shell)
    freeze_the_imports()


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
