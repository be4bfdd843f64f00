"""A fully connected network: LINEAR->RELU x (L-1), then LINEAR->SIGMOID.

Every layer follows one contract::

    A, cache = layer_forward(A_prev, W, b, activation)
    dA_prev, dW, db = layer_backward(dA, cache)      # hidden layers

Inside this module a network is a list of ``(W, b)`` pairs, one per layer.
The notebooks use the dict ``{"W1": ..., "b1": ..., "W2": ...}`` that the
exercises return; :func:`to_layers` and :func:`to_parameters` convert at the
edge and check every shape on the way in.
"""

import numpy as np

__all__ = [
    "sigmoid", "relu", "forward", "backward", "cross_entropy",
    "update", "to_layers", "to_parameters",
]


def sigmoid(Z):
    """Logistic function ``1 / (1 + exp(-Z))``, elementwise."""
    return 1 / (1 + np.exp(-Z))


def relu(Z):
    """Rectified linear unit ``max(0, Z)``, elementwise."""
    return np.maximum(0, Z)


def forward(X, layers):
    """Propagate ``X`` through every layer.

    Parameters
    ----------
    X : ndarray of shape (n_0, m)
        Inputs, one example per column.
    layers : list of (W, b)
        ``W`` of shape (n_l, n_{l-1}) and ``b`` of shape (n_l, 1).

    Returns
    -------
    AL : ndarray of shape (n_L, m)
        Sigmoid output of the last layer.
    caches : list of (A_prev, A)
        One per layer: the layer's input and its activation.
    """
    A = X
    caches = []
    last = len(layers) - 1
    for l, (W, b) in enumerate(layers):
        A_prev = A
        Z = np.dot(W, A_prev) + b
        A = sigmoid(Z) if l == last else relu(Z)
        caches.append((A_prev, A))
    return A, caches


def backward(AL, Y, layers, caches):
    """Gradients of the mean cross-entropy with respect to every ``W`` and ``b``.

    Parameters
    ----------
    AL : ndarray of shape (1, m)
        Output of :func:`forward`.
    Y : ndarray of shape (1, m)
        Labels, 0 or 1.
    layers : list of (W, b)
        The parameters :func:`forward` used.
    caches : list of (A_prev, A)
        The caches :func:`forward` returned.

    Returns
    -------
    grads : list of (dW, db)
        Same order and shapes as ``layers``.
    """
    m = Y.shape[1]
    grads = [None] * len(layers)
    dZ = 1. / m * (AL - Y)  # sigmoid and cross-entropy together
    for l in range(len(layers) - 1, -1, -1):
        A_prev = caches[l][0]
        grads[l] = (np.dot(dZ, A_prev.T), np.sum(dZ, axis=1, keepdims=True))
        if l > 0:
            dA_prev = np.dot(layers[l][0].T, dZ)
            dZ = dA_prev * (A_prev > 0)  # ReLU passes gradient where it was on
    return grads


def cross_entropy(AL, Y):
    """Mean binary cross-entropy of predictions ``AL`` against labels ``Y``.

    A prediction of exactly 0 or 1 for the wrong label costs ``inf``, as
    ``log(0)`` does; ``0 * log(0)`` terms are dropped.

    Parameters
    ----------
    AL : ndarray of shape (1, m)
    Y : ndarray of shape (1, m)

    Returns
    -------
    cost : float
    """
    m = Y.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        losses = np.multiply(-np.log(AL), Y) + np.multiply(-np.log(1 - AL), 1 - Y)
    return float(1. / m * np.nansum(losses))


def update(layers, grads, learning_rate):
    """One gradient-descent step, in place: ``W -= learning_rate * dW``."""
    for (W, b), (dW, db) in zip(layers, grads):
        W -= learning_rate * dW
        b -= learning_rate * db


def to_layers(parameters, *, copy=True):
    """Convert ``{"W1", "b1", ..., "WL", "bL"}`` into a list of ``(W, b)``.

    Parameters
    ----------
    parameters : dict of str to ndarray
        ``W<l>`` of shape (n_l, n_{l-1}) and ``b<l>`` of shape (n_l, 1).
    copy : bool, default=True
        Return float64 copies, so that training never changes the caller's arrays.

    Raises
    ------
    ValueError
        If a key is missing or extra, or a shape does not chain with its neighbours.
    """
    if not isinstance(parameters, dict):
        raise ValueError(f"parameters must be a dict like {{'W1': ..., 'b1': ...}}, "
                         f"got {type(parameters).__name__}")
    n_layers = len(parameters) // 2
    expected = {f"{k}{l}" for l in range(1, n_layers + 1) for k in "Wb"}
    if n_layers == 0 or set(parameters) != expected:
        raise ValueError(f"parameters has keys {sorted(parameters)}; expected W1, b1, ..., "
                         f"WL, bL with one W and one b per layer")
    layers = []
    for l in range(1, n_layers + 1):
        W, b = np.asarray(parameters[f"W{l}"]), np.asarray(parameters[f"b{l}"])
        if W.ndim != 2:
            raise ValueError(f"W{l} has shape {W.shape} but must be 2-D: "
                             f"(this layer's units, previous layer's units)")
        if layers and W.shape[1] != layers[-1][0].shape[0]:
            raise ValueError(f"W{l} has shape {W.shape} but W{l - 1} has "
                             f"{layers[-1][0].shape[0]} rows, so W{l} needs "
                             f"{layers[-1][0].shape[0]} columns")
        if b.shape != (W.shape[0], 1):
            raise ValueError(f"b{l} has shape {b.shape} but should be ({W.shape[0]}, 1): "
                             f"one bias per unit of layer {l}, as a column")
        if copy:
            W, b = W.astype(np.float64), b.astype(np.float64)
        layers.append((W, b))
    return layers


def to_parameters(layers):
    """Convert a list of ``(W, b)`` into ``{"W1": ..., "b1": ..., ...}``."""
    parameters = {}
    for l, (W, b) in enumerate(layers, start=1):
        parameters[f"W{l}"] = W
        parameters[f"b{l}"] = b
    return parameters
