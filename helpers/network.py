"""A fully connected network: LINEAR->RELU x (L-1), then LINEAR->SIGMOID.

Every layer follows one contract::

    A = layer_forward(A_prev, W, b, activation)       # cache: (A_prev, A)
    dZ_prev = layer_backward(dZ, W, A_prev, (dW, db))  # writes dW and db

Inside this module a network is a list of ``(W, b)`` pairs, one per layer.
The functions take optional ``out`` buffers; the arithmetic is the same with
or without them, operation for operation. :class:`Passes` is the same two
passes for a training run, into buffers allocated once and without a function
call per layer (what :func:`helpers.training.fit` runs 15,000 times); tests
check that it computes the same bits as :func:`forward` and :func:`backward`.
The notebooks use the dict ``{"W1": ..., "b1": ..., "W2": ...}`` that the
exercises return; :func:`to_layers` and :func:`to_parameters` convert at the
edge and check every shape on the way in.
"""

import numpy as np

__all__ = [
    "sigmoid", "relu", "layer_forward", "layer_backward", "forward", "backward",
    "Passes", "cross_entropy", "update", "to_layers", "to_parameters",
]


def sigmoid(Z, out=None):
    """Logistic function ``1 / (1 + exp(-Z))``, elementwise (into ``out`` if given)."""
    out = np.negative(Z, out)
    np.exp(out, out)
    np.add(1.0, out, out)
    return np.divide(1.0, out, out)


def relu(Z, out=None):
    """Rectified linear unit ``max(0, Z)``, elementwise (into ``out`` if given)."""
    return np.maximum(0, Z, out=out)


def layer_forward(A_prev, W, b, activation, out=None):
    """One layer: ``activation(W @ A_prev + b)``.

    Parameters
    ----------
    A_prev : ndarray of shape (n_{l-1}, m)
    W : ndarray of shape (n_l, n_{l-1})
    b : ndarray of shape (n_l, 1)
    activation : callable
        :func:`relu` or :func:`sigmoid`.
    out : ndarray of shape (n_l, m), optional
        Where to write the activation (a new array if None).

    Returns
    -------
    A : ndarray of shape (n_l, m)
    """
    Z = np.dot(W, A_prev, out)
    Z += b
    return activation(Z, out=Z)


def layer_backward(dZ, W, A_prev, out, *, relu_below=True):
    """Gradients of one layer, and the gradient that flows into the ReLU layer below.

    Parameters
    ----------
    dZ : ndarray of shape (n_l, m)
        Gradient of the cost with respect to this layer's ``W @ A_prev + b``.
    W : ndarray of shape (n_l, n_{l-1})
    A_prev : ndarray of shape (n_{l-1}, m)
        The layer's input: a ReLU activation, or the data for the first layer.
    out : (dW, db) of shapes (n_l, n_{l-1}) and (n_l, 1)
        Where to write this layer's gradients.
    relu_below : bool, default=True
        Whether ``A_prev`` is a ReLU layer's output; False for the first layer.

    Returns
    -------
    dZ_prev : ndarray of shape (n_{l-1}, m), or None
        Gradient with respect to the previous layer's ``Z`` (None if not ``relu_below``).
    """
    dW, db = out
    np.dot(dZ, A_prev.T, dW)
    np.add.reduce(dZ, 1, None, db, True)  # np.sum, without its wrapper
    if not relu_below:
        return None
    dA_prev = np.dot(W.T, dZ)
    # ReLU passes the gradient where it was on: dA_prev * (A_prev > 0). A ReLU
    # output is 0, positive or NaN, so sign(A_prev) is that 0/1 mask as floats
    # (NaN only where dA_prev is NaN too, since NaN inputs make every later
    # value of that example NaN): the same products, without a bool->float cast.
    return np.multiply(dA_prev, np.sign(A_prev), dA_prev)


def forward(X, layers, *, out=None):
    """Propagate ``X`` through every layer.

    Parameters
    ----------
    X : ndarray of shape (n_0, m)
        Inputs, one example per column.
    layers : list of (W, b)
        ``W`` of shape (n_l, n_{l-1}) and ``b`` of shape (n_l, 1).
    out : list of ndarray of shape (n_l, m), optional
        One buffer per layer for its activation (new arrays if None).

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
        A = layer_forward(A_prev, W, b, sigmoid if l == last else relu,
                          out=None if out is None else out[l])
        caches.append((A_prev, A))
    return A, caches


def backward(AL, Y, layers, caches, *, out=None):
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
    out : list of (dW, db), optional
        Buffers shaped like ``layers`` to write the gradients in (new arrays if None).

    Returns
    -------
    grads : list of (dW, db)
        Same order and shapes as ``layers``.
    """
    if out is None:
        out = [(np.empty_like(W, dtype=np.float64), np.empty_like(b, dtype=np.float64))
               for W, b in layers]
    dZ = np.subtract(AL, Y)
    dZ *= 1. / Y.shape[1]  # sigmoid and mean cross-entropy together: (AL - Y) / m
    for l in range(len(layers) - 1, -1, -1):
        dZ = layer_backward(dZ, layers[l][0], caches[l][0], out[l], relu_below=l > 0)
    return out


class Passes:
    """:func:`forward` and :func:`backward` for one training run, into arrays allocated once.

    The fast path of the contract above: the same floating-point operations in
    the same order as :func:`layer_forward` and :func:`layer_backward` (so the
    same bits, which tests check), minus what costs time when
    the arrays are as small as the course's and the loop runs 15,000 times:
    no allocation, no function call per layer, and ReLU as ``maximum(zeros, Z)``
    against an array of zeros, three times faster than against the scalar 0
    (which NumPy converts to 0.0 first: the same values, NaN included).
    """

    def __init__(self, X, Y, layers, grads):
        m = X.shape[1]
        self.weights = [W for W, _ in layers]
        self.biases = [b for _, b in layers]
        self.grads = grads
        self.activations = [np.empty((W.shape[0], m)) for W in self.weights]
        self.inputs = [X] + self.activations[:-1]              # A_prev of each layer
        self.inputs_T = [A.T for A in self.inputs]
        self.weights_T = [W.T for W in self.weights]
        self.zeros = [np.zeros_like(A) for A in self.activations[:-1]]
        self.masks = [np.empty_like(A) for A in self.activations[:-1]]   # ReLU'(Z) as 0./1.
        self.dA = [np.empty_like(A) for A in self.activations[:-1]]
        self.dZ = np.empty_like(self.activations[-1])
        self.Y = Y.astype(np.float64)  # the same 0.0/1.0 the int labels become in AL - Y
        self.inv_m = 1. / m

    def forward(self):
        """The output ``AL`` of shape (1, m); every layer's activation is kept."""
        dot, add, maximum = np.dot, np.add, np.maximum
        for W, b, A_prev, A, zeros in zip(self.weights, self.biases, self.inputs,
                                          self.activations, self.zeros):
            dot(W, A_prev, A)
            add(A, b, A)
            maximum(zeros, A, out=A)  # relu; zip stops before the last layer
        Z = self.activations[-1]
        dot(self.weights[-1], self.inputs[-1], Z)
        add(Z, self.biases[-1], Z)
        np.negative(Z, Z)  # sigmoid: 1 / (1 + exp(-Z))
        np.exp(Z, Z)
        add(1.0, Z, Z)
        return np.divide(1.0, Z, Z)

    def backward(self):
        """Write every layer's gradients into ``grads``."""
        dot, multiply, sign, reduce = np.dot, np.multiply, np.sign, np.add.reduce
        dZ = np.subtract(self.activations[-1], self.Y, self.dZ)
        multiply(dZ, self.inv_m, dZ)  # sigmoid and mean cross-entropy together: (AL - Y) / m
        for l in range(len(self.weights) - 1, -1, -1):
            dW, db = self.grads[l]
            dot(dZ, self.inputs_T[l], dW)
            reduce(dZ, 1, None, db, True)  # np.sum(dZ, axis=1, keepdims=True)
            if l:
                dZ = dot(self.weights_T[l], dZ, self.dA[l - 1])  # dA_prev, then * ReLU'
                multiply(dZ, sign(self.inputs[l], self.masks[l - 1]), dZ)


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
