"""Full-batch gradient descent, prediction and accuracy."""

from dataclasses import dataclass, field

import numpy as np

from .network import Passes, cross_entropy, forward, to_layers, to_parameters

__all__ = ["Run", "fit", "predict", "accuracy", "format_costs"]


@dataclass
class Run:
    """The outcome of :func:`fit`.

    Attributes
    ----------
    parameters : dict of str to ndarray
        The trained ``{"W1": ..., "b1": ..., ...}``.
    iterations : list of int
        Iterations at which the cost was recorded.
    costs : list of float
        Cost before the update of each recorded iteration.
    learning_rate : float
    """

    parameters: dict
    iterations: list = field(default_factory=list)
    costs: list = field(default_factory=list)
    learning_rate: float = 0.01


def fit(X, Y, parameters, *, learning_rate=0.01, num_iterations=15000, record_every=1000):
    """Train the network that ``parameters`` describes by gradient descent.

    The cost is computed only at the recorded iterations (0, ``record_every``,
    ...): the other iterations need just the forward and backward passes.

    Parameters
    ----------
    X : ndarray of shape (n_0, m)
    Y : ndarray of shape (1, m)
    parameters : dict of str to ndarray
        Initial ``{"W1": (n_1, n_0), "b1": (n_1, 1), ...}``; left unchanged.
    learning_rate : float, default=0.01
    num_iterations : int, default=15000
    record_every : int, default=1000

    Returns
    -------
    Run
    """
    X, Y = _check_data(X, Y)
    if not (isinstance(num_iterations, (int, np.integer)) and num_iterations >= 0):
        raise ValueError(f"num_iterations must be a whole number >= 0, got {num_iterations!r}")
    if not (isinstance(record_every, (int, np.integer)) and record_every >= 1):
        raise ValueError(f"record_every must be a whole number >= 1, got {record_every!r}")
    layers = to_layers(parameters)
    if layers[0][0].shape[1] != X.shape[0]:
        raise ValueError(f"W1 has shape {layers[0][0].shape}, so the network expects "
                         f"{layers[0][0].shape[1]} input features, but X has {X.shape[0]} rows")
    if layers[-1][0].shape[0] != 1:
        raise ValueError(f"the last layer has {layers[-1][0].shape[0]} units; "
                         f"a binary classifier needs 1")
    run = Run(parameters={}, learning_rate=learning_rate)
    # The parameters and the gradients each live in one flat vector (W and b
    # are views of it), so that one step updates them all at once.
    theta, layers = _packed(layers)
    grad, grads = _packed(layers, copy=False)
    passes = Passes(X, Y, layers, grads)
    # Large weights saturate the sigmoid: exp overflows to inf and the output is
    # exactly 0 or 1. That is the lesson's point, not an error to warn about.
    with np.errstate(over="ignore"):
        for i in range(num_iterations):
            AL = passes.forward()
            if i % record_every == 0:
                run.iterations.append(i)
                run.costs.append(cross_entropy(AL, Y))
            passes.backward()
            grad *= learning_rate  # update(layers, grads, learning_rate), all at once
            theta -= grad
    run.parameters = to_parameters([(W.copy(), b.copy()) for W, b in layers])
    return run


def _packed(layers, *, copy=True):
    """One flat float64 vector, and ``(W, b)`` views of it shaped like ``layers``.

    The views hold copies of ``layers``' values if ``copy``, else garbage.
    """
    flat = np.empty(sum(W.size + b.size for W, b in layers))
    views, start = [], 0
    for W, b in layers:
        W_view = flat[start:start + W.size].reshape(W.shape)
        start += W.size
        b_view = flat[start:start + b.size].reshape(b.shape)
        start += b.size
        if copy:
            W_view[...], b_view[...] = W, b
        views.append((W_view, b_view))
    return flat, views


def predict(X, parameters):
    """Labels 0 or 1 for each column of ``X``: 1 where the output exceeds 0.5.

    Parameters
    ----------
    X : ndarray of shape (n_0, m)
    parameters : dict of str to ndarray

    Returns
    -------
    ndarray of int of shape (1, m)
    """
    layers = to_layers(parameters, copy=False)
    X = np.asarray(X, dtype=np.float64)
    if X.ndim != 2 or X.shape[0] != layers[0][0].shape[1]:
        raise ValueError(f"X has shape {X.shape} but the network expects "
                         f"({layers[0][0].shape[1]}, number of examples)")
    with np.errstate(over="ignore"):
        AL, _ = forward(X, layers)
    return (AL > 0.5).astype(int)


def accuracy(X, Y, parameters):
    """Fraction of the columns of ``X`` whose predicted label equals ``Y``."""
    X, Y = _check_data(X, Y)
    return float(np.mean(predict(X, parameters) == Y))


def format_costs(run):
    """``Cost after iteration N: value`` lines, one per recorded cost."""
    return "\n".join(f"Cost after iteration {i}: {c}" for i, c in zip(run.iterations, run.costs))


def _check_data(X, Y):
    X, Y = np.asarray(X, dtype=np.float64), np.asarray(Y)
    if X.ndim != 2:
        raise ValueError(f"X has shape {X.shape} but should be (features, examples)")
    if Y.shape != (1, X.shape[1]):
        raise ValueError(f"Y has shape {Y.shape} but X has {X.shape[1]} examples, "
                         f"so Y should be (1, {X.shape[1]})")
    return X, Y
