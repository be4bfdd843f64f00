import math
import re
import warnings

import numpy as np
import pytest

from helpers import checks
from helpers.plain import Other
from helpers.checks import check_structure, check_values

SCALES = {"zeros": lambda p, n: 0.0, "random": lambda p, n: 10.0,
          "he": lambda p, n: math.sqrt(2 / p)}


def make_init(scheme, *, scale=None, seed=3, bias=np.zeros, transpose=False, flat_bias=False,
              last_layer=True, draw=None):
    """An initializer following the specification, with one thing optionally changed."""
    scale = scale or SCALES[scheme]
    draw = draw or np.random.randn

    def initialize(dims):
        if seed is not None:
            np.random.seed(seed)
        parameters = {}
        stop = len(dims) if last_layer else len(dims) - 1
        for l in range(1, stop):
            shape = (dims[l - 1], dims[l]) if transpose else (dims[l], dims[l - 1])
            W = np.zeros(shape) if scheme == "zeros" else draw(*shape) * scale(dims[l - 1], dims[l])
            parameters[f"W{l}"] = W
            parameters[f"b{l}"] = bias((dims[l],) if flat_bias else (dims[l], 1))
        return parameters
    initialize.__name__ = f"initialize_parameters_{scheme}"
    return initialize


def expected_for(scheme, dims):
    return make_init(scheme)(dims)


@pytest.mark.parametrize("scheme", list(SCALES))
@pytest.mark.parametrize("dims", [[3, 2, 1], [5, 4, 3, 2], [1, 1]])
def test_checks_pass_correct_initializers(scheme, dims):
    expected = expected_for(scheme, dims)
    np.random.seed(99)
    assert check_structure(make_init(scheme), dims).startswith("✓")
    assert check_values(make_init(scheme), dims, expected, scheme=scheme) == \
        f"✓ initialize_parameters_{scheme}({dims}): values are right"


def test_check_values_passes_equivalent_formulations():
    dims = [4, 3, 2]
    normal = make_init("he", draw=lambda *s: np.random.normal(0, 1, s))
    divided = make_init("he", scale=lambda p, n: 1 / math.sqrt(p / 2))
    for init in (normal, divided):
        assert check_values(init, dims, expected_for("he", dims), scheme="he").startswith("✓")


@pytest.mark.parametrize("init, dims, message", [
    (make_init("zeros", transpose=True), [3, 2, 1],
     r"W1 has shape \(3, 2\) but should be \(2, 3\): rows are this layer's units"),
    (make_init("he", flat_bias=True), [3, 2, 1],
     r"b1 has shape \(2,\) but should be \(2, 1\): a bias is a column vector"),
    (make_init("random", last_layer=False), [3, 2, 1],
     r"keys W2, b2 are missing: layers_dims \[3, 2, 1\] has 2 layers after the input"),
    (make_init("zeros", bias=lambda s: np.zeros(s, dtype=int)), [3, 2, 1],
     r"b1 has dtype int64; parameters must hold floating point numbers"),
])
def test_check_structure_names_the_mistake(init, dims, message):
    with pytest.raises(AssertionError, match=message):
        check_structure(init, dims)


@pytest.mark.parametrize("init, scheme, message", [
    (make_init("he", scale=lambda p, n: math.sqrt(1 / p)), "he",
     r"W2 looks scaled by sqrt\(1/n_prev\) \(Xavier\); He initialization uses sqrt\(2/n_prev\)"),
    (make_init("he", scale=lambda p, n: math.sqrt(2 / n)), "he",
     "W1 looks scaled with this layer's size n instead of the previous layer's"),
    (make_init("he", scale=lambda p, n: 2 / p), "he", "the square root is missing"),
    (make_init("he", scale=lambda p, n: math.sqrt(2 / (p + n))), "he", "Glorot"),
    (make_init("random", scale=lambda p, n: 0.01), "random", "W1 looks scaled by 0.01"),
    (make_init("random", scale=lambda p, n: 1.0), "random", "W1 looks unscaled"),
    (make_init("random", seed=4), "random", r"was np.random.seed\(3\) removed"),
    (make_init("random", seed=None), "random", r"was np.random.seed\(3\) removed"),
    (make_init("random", draw=np.random.rand), "random", r"np.random.rand draws uniformly"),
    (make_init("he", bias=lambda s: np.random.randn(*s)), "he", "b1 is not all zeros"),
    (make_init("zeros", bias=np.ones), "zeros", "b1 is not all zeros"),
    (make_init("he", scale=lambda p, n: 2 // p if p > 2 else 0), "he", "integer division"),
])
def test_check_values_names_the_mistake(init, scheme, message):
    dims = [5, 4, 3]
    with pytest.raises(AssertionError, match=message):
        check_values(init, dims, expected_for(scheme, dims), scheme=scheme)


def test_an_unseeded_generator_whose_draws_happen_to_be_positive_is_not_called_rand():
    """Six normal draws are all >= 0 once in 64 times: the state left by np.random.seed(88)
    is such a one (as a forgotten seed may find it), and the message must not blame rand."""
    np.random.seed(88)
    assert np.all(np.random.randn(2, 3) >= 0)

    def initialize(dims):   # the seed forgotten, the global generator where seed 88 left it
        np.random.seed(88)
        return make_init("random", seed=None)(dims)

    with pytest.raises(AssertionError) as raised:
        check_values(initialize, [3, 2, 1], expected_for("random", [3, 2, 1]), scheme="random")
    assert "was np.random.seed(3) removed" in str(raised.value)
    assert "draws uniformly" not in str(raised.value)


def test_check_values_names_reseeding_inside_the_loop():
    def initialize(dims):
        parameters = {}
        for l in range(1, len(dims)):
            np.random.seed(3)
            parameters[f"W{l}"] = np.random.randn(dims[l], dims[l - 1]) * 10
            parameters[f"b{l}"] = np.zeros((dims[l], 1))
        return parameters
    with pytest.raises(AssertionError, match="W2 starts with the same draws as W1"):
        check_values(initialize, [4, 3, 2], expected_for("random", [4, 3, 2]), scheme="random")


def test_check_values_lists_every_problem_and_never_the_expected_values():
    expected = expected_for("random", [3, 2, 1])
    with pytest.raises(AssertionError) as info:
        check_values(make_init("random", scale=lambda p, n: 0.01, bias=np.ones), [3, 2, 1],
                     expected, scheme="random")
    message = str(info.value)
    assert message.startswith("initialize_parameters_random([3, 2, 1]):")
    assert "b1 is not all zeros" in message and "b2 is not all zeros" in message
    assert "W1 looks scaled by 0.01" in message
    assert f"{expected['W1'][0, 0]:.4f}" not in message


def test_checks_do_not_let_warnings_through():
    def noisy(dims):
        np.float64(1e308) * 10  # overflow warning
        warnings.warn("careless", RuntimeWarning)
        return make_init("zeros")(dims)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert check_structure(noisy, [2, 1]).startswith("✓")
        assert check_values(noisy, [2, 1], expected_for("zeros", [2, 1]), scheme="zeros")


def test_check_values_refuses_an_unknown_scheme():
    with pytest.raises(ValueError, match="unknown initialization scheme 'xavier'; expected one of zeros, random, he"):
        check_values(make_init("he"), [2, 1], expected_for("he", [2, 1]), scheme="xavier")


def test_check_structure_names_a_result_that_is_no_dict():
    with pytest.raises(AssertionError, match="it returned NoneType, not a dict"):
        check_structure(lambda dims: None, [2, 1])


def _draws_then_init(scheme, before):
    """An initializer that runs ``before(l, dims)`` at the top of each loop turn."""
    def initialize(dims):
        np.random.seed(3)
        parameters = {}
        for l in range(1, len(dims)):
            before(l, dims)
            parameters[f"W{l}"] = np.random.randn(dims[l], dims[l - 1]) * SCALES[scheme](dims[l - 1], dims[l])
            parameters[f"b{l}"] = np.zeros((dims[l], 1))
        return parameters
    initialize.__name__ = f"initialize_parameters_{scheme}"
    return initialize


def _default_rng_init(dims):
    rng = np.random.default_rng(3)
    return {k: v for l in range(1, len(dims)) for k, v in
            ((f"W{l}", rng.standard_normal((dims[l], dims[l - 1])) * 10),
             (f"b{l}", np.zeros((dims[l], 1))))}


def _transposed_then_t(dims):
    np.random.seed(3)
    return {k: v for l in range(1, len(dims)) for k, v in
            ((f"W{l}", np.random.randn(dims[l - 1], dims[l]).T * 10), (f"b{l}", np.zeros((dims[l], 1))))}


@pytest.mark.parametrize("init, scheme, dims, message", [
    # at [2, 4, 1], 2/n_prev and sqrt(1/n_prev) agree on W2: all layers together decide
    (make_init("he", scale=lambda p, n: 2 / p), "he", [2, 4, 1], "W2 looks scaled by 2/n_prev"),
    (make_init("random", scale=lambda p, n: 1.0), "random", [3, 2, 1], "W1 looks unscaled"),
    (make_init("he", scale=lambda p, n: math.sqrt(2) / p), "he", [5, 4, 3],
     "the square root must cover the whole fraction"),
    (_draws_then_init("random", lambda l, d: np.random.randn(d[l], 1)), "random", [5, 4, 3],
     "W2 holds draws from further along the random sequence"),
    (_default_rng_init, "random", [5, 4, 3], "W1 was drawn with NumPy's np.random.default_rng"),
    (_transposed_then_t, "random", [5, 4, 3], "W1 holds the right draws, put in the wrong places"),
])
def test_check_values_names_more_mistakes(init, scheme, dims, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_values(init, dims, expected_for(scheme, dims), scheme=scheme)


def test_check_structure_reports_what_the_function_raised():
    def initialize(dims):
        return {"W1": np.random.randn((dims[1], dims[0]))}
    with pytest.raises(AssertionError, match=r"calling it raised TypeError: .*np.random.randn "
                                             r"takes the sizes as separate numbers") as info:
        check_structure(initialize, [3, 2, 1])
    assert info.value.__context__ is None  # the message alone, not a chain of tracebacks


def test_check_structure_tells_typed_in_shapes_from_kept_dicts():
    typed = lambda dims: {"W1": np.zeros((2, 3)), "b1": np.zeros((2, 1)),  # noqa: E731
                          "W2": np.zeros((1, 2)), "b2": np.zeros((1, 1))}
    with pytest.raises(AssertionError, match="do not change with layers_dims: were they typed in"):
        check_structure(typed, [5, 4, 3, 2])
    kept = {}

    def shared(dims):
        kept.update(make_init("zeros")(dims))
        return kept
    shared([5, 4, 3, 2])
    with pytest.raises(AssertionError) as info:
        check_structure(shared, [3, 2, 1])
    assert "Left over from an earlier call?" in str(info.value)
    assert "typed in" not in str(info.value)


def test_check_structure_names_keys_numbered_from_zero():
    def initialize(dims):
        return {k: v for l in range(1, len(dims)) for k, v in
                ((f"W{l - 1}", np.zeros((dims[l], dims[l - 1]))), (f"b{l - 1}", np.zeros((dims[l], 1))))}
    with pytest.raises(AssertionError, match=r"keys start at W0: .* so the keys are W1, b1, W2, b2$"):
        check_structure(initialize, [3, 2, 1])


def test_check_structure_reports_a_stub_that_was_not_filled_in():
    def initialize_parameters_he(dims):
        raise NotImplementedError()
    with pytest.raises(AssertionError, match=re.escape(
            "initialize_parameters_he([3, 2, 1]):\n  - calling it raised NotImplementedError: "
            "write your code between START CODE HERE and END CODE HERE, in place of the raise "
            "line")):
        check_structure(initialize_parameters_he, [3, 2, 1])


def test_check_structure_names_an_index_error_of_the_loop():
    def initialize(dims):
        return {f"W{l}": np.zeros((dims[l + 1], dims[l])) for l in range(1, len(dims))}
    with pytest.raises(AssertionError, match="the loop reads layers_dims\\[l\\] and "
                                             "layers_dims\\[l - 1\\] for l = 1 ... L only"):
        check_structure(initialize, [3, 2, 1])


# --- subclasses: failed, with a message that names them ---------------------------------

WRONG_RANDOM = make_init("random", scale=lambda p, n: 0.01)


class Agreeable(np.ndarray):
    """An array that says it equals anything."""

    def __eq__(self, other):
        return np.ones(self.shape, dtype=bool)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return True

    def __array_function__(self, func, types, args, kwargs):
        return True


def test_checks_fail_an_ndarray_subclass_and_name_it():
    def liar(dims):
        return {k: v.view(Agreeable) for k, v in WRONG_RANDOM(dims).items()}

    message = ("W1 is a Agreeable, a subclass of ndarray: return a plain ndarray, "
               "as the exercise builds it")
    for check in (lambda: check_structure(liar, [3, 2, 1]),
                  lambda: check_values(liar, [3, 2, 1], expected_for("random", [3, 2, 1]),
                                       scheme="random")):
        with pytest.raises(AssertionError) as info:
            check()
        assert message in str(info.value)
        assert "b2 is a Agreeable, a subclass of ndarray" in str(info.value)


def test_checks_fail_a_subclass_that_calls_itself_ndarray():
    class ndarray(np.ndarray):  # noqa: N801 (the name is the trick)
        pass

    def liar(dims):
        return {k: v.view(ndarray) for k, v in make_init("zeros")(dims).items()}

    with pytest.raises(AssertionError, match="W1 is a ndarray, a subclass of ndarray: return "
                                             "a plain ndarray"):
        check_values(liar, [3, 2, 1], expected_for("zeros", [3, 2, 1]), scheme="zeros")


def test_check_structure_fails_a_dict_subclass_and_names_it():
    class Shifty(dict):
        def __getitem__(self, key):
            return np.zeros((1, 1))

    with pytest.raises(AssertionError, match=re.escape(
            "the result is a Shifty, a subclass of dict: return a plain dict, as the exercise "
            "builds it")):
        check_structure(lambda dims: Shifty(make_init("zeros")(dims)), [3, 2, 1])


def test_check_structure_names_a_dict_with_keys_of_another_type():
    with pytest.raises(AssertionError, match=re.escape(
            "its keys include a tuple: keys are plain strings such as 'W1'")):
        check_structure(lambda dims: {("W", 1): np.zeros((2, 3))}, [3, 2, 1])


def test_check_values_uses_the_expected_values_it_was_given_as_floats():
    expected = {k: v.tolist() for k, v in expected_for("he", [3, 2, 1]).items()}
    assert check_values(make_init("he"), [3, 2, 1], expected, scheme="he").startswith("✓")


# --- the verdicts on plain data: what the grader judges ----------------------------------

def _observed(returned):
    return {"call": {"returned": returned}, "other": None}


def test_structure_verdict_empty_for_the_right_structure():
    assert checks.structure_verdict(_observed(expected_for("he", [3, 2, 1])), [3, 2, 1]) == []


@pytest.mark.parametrize("W1, problem", [
    (Other("ndarray", shape=(2, 3), dtype="float128"), "W1 has dtype float128: use float64"),
    (Other("ndarray", shape=(2, 3), dtype="object"), "W1 has dtype object; parameters must"),
    (Other("ndarray", shape=(4000, 4000), dtype="float64"), "W1 has shape (4000, 4000) but"),
    (Other("ndarray", shape=(2, 3), dtype=None), "W1 has dtype None; parameters must hold"),
    (Other("Agreeable", base="ndarray", shape=(2, 3)), "W1 is a Agreeable, a subclass of"),
    (Other("function"), "W1 is a function, not a NumPy array"),
    ([[0.0] * 3] * 2, "W1 is a list, not a NumPy array"),
])
def test_structure_verdict_names_an_unheld_array(W1, problem):
    parameters = {**expected_for("zeros", [3, 2, 1]), "W1": W1}
    problems = checks.structure_verdict(_observed(parameters), [3, 2, 1])
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_structure_verdict_reports_a_raised_call():
    observation = {"call": {"raised": "ZeroDivisionError: division by zero"}, "other": None}
    assert checks.structure_verdict(observation, [3, 2, 1]) == [
        "calling it raised ZeroDivisionError: division by zero"]


def test_values_verdict_on_plain_data_names_the_mistake():
    observation = checks.observe(WRONG_RANDOM, [3, 2, 1])
    problems = checks.values_verdict(observation, [3, 2, 1], expected_for("random", [3, 2, 1]),
                                     "random")
    assert problems and all("looks scaled by 0.01" in p for p in problems)


def test_observe_calls_again_for_other_sizes_only_when_the_structure_is_wrong():
    calls = []

    def initialize(dims):
        calls.append(list(dims))
        return make_init("zeros")([3, 2, 1])

    assert checks.observe(initialize, [3, 2, 1])["other"] is None
    assert calls == [[3, 2, 1], [3, 2, 1]]   # the call, then again with the same list
    observation = checks.observe(initialize, [5, 4, 3, 2])
    assert calls[2:] == [[5, 4, 3, 2], [5, 4, 3, 2], [6, 5, 4, 3]]
    assert set(observation["other"]["returned"]) == {"W1", "b1", "W2", "b2"}


def _zeros_kept_in_a_default():
    """A new zeros initializer that keeps its dict in a default argument."""
    def initialize_parameters_zeros(layers_dims, parameters={}):
        parameters.update(make_init("zeros")(layers_dims))
        return parameters
    return initialize_parameters_zeros


def _he_that_pops_the_input_size(layers_dims):
    n_0 = layers_dims.pop(0)
    return make_init("he")([n_0, *layers_dims])


def test_check_values_fails_a_dict_returned_twice():
    with pytest.raises(AssertionError, match="called twice, it returned the first call's "
                                             "result again"):
        checks.check_values(_zeros_kept_in_a_default(), [3, 2, 1],
                            expected_for("zeros", [3, 2, 1]), scheme="zeros")


def test_check_structure_fails_a_function_that_changes_its_list_in_place():
    with pytest.raises(AssertionError, match="called a second time with the same arguments, "
                                             "it gave another result"):
        checks.check_structure(_he_that_pops_the_input_size, [3, 2, 1])


def test_problems_carry_their_mistake_code():
    observation = checks.observe(WRONG_RANDOM, [3, 2, 1])
    problems = checks.values_verdict(observation, [3, 2, 1], expected_for("random", [3, 2, 1]),
                                     "random")
    assert {p.code for p in problems} == {"scaled_by_0_01"}
    again = checks.observe(_zeros_kept_in_a_default(), [3, 2, 1])
    assert [p.code for p in checks.values_verdict(
        again, [3, 2, 1], expected_for("zeros", [3, 2, 1]), "zeros")] == ["reused_result"]


def test_runs_of_agrees_with_allclose_at_every_start():
    """The vectorised search gives what np.allclose at each start gives."""
    from helpers.checks import _runs_of

    stream = np.random.RandomState(3).standard_normal(600)
    cases = [stream[17:29] * 2.5, stream[0:6] * -1, stream[590:600], stream[5:11] + 1e-3,
             np.random.RandomState(9).standard_normal(8), stream[40:52] * (1 + 1e-7)]
    for values in cases:
        loop = any(np.allclose(values, values[0] / stream[s] * stream[s:s + values.size],
                               rtol=1e-6, atol=0) for s in range(stream.size - values.size + 1))
        assert _runs_of(values, stream) == loop
    assert _runs_of(cases[0], stream) and not _runs_of(cases[3], stream)
