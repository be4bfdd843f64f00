"""What each test cell of the assignment checks at autograde, and how its verdict is reached.

Each test cell of ``source/initialization/*.ipynb`` has an entry in
:data:`TEST_CELLS`, keyed by notebook and grade id: the student's function it
calls and every case it checks, the notebook's visible example first, then the
hidden ones (other sizes, other states of NumPy's global generator). At
autograde the grader sends the cases to the kernel (``course/probe.py``),
receives what the function returned as data (``course/wire.py``), computes the
expected values with ``course/reference.py`` and judges with the checks' own
verdict functions (``helpers.checks``, ``helpers.activation_checks``,
``helpers.gradient_checks``): the
student reads the same message in the feedback as under the exercise.

The test cell's own code is what a student runs in JupyterLab and Validate
(the visible check); at autograde it is not run. A test cell of the gradebook
without an entry here stops grading (:func:`require`).
"""

from dataclasses import dataclass, field

import numpy as np

from helpers import activation_checks as part2
from helpers import checks as part1
from helpers import gradient_checks as part3
from helpers.network import relu, sigmoid  # noqa: F401 (named in the cases)

from . import reference
from .probe import encode
from .wire import ProbeError

__all__ = ["Verdict", "TEST_CELLS", "find", "require", "require_gradebook", "MissingTestCell"]


@dataclass(frozen=True)
class Verdict:
    """A test cell's verdict: ``text`` is the pass line printed, or the failure message."""

    passed: bool
    text: str


def _passed(text):
    return Verdict(True, text)


def _failed(text):
    return Verdict(False, text)


@dataclass(frozen=True)
class GradedCell:
    """A test cell: ``function`` is the student's function it calls."""

    notebook: str
    grade_id: str
    function: str

    def cases(self):
        """The cases to send to the probe (each a dict with its ``kind``)."""
        raise NotImplementedError

    def judge(self, observations):
        """The :class:`Verdict` on the probe's observations (one per case, validated).

        Raises :class:`~course.wire.ProbeError` if they do not answer the cases asked.
        """
        raise NotImplementedError

    def request(self, nonce):
        """What the probe is asked (JSON-ready)."""
        return {"function": self.function, "nonce": nonce, "cases": self.cases()}

    def kinds(self):
        return [case["kind"] for case in self.cases()]


# -- part 1: the three initializers -------------------------------------------------------

# Deeper, wider, a single layer, [1, 1].
STRUCTURE_DIMS = ([5, 4, 3, 2], [1, 1], [4, 1], [6, 1, 6, 1], [2, 10, 5, 1], [3, 16, 16, 16, 16, 1])
ZEROS_DIMS = ([5, 4, 3, 2], [1, 1], [4, 1], [6, 1, 6, 1], [3, 16, 16, 16, 16, 1])
# Before each call the global generator is left elsewhere (seed, then 5 draws), and
# the call is repeated at once: the result may depend on neither.
SEEDED_DIMS = (([5, 4, 3, 2], 2024), ([1, 1], 0), ([4, 1], 3), ([6, 1, 6, 1], 1),
               ([3, 16, 16, 16, 16, 1], 7), ([7, 3, 9, 1], 42))


def _initializer_case(dims, state=None, repeat=1):
    return {"kind": "initializer", "dims": list(dims), "state": state, "repeat": repeat}


@dataclass(frozen=True)
class InitializerStructure(GradedCell):
    """``check_structure`` on the visible dims, then on :data:`STRUCTURE_DIMS`."""

    visible: tuple = ()

    def _dims(self):
        return [list(self.visible), *map(list, STRUCTURE_DIMS)]

    def cases(self):
        return [_initializer_case(dims) for dims in self._dims()]

    def judge(self, observations):
        for dims, repeats in zip(self._dims(), observations):
            observation, = _asked(repeats, 1)
            problems = part1.structure_verdict(observation, dims)
            if problems:
                return _failed(part1.failure(self.function, dims, problems))
        first = observations[0][0]["call"]["returned"]
        return _passed(part1.structure_pass_line(self.function, self.visible, first))


@dataclass(frozen=True)
class InitializerValues(GradedCell):
    """``check_values`` on the visible dims, then hidden sizes and generator states, then
    that two calls return fresh arrays."""

    scheme: str = ""
    visible: tuple = ()
    fresh: tuple = (3, 2, 1)

    def _hidden(self):
        if self.scheme == "zeros":
            return [_initializer_case(dims) for dims in ZEROS_DIMS]
        return [_initializer_case(dims, [seed, 5], repeat=2) for dims, seed in SEEDED_DIMS]

    def cases(self):
        return [_initializer_case(self.visible), *self._hidden(),
                {"kind": "fresh", "dims": list(self.fresh)}]

    def judge(self, observations):
        *values, fresh = observations
        expected_of = reference.initializer(self.scheme)
        for case, repeats in zip(self.cases(), values):
            dims = case["dims"]
            expected = expected_of(dims)
            for observation in _asked(repeats, case["repeat"]):
                problems = part1.values_verdict(observation, dims, expected, self.scheme)
                if problems:
                    return _failed(part1.failure(self.function, dims, problems))
        problems = fresh_problems(fresh, list(self.fresh))
        if problems:
            return _failed(part1.failure(self.function, self.fresh, problems))
        return _passed(part1.values_pass_line(self.function, self.visible))


def _asked(repeats, count):
    """The ``count`` observations of a case that asked for that many calls.

    Raises
    ------
    ProbeError
        If the kernel sent another number of them (a malformed answer).
    """
    if len(repeats) != count:
        raise ProbeError(f"the answer holds {len(repeats)} observations for a case that "
                         f"asked for {count}")
    return repeats


POISON = "__poisoned__"


def fresh_problems(observation, layers_dims):
    """What a fresh-dict observation says about arrays or dicts shared between calls.

    The probe called the function, then filled the float arrays it returned with
    NaN and added a key to the dict, then called it again: a second result that
    shows either reuses the first one.
    """
    first, second = observation["first"], observation["second"]
    for outcome in (first, second):
        if outcome is None:
            continue
        if "raised" in outcome:
            return [part1.raised_problem(outcome)]
        if type(outcome["returned"]) is not dict:
            return part1.structure_problems(outcome["returned"], layers_dims)
    if second is None:
        return ["the second call did not return"]
    first, second = first["returned"], second["returned"]
    if POISON in second:
        return ["two calls returned the same dict object: build a new dict on every call"]
    shared = [key for key, value in second.items()
              if type(value) is np.ndarray and value.size and value.dtype.kind == "f"
              and np.isnan(value).all() and type(first.get(key)) is np.ndarray
              and not np.isnan(first[key]).all()]
    if shared:
        return [f"two calls share the arrays {', '.join(map(str, shared))}: create new arrays "
                f"on every call rather than reusing a global or default argument"]
    return []


# -- part 2: the two scales and the propagation ----------------------------------------------

SCALE_SIZES = (1, 2, 3, 7, 64, 1000, 4096)


@dataclass(frozen=True)
class Scale(GradedCell):
    """``check_scale`` on the visible sizes, then on :data:`SCALE_SIZES`."""

    scheme: str = ""
    visible: tuple = ()

    def _groups(self):
        return [list(self.visible), list(SCALE_SIZES)]

    def cases(self):
        return [{"kind": "scale", "n": n} for group in self._groups() for n in group]

    def judge(self, observations):
        exact = reference.scale(self.scheme)
        at = 0
        for group in self._groups():
            outcomes = observations[at:at + len(group)]
            at += len(group)
            problems = part2.scale_problems(self.function, group, outcomes,
                                            [exact(n) for n in group], self.scheme)
            if problems:
                return _failed(part2.failure(part2.scale_header(self.function, self.scheme),
                                             problems))
        visible = observations[:len(self.visible)]
        return _passed(part2.scale_pass_line(self.function, list(self.visible), visible))


X_SMALL = np.array([[1.0, -0.5, 2.0, 0.0],
                    [0.5, 1.5, -1.0, 2.0]])
WIDE = np.linspace(-2, 2, 5 * 7).reshape(5, 7)
INPUTS = np.random.default_rng(7).standard_normal((6, 9))
INVERSE_SQRT = {"name": "inverse_sqrt"}


@dataclass(frozen=True, eq=False)
class Propagation:
    """One call of the student's propagation: inputs, sizes, scale, activation, seed."""

    X: np.ndarray = field(repr=False)
    sizes: tuple
    std: dict
    activation: str
    seed: int

    def case(self):
        return {"kind": "propagate", "X": encode(self.X), "sizes": list(self.sizes),
                "std": self.std, "activation": self.activation, "seed": self.seed}

    def expected(self):
        return reference.propagate(self.X, self.sizes, reference.weight_std(self.std),
                                   reference.activation(self.activation), self.seed)


VISIBLE_PROPAGATION = Propagation(X_SMALL, (3, 2), INVERSE_SQRT, "tanh", 1)
STRUCTURE_PROPAGATIONS = tuple(
    Propagation(WIDE, sizes, INVERSE_SQRT, activation, 0)
    for sizes in ((4,), (1, 1), (6, 3, 8, 2), (10,) * 5)
    for activation in ("tanh", "relu", "sigmoid"))
VALUE_PROPAGATIONS = (
    Propagation(INPUTS, (5, 4, 3), {"name": "he"}, "relu", 3),
    Propagation(INPUTS, (8, 8, 8, 8, 8), {"name": "constant", "value": 0.01}, "sigmoid", 11),
    Propagation(INPUTS, (2, 7, 1), {"name": "constant", "value": 1.0}, "tanh", 5),
    Propagation(INPUTS, (6,), {"name": "xavier"}, "tanh", 0),
)


@dataclass(frozen=True)
class PropagateStructure(GradedCell):
    """``check_propagate_structure`` on the visible example, then on wider inputs."""

    calls: tuple = ()

    def cases(self):
        return [call.case() for call in self.calls]

    def judge(self, observations):
        for call, observation in zip(self.calls, observations):
            problems = part2.propagate_structure_verdict(observation, call.X.shape, call.sizes)
            if problems:
                return _failed(part2.failure(part2.where(self.function, call.X.shape,
                                                         call.sizes), problems))
        first = self.calls[0]
        return _passed(part2.structure_pass_line(self.function, first.X.shape, first.sizes,
                                                 observations[0]["call"]["returned"]))


@dataclass(frozen=True)
class PropagateValues(PropagateStructure):
    """``check_propagate_values`` on the visible example, then on other scales and activations."""

    def judge(self, observations):
        for call, observation in zip(self.calls, observations):
            problems = part2.propagate_values_verdict(observation, call.X, call.sizes,
                                                      call.expected())
            if problems:
                return _failed(part2.failure(part2.where(self.function, call.X.shape,
                                                         call.sizes), problems))
        first = self.calls[0]
        return _passed(part2.values_pass_line(self.function, first.X.shape, first.sizes))


# -- part 3: one layer's backward step ----------------------------------------------------

@dataclass(frozen=True, eq=False)
class BackwardCall:
    """One call of the student's backward step: the layer's arrays and its activation."""

    dA: np.ndarray = field(repr=False)
    A_prev: np.ndarray = field(repr=False)
    W: np.ndarray = field(repr=False)
    activation: str

    @property
    def Z(self):
        return np.dot(self.W, self.A_prev)

    def case(self):
        return {"kind": "backward", "dA": encode(self.dA), "A_prev": encode(self.A_prev),
                "W": encode(self.W), "Z": encode(self.Z), "activation": self.activation}

    def cache(self):
        return (self.A_prev, self.W, self.Z)

    def expected(self):
        return reference.backward_step(self.dA, self.cache(), self.activation)


def _layer(n, n_prev, m, activation, seed):
    """A layer's arrays drawn from ``seed``: its input, weights and output gradient."""
    rng = np.random.default_rng(seed)
    A_prev = rng.standard_normal((n_prev, m))
    W = rng.standard_normal((n, n_prev)) / np.sqrt(n_prev)
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
    (8, 8, 16, "relu", 16), (2, 9, 3, "sigmoid", 17)))


@dataclass(frozen=True)
class BackwardStructure(GradedCell):
    """``check_backward_structure`` on the visible example, then on other sizes."""

    calls: tuple = ()

    def cases(self):
        return [call.case() for call in self.calls]

    def _where(self, call):
        return part3.where(self.function, call.dA.shape, call.activation)

    def judge(self, observations):
        for call, observation in zip(self.calls, observations):
            n, n_prev = call.W.shape
            problems = part3.backward_structure_verdict(observation, n, n_prev,
                                                        call.dA.shape[1])
            if problems:
                return _failed(part3.failure(self._where(call), problems))
        first = self.calls[0]
        return _passed(part3.structure_pass_line(self.function, first.dA.shape,
                                                 first.activation,
                                                 observations[0]["call"]["returned"]))


@dataclass(frozen=True)
class BackwardValues(BackwardStructure):
    """``check_backward_values`` on the visible example (each activation), then hidden layers."""

    visible: int = 3

    def judge(self, observations):
        for call, observation in zip(self.calls, observations):
            problems = part3.backward_values_verdict(observation, call.dA, call.cache(),
                                                     call.activation, call.expected())
            if problems:
                return _failed(part3.failure(self._where(call), problems))
        shown = self.calls[:self.visible]
        return _passed(part3.values_pass_line(self.function, shown[0].dA.shape,
                                              [c.activation for c in shown]))


def _entries():
    nb = "Initialization"
    yield InitializerStructure(nb, "check_zeros_structure", "initialize_parameters_zeros",
                               visible=(3, 2, 1))
    yield InitializerValues(nb, "check_zeros_values", "initialize_parameters_zeros",
                            scheme="zeros", visible=(3, 2, 1))
    yield InitializerStructure(nb, "check_random_structure", "initialize_parameters_random",
                               visible=(3, 2, 1))
    yield InitializerValues(nb, "check_random_values", "initialize_parameters_random",
                            scheme="random", visible=(3, 2, 1))
    yield InitializerStructure(nb, "check_he_structure", "initialize_parameters_he",
                               visible=(2, 4, 1))
    yield InitializerValues(nb, "check_he_values", "initialize_parameters_he",
                            scheme="he", visible=(2, 4, 1))
    nb = "Layers"
    yield Scale(nb, "check_xavier_scale_values", "xavier_scale", scheme="xavier",
                visible=(100, 4))
    yield Scale(nb, "check_he_scale_values", "he_scale", scheme="he", visible=(100, 8))
    yield PropagateStructure(nb, "check_propagate_structure", "propagate_activations",
                             calls=(VISIBLE_PROPAGATION, *STRUCTURE_PROPAGATIONS))
    yield PropagateValues(nb, "check_propagate_values", "propagate_activations",
                          calls=(VISIBLE_PROPAGATION, *VALUE_PROPAGATIONS))
    nb = "Gradients"
    yield BackwardStructure(nb, "check_backward_structure", "backward_step",
                            calls=(VISIBLE_BACKWARD[0], *BACKWARD_STRUCTURE))
    yield BackwardValues(nb, "check_backward_values", "backward_step",
                         calls=(*VISIBLE_BACKWARD, *BACKWARD_VALUES))


#: Every test cell of the assignment, by (notebook, grade id).
TEST_CELLS = {(cell.notebook, cell.grade_id): cell for cell in _entries()}


def find(notebook, grade_id):
    """The test cell ``grade_id`` of ``notebook`` (its name without ``.ipynb``), or None."""
    return TEST_CELLS.get((notebook, grade_id))


class MissingTestCell(LookupError):
    """A test cell of the gradebook that the grader cannot judge."""


def require(notebook, grade_ids):
    """Raise :class:`MissingTestCell` naming the test cells of ``grade_ids`` with no entry."""
    missing = sorted(g for g in grade_ids if find(notebook, g) is None)
    if missing:
        raise MissingTestCell(
            f"test cell{'s' * (len(missing) > 1)} {', '.join(missing)} of {notebook}.ipynb "
            f"{'have' if len(missing) > 1 else 'has'} no entry in course/testcells.py, so "
            f"the grader cannot judge {'them' if len(missing) > 1 else 'it'}: add "
            f"{'entries' if len(missing) > 1 else 'one'} there (README, 'Adding an exercise')")


def test_cell_ids(notebook):
    """The grade ids of the autograded test cells of a gradebook ``notebook`` (nbgrader's)."""
    answers = {cell.name for cell in notebook.solution_cells}
    return [cell.name for cell in notebook.grade_cells
            if cell.cell_type == "code" and cell.name not in answers]


def require_gradebook(gradebook, assignment, notebook=None):
    """:func:`require` for every notebook of ``assignment`` in the gradebook (or one of them).

    Raises
    ------
    MissingTestCell
        Naming the first notebook with test cells the grader cannot judge.
    """
    for nb in gradebook.find_assignment(assignment).notebooks:
        if notebook is None or nb.name == notebook:
            require(nb.name, test_cell_ids(nb))
