"""Initial weights: the scale of each scheme, and weights drawn at a chosen scale.

The scale tables here are the one place the course states its formulas; the
checks of every notebook (:mod:`helpers.checks`, :mod:`helpers.activation_checks`,
:mod:`helpers.gradient_checks`) and the experiments read them from here.
"""

import math

import numpy as np

__all__ = ["SCALES", "scale_of", "initialize_parameters", "draw_weights"]

#: Standard deviation of a layer's weights as a function of ``n_prev`` (the
#: previous layer's size), and the formula in the lesson's words.
SCALES = {
    "xavier": (lambda n_prev: math.sqrt(1 / n_prev), "sqrt(1/n_prev)"),
    "he": (lambda n_prev: math.sqrt(2 / n_prev), "sqrt(2/n_prev)"),
}


def scale_of(weight_std):
    """``weight_std`` as a function of ``n_prev``.

    Parameters
    ----------
    weight_std : float, str or callable
        A number (the same for every layer), a name of :data:`SCALES`
        (``"xavier"``, ``"he"``), or a function of ``n_prev``.

    Returns
    -------
    callable
    """
    if callable(weight_std):
        return weight_std
    if isinstance(weight_std, str):
        if weight_std not in SCALES:
            raise ValueError(f"unknown scale {weight_std!r}; expected a number, a function "
                             f"of n_prev, or one of {', '.join(SCALES)}")
        return SCALES[weight_std][0]
    value = float(weight_std)
    return lambda n_prev: value


def _checked_scale(std, l, n_prev):
    scale = float(std(n_prev))
    if not (np.isfinite(scale) and scale >= 0):
        raise ValueError(f"weight_std gave {scale!r} for layer {l} (n_prev = {n_prev}); "
                         f"expected a finite number >= 0")
    return scale


def _checked_dims(layers_dims):
    dims = list(layers_dims)
    if len(dims) < 2 or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in dims):
        raise ValueError(f"layers_dims must list at least two layer sizes >= 1 "
                         f"(input first), got {layers_dims!r}")
    return dims


def draw_weights(layers_dims, weight_std, *, random_state=0):
    """One weight matrix per layer, ``standard_normal((n, n_prev)) * weight_std(n_prev)``.

    Parameters
    ----------
    layers_dims : list of int
        Sizes of the layers, input first: [n_0, n_1, ..., n_L].
    weight_std : float, str or callable
        See :func:`scale_of`.
    random_state : int or numpy.random.Generator, default=0
        Seed or generator; NumPy's global generator is not touched.

    Returns
    -------
    weights : list of ndarray
        ``weights[l - 1]`` of shape (layers_dims[l], layers_dims[l - 1]).
    """
    dims = _checked_dims(layers_dims)
    std = scale_of(weight_std)
    rng = np.random.default_rng(random_state)
    return [rng.standard_normal((n, n_prev)) * _checked_scale(std, l, n_prev)
            for l, (n_prev, n) in enumerate(zip(dims[:-1], dims[1:]), start=1)]


def initialize_parameters(layers_dims, weight_std, *, random_state=0):
    """Weights drawn from a normal distribution of a chosen spread, biases zero.

    Parameters
    ----------
    layers_dims : list of int
        Sizes of the layers, input first: [n_0, n_1, ..., n_L].
    weight_std : float, str or callable
        Standard deviation of layer l's weights: a number used for every
        layer, a name of :data:`SCALES`, or a function of
        ``n_prev = layers_dims[l - 1]`` (such as ``lambda n_prev: np.sqrt(2 / n_prev)``).
    random_state : int or numpy.random.Generator, default=0
        Seed or generator; NumPy's global generator is not touched.

    Returns
    -------
    parameters : dict of str to ndarray
        ``W<l>`` of shape (layers_dims[l], layers_dims[l - 1]) and
        ``b<l>`` of shape (layers_dims[l], 1).
    """
    parameters = {}
    for l, W in enumerate(draw_weights(layers_dims, weight_std, random_state=random_state),
                          start=1):
        parameters[f"W{l}"] = W
        parameters[f"b{l}"] = np.zeros((W.shape[0], 1))
    return parameters
