"""Tools for the activations notebook: activation functions, layer statistics, initial weights.

The exercise of that notebook (propagating inputs through the layers, and the
Xavier and He scales) is the student's; this module holds what surrounds it.
"""

import numpy as np

from .network import relu, sigmoid

__all__ = ["ACTIVATIONS", "gaussian_inputs", "layer_stats", "format_layer_stats",
           "initialize_parameters"]

#: The activation functions the experiments compare, by name.
ACTIVATIONS = {"sigmoid": sigmoid, "tanh": np.tanh, "relu": relu}


def gaussian_inputs(n_features, n_examples, *, random_state=0):
    """Standard normal inputs, one example per column.

    Parameters
    ----------
    n_features, n_examples : int
    random_state : int or numpy.random.Generator, default=0
        Seed or generator; NumPy's global generator is not touched.

    Returns
    -------
    X : ndarray of shape (n_features, n_examples)
    """
    for name, value in (("n_features", n_features), ("n_examples", n_examples)):
        if not (isinstance(value, (int, np.integer)) and value >= 1):
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return np.random.default_rng(random_state).standard_normal((n_features, n_examples))


def layer_stats(activations):
    """Mean and standard deviation of every layer's activations.

    Parameters
    ----------
    activations : list of ndarray
        One array per layer, of shape (n_l, m).

    Returns
    -------
    means, stds : ndarray of shape (n_layers,)
    """
    if len(activations) == 0:
        raise ValueError("activations is empty; expected one array per layer")
    arrays = [np.asarray(a, dtype=float) for a in activations]
    return np.array([a.mean() for a in arrays]), np.array([a.std() for a in arrays])


def format_layer_stats(experiments, *, digits=3, width=80):
    """A text table of each experiment's per-layer mean and standard deviation.

    Parameters
    ----------
    experiments : dict of str to list of ndarray
        Activations of every layer, by experiment name.
    digits : int, default=3
        Significant digits of each number.
    width : int, default=80
        Longest line, in characters: the layers are split into blocks of
        columns that fit, one after the other, when they do not all fit.

    Returns
    -------
    str
        A column per layer and two lines per experiment, its ``mean`` and its
        ``std``, such as::

                           layer 1    layer 2
            std 1  mean       3.97       29.3
                   std        5.83       42.5
    """
    if not experiments:
        raise ValueError("experiments is empty; expected {name: [layer activations]}")
    stats = {str(name): layer_stats(activations) for name, activations in experiments.items()}
    n_layers = max(len(means) for means, _ in stats.values())
    name_width = max(len(name) for name in stats) + 2
    column = max(digits + 6, len(f"layer {n_layers}")) + 2  # a sign, a point, e-05
    per_block = max(1, (width - name_width - 4) // column)
    blocks = []
    for first in range(0, n_layers, per_block):
        layers = range(first, min(first + per_block, n_layers))
        lines = [(" " * (name_width + 4) + "".join(f"{f'layer {l + 1}':>{column}}"
                                                   for l in layers)).rstrip()]
        for name, (means, stds) in stats.items():
            for label, numbers in ((name, means), ("", stds)):
                stat = "mean" if label else "std"
                lines.append(f"{label:<{name_width}}{stat:<4}" + "".join(
                    f"{numbers[l]:>{column}.{digits}g}" if l < len(numbers) else ""
                    for l in layers))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def initialize_parameters(layers_dims, weight_std, *, random_state=0):
    """Weights drawn from a normal distribution of a chosen spread, biases zero.

    Parameters
    ----------
    layers_dims : list of int
        Sizes of the layers, input first: [n_0, n_1, ..., n_L].
    weight_std : float or callable
        Standard deviation of layer l's weights: a number used for every
        layer, or a function of ``n_prev = layers_dims[l - 1]`` (such as
        ``lambda n_prev: np.sqrt(2 / n_prev)``).
    random_state : int or numpy.random.Generator, default=0
        Seed or generator; NumPy's global generator is not touched.

    Returns
    -------
    parameters : dict of str to ndarray
        ``W<l>`` of shape (layers_dims[l], layers_dims[l - 1]) and
        ``b<l>`` of shape (layers_dims[l], 1).
    """
    dims = list(layers_dims)
    if len(dims) < 2 or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in dims):
        raise ValueError(f"layers_dims must list at least two layer sizes >= 1 "
                         f"(input first), got {layers_dims!r}")
    std = weight_std if callable(weight_std) else (lambda n_prev: weight_std)
    rng = np.random.default_rng(random_state)
    parameters = {}
    for l, (n_prev, n) in enumerate(zip(dims[:-1], dims[1:]), start=1):
        scale = float(std(n_prev))
        if not (np.isfinite(scale) and scale >= 0):
            raise ValueError(f"weight_std gave {scale!r} for layer {l} (n_prev = "
                             f"{n_prev}); expected a finite number >= 0")
        parameters[f"W{l}"] = rng.standard_normal((n, n_prev)) * scale
        parameters[f"b{l}"] = np.zeros((n, 1))
    return parameters
