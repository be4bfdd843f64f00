"""What the course's explorers share: whether to show widgets, and how they are shown.

An explorer (:mod:`helpers.explorer`, :mod:`helpers.moons_explorer`) is a still
image of its default setting, then, where a front end can draw them, ipywidgets
controls that redraw their own copy of the figure. Importing this module
imports no widget library.
"""

import functools
import io
import os

import PIL.Image

__all__ = ["widgets_wanted", "png_of", "titled_box", "show_still_then_controls"]


def widgets_wanted():
    """Whether to show the controls: not while nbgrader grades or validates the notebook.

    nbgrader sets ``NBGRADER_EXECUTION`` in the kernels it runs (autograde and
    Validate), which have no front end; widgets there would only wait for one.
    """
    return os.environ.get("NBGRADER_EXECUTION") is None


def png_of(canvas):
    """What an Agg ``canvas`` holds now, as PNG bytes (without drawing it again)."""
    buffer = io.BytesIO()
    width, height = canvas.get_width_height()
    PIL.Image.frombuffer("RGBA", (width, height), canvas.buffer_rgba(), "raw",
                         "RGBA", 0, 1).save(buffer, format="png")
    return buffer.getvalue()


@functools.cache
def titled_box(text):
    """An ``ipywidgets.VBox`` class shown as the one line ``text`` where widgets cannot be drawn.

    nbval compares that line with the stored one; the default repr names a
    model id that changes at every run.
    """
    import ipywidgets as w

    class Explorer(w.VBox):
        def __repr__(self):
            return text

    return Explorer


def show_still_then_controls(png, build):
    """Display the still image ``png``, then ``build()``'s widget where one is wanted.

    The image is what nbval, Validate, the autograder and the feedback page
    see. Returns the widget shown, or None (under nbgrader, or without
    ipywidgets), in which case ``build`` is never called.
    """
    from IPython.display import Image, display

    display(Image(png, format="png"))
    if not widgets_wanted():
        return None
    try:
        box = build()
    except ImportError:   # no ipywidgets: the still image is all there is
        return None
    display(box)
    return box
