"""Gradients through depth: the deep network of part 2, forward and backward, layer by layer.

The network is the one of the activations notebook: ``L`` layers without bias,

    Z[l] = W[l] @ A[l-1],   A[l] = g(Z[l]),   A[0] = X,

with one activation ``g`` for every layer. To send a gradient back through it
we need a cost; the one used here is a random linear read-out of the last
layer, ``J = (1/m) * sum(G * A[L])`` with ``G`` a standard normal array of
the shape of ``A[L]``, drawn after the weights. Its gradient with respect to
``A[L]`` has a spread of 1 at every width and depth, so that what happens to
it on the way back is the network's doing alone.

Each layer is the course's one layer contract (:mod:`helpers.network`,
without bias), with the convention of the notebook's exercise: ``dA[l]`` is
the gradient of each example's own loss with respect to ``A[l]`` (one column
per example, not divided by ``m``), and ``dW[l] = (1/m) dZ[l] @ A[l-1].T`` is
the gradient of the cost ``J``, the mean over the examples.

:func:`backward_step` is one layer's backward step, the notebook's exercise;
:func:`depth_profile` runs the whole experiment with it (or with the
student's own step) and keeps every layer's arrays, and the statistics below
summarize them per layer.
"""

from dataclasses import dataclass

import numpy as np

from .initializers import draw_weights
from .network import ACTIVATIONS, DERIVATIVES, _activation_name, layer_backward, layer_forward

__all__ = ["ACTIVATIONS", "DERIVATIVES", "forward", "backward_step", "backward",
           "Profile", "depth_profile", "layer_std", "dead_units", "saturated_share",
           "gradient_to_weight", "format_per_layer"]

# ACTIVATIONS and DERIVATIVES: the layer contract's (helpers.network), by name.


def forward(X, weights, activation):
    """Every layer's activations, and the cache each layer's backward step needs.

    Each layer is :func:`helpers.network.layer_forward` without bias.

    Parameters
    ----------
    X : ndarray of shape (n_0, m)
    weights : list of ndarray
        ``weights[l - 1]`` of shape (n_l, n_{l-1}).
    activation : {"sigmoid", "tanh", "relu"}

    Returns
    -------
    activations : list of ndarray
        ``activations[l - 1]`` is ``A[l]``, of shape (n_l, m).
    caches : list of (A_prev, W, Z)
        One per layer, in order.
    """
    _activation_name(activation)
    A, activations, caches = np.asarray(X, dtype=float), [], []
    for W in weights:
        A, cache = layer_forward(A, W, None, activation)
        caches.append(cache)
        activations.append(A)
    return activations, caches


def backward_step(dA, cache, activation):
    """One layer's backward step, as the notebook's exercise asks for it.

    :func:`helpers.network.layer_backward` for each example's own gradient
    ``dA`` (no bias), with the mean over the examples taken in ``dW``.

    Parameters
    ----------
    dA : ndarray of shape (n_l, m)
        Gradient of each example's loss with respect to the layer's output ``A``.
    cache : (A_prev, W, Z)
        The layer's input (n_{l-1}, m), weights (n_l, n_{l-1}) and pre-activation (n_l, m).
    activation : {"sigmoid", "tanh", "relu"}

    Returns
    -------
    dA_prev : ndarray of shape (n_{l-1}, m)
        ``W.T @ dZ`` with ``dZ = dA * g'(Z)``.
    dW : ndarray of shape (n_l, n_{l-1})
        ``(1/m) dZ @ A_prev.T``, the gradient of the mean cost.
    """
    dA_prev, dW, _ = layer_backward(dA, cache, activation)
    return dA_prev, dW / cache[0].shape[1]


def backward(dAL, caches, activation, *, step=backward_step):
    """Send ``dAL`` back through every layer with ``step``.

    Parameters
    ----------
    dAL : ndarray of shape (n_L, m)
        Gradient of each example's loss with respect to the last layer's output.
    caches : list of (A_prev, W, Z)
        From :func:`forward`.
    activation : {"sigmoid", "tanh", "relu"}
    step : callable, default=backward_step
        ``step(dA, cache, activation) -> (dA_prev, dW)``, such as the student's.

    Returns
    -------
    grads_A : list of ndarray
        ``grads_A[l]`` is the gradient with respect to ``A[l]``, for l = 0 (the
        input X) to L - 1; the last layer's is ``dAL`` itself.
    grads_W : list of ndarray
        ``grads_W[l - 1]`` is ``dW[l]``.
    """
    _activation_name(activation)
    grads_A, grads_W, dA = [None] * len(caches), [None] * len(caches), dAL
    for l in range(len(caches) - 1, -1, -1):
        dA, grads_W[l] = step(dA, caches[l], activation)
        grads_A[l] = dA
    return grads_A, grads_W


@dataclass
class Profile:
    """One run of :func:`depth_profile`: every layer's arrays, input to output.

    Attributes
    ----------
    activation : str
    weights : list of ndarray
        ``W[1]`` to ``W[L]``.
    pre_activations, activations : list of ndarray
        ``Z[1]`` to ``Z[L]`` and ``A[1]`` to ``A[L]``.
    grads_A : list of ndarray
        Gradients with respect to ``A[1]`` to ``A[L]`` (each layer's output).
    grads_W : list of ndarray
        ``dW[1]`` to ``dW[L]``.
    """

    activation: str
    weights: list
    pre_activations: list
    activations: list
    grads_A: list
    grads_W: list

    def activation_std(self):
        """Standard deviation of every layer's activations, layer 1 first."""
        return layer_std(self.activations)

    def gradient_std(self):
        """Standard deviation of the gradient with respect to every layer's output."""
        return layer_std(self.grads_A)

    def weight_gradient_std(self):
        """Standard deviation of every layer's ``dW``."""
        return layer_std(self.grads_W)

    def gradient_to_weight(self):
        """``std(dW) / std(W)`` per layer (see :func:`gradient_to_weight`)."""
        return gradient_to_weight(self.grads_W, self.weights)

    def inactive(self):
        """What stops gradients in this activation: ``(label, share per layer)``.

        ReLU: the share of dead units (:func:`dead_units`); sigmoid and tanh:
        the share of saturated values (:func:`saturated_share`).
        """
        if self.activation == "relu":
            return "dead units", dead_units(self.pre_activations)
        return "saturated", saturated_share(self.pre_activations, self.activation)


def depth_profile(X, hidden_sizes, weight_std, activation, *, random_state=0,
                  step=backward_step):
    """Forward and backward through ``len(hidden_sizes)`` layers, keeping every array.

    Parameters
    ----------
    X : ndarray of shape (n_0, m)
    hidden_sizes : list of int
        Units of each layer, [n_1, ..., n_L].
    weight_std : float, str or callable
        The weights' scale: a number, ``"xavier"``, ``"he"`` or a function of
        ``n_prev`` (see :func:`helpers.initializers.scale_of`).
    activation : {"sigmoid", "tanh", "relu"}
    random_state : int or numpy.random.Generator, default=0
        Source of the weights, then of the read-out ``G``; NumPy's global
        generator is not touched.
    step : callable, default=backward_step
        The backward step of one layer (the student's, in the notebook).

    Returns
    -------
    Profile
    """
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"X has shape {X.shape} but should be (features, examples)")
    _activation_name(activation)
    rng = np.random.default_rng(random_state)
    weights = draw_weights([X.shape[0], *hidden_sizes], weight_std, random_state=rng)
    # Large weights saturate the sigmoid (exp overflows to inf, the output is 0
    # or 1) and ReLU activations may overflow: the lesson's point, not an error.
    with np.errstate(over="ignore", invalid="ignore"):
        activations, caches = forward(X, weights, activation)
        G = rng.standard_normal(activations[-1].shape)
        grads_A, grads_W = backward(G, caches, activation, step=step)
    return Profile(activation, weights, [Z for _, _, Z in caches], activations,
                   grads_A[1:] + [G], grads_W)


def layer_std(arrays):
    """The standard deviation of each array (over all its values), in order.

    Parameters
    ----------
    arrays : list of ndarray

    Returns
    -------
    ndarray of shape (len(arrays),)
    """
    return np.array([np.std(np.asarray(a, dtype=float)) for a in arrays])


def dead_units(pre_activations):
    """Per layer, the share of ReLU units that are off (``Z <= 0``) for every example.

    A dead unit outputs 0 whatever the input of the batch, so no gradient flows
    through it to its weights or to the layers below.

    Parameters
    ----------
    pre_activations : list of ndarray of shape (n_l, m)

    Returns
    -------
    ndarray of shape (len(pre_activations),)
        Each between 0 and 1.
    """
    return np.array([np.mean(np.all(np.asarray(Z) <= 0, axis=1)) for Z in pre_activations])


def saturated_share(pre_activations, activation, *, threshold=0.01):
    """Per layer, the share of values where sigmoid or tanh is flat.

    A value is saturated where the derivative ``g'(z)`` is below ``threshold``
    times its largest value ``g'(0)`` (0.25 for sigmoid, 1 for tanh): for tanh,
    ``|tanh(z)| > 0.995``. The gradient through it is then almost zero.

    Parameters
    ----------
    pre_activations : list of ndarray
    activation : {"sigmoid", "tanh"}
    threshold : float, default=0.01

    Returns
    -------
    ndarray of shape (len(pre_activations),)
    """
    if activation not in ("sigmoid", "tanh"):
        raise ValueError(f"saturation is measured for sigmoid and tanh, not {activation!r}; "
                         f"for relu count dead units")
    slope = DERIVATIVES[activation]
    peak = float(slope(np.zeros(1))[0])
    with np.errstate(over="ignore"):
        return np.array([np.mean(slope(np.asarray(Z, dtype=float)) < threshold * peak)
                         for Z in pre_activations])


def gradient_to_weight(grads_W, weights):
    """Per layer, ``std(dW) / std(W)``: how large a gradient step is next to the weights.

    Multiplied by the learning rate, it is the relative size of the first
    update, the ratio practitioners watch in a training run. ``nan`` for a
    layer whose weights are all equal (zeros), which has no spread to compare with.

    Parameters
    ----------
    grads_W, weights : list of ndarray, of matching shapes

    Returns
    -------
    ndarray of shape (len(weights),)
    """
    if len(grads_W) != len(weights):
        raise ValueError(f"{len(grads_W)} gradients for {len(weights)} weight matrices")
    spread_W = layer_std(weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(spread_W > 0, layer_std(grads_W) / np.where(spread_W > 0, spread_W, 1),
                        np.nan)


def format_per_layer(columns, *, digits=3, percent=False):
    """A text table of per-layer numbers: one row per layer, one column per experiment.

    Parameters
    ----------
    columns : dict of str to sequence of float
        For each experiment (a column, headed by its key), one number per layer.
    digits : int, default=3
        Significant digits of each number.
    percent : bool, default=False
        Show the numbers (shares between 0 and 1) as whole percentages.

    Returns
    -------
    str
        Such as::

            layer   He ReLU   1 ReLU
                1      1.26 2.33e+05
    """
    if not columns:
        raise ValueError("columns is empty; expected {name: [one number per layer]}")
    values = {str(name): np.asarray(v, dtype=float) for name, v in columns.items()}
    n_layers = max(len(v) for v in values.values())
    widths = {name: max(len(name), digits + 6) + 2 for name in values}

    def cell(v, l):
        if l >= len(v):
            return ""
        if np.isnan(v[l]):
            return "-"
        return f"{v[l]:.0%}" if percent else f"{v[l]:.{digits}g}"

    lines = ["layer" + "".join(f"{name:>{widths[name]}}" for name in values)]
    for l in range(n_layers):
        lines.append(f"{l + 1:>5}" + "".join(f"{cell(v, l):>{widths[name]}}"
                                          for name, v in values.items()))
    return "\n".join(lines)
