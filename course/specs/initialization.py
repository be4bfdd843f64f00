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


# -- the mistakes in the lesson's words ------------------------------------------------------
# What a verdict's mistake code means, the same for every student who made it: the words a
# class report counts under (``course report``), without the numbers of any one student's
# call. A code is "<exercise key>.<mistake>" (``helpers``' checks name the mistake).

def _described(keys, table):
    return {f"{key}.{mistake}": text for key in keys for mistake, text in table.items()}


#: Mistakes any exercise can show.
_ANY = {
    "not_written": "not written: the stub still raises NotImplementedError",
    "raised": "calling it raises an error",
    "reaches_interpreter": "the answer cell reaches beyond NumPy, math and helpers, so the "
                           "grader did not judge it: read it in the formgrader",
    "reused_result": "hands out the same dict, list or arrays on every call (kept in a global "
                     "or a default argument) instead of building new ones",
    "not_repeatable": "gives another result when called again with the same arguments: it "
                      "changes an argument in place or keeps something between calls",
    "subclass": "returns a subclass of the type asked for, not the plain type",
    "returned_none": "returns None: the function ends without `return`",
    "not_an_array": "returns something else where a NumPy array is asked for",
    "not_floats": "returns arrays that do not hold floating point numbers",
    "not_finite": "returns values that hold inf or nan",
    "wrong": "wrong in a way the checks do not name",
}

#: Mistakes of the three initializers' keys, shapes and dtypes.
_STRUCTURE_MISTAKES = {
    "not_a_dict": "does not return the parameters dict",
    "odd_keys": "uses keys that are not plain strings such as 'W1'",
    "keys_from_zero": "numbers the layers from 0 (W0, b0): the input layer has no weights",
    "missing_last_layer": "leaves out the last layer: the loop stops one layer early",
    "missing_keys": "leaves out some of the keys W1, b1, ..., WL, bL",
    "unexpected_keys": "returns keys for layers that layers_dims does not have",
    "dtype": "returns arrays of another float type than NumPy's float64",
    "transposed_shape": "gives W the shape (n_prev, n) transposed: rows are this layer's "
                        "units, columns the previous layer's",
    "bias_not_a_column": "makes the biases 1-D, not column vectors with one row per unit",
    "wrong_shape": "gives a weight or a bias a wrong shape",
    "typed_in": "returns the example's keys and shapes whatever layers_dims says: typed in "
                "from the example",
    "bias_not_zero": "starts the biases at other values than zero",
}


def _drawn_mistakes(rule):
    """Mistakes of the weights of an initializer that multiplies randn's draws by ``rule``."""
    return {
        "all_zero_weights": f"leaves the weights all zero instead of random values scaled by "
                            f"{rule} (integer division in the scale?)",
        "unscaled": f"leaves np.random.randn's draws unscaled instead of multiplying them by "
                    f"{rule}",
        "scaled_by_0_01": f"scales by 0.01, the usual 'small random' choice, instead of {rule}",
        "wrong_scale": f"draws the right numbers and scales them by something else than {rule}",
        "reseeded_in_loop": "reseeds the generator inside the loop: every layer starts with "
                            "the same draws",
        "uniform_draws": "draws uniformly from [0, 1) with np.random.rand, not a standard "
                         "normal with np.random.randn",
        "default_rng": "draws with np.random.default_rng, not the global generator that "
                       "np.random.seed seeds",
        "transposed_draws": "draws the transposed shape and turns it around with .T: the right "
                            "draws in the wrong places",
        "later_draws": "takes draws from further along the random sequence: the seed removed, "
                       "or another draw first (a random bias?)",
        "wrong_draws": "draws other numbers at the right scale: the seed removed or changed, or "
                       "the draws in another order",
        "wrong_values": "wrong weights that the checks cannot explain",
    }


#: The scales students use by mistake for He's.
_HE_MISTAKES = {
    "scaled_like_xavier": "scales the weights by Xavier's sqrt(1/n_prev), not He's "
                          "sqrt(2/n_prev)",
    "scaled_with_n": "scales with this layer's size n instead of the previous layer's n_prev",
    "missing_sqrt": "scales by 2/n_prev: the square root is missing",
    "sqrt_of_numerator": "scales by sqrt(2)/n_prev: the square root must cover the whole "
                         "fraction",
    "scaled_like_glorot": "scales by Glorot's sqrt(2/(n_prev + n)), not He's sqrt(2/n_prev)",
    "scaled_by_10": "scales by 10 (the large random initialization) instead of sqrt(2/n_prev)",
}

_SCALE_MISTAKES = {
    "not_a_number": "returns an array or another value where the scale is one number",
    "variance_not_std": "returns the variance, not the standard deviation: the square root "
                        "is missing",
    "inverted_fraction": "turns the fraction upside down: n_prev goes below the line",
    "sqrt_of_numerator": "takes the square root of the numerator only: it covers the whole "
                         "fraction",
    "integer_division": "returns 0: integer division (// or int) where the fraction needs floats",
    "wrong_value": "returns a wrong value that the checks cannot explain",
}

_PROPAGATE_MISTAKES = {
    "not_a_list": "does not return the list of activations",
    "layer_count": "returns another number of arrays than there are hidden layers",
    "input_in_list": "puts the input X in the list, which holds the hidden layers' activations",
    "append_outside_loop": "appends to the list outside the loop: one layer's activations only",
    "transposed_shape": "returns activations transposed: one row per unit and one column per "
                        "example",
    "wrong_shape": "returns activations of a wrong shape",
    "changed_input": "changes the input X in place",
    "transposed_draws": "draws each W with the shape (n_prev, n_l) and transposes it",
    "std_of_n": "gives weight_std each layer's own size instead of n_prev, the previous layer's",
    "std_not_applied": "does not multiply the weights by weight_std(n_prev)",
    "no_activation": "does not apply the activation passed in",
    "extra_draws": "draws from rng more than once per layer",
    "one_draw": "uses one W for every layer instead of a new draw per layer",
    "global_generator": "draws from NumPy's global generator (or one of its own), not from "
                        "the rng passed in",
    "input_not_updated": "feeds X to every layer instead of the previous layer's activations",
    "wrong_values": "wrong activations that the checks cannot explain",
}

_BACKWARD_MISTAKES = {
    "not_a_pair": "does not return the pair (dA_prev, dW)",
    "swapped_results": "returns (dW, dA_prev): the results swapped",
    "product_shapes": "multiplies arrays whose inner sizes do not match (W or A_prev not "
                      "transposed?)",
    "broadcast": "multiplies dA by a factor of another shape in dZ = dA * g'(Z)",
    "dW_transposed": "computes dW transposed, A_prev @ dZ.T instead of dZ @ A_prev.T",
    "wrong_shape": "returns dA_prev or dW of a wrong shape",
    "dA_prev_not_through_W": "does not send the gradient back through the weights, "
                             "dA_prev = W.T @ dZ",
    "dA_prev_transposed": "returns dA_prev transposed",
    "relu_slope_at_zero": "takes ReLU's slope at Z == 0 as 1; this course takes it as 0",
    "derivative_of_relu": "uses ReLU's derivative for a layer with another activation",
    "derivative_of_sigmoid": "uses sigmoid's derivative for a layer with another activation",
    "derivative_of_tanh": "uses tanh's derivative for a layer with another activation",
    "no_derivative": "leaves out the activation's derivative in dZ = dA * g'(Z)",
    "activation_not_derivative": "multiplies dA by the activation g(Z) itself, not its "
                                 "derivative",
    "times_Z": "multiplies dA by Z instead of g'(Z)",
    "tanh_of_Z_missing": "takes tanh's derivative as 1 - Z ** 2 instead of 1 - np.tanh(Z) ** 2",
    "tanh_square_missing": "takes tanh's derivative as 1 - np.tanh(Z): the square is missing",
    "sigmoid_one_minus_s": "takes sigmoid's derivative as 1 - s instead of s * (1 - s)",
    "missing_one_over_m": "leaves out the 1/m of the mean over the examples in dW",
    "divided_by_m_twice": "divides dW by m twice",
    "dA_prev_divided_by_m": "divides dA_prev by m: only dW is a mean over the examples",
    "W_not_transposed": "uses W where dA_prev needs the transposed weights, W.T @ dZ",
    "changed_input": "changes its input arrays in place (an `*=` or `+=`?)",
    "wrong_scale": "returns dA_prev or dW a constant factor off",
    "wrong_values": "wrong gradients that the checks cannot explain",
}

#: ``{mistake code: what it means}`` for every code a verdict of :data:`EXERCISES` carries.
MISTAKES = {
    **_described([e.key for e in EXERCISES], _ANY),
    **_described(["zeros", "random", "he"], _STRUCTURE_MISTAKES),
    "zeros.nonzero_weights": "sets weights that are not zero",
    **_described(["random"], _drawn_mistakes("10")),
    "random.scaled_like_he": "scales by He's sqrt(2/n_prev) instead of 10",
    **_described(["he"], _drawn_mistakes("sqrt(2/n_prev)")),
    **_described(["he"], _HE_MISTAKES),
    **_described(["xavier_scale", "he_scale"], _SCALE_MISTAKES),
    "xavier_scale.he_scale": "returns He's scale sqrt(2/n_prev), not Xavier's sqrt(1/n_prev)",
    "he_scale.xavier_scale": "returns Xavier's scale sqrt(1/n_prev), not He's sqrt(2/n_prev)",
    **_described(["propagate"], _PROPAGATE_MISTAKES),
    **_described(["backward"], _BACKWARD_MISTAKES),
}
