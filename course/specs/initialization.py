"""The exercises of the assignment ``initialization``: one spec each, with its reference.

Each :class:`~course.judge.spec.Exercise` holds everything the grader knows of
one exercise: the student's function and answer cell, and per test cell the
calls (the notebook's visible example first, then hidden cases) and the judge,
which computes the expected values with the reference implementations below
and words the verdict with the checks the student sees under the exercise
(``helpers.checks``, ``helpers.activation_checks``, ``helpers.gradient_checks``).

Nothing here is ever shown to a student's kernel or judge process: the grader
sends only the calls' arguments.
"""

import math

import numpy as np

from helpers import activation_checks as part2
from helpers import checks as part1
from helpers import gradient_checks as part3
from helpers.checks import code_of   # every part's Problems carry their mistake codes alike
from helpers.network import ACTIVATIONS, sigmoid

from course.judge.spec import Call, Constant, Exercise, Named, Rng, TestCell, Verdict

__all__ = ["EXERCISES", "zeros", "random", "he", "scale", "propagate", "backward_step"]

SEED = part1.SEED


# -- the reference ------------------------------------------------------------------------------

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


INITIALIZERS = {"zeros": zeros, "random": random, "he": he}
SCALES = {"xavier": lambda n: math.sqrt(1 / n), "he": lambda n: math.sqrt(2 / n)}


def scale(scheme):
    """The standard deviation of ``scheme`` ("xavier" or "he") as a function of n_prev."""
    return SCALES[scheme]


#: What the judge's named arguments are (``runner.named``), for the reference.
NAMED = {**ACTIVATIONS, "inverse_sqrt": lambda n: 1 / math.sqrt(n), **SCALES}


def live(argument):
    """The reference's counterpart of a weight scale or activation argument."""
    if isinstance(argument, Constant):
        return lambda n_prev: argument.value
    return NAMED[argument.name]


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


def _listed(outcome):
    """``outcome`` with a returned tuple as a list (the checks take a tuple of arrays as one)."""
    if outcome is not None and "returned" in outcome and type(outcome["returned"]) is tuple:
        return {"returned": list(outcome["returned"])}
    return outcome


# -- verdicts --------------------------------------------------------------------------------

def _verdict(key, problems, header, passed_line):
    """A :class:`Verdict`: passed, or failed with the first problem's mistake code."""
    if not problems:
        return Verdict.ok(passed_line())
    return Verdict.failed(f"{key}.{code_of(problems, 'wrong')}", header(problems))


def _first_failure(key, checks, passed_line):
    """The verdict of the first of ``checks`` (``(problems, header)`` pairs, lazy) that fails."""
    for check in checks:
        problems, header = check()
        if problems:
            return _verdict(key, problems, header, passed_line)
    return Verdict.ok(passed_line())


# -- part 1: the three initializers ---------------------------------------------------------

# Deeper, wider, a single layer, [1, 1], square layers.
STRUCTURE_DIMS = ([5, 4, 3, 2], [1, 1], [4, 1], [6, 1, 6, 1], [2, 10, 5, 1],
                  [3, 16, 16, 16, 16, 1], [3, 3, 3])
ZEROS_DIMS = ([5, 4, 3, 2], [1, 1], [4, 1], [6, 1, 6, 1], [3, 16, 16, 16, 16, 1], [3, 3, 3])
# Before each call the global generator is left elsewhere (seed, then 5 draws): the
# result may not depend on it.
SEEDED_DIMS = (([5, 4, 3, 2], 2024), ([1, 1], 0), ([4, 1], 3), ([6, 1, 6, 1], 1),
               ([3, 16, 16, 16, 16, 1], 7), ([7, 3, 9, 1], 42), ([3, 3, 3], 5))


def _initializer_calls(dims, seed=None):
    """The call for ``dims`` (twice, the same list), then one for other sizes (typed-in shapes)."""
    return (Call((list(dims),), reseed=None if seed is None else (seed, 5), repeat=2),
            Call(([n + 1 for n in dims],)))


def _initializer_observation(main, other):
    return {"call": main.outcomes[0], "again": main.outcomes[1], "reused": main.reused,
            "other": other.outcomes[0]}


def _pairs(observed):
    return [_initializer_observation(observed[i], observed[i + 1])
            for i in range(0, len(observed), 2)]


def _initializer_failure(function, dims, problems):
    return part1.failure(part1.where(function, dims), problems)


def _initializer_structure(key, function, visible):
    dims_list = [list(visible), *map(list, STRUCTURE_DIMS)]

    def judge(observed):
        observations = _pairs(observed)
        checks = [(lambda d=dims, o=obs: (part1.structure_verdict(o, d),
                                          lambda p, d=d: _initializer_failure(function, d, p)))
                  for dims, obs in zip(dims_list, observations)]
        return _first_failure(key, checks, lambda: part1.structure_pass_line(
            function, visible, observations[0]["call"]["returned"]))

    calls = tuple(c for dims in dims_list for c in _initializer_calls(dims))
    return calls, judge


def _initializer_values(key, function, scheme, visible):
    cases = [(list(visible), None)]
    cases += ([(list(d), None) for d in ZEROS_DIMS] if scheme == "zeros"
              else [(list(d), seed) for d, seed in SEEDED_DIMS])
    reference = INITIALIZERS[scheme]

    def judge(observed):
        checks = [(lambda d=dims, o=obs: (part1.values_verdict(o, d, reference(d), scheme),
                                          lambda p, d=d: _initializer_failure(function, d, p)))
                  for (dims, _), obs in zip(cases, _pairs(observed))]
        return _first_failure(key, checks, lambda: part1.values_pass_line(function, visible))

    calls = tuple(c for dims, seed in cases for c in _initializer_calls(dims, seed))
    return calls, judge


def _initializer(key, scheme, visible):
    function = f"initialize_parameters_{scheme}"
    structure = _initializer_structure(key, function, visible)
    values = _initializer_values(key, function, scheme, visible)
    return Exercise("Initialization", function, function, (
        TestCell(f"check_{scheme}_structure", *structure, visible=2),
        TestCell(f"check_{scheme}_values", *values, visible=2)), key)


# -- part 2: the two scales and the propagation -----------------------------------------------

SCALE_SIZES = (1, 2, 3, 7, 64, 1000, 4096)


def _scale(scheme, visible):
    function = f"{scheme}_scale"
    groups = [list(visible), list(SCALE_SIZES)]
    exact = SCALES[scheme]

    def judge(observed):
        outcomes = [o.outcomes[0] for o in observed]
        at, checks = 0, []
        for group in groups:
            mine = outcomes[at:at + len(group)]
            at += len(group)
            checks.append(lambda g=group, m=mine: (
                part2.scale_verdict(function, g, m, [exact(n) for n in g], scheme),
                lambda p: part2.failure(part2.scale_header(function, scheme), p)))
        return _first_failure(function, checks, lambda: part2.scale_pass_line(
            function, list(visible), outcomes[:len(visible)]))

    calls = tuple(Call((n,)) for group in groups for n in group)
    return Exercise("Layers", function, function, (
        TestCell(f"check_{scheme}_scale_values", calls, judge, visible=len(visible)),), function)


X_SMALL = np.array([[1.0, -0.5, 2.0, 0.0],
                    [0.5, 1.5, -1.0, 2.0]])
WIDE = np.linspace(-2, 2, 5 * 7).reshape(5, 7)
INPUTS = np.random.default_rng(7).standard_normal((6, 9))
ONE_EXAMPLE = np.random.default_rng(8).standard_normal((6, 1))
SQUARE = np.random.default_rng(9).standard_normal((4, 4))


class Propagation:
    """One call of the student's propagation: inputs, sizes, scale, activation, seed."""

    def __init__(self, X, sizes, std, activation, seed):
        self.X, self.sizes, self.std, self.activation, self.seed = X, tuple(sizes), std, \
            activation, seed

    def call(self):
        return Call((self.X, list(self.sizes), self.std, Named(self.activation),
                     Rng(self.seed)), repeat=2)

    def observation(self, observed):
        return {"call": _listed(observed.outcomes[0]), "again": _listed(observed.outcomes[1]),
                "reused": observed.reused, "changed": ["X"] if 0 in observed.changed else []}

    def expected(self):
        return propagate(self.X, self.sizes, live(self.std), NAMED[self.activation], self.seed)


INVERSE_SQRT = Named("inverse_sqrt")
VISIBLE_PROPAGATION = Propagation(X_SMALL, (3, 2), INVERSE_SQRT, "tanh", 1)
STRUCTURE_PROPAGATIONS = tuple(
    Propagation(WIDE, sizes, INVERSE_SQRT, activation, 0)
    for sizes in ((4,), (1, 1), (6, 3, 8, 2), (10,) * 5)
    for activation in ("tanh", "relu", "sigmoid")) + (
    Propagation(ONE_EXAMPLE, (3, 1), INVERSE_SQRT, "relu", 2),
    Propagation(SQUARE, (4, 4), INVERSE_SQRT, "tanh", 2))
VALUE_PROPAGATIONS = (
    Propagation(INPUTS, (5, 4, 3), Named("he"), "relu", 3),
    Propagation(INPUTS, (8, 8, 8, 8, 8), Constant(0.01), "sigmoid", 11),
    Propagation(INPUTS, (2, 7, 1), Constant(1.0), "tanh", 5),
    Propagation(INPUTS, (6,), Named("xavier"), "tanh", 0),
    # one example; layers as wide as the examples are many; zero weights (Z == 0 everywhere)
    Propagation(ONE_EXAMPLE, (3, 2), Named("he"), "relu", 4),
    Propagation(SQUARE, (4, 4), Named("xavier"), "sigmoid", 6),
    Propagation(INPUTS, (3, 2), Constant(0.0), "sigmoid", 12),
)


def _propagation_cells(key, function):
    structure_calls = (VISIBLE_PROPAGATION, *STRUCTURE_PROPAGATIONS)
    value_calls = (VISIBLE_PROPAGATION, *VALUE_PROPAGATIONS)

    def header(p, c):
        return part2.failure(part2.where(function, c.X.shape, c.sizes), p)

    def structure(observed):
        observations = [c.observation(o) for c, o in zip(structure_calls, observed)]
        checks = [(lambda c=c, o=o: (part2.structure_verdict(o, c.X.shape, c.sizes),
                                     lambda p, c=c: header(p, c)))
                  for c, o in zip(structure_calls, observations)]
        first = structure_calls[0]
        return _first_failure(key, checks, lambda: part2.structure_pass_line(
            function, first.X.shape, first.sizes, observations[0]["call"]["returned"]))

    def values(observed):
        checks = [(lambda c=c, o=c.observation(o): (part2.values_verdict(
            o, c.X, c.sizes, c.expected(), weight_std=live(c.std),
            activation=NAMED[c.activation], seed=c.seed), lambda p, c=c: header(p, c)))
            for c, o in zip(value_calls, observed)]
        first = value_calls[0]
        return _first_failure(key, checks, lambda: part2.values_pass_line(
            function, first.X.shape, first.sizes))

    return (TestCell("check_propagate_structure", tuple(c.call() for c in structure_calls),
                     structure),
            TestCell("check_propagate_values", tuple(c.call() for c in value_calls), values))


# -- part 3: one layer's backward step ---------------------------------------------------------

class BackwardCall:
    """One call of the student's backward step: the layer's arrays and its activation."""

    def __init__(self, dA, A_prev, W, activation):
        self.dA, self.A_prev, self.W, self.activation = dA, A_prev, W, activation
        self.Z = np.dot(W, A_prev)

    def call(self):
        return Call((self.dA, (self.A_prev, self.W, self.Z), self.activation), repeat=2)

    def cache(self):
        return (self.A_prev, self.W, self.Z)

    def observation(self, observed):
        names = ("dA", "A_prev", "W", "Z")
        return {"call": _listed(observed.outcomes[0]), "again": _listed(observed.outcomes[1]),
                "reused": observed.reused, "changed": [names[i] for i in observed.changed]}

    def expected(self):
        return backward_step(self.dA, self.cache(), self.activation)


def _layer(n, n_prev, m, activation, seed, *, dead=False):
    """A layer's arrays drawn from ``seed``; ``dead``: a unit and an example with Z exactly 0."""
    rng = np.random.default_rng(seed)
    A_prev = rng.standard_normal((n_prev, m))
    W = rng.standard_normal((n, n_prev)) / np.sqrt(n_prev)
    if dead:
        W[0] = 0.0          # a unit whose pre-activation is 0 for every example
        A_prev[:, -1] = 0.0  # an example whose pre-activations are all 0
    return BackwardCall(rng.standard_normal((n, m)), A_prev, W, activation)


# The notebook's example: the same numbers as its check cells.
VISIBLE_LAYER = dict(
    A_prev=np.array([[1.0, -0.5, 2.0, 0.0], [0.5, 1.5, -1.0, 2.0], [-1.0, 0.5, 0.5, -2.0]]),
    W=np.array([[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]]),
    dA=np.array([[1.0, -2.0, 0.5, 1.0], [-0.5, 1.0, 2.0, -1.0]]))
VISIBLE_BACKWARD = tuple(BackwardCall(activation=a, **VISIBLE_LAYER)
                         for a in ("relu", "sigmoid", "tanh"))
# Other sizes (one unit, one example, square layers where W and W.T have one shape),
# each activation, other draws.
BACKWARD_STRUCTURE = tuple(_layer(*args) for args in (
    (1, 1, 1, "relu", 0), (5, 5, 3, "tanh", 1), (1, 6, 2, "sigmoid", 2), (7, 2, 1, "relu", 3),
    (4, 3, 10, "tanh", 4)))
BACKWARD_VALUES = tuple(_layer(*args) for args in (
    (4, 4, 5, "relu", 10), (4, 4, 5, "sigmoid", 11), (4, 4, 5, "tanh", 12),
    (1, 3, 1, "sigmoid", 13), (6, 2, 7, "relu", 14), (3, 5, 2, "tanh", 15),
    (8, 8, 16, "relu", 16), (2, 9, 3, "sigmoid", 17),
    # the special sizes judged on values too: one unit and one example, n == n_prev == m
    (1, 1, 1, "relu", 18), (1, 1, 1, "tanh", 19), (3, 3, 3, "sigmoid", 20),
    (3, 3, 3, "relu", 21), (5, 1, 1, "tanh", 22))) + tuple(
    # Z exactly 0, as the zeros initialization of part 1 makes it
    _layer(*args, dead=True) for args in ((4, 3, 5, "relu", 23), (3, 3, 3, "tanh", 24),
                                          (2, 4, 6, "sigmoid", 25)))


def _backward_cells(key, function):
    structure_calls = (VISIBLE_BACKWARD[0], *BACKWARD_STRUCTURE)
    value_calls = (*VISIBLE_BACKWARD, *BACKWARD_VALUES)

    def header(p, c):
        return part3.failure(part3.where(function, c.dA.shape, c.activation), p)

    def structure(observed):
        observations = [c.observation(o) for c, o in zip(structure_calls, observed)]
        checks = [(lambda c=c, o=o: (part3.structure_verdict(
            o, c.W.shape[0], c.W.shape[1], c.dA.shape[1]), lambda p, c=c: header(p, c)))
            for c, o in zip(structure_calls, observations)]
        first = structure_calls[0]
        return _first_failure(key, checks, lambda: part3.structure_pass_line(
            function, first.dA.shape, first.activation, observations[0]["call"]["returned"]))

    def values(observed):
        checks = [(lambda c=c, o=c.observation(o): (part3.values_verdict(
            o, c.dA, c.cache(), c.activation, c.expected()), lambda p, c=c: header(p, c)))
            for c, o in zip(value_calls, observed)]
        shown = value_calls[:len(VISIBLE_BACKWARD)]
        return _first_failure(key, checks, lambda: part3.values_pass_line(
            function, shown[0].dA.shape, [c.activation for c in shown]))

    return (TestCell("check_backward_structure", tuple(c.call() for c in structure_calls),
                     structure),
            TestCell("check_backward_values", tuple(c.call() for c in value_calls), values,
                     visible=len(VISIBLE_BACKWARD)))


#: The exercises of the assignment, in the notebooks' order.
EXERCISES = (
    _initializer("zeros", "zeros", (3, 2, 1)),
    _initializer("random", "random", (3, 2, 1)),
    _initializer("he", "he", (2, 4, 1)),
    _scale("xavier", (100, 4)),
    _scale("he", (100, 8)),
    Exercise("Layers", "propagate_activations", "propagate_activations",
             _propagation_cells("propagate", "propagate_activations"), "propagate"),
    Exercise("Gradients", "backward_step", "backward_step",
             _backward_cells("backward", "backward_step"), "backward"),
)
