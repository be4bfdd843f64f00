"""Figures of the course. Each function draws on ``ax`` (or a new one) and returns it."""

import matplotlib.pyplot as plt
import numpy as np

from .training import predict

__all__ = ["plot_data", "plot_costs", "plot_decision_boundary"]

CMAP = "coolwarm"


def _axes(ax, figsize=(6, 4)):
    if ax is None:
        _, ax = plt.subplots(figsize=figsize)
    return ax


def plot_data(X, Y, *, ax=None, title=None):
    """Scatter plot of 2-D points ``X`` (2, m) coloured by label ``Y`` (1, m)."""
    ax = _axes(ax)
    ax.scatter(X[0], X[1], c=np.ravel(Y), s=12, cmap=CMAP, alpha=0.7, edgecolors="none")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title)
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
    rates = {run.learning_rate for run in runs.values()}
    ax.set_title(f"Training cost, learning rate {rates.pop()}" if len(rates) == 1
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
    x1 = np.linspace(X[0].min() - 1, X[0].max() + 1, resolution)
    x2 = np.linspace(X[1].min() - 1, X[1].max() + 1, resolution)
    g1, g2 = np.meshgrid(x1, x2)
    labels = predict(np.vstack([g1.ravel(), g2.ravel()]), parameters).reshape(g1.shape)
    ax.contourf(g1, g2, labels, levels=[-0.5, 0.5, 1.5], cmap=CMAP, alpha=0.3)
    plot_data(X, Y, ax=ax, title=title)
    return ax
