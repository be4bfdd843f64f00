"""The instructor's reference implementations: what the grader expects.

The grader computes every expected value from these functions, in its own
process; nothing here is ever sent to a student's kernel. The sandbox shows the
kernel ``helpers`` and third-party packages only, however the course is
installed (the Makefile's editable ``.venv``, a wheel in ``site-packages``,
conda, a Dask worker host): every other file the course installed, this one and
its bytecode among them, is emptied in the kernel's view (:mod:`course.readonly`;
``tests/integration/test_install_modes.py`` checks each install). They follow the
exercises' statements (seed 3, one standard normal draw per layer in order, the
scale of each scheme) with generators of their own, so that NumPy's global
generator is left alone.
"""

import math

import numpy as np

from helpers.checks import SEED
from helpers.network import relu, sigmoid

__all__ = ["initializer", "scale", "weight_std", "activation", "propagate", "backward_step"]


def _initialize(layers_dims, scale):
    draws = np.random.RandomState(SEED)
    parameters = {}
    for l in range(1, len(layers_dims)):
        n, n_prev = layers_dims[l], layers_dims[l - 1]
        parameters[f"W{l}"] = draws.randn(n, n_prev) * scale(n_prev)
        parameters[f"b{l}"] = np.zeros((n, 1), dtype=float)
    return parameters


def zeros(layers_dims):
    """Every weight and bias zero."""
    return {f"{k}{l}": np.zeros((layers_dims[l], layers_dims[l - 1] if k == "W" else 1))
            for l in range(1, len(layers_dims)) for k in "Wb"}


def random(layers_dims):
    """Seed 3, then ``randn(n, n_prev) * 10`` per layer; zero biases."""
    return _initialize(layers_dims, lambda n_prev: 10.0)


def he(layers_dims):
    """Seed 3, then ``randn(n, n_prev) * sqrt(2 / n_prev)`` per layer; zero biases."""
    return _initialize(layers_dims, lambda n_prev: math.sqrt(2 / n_prev))


_INITIALIZERS = {"zeros": zeros, "random": random, "he": he}


def initializer(scheme):
    """The reference initializer of ``scheme`` ("zeros", "random" or "he")."""
    return _INITIALIZERS[scheme]


_SCALES = {"xavier": lambda n: math.sqrt(1 / n), "he": lambda n: math.sqrt(2 / n)}


def scale(scheme):
    """The standard deviation of ``scheme`` ("xavier" or "he") as a function of n_prev."""
    return _SCALES[scheme]


def weight_std(spec):
    """The weight scale a test hands the student's function, from its description.

    ``spec`` is ``{"name": "inverse_sqrt" | "xavier" | "he"}`` or
    ``{"name": "constant", "value": float}`` (the probe builds the same in the kernel).
    """
    name = spec["name"]
    if name == "constant":
        value = float(spec["value"])
        return lambda n_prev: value
    if name == "inverse_sqrt":
        return lambda n_prev: 1 / math.sqrt(n_prev)
    return _SCALES[name]


ACTIVATIONS = {"tanh": np.tanh, "relu": relu, "sigmoid": sigmoid}


def activation(name):
    """The activation function named ``name`` ("tanh", "relu" or "sigmoid")."""
    return ACTIVATIONS[name]


def propagate(X, hidden_sizes, std, act, seed):
    """Each hidden layer's activations: ``W ~ rng.standard_normal((n, n_prev)) * std(n_prev)``."""
    rng, A, activations = np.random.default_rng(seed), np.asarray(X, dtype=float), []
    for n in hidden_sizes:
        W = rng.standard_normal((n, A.shape[0])) * std(A.shape[0])
        A = act(np.dot(W, A))
        activations.append(A)
    return activations


_SLOPES = {
    "relu": lambda Z: np.where(Z > 0, 1.0, 0.0),
    "sigmoid": lambda Z: sigmoid(Z) * (1 - sigmoid(Z)),
    "tanh": lambda Z: 1 / np.cosh(Z) ** 2,
}


def backward_step(dA, cache, activation):
    """One layer's ``(dA_prev, dW)``: ``dZ = dA * g'(Z)``, ``W.T dZ`` and ``dZ A_prev.T / m``."""
    A_prev, W, Z = cache
    dZ = np.multiply(dA, _SLOPES[activation](Z))
    return W.T @ dZ, (dZ @ A_prev.T) * (1.0 / A_prev.shape[1])
