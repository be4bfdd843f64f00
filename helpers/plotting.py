"""Figures of the course. Each function draws on ``ax`` (or a new one) and returns it.

Importing this module changes no setting; the notebooks' kernel settings are
:func:`helpers.kernel.setup_notebook`'s, called in their imports cells.
"""

import numpy as np
from matplotlib.ticker import (FormatStrFormatter, LogLocator, MaxNLocator, NullLocator,
                               StrMethodFormatter)

from .training import predict

__all__ = ["plot_data", "plot_costs", "plot_decision_boundary", "decision_grid", "plot_activation_histograms",
           "plot_images", "plot_gradient_profiles"]

CMAP = "coolwarm"


def _subplots(*args, **kwargs):
    """``plt.subplots``. pyplot is imported on the first figure rather than with this
    module: the grader's judge process imports what the imports cell imports, draws
    nothing, and is spared loading pyplot (course/judge/runner.py, ``LAZY_MODULES``)."""
    import matplotlib.pyplot as plt

    return plt.subplots(*args, **kwargs)


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = _subplots(figsize=figsize)
    return ax


def _title(ax, title):
    # y=1.0 is where matplotlib puts a title anyway when nothing is drawn above
    # the axes; saying so spares it measuring the x axis at every draw.
    ax.set_title(title, y=1.0)


def plot_data(X, Y, *, ax=None, title=None):
    """Scatter plot of 2-D points ``X`` (2, m) coloured by label ``Y`` (1, m)."""
    ax = _axes(ax)
    ax.scatter(X[0], X[1], c=np.ravel(Y), s=12, cmap=CMAP, alpha=0.7, edgecolors="none")
    # Unicode subscripts rather than mathtext ("$x_1$"), whose parser costs a
    # notebook's first figure 70 ms and every figure after it 15 ms.
    ax.set_xlabel("x\N{SUBSCRIPT ONE}")
    ax.set_ylabel("x\N{SUBSCRIPT TWO}")
    # At most 6 intervals per axis, at steps of 1, 2 or 5 (times a power of ten):
    # the default puts up to 9 ticks, at steps as small as 0.2, and each tick
    # costs about 1 ms to draw.
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_locator(MaxNLocator(nbins=6, steps=[1, 2, 5, 10]))
    if title:
        _title(ax, title)
    return ax


def plot_costs(runs, *, ax=None, log_scale=False):
    """Cost curves of one or several training runs.

    Parameters
    ----------
    runs : Run or dict of str to Run
        A dict draws one labelled curve per entry.
    ax : matplotlib Axes, optional
    log_scale : bool, default=False
        Draw the cost on a logarithmic axis.
    """
    ax = _axes(ax)
    if not isinstance(runs, dict):
        runs = {None: runs}
    for label, run in runs.items():
        costs = np.asarray(run.costs, dtype=float)
        ax.plot(run.iterations, np.where(np.isfinite(costs), costs, np.nan),
                marker="o", markersize=3, label=label)
    ax.set_xlabel("iteration")
    ax.set_ylabel("cost (cross-entropy)")
    if log_scale:
        ax.set_yscale("log")
        # 0.01, 0.1, 1 rather than powers of ten, which are drawn with mathtext.
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:g}"))
    rates = {run.learning_rate for run in runs.values()}
    _title(ax, f"Training cost, learning rate {rates.pop()}" if len(rates) == 1
           else "Training cost")
    if any(label is not None for label in runs):
        ax.legend()
    return ax


def plot_decision_boundary(parameters, X, Y, *, ax=None, title=None, resolution=150):
    """The regions the network labels 0 and 1, with the points ``X`` on top.

    Parameters
    ----------
    parameters : dict of str to ndarray
        A trained network for 2-D inputs.
    X : ndarray of shape (2, m)
    Y : ndarray of shape (1, m)
    resolution : int, default=150
        Grid points along each axis. 150 x 150 draws the same regions as a
        finer grid at the size of a notebook figure, in less time.
    """
    ax = _axes(ax)
    g1, g2 = decision_grid(X, resolution)
    labels = predict(np.vstack([g1.ravel(), g2.ravel()]), parameters).reshape(g1.shape)
    ax.contourf(g1, g2, labels, levels=[-0.5, 0.5, 1.5], cmap=CMAP, alpha=0.3)
    plot_data(X, Y, ax=ax, title=title)
    return ax


def decision_grid(X, resolution=150):
    """The grid :func:`plot_decision_boundary` labels: the points' range and 1 more each way.

    Returns
    -------
    g1, g2 : ndarray of shape (resolution, resolution)
        First and second coordinates of the grid points (``np.meshgrid``).
    """
    x1 = np.linspace(X[0].min() - 1, X[0].max() + 1, resolution)
    x2 = np.linspace(X[1].min() - 1, X[1].max() + 1, resolution)
    return np.meshgrid(x1, x2)


#: A row of histograms gets a logarithmic x axis when its values are all >= 0 and
#: the spreads of its panels differ by more than this factor: on a shared linear
#: axis the narrowest panels would fit in one bar.
LOG_X_RATIO = 10
#: A row gets a logarithmic count axis when, in one of its panels, the tallest bar
#: is more than this many times the next tallest: on a linear axis it would
#: flatten the others.
LOG_COUNT_RATIO = 5


def plot_activation_histograms(experiments, *, bins=30, value_range=None, title=None,
                               panel_size=(2.0, 1.6)):
    """Histograms of every layer's activations: layers as columns, experiments as rows.

    Each panel is titled with its layer and the mean and standard deviation of
    all its values (the numbers of :func:`helpers.activations.format_layer_stats`).
    Values exactly 0 (ReLU's switched-off units) are left out of the bars and
    their share is written in the title instead ("zeros 50%"), so that the bars
    show how the other values spread. The panels of a row share their axes, so a
    distribution that narrows or widens from layer to layer is visible:

    - x, by default from the row's smallest to its largest value (0 included);
      a row of values >= 0 whose panels' standard deviations (zeros left out)
      differ by more than :data:`LOG_X_RATIO` gets a logarithmic axis and bins
      instead, on which a distribution ten times wider sits a decade further right;
    - counts, on a logarithmic axis where one bar towers over the others (more
      than :data:`LOG_COUNT_RATIO` times the next tallest of its panel), so that
      the others stay visible.

    Parameters
    ----------
    experiments : dict of str to list of ndarray
        For each experiment (a row, labelled by its key), the activations of
        every layer, arrays of shape (n_l, m).
    bins : int, default=30
    value_range : (float, float), optional
        x range of every panel, on a linear axis; by default each row spans its
        own values, as above.
    title : str, optional
        Title of the figure.
    panel_size : (float, float), default=(2.0, 1.6)
        Width and height of one panel, in inches.

    Returns
    -------
    axes : ndarray of matplotlib Axes of shape (n_experiments, n_layers)
    """
    if not experiments:
        raise ValueError("experiments is empty; expected {row label: [layer activations]}")
    n_cols = max(len(layers) for layers in experiments.values())
    if n_cols == 0:
        raise ValueError("every experiment has an empty list of layers; expected one "
                         "array per layer")
    n_rows = len(experiments)
    width, height = panel_size[0] * n_cols + 1, panel_size[1] * n_rows + 0.6
    fig, axes = _subplots(n_rows, n_cols, squeeze=False, sharey="row",
                             figsize=(width, height))
    # Fixed margins, in inches, instead of tight_layout, which measures every
    # tick label of every panel (a third of the time of a 4 x 5 grid). Rows
    # are 0.62 inch apart: a two-line panel title and the tick labels above it.
    top, bottom, gap = (0.75 if title else 0.45), 0.35, 0.62
    panel_height = (height - top - bottom - gap * (n_rows - 1)) / n_rows
    fig.subplots_adjust(left=0.8 / width, right=1 - 0.15 / width, bottom=bottom / height,
                        top=1 - top / height, wspace=0.15, hspace=gap / panel_height)
    for row, (label, layers) in zip(axes, experiments.items()):
        _histogram_row(row, [np.asarray(a, dtype=float).ravel() for a in layers],
                       bins, value_range)
        row[0].set_ylabel(label, fontsize=9)
    if title:
        fig.suptitle(title)
    return axes


def _histogram_row(row, values, bins, value_range):
    """Draw one row of :func:`plot_activation_histograms`: a panel per layer's ``values``."""
    drawn = [v[(v != 0) & np.isfinite(v)] for v in values]
    log_x, edges = _row_bins(values, drawn, bins, value_range)
    counts = [np.histogram(v, bins=edges)[0] for v in drawn]
    log_counts = any(top > LOG_COUNT_RATIO * next_top
                     for top, next_top in (np.sort(c)[-2:][::-1] for c in counts if c.size > 1))
    for l, ax in enumerate(row):
        if l >= len(values):
            ax.set_visible(False)
            continue
        # One filled step patch per panel rather than a rectangle per bin.
        ax.stairs(counts[l], edges, fill=True, color="C0", baseline=0.5 if log_counts else 0)
        ax.set_xlim(edges[0], edges[-1])
        # y=1.0, where the title goes anyway: spares measuring the axis (see _title)
        ax.set_title(_panel_title(l, values[l]), fontsize=8, y=1.0)
        ax.tick_params(labelsize=7)
        # Short labels such as 5e+04 and no offset text, which would collide
        # with the titles of the row below; no mathtext (10^4), whose parser is slow.
        if log_x:
            ax.set_xscale("log")
            ax.xaxis.set_major_locator(LogLocator(numticks=4))
            ax.xaxis.set_major_formatter(StrMethodFormatter("{x:.0e}"))
            ax.xaxis.set_minor_locator(NullLocator())
        else:
            ax.xaxis.set_major_locator(MaxNLocator(4))
            ax.xaxis.set_major_formatter(FormatStrFormatter("%.3g"))
    if log_counts:  # the row shares its y axis
        row[0].set_yscale("log")
        row[0].set_ylim(0.5, 2 * max(c.max() for c in counts))
        row[0].yaxis.set_major_locator(LogLocator(numticks=4))
        row[0].yaxis.set_major_formatter(StrMethodFormatter("{x:.0f}"))
        row[0].yaxis.set_minor_locator(NullLocator())


def _row_bins(values, drawn, bins, value_range):
    """(log_x, edges): the bins a row's panels share. ``values`` are every panel's
    values, ``drawn`` those its bars count (finite and not 0)."""
    if value_range is not None:
        return False, np.linspace(*value_range, bins + 1)
    stds = [v.std() for v in drawn if v.size and v.std() > 0]
    if stds and min(v.min() for v in drawn if v.size) > 0 and max(stds) > LOG_X_RATIO * min(stds):
        every = np.concatenate(drawn)
        return True, np.geomspace(every.min(), every.max(), bins + 1)
    finite = np.concatenate([v[np.isfinite(v)] for v in values])
    low, high = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    if high == low:
        low, high = low - 0.5, high + 0.5
    return False, np.linspace(low, high, bins + 1)


def _panel_title(l, values):
    """The title of layer ``l``'s panel: its share of zeros, the mean and std of all ``values``."""
    title = f"layer {l + 1}"
    zeros = np.count_nonzero(values == 0) / max(values.size, 1)
    if zeros == 1:
        title += ", all zeros"
    elif zeros > 0:
        title += (", zeros <1%" if zeros < 0.01 else ", zeros >99%" if zeros > 0.99
                  else f", zeros {zeros:.0%}")
    return f"{title}\nmean {values.mean():.3g}, std {values.std():.3g}"


def plot_images(X, Y, classes, *, image_shape=(8, 8), n_images=8, panel_size=1.2):
    """The first images of a flattened image set, each titled with its class.

    Parameters
    ----------
    X : ndarray of shape (n_pixels, m)
        One flattened image per column, as :func:`helpers.datasets.load_image_dataset`
        returns them (grey levels in [0, 1]).
    Y : ndarray of shape (1, m)
        Labels, indices into ``classes``.
    classes : sequence of bytes or str
        Class names.
    image_shape : (int, int), default=(8, 8)
        Height and width of one image; their product must be n_pixels.
    n_images : int, default=8
    panel_size : float, default=1.2
        Width of one image, in inches.

    Returns
    -------
    axes : ndarray of matplotlib Axes of shape (n_images,)
    """
    X = np.asarray(X)
    if X.ndim != 2 or X.shape[0] != image_shape[0] * image_shape[1]:
        raise ValueError(f"X has shape {X.shape} but images of shape {tuple(image_shape)} "
                         f"need ({image_shape[0] * image_shape[1]}, number of images)")
    n_images = min(n_images, X.shape[1])
    if n_images < 1:
        raise ValueError("no image to draw: X has no column or n_images < 1")
    fig, axes = _subplots(1, n_images, squeeze=False,
                             figsize=(panel_size * n_images, panel_size * 1.3))
    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.8, wspace=0.1)
    for i, ax in enumerate(axes[0]):
        ax.imshow(X[:, i].reshape(image_shape), cmap="gray_r", vmin=0, vmax=1)
        name = classes[int(np.ravel(Y)[i])]
        ax.set_title(name.decode() if isinstance(name, bytes) else str(name), fontsize=9)
        ax.set_axis_off()
    return axes[0]


def plot_gradient_profiles(profiles, *, axes=None, figsize=(9, 3.4)):
    """Two panels, layer by layer: the gradients' spread, and the gradient-to-weight ratio.

    Left: the standard deviation of the gradient with respect to each layer's
    output (:meth:`helpers.gradients.Profile.gradient_std`); right:
    ``std(dW) / std(W)`` per layer. Both on a logarithmic axis, on which a
    gradient that shrinks or grows by the same factor at every layer is a
    straight line and a healthy one is flat.

    Parameters
    ----------
    profiles : dict of str to helpers.gradients.Profile
        One line per entry, labelled by its key.
    axes : pair of matplotlib Axes, optional
        Where to draw (a new figure if None).

    Returns
    -------
    axes : pair of matplotlib Axes
    """
    if axes is None:
        figure, axes = _subplots(1, 2, figsize=figsize)
        # Fixed margins: a layout engine measures every tick label at every draw.
        figure.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
    left, right = axes
    for label, profile in profiles.items():
        layers = np.arange(1, len(profile.weights) + 1)
        for ax, values in ((left, profile.gradient_std()), (right, profile.gradient_to_weight())):
            values = np.where(np.isfinite(values) & (values > 0), values, np.nan)
            ax.plot(layers, values, marker="o", markersize=3, label=label)
    for ax, ylabel, title in ((left, "std of dA[l]", "Gradient w.r.t. each layer's output"),
                              (right, "std(dW[l]) / std(W[l])", "Gradient-to-weight ratio")):
        ax.set_yscale("log")
        ax.yaxis.set_major_locator(LogLocator(numticks=6))
        ax.yaxis.set_minor_locator(NullLocator())
        # 1e-06 rather than a power of ten in mathtext, whose parser is slow.
        ax.yaxis.set_major_formatter(StrMethodFormatter("{x:.0e}"))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("layer")
        ax.set_ylabel(ylabel)
        _title(ax, title)
    left.legend(fontsize="small")
    return axes
