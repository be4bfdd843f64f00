import math
import re
import warnings

import numpy as np
import pytest

from helpers.checks import check_fresh_dict, check_structure, check_values

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
def test_correct_initializers_pass(scheme, dims):
    expected = expected_for(scheme, dims)
    np.random.seed(99)
    assert check_structure(make_init(scheme), dims).startswith("✓")
    assert check_values(make_init(scheme), dims, expected, scheme=scheme).startswith("✓")
    assert check_fresh_dict(make_init(scheme), dims).startswith("✓")


def test_equivalent_formulations_pass():
    dims = [4, 3, 2]
    normal = make_init("he", draw=lambda *s: np.random.normal(0, 1, s))
    divided = make_init("he", scale=lambda p, n: 1 / math.sqrt(p / 2))
    for init in (normal, divided):
        check_values(init, dims, expected_for("he", dims), scheme="he")


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
def test_structure_mistakes_are_named(init, dims, message):
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
def test_value_mistakes_are_named(init, scheme, message):
    dims = [5, 4, 3]
    with pytest.raises(AssertionError, match=message):
        check_values(init, dims, expected_for(scheme, dims), scheme=scheme)


def test_reseeding_inside_the_loop_is_named():
    def initialize(dims):
        parameters = {}
        for l in range(1, len(dims)):
            np.random.seed(3)
            parameters[f"W{l}"] = np.random.randn(dims[l], dims[l - 1]) * 10
            parameters[f"b{l}"] = np.zeros((dims[l], 1))
        return parameters
    with pytest.raises(AssertionError, match="W2 starts with the same draws as W1"):
        check_values(initialize, [4, 3, 2], expected_for("random", [4, 3, 2]), scheme="random")


def test_shared_arrays_between_calls_are_caught():
    cache = {}

    def initialize(dims):
        if not cache:
            cache.update(make_init("zeros")(dims))
        return dict(cache)
    with pytest.raises(AssertionError, match="two calls share the arrays W1, b1"):
        check_fresh_dict(initialize, [3, 2, 1])


def test_message_lists_every_problem_and_never_the_expected_values():
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
        check_structure(noisy, [2, 1])


def test_unknown_scheme_is_an_error():
    with pytest.raises(ValueError, match="unknown initialization scheme 'xavier'; expected one of zeros, random, he"):
        check_values(make_init("he"), [2, 1], expected_for("he", [2, 1]), scheme="xavier")


def test_non_dict_return_is_named():
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
def test_more_value_mistakes_are_named(init, scheme, dims, message):
    with pytest.raises(AssertionError, match=re.escape(message)):
        check_values(init, dims, expected_for(scheme, dims), scheme=scheme)


def test_a_raising_function_is_reported_with_its_cause():
    def initialize(dims):
        return {"W1": np.random.randn((dims[1], dims[0]))}
    with pytest.raises(AssertionError, match=r"calling it raised TypeError: .*np.random.randn "
                                             r"takes the sizes as separate numbers") as info:
        check_structure(initialize, [3, 2, 1])
    assert info.value.__context__ is None  # the message alone, not a chain of tracebacks


def test_typed_in_shapes_and_kept_dicts_are_told_apart():
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


def test_keys_numbered_from_zero_are_named():
    def initialize(dims):
        return {k: v for l in range(1, len(dims)) for k, v in
                ((f"W{l - 1}", np.zeros((dims[l], dims[l - 1]))), (f"b{l - 1}", np.zeros((dims[l], 1))))}
    with pytest.raises(AssertionError, match=r"keys start at W0: .* so the keys are W1, b1, W2, b2$"):
        check_structure(initialize, [3, 2, 1])


# --- a function under test that attacks the checks while they call it ----------------------

import threading  # noqa: E402
import time  # noqa: E402

import helpers.checks as checks_module  # noqa: E402

WRONG_RANDOM = make_init("random", scale=lambda p, n: 0.01)


def _wrong_random_values():
    with pytest.raises(AssertionError) as info:
        check_values(WRONG_RANDOM, [3, 2, 1], expected_for("random", [3, 2, 1]), scheme="random")
    return str(info.value)


def test_patching_numpy_or_the_checks_during_the_call_is_refused_and_undone():
    allclose, diagnose, raise_ = np.allclose, checks_module.diagnose, checks_module._raise

    def cheat(dims):
        np.allclose = lambda *args, **kwargs: True
        checks_module.diagnose = lambda *args, **kwargs: []
        checks_module._raise = lambda *args, **kwargs: None
        return WRONG_RANDOM(dims)

    with pytest.raises(AssertionError, match=r"refused by the checks: while it ran, it changed "
                                             r"what the checks rely on \(numpy.allclose"):
        check_values(cheat, [3, 2, 1], expected_for("random", [3, 2, 1]), scheme="random")
    assert (np.allclose, checks_module.diagnose, checks_module._raise) == (allclose, diagnose, raise_)
    assert "looks scaled by 0.01" in _wrong_random_values()   # honest mistakes: same message


def test_rebinding_the_test_cells_check_during_the_call_is_refused_and_undone():
    def cheat(dims):
        globals()["check_values"] = lambda *args, **kwargs: "✓"
        return WRONG_RANDOM(dims)

    with pytest.raises(AssertionError, match=r"test cell's check_values"):
        check_structure(cheat, [3, 2, 1])
    assert check_values.__module__ == "helpers.checks"


def test_a_lying_ndarray_subclass_is_refused():
    class Agreeable(np.ndarray):
        def __eq__(self, other):
            return np.ones(self.shape, dtype=bool)

        def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
            return True

        def __array_function__(self, func, types, args, kwargs):
            return True

    def liar(dims):
        return {k: v.view(Agreeable) for k, v in WRONG_RANDOM(dims).items()}

    for check in (lambda: check_structure(liar, [3, 2, 1]),
                  lambda: check_values(liar, [3, 2, 1], expected_for("random", [3, 2, 1]),
                                       scheme="random")):
        with pytest.raises(AssertionError, match=r"W1 is a Agreeable, a subclass of ndarray "
                                                 r"\(refused by the checks"):
            check()


def test_a_dict_subclass_is_refused():
    class Shifty(dict):
        def __getitem__(self, key):
            return np.zeros((1, 1))

    with pytest.raises(AssertionError, match="a subclass of dict"):
        check_structure(lambda dims: Shifty(make_init("zeros")(dims)), [3, 2, 1])


def test_a_thread_left_patching_the_checks_is_refused():
    allclose, stop = np.allclose, threading.Event()

    def cheat(dims):
        def patch():
            stop.wait(5)
            np.allclose = lambda *args, **kwargs: True
        threading.Thread(target=patch, daemon=True).start()
        return WRONG_RANDOM(dims)

    try:
        with pytest.raises(AssertionError, match=r"refused by the checks: .*1 thread\(s\) it "
                                                 r"started, still running"):
            check_values(cheat, [3, 2, 1], expected_for("random", [3, 2, 1]), scheme="random")
    finally:
        stop.set()
        time.sleep(0.1)
        np.allclose = allclose


def test_expected_values_are_out_of_the_functions_reach():
    expected = expected_for("random", [3, 2, 1])

    def cheat(dims):
        mine = WRONG_RANDOM(dims)
        for key, value in mine.items():
            expected[key][...] = value          # the caller's own arrays, changed in place
        return mine

    with pytest.raises(AssertionError, match="looks scaled by 0.01"):
        check_values(cheat, [3, 2, 1], expected, scheme="random")


def test_the_checks_own_functions_are_guarded_when_imported_first():
    """In a fresh interpreter (as in a kernel), helpers.checks is what imports the guard."""
    import subprocess
    import sys
    code = ("from helpers.checks import check_structure\n"
            "import helpers.checks\n"
            "def cheat(dims):\n"
            "    helpers.checks._raise = lambda *args, **kwargs: None\n"
            "    return {}\n"
            "try:\n"
            "    check_structure(cheat, [3, 2, 1])\n"
            "except AssertionError as error:\n"
            "    print(error)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout
    assert "refused by the checks" in out and "helpers.checks._raise" in out
