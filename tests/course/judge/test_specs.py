"""The grader's specs (course/judge/spec.py, course/specs/initialization.py), through the
trusted path in this process (``support.probes.grade``: the judge runner's own code, the codec,
the grader's reading of an answer)."""

import numpy as np
import pytest

from support import probes as support
from course.judge import spec
from course.specs import initialization as init
from helpers import activation_checks, checks, gradient_checks
from helpers.plain import Other

NOTEBOOKS = support.notebooks()
TESTS = support.TESTS
WRONG = [entry for entry in support.CATALOGUE if entry.wrong]
RIGHT = [entry for entry in support.CATALOGUE if not entry.wrong]


def _id(pair):
    return pair[1].grade_id


# --- every test cell has a spec, and every spec a test cell -----------------------------------

def test_specs_cover_every_graded_code_cell():
    for name, nb in NOTEBOOKS.items():
        grade_ids = list(support.graded_cells(nb))
        assert grade_ids, f"{name}.ipynb has no test cell"
        for grade_id in grade_ids:
            assert spec.find("initialization", name, grade_id) is not None, f"{name}: {grade_id}"
        spec.require("initialization", name, grade_ids)   # raises if one has none


def test_every_spec_names_a_test_cell_and_an_answer_cell_of_its_notebook():
    for exercise, test in TESTS:
        nb = NOTEBOOKS[exercise.notebook]
        assert test.grade_id in support.graded_cells(nb), test.grade_id
        assert exercise.answer in support.answer_cells(nb), exercise.answer
        assert f"def {exercise.function}(" in support.answer_cells(nb)[exercise.answer].source


def test_require_names_the_missing_test_cell():
    with pytest.raises(spec.MissingTestCell, match=r"test cell check_extra of Initialization"
                                                   r"\.ipynb has no spec in course/specs/"
                                                   r"initialization\.py"):
        spec.require("initialization", "Initialization", ["check_zeros_structure", "check_extra"])


def test_require_names_every_missing_test_cell():
    with pytest.raises(spec.MissingTestCell, match="test cells check_a, check_b of "
                                                   r"Layers\.ipynb have no spec"):
        spec.require("initialization", "Layers", ["check_b", "check_a"])


def test_find_of_an_unknown_notebook_or_assignment_is_none():
    assert spec.find("initialization", "Other", "check_zeros_structure") is None
    assert spec.find("no_such_assignment", "Initialization", "check_zeros_structure") is None
    assert spec.exercises("no-such assignment") == ()


def test_specs_are_found_in_a_spec_path_folder_first(tmp_path):
    (tmp_path / "initialization.py").write_text(
        "from course.judge.spec import Exercise, TestCell\n"
        "EXERCISES = (Exercise('Initialization', 'a', 'f', (TestCell('t', (), None),)),)\n")
    assert spec.find("initialization", "Initialization", "t", [str(tmp_path)]) is not None
    assert spec.find("initialization", "Initialization", "check_zeros_structure",
                     [str(tmp_path)]) is None


# --- the instructor's answers pass, with the output stored in the notebook --------------------

@pytest.mark.parametrize("pair", TESTS, ids=_id)
def test_judge_passes_the_solution_with_the_stored_output(pair):
    exercise, test = pair
    verdict = support.grade(exercise, test, support.solution_source(exercise))
    assert verdict.passed and verdict.code == spec.PASSED, verdict.text
    stored = support.graded_cells(NOTEBOOKS[exercise.notebook])[test.grade_id]
    assert verdict.text == support.stored_stdout(stored)


@pytest.mark.parametrize("pair", TESTS, ids=_id)
def test_judge_fails_an_answer_cell_that_defines_no_function(pair):
    exercise, test = pair
    verdict = support.grade(exercise, test, "x = 1\n")
    assert not verdict.passed and verdict.code.endswith(".raised")
    assert f"name '{exercise.function}' is not defined by the answer cell" in verdict.text


@pytest.mark.parametrize("pair", TESTS, ids=_id)
def test_judge_fails_an_answer_cell_that_raises_when_run(pair):
    exercise, test = pair
    verdict = support.grade(exercise, test, support.solution_source(exercise) + "\n1 / 0\n")
    assert not verdict.passed
    assert "the answer cell raised ZeroDivisionError: division by zero when run on its own" \
        in verdict.text


@pytest.mark.parametrize("pair", TESTS, ids=_id)
def test_judge_runs_the_answer_cell_alone(pair):
    """A function that relies on a name another cell of the notebook defines fails."""
    exercise, test = pair
    source = support.solution_source(exercise).replace(
        f"def {exercise.function}(", f"def _{exercise.function}(", 1)
    source += f"\n{exercise.function} = defined_in_another_cell({exercise.function[:0]}_" \
              f"{exercise.function})\n"
    verdict = support.grade(exercise, test, source)
    assert not verdict.passed
    assert "name 'defined_in_another_cell' is not defined" in verdict.text


# --- the visible part of each judge agrees with the visible check, on every answer ------------

CHECKS = {"check_structure": checks.check_structure, "check_values": checks.check_values,
          "check_scale": activation_checks.check_scale,
          "check_propagate_structure": activation_checks.check_propagate_structure,
          "check_propagate_values": activation_checks.check_propagate_values,
          "check_backward_structure": gradient_checks.check_backward_structure,
          "check_backward_values": gradient_checks.check_backward_values}


def _visible_check(exercise, test, source):
    """The visible check of ``test``'s cell, run on the answer cell ``source``: (passed, text)."""
    (name, args, kwargs), = support.visible_calls(NOTEBOOKS[exercise.notebook])[test.grade_id]
    namespace = {}
    exec(support.PRELUDE, namespace)
    exec(source, namespace)
    support.reseed()
    try:
        return True, CHECKS[name](namespace[exercise.function], *args[1:], **kwargs)
    except AssertionError as error:
        return False, str(error)


def _judged_visible(exercise, test, source):
    """The judge of ``test`` on its visible calls only: (passed, text)."""
    visible = test.calls[:test.visible]
    verdict = test.judge(support.observe(source, exercise.function, visible))
    return verdict.passed, verdict.text


@pytest.mark.parametrize("entry", support.CATALOGUE, ids=lambda e: e.name)
def test_judge_on_the_visible_calls_agrees_with_the_visible_check(entry):
    source = support.entry_source(entry)
    for exercise, test in support.tests_of(entry.function):
        assert _judged_visible(exercise, test, source) == \
            _visible_check(exercise, test, source), test.grade_id


@pytest.mark.parametrize("pair", TESTS, ids=_id)
def test_judge_on_the_visible_calls_agrees_with_the_visible_check_on_the_solution(pair):
    exercise, test = pair
    source = support.solution_source(exercise)
    assert _judged_visible(exercise, test, source) == _visible_check(exercise, test, source)


# --- the mistake catalogue ---------------------------------------------------------------------

@pytest.mark.parametrize("entry", WRONG, ids=lambda e: e.name)
def test_judge_fails_a_wrong_entry_on_its_cells_with_its_message_and_code(entry):
    lost = {}
    for exercise, test in support.tests_of(entry.function):
        verdict = support.grade(exercise, test, support.entry_source(entry))
        if not verdict.passed:
            lost[test.grade_id] = verdict
    assert set(lost) == set(entry.loses)
    for grade_id, verdict in lost.items():
        assert entry.message in verdict.text, f"{grade_id}: {verdict.text}"
        assert verdict.code == entry.mistake, f"{grade_id}: {verdict.code}"


@pytest.mark.parametrize("entry", RIGHT, ids=lambda e: e.name)
def test_judge_passes_a_right_entry_on_every_cell(entry):
    for exercise, test in support.tests_of(entry.function):
        verdict = support.grade(exercise, test, support.entry_source(entry))
        assert verdict.passed, f"{test.grade_id}: {verdict.text}"


# --- whatever the judge process sends, a wrong observation fails with a message ---------------

def _honest(exercise, test):
    return support.observe(support.solution_source(exercise), exercise.function, test.calls)


def _map(observed, change):
    """``observed`` with every outcome replaced by ``change(outcome)``."""
    return [spec.Observed([change(o) for o in obs.outcomes], obs.changed) for obs in observed]


def _map_arrays(observed, change):
    def arrays(value):
        if type(value) is np.ndarray:
            return change(value)
        if type(value) is dict:
            return {k: arrays(v) for k, v in value.items()}
        if type(value) in (list, tuple):
            return type(value)(arrays(v) for v in value)
        return value
    return _map(observed, lambda o: {"returned": arrays(o["returned"])} if "returned" in o else o)


LIES = {
    "raised everywhere": lambda obs: _map(obs, lambda o: {"raised": "RuntimeError: no"}),
    "None everywhere": lambda obs: _map(obs, lambda o: {"returned": None}),
    "Other everywhere": lambda obs: _map(
        obs, lambda o: {"returned": Other("Agreeable", base="ndarray", shape=(2, 3))}),
    "a string": lambda obs: _map(obs, lambda o: {"returned": "✓ all right"}),
    "transposed arrays": lambda obs: _map_arrays(obs, lambda a: a.T.copy()),
    "arrays as lists": lambda obs: _map_arrays(obs, lambda a: a.tolist()),
    "wrong values": lambda obs: _map_arrays(obs, lambda a: a * 3 + (a == 0) * 0.25),
    "nan": lambda obs: _map_arrays(obs, lambda a: np.full_like(a, np.nan)),
}


@pytest.mark.parametrize("pair", TESTS, ids=_id)
def test_judge_fails_every_lie_with_a_message(pair):
    exercise, test = pair
    honest = _honest(exercise, test)
    for lie, make in LIES.items():
        if "arrays" in lie or lie in ("wrong values", "nan"):
            if test.grade_id.endswith("_scale_values"):
                continue   # a scale returns a number, not an array
            if lie in ("wrong values", "nan") and "structure" in test.grade_id:
                continue   # a structure test does not look at values
        verdict = test.judge(make(honest))
        assert not verdict.passed, f"{test.grade_id} passed a lie ({lie}): {verdict.text}"
        assert verdict.code.split(".")[0] in (exercise.function, test.grade_id.split("_")[1],
                                              "propagate", "backward"), verdict.code
        assert "\n  - " in verdict.text, verdict.text


@pytest.mark.parametrize("pair", [p for p in TESTS if "_values" in p[1].grade_id
                                  and "scale" not in p[1].grade_id], ids=_id)
def test_judge_fails_a_lie_that_changes_only_a_hidden_case(pair):
    exercise, test = pair
    honest = _honest(exercise, test)
    last = len(honest) - 1 - (test.grade_id.startswith("check_") and "propagate" not in
                              test.grade_id and "backward" not in test.grade_id)
    honest[last] = _map_arrays([honest[last]], lambda a: a * 2 + 1)[0]
    verdict = test.judge(honest)
    assert not verdict.passed, test.grade_id


def test_judge_fails_an_input_the_fork_server_saw_changed():
    exercise, test = next(p for p in TESTS if p[1].grade_id == "check_backward_values")
    honest = _honest(exercise, test)
    honest[-1] = spec.Observed(honest[-1].outcomes, [0])   # dA, in the last hidden case
    verdict = test.judge(honest)
    assert not verdict.passed and verdict.code == "backward.changed_input"
    assert "dA was changed in place" in verdict.text


# --- the reference ----------------------------------------------------------------------------

def test_reference_random_matches_the_lesson_seeded_draws():
    np.random.seed(3)
    W1 = np.random.randn(2, 3) * 10
    np.testing.assert_allclose(init.random([3, 2, 1])["W1"], W1, rtol=1e-12)
    np.testing.assert_array_equal(init.random([3, 2, 1])["b2"], np.zeros((1, 1)))


def test_reference_leaves_the_global_generator_alone():
    np.random.seed(5)
    state = np.random.get_state()[1].copy()
    init.he([4, 3, 2])
    init.random([4, 3, 2])
    init.propagate(init.X_SMALL, (3, 2), init.SCALES["he"], np.tanh, 0)
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_hidden_backward_cases_hold_exact_zero_pre_activations():
    dead = [c for c in init.BACKWARD_VALUES if np.any(c.Z == 0)]
    assert {c.activation for c in dead} == {"relu", "tanh", "sigmoid"}


def test_hidden_cases_judge_the_special_sizes_on_values():
    shapes = {(c.W.shape[0], c.W.shape[1], c.dA.shape[1]) for c in init.BACKWARD_VALUES}
    assert {(1, 1, 1), (3, 3, 3)} <= shapes
    assert any(c.X.shape[1] == 1 for c in init.VALUE_PROPAGATIONS)
    assert any(c.X.shape[0] == c.X.shape[1] == c.sizes[0] for c in init.VALUE_PROPAGATIONS)
