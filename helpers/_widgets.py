"""What the course's explorers share: whether to show widgets, and how an explorer is shown.

An explorer (:mod:`helpers.explorer`, :mod:`helpers.moons_explorer`) is one
figure. Where a front end can draw widgets, it is shown as its ipywidgets
controls above the figure they redraw, and nothing else: no second, still
copy of the figure that would go stale at the first change. Under nbgrader
(autograde, Validate) it is shown as a still image of its default setting.
Importing this module imports no widget library.
"""

import base64
import functools
import io
import os

import PIL.Image

__all__ = ["widgets_wanted", "png_of", "explorer_box", "show_explorer_or_still"]


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
def explorer_box(text):
    """An ``ipywidgets.VBox`` class for an explorer whose figure is its ``.image`` widget.

    Shown, it offers three forms of itself: the widget; its figure at the time
    it is shown, as PNG, for what cannot draw widgets (an HTML export, a
    viewer of saved notebooks); and the one line ``text``, which nbval
    compares with the stored one (the default repr names a model id that
    changes at every run).
    """
    import ipywidgets as w

    class Explorer(w.VBox):
        def __repr__(self):
            return text

        def _repr_mimebundle_(self, **kwargs):
            bundle = super()._repr_mimebundle_(**kwargs)
            image = getattr(self, "image", None)
            if image is not None and image.format == "png" and image.value:
                bundle["image/png"] = base64.b64encode(image.value).decode("ascii")
            return bundle

    return Explorer


def show_explorer_or_still(png, build):
    """Display ``build()``'s explorer where widgets are wanted, else the still image ``png``.

    One figure either way: the explorer's own (its ``.image``, which starts
    as ``png``) or, under nbgrader or without ipywidgets, ``png`` alone,
    which is what Validate, the autograder and the feedback page show.
    Returns the explorer shown, or None (``build`` is then never called).
    """
    from IPython.display import Image, display

    box = None
    if widgets_wanted():
        try:
            box = build()
        except ImportError:   # no ipywidgets: the still image is all there is
            box = None
    display(box if box is not None else Image(png, format="png"))
    return box
