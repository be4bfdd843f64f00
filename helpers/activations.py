"""Tools for the activations notebook: activation functions and layer statistics.

The exercise of that notebook (propagating inputs through the layers, and the
Xavier and He scales) is the student's; this module holds what surrounds it.
The initial weights of its experiments are
:func:`helpers.initializers.initialize_parameters` (importable from here too).
"""

import numpy as np

from .initializers import initialize_parameters  # noqa: F401 (its old home)
from .network import ACTIVATIONS

__all__ = ["ACTIVATIONS", "gaussian_inputs", "layer_stats", "format_layer_stats",
           "initialize_parameters"]

# ACTIVATIONS: the activation functions the experiments compare, by name (helpers.network's).


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
