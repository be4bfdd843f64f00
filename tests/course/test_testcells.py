"""The grader's verdicts on the test cells (course/testcells.py), through the trusted path.

No kernel runs here: ``probe_support`` runs the probe in this process and sends
its answer through a JSON round trip and ``course.wire.read``, as grading does.
"""

import inspect
import re

import numpy as np
import pytest

from support import probes as support
from course import probe, reference, testcells, wire
from helpers import activation_checks, checks, gradient_checks
from helpers._plain import Other

NOTEBOOKS = support.notebooks()
CELLS = list(testcells.TEST_CELLS.values())
PART1 = [cell for cell in CELLS if cell.notebook == "Initialization"]
WRONG = [entry for entry in support.CATALOGUE if entry.wrong]
RIGHT = [entry for entry in support.CATALOGUE if not entry.wrong]


def _id(cell):
    return cell.grade_id


def _cells_of(function):
    return [cell for cell in CELLS if cell.function == function]


# --- every test cell has an entry, and every entry a test cell --------------------------

def test_test_cells_every_graded_code_cell_has_an_entry():
    for name, nb in NOTEBOOKS.items():
        grade_ids = list(support.graded_cells(nb))
        assert grade_ids, f"{name}.ipynb has no test cell"
        for grade_id in grade_ids:
            assert testcells.find(name, grade_id) is not None, f"{name}: {grade_id}"
        testcells.require(name, grade_ids)   # raises if one has no entry


def test_test_cells_every_entry_names_a_test_cell_of_its_notebook():
    for (name, grade_id), cell in testcells.TEST_CELLS.items():
        assert (cell.notebook, cell.grade_id) == (name, grade_id)
        assert grade_id in support.graded_cells(NOTEBOOKS[name]), f"{name}: {grade_id}"
        assert cell.function in support.answer_cells(NOTEBOOKS[name]), cell.function


def test_require_names_the_missing_test_cell():
    with pytest.raises(testcells.MissingTestCell,
                       match=r"test cell check_extra of Initialization\.ipynb has no entry"):
        testcells.require("Initialization", ["check_zeros_structure", "check_extra"])


def test_require_names_every_missing_test_cell():
    with pytest.raises(testcells.MissingTestCell, match="test cells check_a, check_b of "
                                                        r"Layers\.ipynb have no entry"):
        testcells.require("Layers", ["check_b", "check_a"])


def test_find_of_an_unknown_notebook_is_none():
    assert testcells.find("Other", "check_zeros_structure") is None


# --- the instructor's answers pass, with the output stored in the notebook ----------------

@pytest.mark.parametrize("cell", CELLS, ids=_id)
def test_judge_passes_the_solution_with_the_stored_output(cell):
    nb = NOTEBOOKS[cell.notebook]
    verdict = support.grade(cell, support.solution_namespace(nb))
    assert verdict.passed, verdict.text
    assert verdict.text == support.stored_stdout(support.graded_cells(nb)[cell.grade_id])


@pytest.mark.parametrize("cell", CELLS, ids=_id)
def test_judge_fails_a_function_that_was_never_defined(cell):
    verdict = support.grade(cell, {})
    assert not verdict.passed
    assert f"name '{cell.function}' is not defined: run the cell that defines it" in verdict.text


# --- the visible literals of each test cell agree with course/reference.py ---------------

CHECKS = {"check_structure": checks.check_structure, "check_values": checks.check_values,
          "check_scale": activation_checks.check_scale,
          "check_propagate_structure": activation_checks.check_propagate_structure,
          "check_propagate_values": activation_checks.check_propagate_values,
          "check_backward_structure": gradient_checks.check_backward_structure,
          "check_backward_values": gradient_checks.check_backward_values}


def _visible_arguments(cell):
    """The arguments of the one check the visible part of ``cell``'s test cell calls."""
    calls = support.visible_calls(NOTEBOOKS[cell.notebook])[cell.grade_id]
    assert len(calls) == 1, f"{cell.grade_id} calls {len(calls)} checks"
    (name, args, kwargs), = calls
    bound = inspect.signature(CHECKS[name]).bind(*args, **kwargs)
    return name, bound.arguments


def _assert_same_propagation(arguments, call):
    np.testing.assert_array_equal(arguments["X"], call.X)
    assert list(arguments["hidden_sizes"]) == list(call.sizes)
    assert arguments["activation"] is reference.activation(call.activation)
    assert arguments["seed"] == call.seed
    std = reference.weight_std(call.std)
    for n in (1, 2, 3, 10, 100):
        assert arguments["weight_std"](n) == pytest.approx(std(n), rel=1e-12)


@pytest.mark.parametrize("cell", CELLS, ids=_id)
def test_test_cells_visible_literals_agree_with_the_reference(cell):
    name, arguments = _visible_arguments(cell)
    assert arguments[next(iter(arguments))].__name__ == cell.function
    if isinstance(cell, (testcells.InitializerStructure, testcells.InitializerValues)):
        first = cell.cases()[0]     # the grader's first case is the visible check's call
        assert first == {"kind": "initializer", "dims": list(cell.visible), "state": None,
                         "repeat": 1}
    if isinstance(cell, testcells.InitializerStructure):
        assert name == "check_structure"
        assert list(arguments["layers_dims"]) == list(cell.visible)
    elif isinstance(cell, testcells.InitializerValues):
        assert name == "check_values" and arguments["scheme"] == cell.scheme
        assert list(arguments["layers_dims"]) == list(cell.visible)
        expected, right = arguments["expected"], reference.initializer(cell.scheme)(cell.visible)
        assert set(expected) == set(right)
        for key in right:
            np.testing.assert_allclose(expected[key], right[key], rtol=1e-7, atol=1e-8)
    elif isinstance(cell, testcells.Scale):
        assert name == "check_scale" and arguments["scheme"] == cell.scheme
        assert list(arguments["n_prevs"]) == list(cell.visible)
        assert [case["n"] for case in cell.cases()[:len(cell.visible)]] == list(cell.visible)
        exact = reference.scale(cell.scheme)
        assert arguments["expected"] == pytest.approx([exact(n) for n in cell.visible],
                                                      rel=1e-12)
    elif isinstance(cell, testcells.PropagateValues):
        assert name == "check_propagate_values"
        _assert_same_propagation(arguments, cell.calls[0])
        for got, want in zip(arguments["expected"], cell.calls[0].expected(), strict=True):
            np.testing.assert_allclose(got, want, rtol=0, atol=5e-9)
    elif isinstance(cell, testcells.BackwardValues):
        assert name == "check_backward_values"
        shown = cell.calls[:cell.visible]
        assert list(arguments["expected"]) == [call.activation for call in shown]
        for call in shown:
            _assert_same_layer(arguments, call)
            for got, want in zip(arguments["expected"][call.activation], call.expected(),
                                 strict=True):
                np.testing.assert_allclose(got, want, rtol=0, atol=5e-11)
    elif isinstance(cell, testcells.BackwardStructure):
        assert name == "check_backward_structure"
        assert arguments["activation"] == cell.calls[0].activation
        _assert_same_layer(arguments, cell.calls[0])
    else:
        assert isinstance(cell, testcells.PropagateStructure)
        assert name == "check_propagate_structure"
        _assert_same_propagation(arguments, cell.calls[0])


def _assert_same_layer(arguments, call):
    np.testing.assert_array_equal(arguments["dA"], call.dA)
    for got, want in zip(arguments["cache"], call.cache(), strict=True):
        np.testing.assert_array_equal(got, want)


def test_reference_random_matches_the_lesson_seeded_draws():
    np.random.seed(3)
    W1 = np.random.randn(2, 3) * 10
    np.testing.assert_allclose(reference.random([3, 2, 1])["W1"], W1, rtol=1e-12)
    np.testing.assert_array_equal(reference.random([3, 2, 1])["b2"], np.zeros((1, 1)))


def test_reference_leaves_the_global_generator_alone():
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    reference.he([4, 3, 2])
    reference.random([4, 3, 2])
    reference.propagate(testcells.X_SMALL, (3, 2), reference.weight_std({"name": "he"}),
                        np.tanh, 0)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


# --- the mistake catalogue, judged in-process -------------------------------------------

def _visible_check(entry, cell):
    """The visible check of ``cell``, run on ``entry``'s function: (passed, text)."""
    name, arguments = _visible_arguments(cell)
    support.reseed()
    function = support.entry_namespace(entry)[entry.function]
    arguments = {**arguments, next(iter(arguments)): function}
    try:
        return True, CHECKS[name](**arguments)
    except AssertionError as error:
        return False, str(error)


def _trusted_visible(entry, cell):
    """The trusted judge of ``cell`` restricted to its visible case(s): (passed, text).

    A values cell also judges a fresh-dict case; it gets the reference's, which passes.
    """
    support.reseed()
    namespace = support.entry_namespace(entry)
    shown = cell.visible if isinstance(cell, testcells.BackwardValues) else 1
    observations = support.observations(cell.function, namespace, cell.cases()[:shown])
    if isinstance(cell, testcells.InitializerValues):
        fresh_case = cell.cases()[-1]
        observations.append(probe.observe("fresh", reference.initializer(cell.scheme),
                                          fresh_case))
    verdict = cell.judge(observations)
    return verdict.passed, verdict.text


@pytest.mark.parametrize("entry", support.CATALOGUE, ids=lambda e: e.name)
def test_judge_on_the_visible_case_agrees_with_the_visible_check(entry):
    for cell in _cells_of(entry.function):
        assert _trusted_visible(entry, cell) == _visible_check(entry, cell), cell.grade_id


@pytest.mark.parametrize("entry", WRONG, ids=lambda e: e.name)
def test_judge_fails_a_wrong_entry_on_its_cells_with_its_message(entry):
    lost = {}
    for cell in _cells_of(entry.function):
        support.reseed()
        verdict = support.grade(cell, support.entry_namespace(entry))
        if not verdict.passed:
            lost[cell.grade_id] = verdict.text
    assert set(lost) == set(entry.loses)
    for grade_id, text in lost.items():
        assert entry.message in text, f"{grade_id}: {text}"


@pytest.mark.parametrize("entry", RIGHT, ids=lambda e: e.name)
def test_judge_passes_a_right_entry_on_every_cell(entry):
    for cell in _cells_of(entry.function):
        support.reseed()
        verdict = support.grade(cell, support.entry_namespace(entry))
        assert verdict.passed, f"{cell.grade_id}: {verdict.text}"


# --- fresh dicts: the probe poisons the first result, the second must not show it ---------

FRESH = {"kind": "fresh", "dims": [3, 2, 1]}


def _fresh(function):
    return testcells.fresh_problems(probe.observe("fresh", function, FRESH), [3, 2, 1])


def test_fresh_problems_none_for_a_correct_function():
    assert _fresh(reference.he) == []
    assert _fresh(reference.zeros) == []


def test_fresh_problems_names_a_dict_kept_in_a_default_argument():
    def initialize_parameters_zeros(layers_dims, parameters={}):
        parameters.update(reference.zeros(layers_dims))
        return parameters

    assert _fresh(initialize_parameters_zeros) == [
        "two calls returned the same dict object: build a new dict on every call"]


def test_fresh_problems_names_the_same_global_arrays():
    kept = reference.random([3, 2, 1])

    def initialize_parameters_random(layers_dims):
        return dict(kept)   # a new dict, the same arrays

    assert _fresh(initialize_parameters_random) == [
        "two calls share the arrays W1, b1, W2, b2: create new arrays on every call rather "
        "than reusing a global or default argument"]


def test_fresh_problems_names_only_the_shared_arrays():
    cache = {}

    def initialize_parameters_he(layers_dims):
        fresh = reference.he(layers_dims)
        cache.setdefault("W2", fresh["W2"])
        return {**fresh, "W2": cache["W2"]}

    problems = _fresh(initialize_parameters_he)
    assert len(problems) == 1 and problems[0].startswith("two calls share the arrays W2:")


def test_fresh_problems_reports_a_raising_function():
    def initialize_parameters_he(layers_dims):
        raise NotImplementedError

    assert _fresh(initialize_parameters_he) == [
        "calling it raised NotImplementedError: write your code between START CODE HERE and "
        "END CODE HERE, in place of the raise line"]


def test_fresh_problems_survive_the_wire():
    def initialize_parameters_zeros(layers_dims, parameters={}):
        parameters.update(reference.zeros(layers_dims))
        return parameters

    observation, = support.observations("initialize_parameters_zeros",
                                        {"initialize_parameters_zeros":
                                         initialize_parameters_zeros}, [FRESH])
    assert testcells.POISON in observation["second"]["returned"]
    assert testcells.fresh_problems(observation, [3, 2, 1]) == [
        "two calls returned the same dict object: build a new dict on every call"]


def test_judge_of_values_cell_fails_arrays_shared_between_calls():
    kept = reference.random([3, 2, 1])

    def initialize_parameters_random(layers_dims):
        return {k: v.copy() for k, v in reference.random(layers_dims).items()} \
            if list(layers_dims) != [3, 2, 1] else dict(kept)

    cell = testcells.find("Initialization", "check_random_values")
    verdict = support.grade(cell, {"initialize_parameters_random": initialize_parameters_random})
    assert not verdict.passed
    assert verdict.text.startswith("initialize_parameters_random([3, 2, 1]):\n  - two calls "
                                   "share the arrays W1, b1, W2, b2")


# --- a lying kernel: whatever it sends, the judge fails it with a message ------------------

def _honest(cell):
    """The observations of the reference answer of ``cell``, as plain data."""
    namespace = support.solution_namespace(NOTEBOOKS[cell.notebook])
    return support.observations(cell.function, namespace, cell.cases())


def _map_calls(observations, change):
    """``observations`` with every call outcome replaced by ``change(outcome)``."""
    result = []
    for observation in observations:
        if type(observation) is list:                       # initializer: repeats
            result.append([{"call": change(o["call"]), "other": None} for o in observation])
        elif set(observation) == {"first", "second"}:       # fresh
            result.append({"first": change(observation["first"]), "second": None})
        elif "call" in observation:                         # propagate
            result.append({**observation, "call": change(observation["call"])})
        else:                                               # scale
            result.append(change(observation))
    return result


def _map_arrays(observations, change):
    """``observations`` with every array a call returned replaced by ``change(array)``."""
    def arrays(value):
        if type(value) is np.ndarray:
            return change(value)
        if type(value) is dict:
            return {k: arrays(v) for k, v in value.items()}
        if type(value) is list:
            return [arrays(v) for v in value]
        return value

    return _map_calls(observations, lambda o: {"returned": arrays(o["returned"])}
                      if "returned" in o else o)


def _every_outcome(value):
    return lambda outcome: {"returned": value}


LIES_FOR_ALL = {
    "raised everywhere": lambda c, obs: _map_calls(obs, lambda o: {"raised": "RuntimeError: no"}),
    "None everywhere": lambda c, obs: _map_calls(obs, _every_outcome(None)),
    "Other everywhere": lambda c, obs: _map_calls(
        obs, _every_outcome(Other("Agreeable", base="ndarray", shape=(2, 3)))),
    "Other of no type": lambda c, obs: _map_calls(obs, _every_outcome(Other("ndarray"))),
    "dict subclass": lambda c, obs: _map_calls(obs, _every_outcome(Other("d", base="dict"))),
    "a string": lambda c, obs: _map_calls(obs, _every_outcome("✓ all right")),
}

LIES_ABOUT_ARRAYS = {
    "transposed arrays": lambda c, obs: _map_arrays(obs, lambda a: a.T.copy()),
    "flattened arrays": lambda c, obs: _map_arrays(obs, lambda a: a.ravel()),
    "integer arrays": lambda c, obs: _map_arrays(obs, lambda a: a.astype(np.int64)),
    "arrays held elsewhere": lambda c, obs: _map_arrays(
        obs, lambda a: Other("ndarray", shape=a.shape, dtype=None)),
    "subclass called ndarray": lambda c, obs: _map_arrays(
        obs, lambda a: Other("ndarray", base="ndarray", shape=a.shape)),
    "arrays as lists": lambda c, obs: _map_arrays(obs, lambda a: a.tolist()),
}

# (Lies the checks explain at once: a value they cannot place costs a search of the
# random sequence, which a few tests elsewhere make.)
LIES_ABOUT_VALUES = {
    "wrong values": lambda c, obs: _map_arrays(obs, lambda a: a * 3 + (a == 0) * 0.25),
    "nan": lambda c, obs: _map_arrays(obs, lambda a: np.full_like(a, np.nan)),
    "inf": lambda c, obs: _map_arrays(obs, lambda a: np.full_like(a, np.inf)),
    "float16": lambda c, obs: _map_arrays(obs, lambda a: np.full_like(a, 0.5, dtype=np.float16)),
}

SCALE_LIES = {
    "nan": float("nan"), "inf": float("inf"), "zero": 0, "true": True, "a string": "0.1",
    "float subclass": Other("Agreeable", base="float"), "an array": np.full(3, 0.1),
    "empty array": np.zeros(0), "object array": Other("ndarray", shape=(), dtype="object"),
    "a tuple": (0.1,), "a dict": {"value": 0.1},
}


def _lies(cell):
    """The lies to tell about ``cell``: each makes the honest observations wrong."""
    lies = dict(LIES_FOR_ALL)
    if isinstance(cell, testcells.Scale):
        lies.update({name: (lambda value: lambda c, obs: _map_calls(obs, _every_outcome(value)))
                     (value) for name, value in SCALE_LIES.items()})
        return lies
    lies.update(LIES_ABOUT_ARRAYS)
    if isinstance(cell, (testcells.InitializerValues, testcells.PropagateValues,
                         testcells.BackwardValues)):
        lies.update(LIES_ABOUT_VALUES)
    return lies


def _assert_failed(cell, observations, lie):
    verdict = cell.judge(support.lie(cell, observations))
    assert not verdict.passed, f"{cell.grade_id} passed a lie ({lie}): {verdict.text}"
    assert verdict.text.startswith(cell.function if not isinstance(cell, testcells.Scale)
                                   else f"{cell.function} should return")
    assert re.search(r"\n  - \S", verdict.text), verdict.text


@pytest.mark.parametrize("cell", CELLS, ids=_id)
def test_judge_fails_every_lie_with_a_message(cell):
    honest = _honest(cell)
    for lie, make in _lies(cell).items():
        _assert_failed(cell, make(cell, honest), lie)


@pytest.mark.parametrize("cell", [c for c in CELLS if isinstance(c, testcells.PropagateValues)],
                         ids=_id)
def test_judge_fails_lies_about_how_propagation_ran(cell):
    honest = _honest(cell)
    wrong = _map_arrays(honest, lambda a: a * 0.5)
    for record in ({"draws": [["standard_normal", [np.arange(2), 3]], ["normal", "(3, 2)"],
                              ["standard_normal", [Other("x"), {"a": 1}]]]},
                   {"draws": [["standard_normal", [True, 2.5]]] * 9},
                   {"std_args": [Other("int_", base="int"), np.ones(3), None, "2", (4,)]},
                   {"activation_calls": 10 ** 12},
                   {"X_after": Other("ndarray", shape=(2, 4), dtype="float64")},
                   {"X_after": None, "global_used": True, "draws": []}):
        lying = [{**observation, **record} for observation in wrong]
        _assert_failed(cell, lying, record)


def test_judge_fails_a_lie_that_changes_only_the_hidden_cases():
    cell = testcells.find("Initialization", "check_he_values")
    honest = _honest(cell)
    last_seeded = len(honest) - 2
    honest[last_seeded] = _map_arrays([honest[last_seeded]], lambda a: a * 2)[0]
    verdict = cell.judge(support.lie(cell, honest))
    assert not verdict.passed
    assert verdict.text.startswith("initialize_parameters_he([7, 3, 9, 1]):")


@pytest.mark.parametrize("grade_id", ["check_random_values", "check_zeros_values"])
def test_judge_fails_a_lie_about_the_second_fresh_call(grade_id):
    cell = testcells.find("Initialization", grade_id)
    honest = _honest(cell)
    *values, fresh = honest
    for second in (None, {"raised": "MemoryError"},
                   {"returned": {**fresh["first"]["returned"], testcells.POISON: None}},
                   {"returned": {k: np.full_like(v, np.nan)
                                 for k, v in fresh["first"]["returned"].items()}},
                   {"returned": [1, 2]}):
        _assert_failed(cell, [*values, {"first": fresh["first"], "second": second}], second)


@pytest.mark.parametrize("grade_id", ["check_he_structure", "check_he_values"])
def test_judge_refuses_a_case_answered_with_another_number_of_observations(grade_id):
    cell = testcells.find("Initialization", grade_id)
    honest = _honest(cell)
    for wrong in ([obs * 2 for obs in honest[:-1]], [obs[:1] for obs in honest[:-1]]):
        if wrong == [obs for obs in honest[:-1]]:
            continue   # a case asked once, halved: the same answer
        observations = support.lie(cell, [*wrong, *honest[len(wrong):]])
        with pytest.raises(wire.ProbeError, match="observations for a case that asked for"):
            cell.judge(observations)
