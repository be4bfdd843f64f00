"""An explorer of initialization: pick a start, an activation, a depth and a width, see the result.

The figure is a pure function of the controls (:class:`Settings`):
:func:`draw` draws it on a figure, :func:`render` gives it as PNG bytes.
Left, the histogram of every layer's activations, one above the other (layer
1 at the bottom); right, layer by layer, the spread of the activations going
forward and of the gradient coming back (:mod:`helpers.gradients`). The
network's numbers for a setting are computed once and kept
(:func:`profile_for`), so that coming back to a setting costs only the drawing.

:func:`explorer` builds the ipywidgets controls around it; :func:`show_explorer`
shows them, with the figure under them, where a front end can draw them, and a
still image of the default settings elsewhere (while nbgrader grades or
validates, see :func:`widgets_wanted`). Importing this module imports no
widget library.
"""

import functools
import math
from dataclasses import dataclass

import numpy as np
import matplotlib.backends.backend_agg
import matplotlib.figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator, StrMethodFormatter

from ._widgets import explorer_box, png_of, show_explorer_or_still, widgets_wanted
from .activations import gaussian_inputs
from .gradients import depth_profile
from .network import ACTIVATIONS

__all__ = ["INITS", "Settings", "profile_for", "Drawing", "draw", "render", "explorer",
           "show_explorer", "widgets_wanted"]

#: The starts the explorer offers: zeros, a chosen standard deviation, Xavier, He.
INITS = ("zeros", "std", "xavier", "he")
#: Examples sent through the network (the same standard normal inputs every time).
N_EXAMPLES = 200
BINS = 40
FIGSIZE = (9.0, 3.6)
DPI = 72


@dataclass(frozen=True)
class Settings:
    """The explorer's controls.

    Attributes
    ----------
    init : {"zeros", "std", "xavier", "he"}
    std : float
        Standard deviation of the weights when ``init == "std"``.
    activation : {"sigmoid", "tanh", "relu"}
    depth : int
        Number of layers.
    width : int
        Units of every layer (and features of the inputs).
    """

    init: str = "he"
    std: float = 0.01
    activation: str = "relu"
    depth: int = 8
    width: int = 64

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; expected one of {', '.join(INITS)}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"unknown activation {self.activation!r}; expected one of "
                             f"{', '.join(ACTIVATIONS)}")
        if not (math.isfinite(self.std) and self.std > 0):
            raise ValueError(f"std must be a positive number, got {self.std!r}")
        for name in ("depth", "width"):
            value = getattr(self, name)
            if not (isinstance(value, (int, np.integer)) and value >= 1):
                raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")

    def weight_std(self):
        """The scale :func:`helpers.gradients.depth_profile` takes for this start."""
        return {"zeros": 0.0, "std": float(self.std)}.get(self.init, self.init)

    def label(self):
        """The start in words: ``"std 0.01"``, ``"He"``, ..."""
        return {"zeros": "zeros", "std": f"std {self.std:.3g}", "xavier": "Xavier",
                "he": "He"}[self.init]


@functools.lru_cache(maxsize=128)
def profile_for(settings):
    """The network's arrays for ``settings`` (a :class:`helpers.gradients.Profile`), kept."""
    X = gaussian_inputs(settings.width, N_EXAMPLES, random_state=0)
    return depth_profile(X, [settings.width] * settings.depth, settings.weight_std(),
                         settings.activation, random_state=1)


MAX_DEPTH = 12
#: Toggle buttons wide enough for their longest label ("sigmoid") in JupyterLab's font.
BUTTONS = {"button_width": "80px"}
#: The box in one line of text, where widgets cannot be drawn (nbval compares it).
REPR = "Explorer (start, std, activation, depth, width; figure redrawn on change)"


def _histogram_values(activations, activation):
    """What the left panel bins for each layer, the bin edges and the x label."""
    if activation == "relu":
        # ReLU's zeros left out; the rest on a log10 axis, where a spread that grows
        # tenfold moves one unit right.
        with np.errstate(divide="ignore"):
            values = [np.log10(A[A > 0]) for A in activations]
        finite = np.concatenate([v[np.isfinite(v)] for v in values])
        low, high = (np.percentile(finite, [0.5, 99.5]) if finite.size else (-1.0, 1.0))
        # Even decades: the frame (ticks, labels) then changes only now and then.
        low, high = 2 * float(np.floor(low / 2)), 2 * float(np.ceil(high / 2))
        if high - low < 4:
            low, high = low - 2, high + 2
        label = "log10 of the activation (zeros left out)"
    else:
        values = [A.ravel() for A in activations]
        low, high = (0.0, 1.0) if activation == "sigmoid" else (-1.0, 1.0)
        label = "activation"
    return values, np.linspace(low, high, BINS + 1), label


class Drawing:
    """The explorer's figure, drawn once and updated in place for each setting.

    What :meth:`png` gives depends on the settings alone, not on the settings
    shown before (a test compares the bytes). Reusing the figure spares
    creating it at every change, and the frame (axes, ticks, labels, titles,
    most of the drawing time) is drawn only when it changes: the layer axes
    always have room for :data:`MAX_DEPTH` layers, the value axes move by
    steps of several decades, and a frame already drawn is kept as pixels,
    over which only the histograms and the two lines are drawn again.
    """

    def __init__(self):
        self.figure = matplotlib.figure.Figure(figsize=FIGSIZE, dpi=DPI)
        self.canvas = matplotlib.backends.backend_agg.FigureCanvasAgg(self.figure)
        self._frames = {}   # frame key -> the frame's pixels, without the data
        self.left, self.right = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
        edges = np.linspace(0, 1, BINS + 1)
        self.steps = [self.left.stairs(np.zeros(BINS), edges, baseline=0, fill=True, alpha=0.8)
                      for _ in range(MAX_DEPTH)]
        # Blue: the activations; orange: the gradient (the title says so: a legend
        # costs a third of a redraw).
        self.lines = [self.right.plot([], [], marker="o", markersize=3, color=color)[0]
                      for color in ("tab:blue", "tab:orange")]
        self.note = self.right.text(0.5, 0.5, "", transform=self.right.transAxes,
                                    ha="center", fontsize="small")
        for artist in (*self.steps, *self.lines):
            artist.set_animated(True)   # left out of the frame, drawn over it
        # Room for the deepest network whatever the depth shown: the frame does not
        # change with the depth.
        self.left.set_ylim(0.8, MAX_DEPTH + 0.95)
        self.right.set_xlim(0.5, MAX_DEPTH + 0.5)
        # Few ticks and texts: drawing text is most of the time of a redraw.
        self.left.set_ylabel("layer")
        self.left.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        self.left.xaxis.set_major_locator(MaxNLocator(nbins=4))
        self.left.set_title("Activations, layer by layer", y=1.0)
        self.right.set_yscale("log")
        self.right.yaxis.set_major_locator(LogLocator(numticks=5))
        self.right.yaxis.set_major_formatter(StrMethodFormatter("{x:.0e}"))  # no mathtext
        self.right.yaxis.set_minor_locator(NullLocator())
        self.right.xaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
        self.right.set_xlabel("layer")
        self.right.set_ylabel("standard deviation")
        self.right.set_title("Spread: activations (blue), gradient (orange)", y=1.0)

    def update(self, settings):
        """Show ``settings``; returns the figure."""
        if settings.depth > MAX_DEPTH:
            raise ValueError(f"the explorer draws at most {MAX_DEPTH} layers, got "
                             f"{settings.depth}")
        profile = profile_for(settings)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            self._histograms(profile, settings.activation)
            self._spreads(profile)
        return self.figure

    def _histograms(self, profile, activation):
        values, edges, label = _histogram_values(profile.activations, activation)
        for l, step in enumerate(self.steps, start=1):
            step.set_visible(l <= len(values))
            if l > len(values):
                continue
            v = values[l - 1]
            counts, _ = np.histogram(v[np.isfinite(v)], bins=edges)
            peak = counts.max()
            heights = counts / peak * 0.9 if peak else counts.astype(float)
            step.set_data(heights + l, edges, baseline=l)
        self.left.set_xlim(edges[0], edges[-1])
        self.left.set_xlabel(label)

    def _spreads(self, profile):
        layers = np.arange(1, len(profile.weights) + 1)
        shown = []
        for line, values in zip(self.lines, (profile.activation_std(), profile.gradient_std())):
            values = np.where(np.isfinite(values) & (values > 0), values, np.nan)
            line.set_data(layers, values)
            shown.extend(values[np.isfinite(values)])
        low, high = (min(shown), max(shown)) if shown else (0.1, 10.0)
        # Limits at multiples of three decades, for the frame's sake (see Drawing).
        self.right.set_ylim(10.0 ** (3 * np.floor((np.log10(low) - 0.2) / 3)),
                            10.0 ** (3 * np.ceil((np.log10(high) + 0.2) / 3)))
        missing = len(shown) < 2 * len(layers)
        self.note.set_text("values of 0 (no spread) are left out" if missing else "")

    def _frame_key(self):
        return (self.left.get_xlim(), self.left.get_ylim(), self.left.get_xlabel(),
                self.right.get_xlim(), self.right.get_ylim(), self.note.get_text())

    def png(self):
        """The figure as PNG bytes."""
        key = self._frame_key()
        if key not in self._frames:
            self.canvas.draw()   # the frame: everything but the animated data
            self._frames[key] = self.canvas.copy_from_bbox(self.figure.bbox)
            if len(self._frames) > 64:
                self._frames.pop(next(iter(self._frames)))
        self.canvas.restore_region(self._frames[key])
        for artist in (*self.steps, *self.lines):
            if artist.get_visible():
                self.figure.draw_artist(artist)
        return png_of(self.canvas)


def draw(settings):
    """The explorer's figure for ``settings``, on a new figure.

    Returns
    -------
    matplotlib.figure.Figure
    """
    return Drawing().update(settings)


def render(settings, drawing=None):
    """The explorer's figure for ``settings`` as PNG bytes (on ``drawing`` if given)."""
    drawing = drawing if drawing is not None else Drawing()
    drawing.update(settings)
    return drawing.png()


def explorer(settings=Settings(), *, png=None):
    """The controls and the figure they redraw, as one ipywidgets box.

    ``png``, if given, is ``render(settings)`` already made (it is not made twice).

    Returns
    -------
    ipywidgets.VBox
        Its ``.image`` is the figure (an ``ipywidgets.Image`` of PNG bytes) and
        its ``.settings()`` the settings shown.
    """
    import ipywidgets as w

    init = w.ToggleButtons(options=[("zeros", "zeros"), ("std", "std"), ("Xavier", "xavier"),
                                    ("He", "he")], value=settings.init, description="start",
                           style=BUTTONS)
    std = w.FloatLogSlider(value=settings.std, base=10, min=-3, max=1, step=0.25,
                           description="std", readout_format=".3g",
                           disabled=settings.init != "std")
    activation = w.ToggleButtons(options=list(ACTIVATIONS), value=settings.activation,
                                 description="activation", style=BUTTONS)
    depth = w.IntSlider(value=settings.depth, min=1, max=MAX_DEPTH, description="depth")
    width = w.IntSlider(value=settings.width, min=8, max=256, step=8, description="width")
    drawing = Drawing()
    image = w.Image(value=png if png is not None else render(settings, drawing), format="png",
                    width=int(FIGSIZE[0] * DPI))   # its own size, not stretched
    controls = (init, std, activation, depth, width)

    def current():
        return Settings(init.value, float(std.value), activation.value, int(depth.value),
                        int(width.value))

    def update(change=None):
        std.disabled = init.value != "std"
        image.value = render(current(), drawing)

    for control in controls:
        control.observe(update, names="value")
    box = explorer_box(REPR)(children=[w.HBox([init, activation]), w.HBox([std, depth, width]),
                                     image])
    box.image, box.settings, box.controls = image, current, controls
    return box


def show_explorer(settings=Settings()):
    """Display the explorer, starting at ``settings``, or a still image of that figure.

    The explorer where widgets can be drawn (JupyterLab: the controls, and the
    figure they redraw under them); the still image under nbgrader, which is
    what Validate, the autograder and the feedback page see.
    """
    png = render(settings)
    return show_explorer_or_still(png, lambda: explorer(settings, png=png))
