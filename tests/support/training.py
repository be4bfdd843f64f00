"""What the training tests share: part 1's initial parameters as the exercises specify
them, and the seed's own training loop (``benchmarks/straightforward.py``)."""

import importlib.util

import numpy as np

from . import ROOT

#: Part 1's three starts, as weight scales of n_prev.
SCALES = {"zeros": lambda n_prev: 0.0, "random": lambda n_prev: 10.0,
          "he": lambda n_prev: np.sqrt(2 / n_prev)}


def reference_init(dims, scheme):
    """The exercises' specification: seed 3, one randn draw per layer, zero biases."""
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = np.random.randn(dims[l], dims[l - 1]) * SCALES[scheme](dims[l - 1])
        parameters[f"b{l}"] = np.zeros((dims[l], 1))
    return parameters


def straightforward():
    """benchmarks/straightforward.py: the seed-style loop whose arithmetic fit reproduces."""
    spec = importlib.util.spec_from_file_location(
        "straightforward", ROOT / "benchmarks" / "straightforward.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
