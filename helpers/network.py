"""A fully connected network, and the one layer contract every part of the course uses.

Every layer follows the contract of part 3's exercise (``Gradients.ipynb``), with a bias::

    A, cache = layer_forward(A_prev, W, b, activation)        # cache: (A_prev, W, Z)
    dA_prev, dW, db = layer_backward(dA, cache, activation)

``activation`` names one of :data:`ACTIVATIONS` ("relu", "sigmoid", "tanh");
``b`` is None for a layer without bias (the deep network of parts 2 and 3).
``dA`` is the gradient of a cost with respect to the layer's output, one
column per example, and the three results are gradients of that same cost::

    dZ = dA * g'(Z),   dW = dZ @ A_prev.T,   db = sum of dZ over the examples,   dA_prev = W.T @ dZ

The mean over the examples sits in ``dA``. Training minimizes the mean
cross-entropy, so its gradient carries ``1/m`` from the output layer down
(:func:`cross_entropy_gradient`, the seed's arithmetic, which
:func:`helpers.training.fit` reproduces bit for bit). Part 3's exercise hands
a layer each example's own gradient instead (the gradient of the sum of the
losses) and takes the mean in ``dW`` alone: its step is this one with ``dW``
divided by ``m`` (:func:`helpers.gradients.backward_step`).

Inside this module a network is a list of ``(W, b)`` pairs, one per layer,
with ReLU hidden layers and a sigmoid output. :class:`Passes` is the fast path
of :func:`forward` and :func:`backward` for a training run: the same operations
in the same order, into buffers allocated once and without a function call per
layer (what :func:`helpers.training.fit` runs 15,000 times); tests check that
it computes the same bits. The notebooks use the dict ``{"W1": ..., "b1": ...,
"W2": ...}`` that the exercises return; :func:`to_layers` and
:func:`to_parameters` convert at the edge and check every shape on the way in.
"""

import numpy as np

__all__ = [
    "ACTIVATIONS", "DERIVATIVES", "sigmoid", "relu", "layer_forward", "linear_backward",
    "layer_backward", "forward", "cross_entropy_gradient", "backward", "Passes",
    "cross_entropy", "update", "to_layers", "to_parameters",
]


def sigmoid(Z):
    """Logistic function ``1 / (1 + exp(-Z))``, elementwise."""
    return 1.0 / (1.0 + np.exp(np.negative(Z)))


def relu(Z):
    """Rectified linear unit ``max(0, Z)``, elementwise."""
    return np.maximum(0, Z)


def _sigmoid_slope(Z):
    s = sigmoid(Z)
    return s * (1 - s)


def _tanh_slope(Z):
    return 1 - np.tanh(Z) ** 2


def _relu_slope(Z):
    return (Z > 0).astype(float)


#: The activation functions, by the name a layer is given.
ACTIVATIONS = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": relu}

#: Each activation's derivative, as a function of the pre-activation ``Z``
#: (ReLU's slope at 0 is 0, as ``max(0, Z)`` is flat there).
DERIVATIVES = {"sigmoid": _sigmoid_slope, "tanh": _tanh_slope, "relu": _relu_slope}


def _activation_name(activation):
    """``activation`` if it names one of :data:`ACTIVATIONS`; else a ValueError saying which do."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; expected one of "
                         f"{', '.join(ACTIVATIONS)}")
    return activation


def layer_forward(A_prev, W, b, activation):
    """One layer: ``A = g(Z)`` with ``Z = W @ A_prev + b``.

    Parameters
    ----------
    A_prev : ndarray of shape (n_prev, m)
        The layer's input, one example per column.
    W : ndarray of shape (n, n_prev)
    b : ndarray of shape (n, 1), or None
        None for a layer without bias: ``Z = W @ A_prev``.
    activation : {"sigmoid", "tanh", "relu"}

    Returns
    -------
    A : ndarray of shape (n, m)
    cache : (A_prev, W, Z)
        What :func:`layer_backward` needs.
    """
    g = ACTIVATIONS[_activation_name(activation)]
    Z = np.dot(W, A_prev)
    if b is not None:
        Z = Z + b
    return g(Z), (A_prev, W, Z)


def linear_backward(dZ, cache):
    """The gradients of a layer from the gradient of its pre-activation ``Z``.

    Parameters
    ----------
    dZ : ndarray of shape (n, m)
        Gradient of the cost with respect to ``Z``.
    cache : (A_prev, W, Z)
        From :func:`layer_forward`.

    Returns
    -------
    dA_prev : ndarray of shape (n_prev, m)
        ``W.T @ dZ``.
    dW : ndarray of shape (n, n_prev)
        ``dZ @ A_prev.T``.
    db : ndarray of shape (n, 1)
        ``dZ`` summed over the examples.
    """
    A_prev, W, _ = cache
    dW = np.dot(dZ, A_prev.T)
    db = np.sum(dZ, axis=1, keepdims=True)
    return np.dot(W.T, dZ), dW, db


def layer_backward(dA, cache, activation):
    """One layer's backward step: from the gradient of its output to its input's and parameters'.

    Parameters
    ----------
    dA : ndarray of shape (n, m)
        Gradient of the cost with respect to the layer's output ``A``.
    cache : (A_prev, W, Z)
        From :func:`layer_forward`.
    activation : {"sigmoid", "tanh", "relu"}
        The activation the layer applied.

    Returns
    -------
    dA_prev : ndarray of shape (n_prev, m)
    dW : ndarray of shape (n, n_prev)
    db : ndarray of shape (n, 1)
        As :func:`linear_backward` gives them for ``dZ = dA * g'(Z)``.
    """
    slope = DERIVATIVES[_activation_name(activation)]
    return linear_backward(dA * slope(cache[2]), cache)


def forward(X, layers):
    """Propagate ``X`` through every layer: ReLU hidden layers, then a sigmoid.

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
    caches : list of (A_prev, W, Z)
        One per layer, from :func:`layer_forward`.
    """
    A, caches = X, []
    for l, (W, b) in enumerate(layers, start=1):
        A, cache = layer_forward(A, W, b, "sigmoid" if l == len(layers) else "relu")
        caches.append(cache)
    return A, caches


def cross_entropy_gradient(AL, Y):
    """``dZ`` of the sigmoid output layer: the gradient of the mean cross-entropy, ``(AL - Y) / m``.

    The sigmoid's derivative and the loss's cancel into this one expression,
    which stays finite where the sigmoid saturates (``AL`` exactly 0 or 1).

    Parameters
    ----------
    AL : ndarray of shape (1, m)
    Y : ndarray of shape (1, m)
        Labels, 0 or 1.

    Returns
    -------
    dZ : ndarray of shape (1, m)
    """
    return 1. / Y.shape[1] * np.subtract(AL, Y)


def backward(AL, Y, caches):
    """Gradients of the mean cross-entropy with respect to every ``W`` and ``b``.

    Parameters
    ----------
    AL : ndarray of shape (1, m)
        Output of :func:`forward`.
    Y : ndarray of shape (1, m)
        Labels, 0 or 1.
    caches : list of (A_prev, W, Z)
        The caches :func:`forward` returned.

    Returns
    -------
    grads : list of (dW, db)
        One per layer, in the order and shapes of the layers.
    """
    dA, dW, db = linear_backward(cross_entropy_gradient(AL, Y), caches[-1])
    grads = [(dW, db)]
    for cache in reversed(caches[:-1]):
        dA, dW, db = layer_backward(dA, cache, "relu")
        grads.append((dW, db))
    return grads[::-1]


class Passes:
    """:func:`forward` and :func:`backward` for one training run, into arrays allocated once.

    The fast path of the contract: per layer, the floating-point operations of
    :func:`layer_forward`, :func:`cross_entropy_gradient`, :func:`linear_backward`
    and :func:`layer_backward`, in the same order (so the same bits, which tests
    check), minus what costs time when the arrays are as small as the course's and
    the loop runs 15,000 times: no allocation, no function call per layer, ReLU as
    ``maximum(zeros, Z)`` against an array of zeros, three times faster than against
    the scalar 0 (which NumPy converts to 0.0 first: the same values), and ReLU's
    slope read from the activation, which is all the layer keeps: ``sign(A)`` is the
    0./1. of ``Z > 0`` (``NaN`` where ``Z`` is, in a column whose gradient is then
    ``NaN`` all the way down, so the products are the same).
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
        self.slopes = [np.empty_like(A) for A in self.activations[:-1]]   # ReLU'(Z) as 0./1.
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
        multiply(self.inv_m, dZ, dZ)  # cross_entropy_gradient: (AL - Y) / m
        for l in range(len(self.weights) - 1, -1, -1):
            dW, db = self.grads[l]                      # linear_backward
            dot(dZ, self.inputs_T[l], dW)
            reduce(dZ, 1, None, db, True)               # np.sum(dZ, axis=1, keepdims=True)
            if l:                                       # layer_backward of the ReLU below
                dA = dot(self.weights_T[l], dZ, self.dA[l - 1])
                dZ = multiply(dA, sign(self.inputs[l], self.slopes[l - 1]), dA)


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
