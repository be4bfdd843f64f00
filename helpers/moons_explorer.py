"""An explorer of part 1's network on the two moons: pick a start, see how training went.

The controls (:class:`MoonsSettings`) are the start (zeros, large random
values x10, He, or a chosen standard deviation on a logarithmic slider) and the
learning rate. For each setting part 1's network (``[2, 10, 5, 1]``, 15,000
iterations of :func:`helpers.training.fit`) is trained once and its outcome
kept (:class:`Trainings`): coming back to a setting costs only the drawing.
The runs the notebook has already made are handed in at the start and kept
as they are, so that the default setting costs no training at all.

The figure is a function of the setting (and of the runs kept for it):
:class:`MoonsDrawing` draws it, left the cost curve, right the decision
boundary over the training points, with the train and test accuracies in its
title. :func:`moons_explorer` builds the ipywidgets controls around it;
:func:`show_moons_explorer` shows them, with the figure under them, where a
front end can draw them, and a still image of the default setting elsewhere
(while nbgrader grades or validates, see :func:`helpers._widgets.widgets_wanted`). Importing this module
imports no widget library.
"""

import math
from dataclasses import dataclass

import numpy as np
import matplotlib.backends.backend_agg
import matplotlib.figure
from matplotlib.ticker import LogLocator, MaxNLocator, NullLocator, StrMethodFormatter

from ._widgets import explorer_box, png_of, show_explorer_or_still
from .plotting import CMAP, decision_grid, plot_data
from .training import Run, accuracy, fit, predict

__all__ = ["INITS", "LEARNING_RATES", "MoonsSettings", "initial_parameters", "Outcome",
           "Trainings", "MoonsDrawing", "draw", "render", "moons_explorer",
           "show_moons_explorer"]

#: The starts offered: part 1's three, and a standard deviation of the student's choice.
INITS = ("zeros", "random", "he", "std")
#: The notebook's runs the explorer can be handed, by the start they used.
SEEDABLE = ("zeros", "random", "he")
LEARNING_RATES = (0.001, 0.003, 0.01, 0.03, 0.1)
LAYERS_DIMS = (2, 10, 5, 1)
NUM_ITERATIONS = 15000
RECORD_EVERY = 1000
#: The seed of part 1's initializers (``np.random.seed(3)``).
SEED = 3
RANDOM_SCALE = 10
RESOLUTION = 150
COST_LIMITS = (1e-4, 10.0)
FIGSIZE = (9.0, 3.6)
DPI = 72
#: The box in one line of text, where widgets cannot be drawn (nbval compares it).
REPR = "Moons explorer (start, std, learning rate; cost and boundary after training)"


@dataclass(frozen=True)
class MoonsSettings:
    """The moons explorer's controls.

    Attributes
    ----------
    init : {"zeros", "random", "he", "std"}
        ``"random"`` is part 1's large random start, a standard normal times 10.
    std : float
        Standard deviation of the weights when ``init == "std"`` (ignored otherwise).
    learning_rate : float
    """

    init: str = "he"
    std: float = 0.01
    learning_rate: float = 0.01

    def __post_init__(self):
        if self.init not in INITS:
            raise ValueError(f"unknown init {self.init!r}; expected one of {', '.join(INITS)}")
        for name in ("std", "learning_rate"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a positive number, got {value!r}")

    def key(self):
        """What the training depends on: the std only counts for ``init == "std"``."""
        return (self.init, float(self.std) if self.init == "std" else None,
                float(self.learning_rate))

    def label(self):
        """The start in words: ``"He"``, ``"std 0.01"``, ..."""
        return {"zeros": "zeros", "random": "large random (x10)", "he": "He",
                "std": f"std {self.std:.3g}"}[self.init]


def initial_parameters(settings, layers_dims=LAYERS_DIMS):
    """The start ``settings`` names, drawn as part 1's initializers draw it.

    One ``randn(n, n_prev)`` per layer, in order, from ``np.random.RandomState(3)``
    (the numbers of the notebook's ``np.random.seed(3)``, without touching
    NumPy's global generator), times 10 (``"random"``), ``sqrt(2 / n_prev)``
    (``"he"``) or ``settings.std``; all zeros for ``"zeros"``. Biases are zero.

    Returns
    -------
    parameters : dict of str to ndarray
        ``W<l>`` of shape (layers_dims[l], layers_dims[l - 1]), ``b<l>`` of shape
        (layers_dims[l], 1).
    """
    generator = np.random.RandomState(SEED)
    parameters = {}
    for l, (n_prev, n) in enumerate(zip(layers_dims[:-1], layers_dims[1:]), start=1):
        if settings.init == "zeros":
            W = np.zeros((n, n_prev))
        else:
            scale = {"random": RANDOM_SCALE, "he": np.sqrt(2 / n_prev)}.get(settings.init,
                                                                            settings.std)
            W = generator.randn(n, n_prev) * scale
        parameters[f"W{l}"], parameters[f"b{l}"] = W, np.zeros((n, 1))
    return parameters


@dataclass(frozen=True)
class Outcome:
    """One setting's training run and what the figure shows of it.

    Attributes
    ----------
    run : helpers.training.Run
    train_accuracy, test_accuracy : float
    regions : ndarray of int of shape (RESOLUTION, RESOLUTION)
        The label the trained network gives each point of the grid
        (:func:`helpers.plotting.decision_grid`), first coordinate along the columns.
    """

    run: Run
    train_accuracy: float
    test_accuracy: float
    regions: np.ndarray


class Trainings:
    """Part 1's network trained on the moons, once per setting.

    Parameters
    ----------
    data : (train_X, train_Y, test_X, test_Y)
        As :func:`helpers.datasets.load_moons` returns them.
    runs : dict of str to helpers.training.Run, optional
        Runs already made, by their start (``"zeros"``, ``"random"``, ``"he"``):
        kept as given for ``MoonsSettings(init=start, learning_rate=run.learning_rate)``,
        never trained again. Each must have recorded the costs of a run of
        ``num_iterations`` iterations.
    num_iterations : int, default=15000
        Iterations of every training (part 1's).

    Attributes
    ----------
    trained : int
        How many trainings this object has run (runs handed in do not count).
    """

    def __init__(self, data, runs=None, *, num_iterations=NUM_ITERATIONS):
        self.train_X, self.train_Y, self.test_X, self.test_Y = data
        self.num_iterations = num_iterations
        self.trained = 0
        self._runs, self._outcomes = {}, {}
        self.grid = decision_grid(self.train_X, RESOLUTION)
        expected = list(range(0, num_iterations, RECORD_EVERY))
        for init, run in (runs or {}).items():
            if init not in SEEDABLE:
                raise ValueError(f"a run handed in is named {init!r}; expected one of "
                                 f"{', '.join(SEEDABLE)}")
            if list(run.iterations) != expected:
                raise ValueError(f"the {init} run recorded its cost at iterations "
                                 f"{run.iterations[:2]}...{run.iterations[-1:]}, but the "
                                 f"explorer trains for {num_iterations} iterations, recording "
                                 f"every {RECORD_EVERY}")
            self._runs[MoonsSettings(init, learning_rate=run.learning_rate).key()] = run

    def known(self, settings):
        """Whether ``settings`` needs no training (run handed in, or trained before)."""
        return settings.key() in self._runs

    def outcome(self, settings):
        """The :class:`Outcome` of ``settings``: trained the first time, then kept."""
        key = settings.key()
        if key not in self._outcomes:
            if key not in self._runs:
                self._runs[key] = fit(self.train_X, self.train_Y, initial_parameters(settings),
                                      learning_rate=settings.learning_rate,
                                      num_iterations=self.num_iterations,
                                      record_every=RECORD_EVERY)
                self.trained += 1
            run = self._runs[key]
            g1, g2 = self.grid
            regions = predict(np.vstack([g1.ravel(), g2.ravel()]), run.parameters)
            self._outcomes[key] = Outcome(
                run, accuracy(self.train_X, self.train_Y, run.parameters),
                accuracy(self.test_X, self.test_Y, run.parameters), regions.reshape(g1.shape))
        return self._outcomes[key]


def _cost_note(costs):
    """A line on the costs the log axis cannot show, or ``""``."""
    costs = np.asarray(costs, dtype=float)
    if np.isnan(costs).any():
        return f"cost NaN from iteration {int(np.argmax(np.isnan(costs))) * RECORD_EVERY}: " \
               f"training diverged"
    if np.isinf(costs).any():
        at = ", ".join(str(i * RECORD_EVERY) for i in np.flatnonzero(np.isinf(costs)))
        return f"cost inf at iteration {at} (not drawn): a confident wrong answer"
    return ""


class MoonsDrawing:
    """The moons explorer's figure, drawn once and updated in place for each setting.

    What :meth:`png` gives depends on the setting (and the runs ``trainings``
    keeps) alone, not on the settings shown before (a test compares the
    bytes). Its frame (axes, limits, ticks, labels) is the same for every
    setting: it is drawn once and kept as pixels, over which the regions, the
    training points, the cost curve and the titles are drawn again.
    """

    def __init__(self, trainings):
        self.trainings = trainings
        self.figure = matplotlib.figure.Figure(figsize=FIGSIZE, dpi=DPI)
        self.canvas = matplotlib.backends.backend_agg.FigureCanvasAgg(self.figure)
        self.costs, self.boundary = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
        self.line = self.costs.plot([], [], marker="o", markersize=3)[0]
        self.note = self.costs.text(0.5, 0.9, "", transform=self.costs.transAxes,
                                    ha="center", fontsize="small")
        self.costs.set_xlim(-0.03 * trainings.num_iterations, trainings.num_iterations)
        self.costs.set_yscale("log")
        self.costs.set_ylim(*COST_LIMITS)
        self.costs.yaxis.set_major_locator(LogLocator(numticks=4))
        self.costs.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))  # no mathtext
        self.costs.yaxis.set_minor_locator(NullLocator())
        # Few ticks: drawing their labels is most of the time of the frame.
        self.costs.xaxis.set_major_locator(MaxNLocator(nbins=4, steps=[1, 2, 5, 10]))
        self.costs.set_xlabel("iteration")
        self.costs.set_ylabel("cost (cross-entropy)")
        g1, g2 = trainings.grid
        # The regions as an image, updated in place (contourf draws anew each time).
        self.regions = self.boundary.imshow(
            np.zeros(g1.shape), extent=(g1[0, 0], g1[0, -1], g2[0, 0], g2[-1, 0]),
            origin="lower", cmap=CMAP, vmin=0, vmax=1, alpha=0.3, interpolation="nearest",
            aspect="auto")
        plot_data(trainings.train_X, trainings.train_Y, ax=self.boundary)
        # What changes with the setting is drawn over a frame kept as pixels (the axes,
        # ticks and labels: most of the time of a full draw), in this order.
        self._changing = (self.regions, *self.boundary.collections, self.line, self.note,
                          self.costs.title, self.boundary.title)
        for artist in self._changing:
            artist.set_animated(True)
        self._frame = None

    def update(self, settings):
        """Show ``settings`` (trained first if it is new to ``trainings``); returns the figure."""
        outcome = self.trainings.outcome(settings)
        costs = np.asarray(outcome.run.costs, dtype=float)
        self.line.set_data(outcome.run.iterations, np.where(np.isfinite(costs), costs, np.nan))
        self.note.set_text(_cost_note(costs))
        self.costs.set_title(f"Training cost, learning rate {settings.learning_rate:g}", y=1.0)
        self.regions.set_data(outcome.regions)
        self.boundary.set_title(f"{settings.label()}: train {outcome.train_accuracy:.1%}, "
                                f"test {outcome.test_accuracy:.1%}", y=1.0)
        return self.figure

    def png(self):
        """The figure as PNG bytes."""
        if self._frame is None:
            self.canvas.draw()   # the frame: everything but what changes
            self._frame = self.canvas.copy_from_bbox(self.figure.bbox)
        self.canvas.restore_region(self._frame)
        for artist in self._changing:
            self.figure.draw_artist(artist)
        return png_of(self.canvas)


def draw(settings, trainings):
    """The figure for ``settings`` on a new figure (a matplotlib ``Figure``)."""
    return MoonsDrawing(trainings).update(settings)


def render(settings, drawing):
    """The figure for ``settings`` as PNG bytes, drawn on ``drawing`` (a :class:`MoonsDrawing`)."""
    drawing.update(settings)
    return drawing.png()


def moons_explorer(trainings, settings=MoonsSettings(), *, drawing=None, png=None):
    """The controls and the figure they redraw, as one ipywidgets box.

    ``drawing`` and ``png``, if given, are a :class:`MoonsDrawing` of
    ``trainings`` and ``render(settings, drawing)`` already made.

    Returns
    -------
    ipywidgets.VBox
        Its ``.image`` is the figure (an ``ipywidgets.Image`` of PNG bytes),
        ``.status`` a line that says when a setting is being trained,
        ``.settings()`` the settings shown and ``.controls`` the controls.
    """
    import ipywidgets as w

    buttons = {"button_width": "64px"}
    init = w.ToggleButtons(options=[("zeros", "zeros"), ("x10", "random"), ("He", "he"),
                                    ("std", "std")], value=settings.init, description="start",
                           style=buttons)
    std = w.FloatLogSlider(value=settings.std, base=10, min=-3, max=1, step=0.25,
                           description="std", readout_format=".3g",
                           disabled=settings.init != "std")
    rates = sorted({*LEARNING_RATES, float(settings.learning_rate)})   # the notebook's too
    rate = w.ToggleButtons(options=[(f"{r:g}", r) for r in rates],
                           value=settings.learning_rate, description="learning rate",
                           style=buttons)
    drawing = drawing if drawing is not None else MoonsDrawing(trainings)
    image = w.Image(value=png if png is not None else render(settings, drawing), format="png",
                    width=int(FIGSIZE[0] * DPI))   # its own size, not stretched
    status = w.Label(value="")
    controls = (init, std, rate)

    def current():
        return MoonsSettings(init.value, float(std.value), float(rate.value))

    def update(change=None):
        std.disabled = init.value != "std"
        shown = current()
        if not trainings.known(shown):
            status.value = (f"training from {shown.label()}, learning rate "
                            f"{shown.learning_rate:g} ({trainings.num_iterations:,} iterations)...")
        image.value = render(shown, drawing)
        status.value = ""

    for control in controls:
        control.observe(update, names="value")
    box = explorer_box(REPR)(children=[w.HBox([init, std]), rate, status, image])
    box.image, box.status, box.settings, box.controls = image, status, current, controls
    return box


def show_moons_explorer(runs=None, data=None, settings=None, *, num_iterations=NUM_ITERATIONS):
    """Display the explorer, starting at ``settings``, or a still image of that figure.

    Parameters
    ----------
    runs : dict of str to helpers.training.Run, optional
        The notebook's runs, by start (``"zeros"``, ``"random"``, ``"he"``):
        shown as they are, not trained again (see :class:`Trainings`).
    data : (train_X, train_Y, test_X, test_Y), optional
        The moons the runs were trained on (:func:`helpers.datasets.load_moons`
        by default).
    settings : MoonsSettings, optional
        The setting shown first. By default the He run handed in (else the
        first run handed in), at the learning rate it was trained with, so that
        the first figure costs no training; He at learning rate 0.01 without runs.
    num_iterations : int, default=15000
        Iterations of every training: the notebook's, which its runs were trained with.

    In JupyterLab, the controls and the figure they redraw under them, each new
    setting trained once; under nbgrader the still image, which is what
    Validate, the autograder and the feedback page see.
    """
    if data is None:
        from .datasets import load_moons
        data = load_moons()
    runs = dict(runs or {})
    trainings = Trainings(data, runs, num_iterations=num_iterations)
    if settings is None:
        first = "he" if "he" in runs else next(iter(runs), None)
        settings = (MoonsSettings() if first is None
                    else MoonsSettings(first, learning_rate=runs[first].learning_rate))
    drawing = MoonsDrawing(trainings)
    png = render(settings, drawing)
    return show_explorer_or_still(
        png, lambda: moons_explorer(trainings, settings, drawing=drawing, png=png))
