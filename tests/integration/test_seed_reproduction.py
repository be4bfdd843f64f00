"""The figures part 1 prints, from full 15,000-iteration runs on the moons.

The notebook prints these numbers, so they are checked end to end here, at the
length the notebook trains: the He run's costs against the seed's printout
(/work/shared/reference/seed-reproduction.md) with a relative tolerance of 1e-12,
the accuracies of the three runs, and every printed cost and final parameter bit
for bit against the seed's own loop (``benchmarks/straightforward.py``). The same
arithmetic on short runs is a unit test (``tests/helpers/test_training.py``).
"""

import numpy as np
import pytest

from helpers.datasets import load_moons
from helpers.training import accuracy, fit, format_costs
from support.training import SCALES, reference_init, straightforward

# The figures of the reference run (shared/reference/seed-reproduction.md).
HE_COSTS = [
    0.7342482321384683, 0.2956649797057583, 0.25184038318406815, 0.22284974489831486,
    0.197785000749911, 0.17049197570926786, 0.1335184678864498, 0.0937306542814033,
    0.06003854894423608, 0.03672540881648471, 0.02364909447670985, 0.0163445358729235,
    0.011999996046588596, 0.009296262994410533, 0.007550730111146195,
]
ACCURACIES = {"zeros": (0.5, 0.5), "random": (0.8866666666666667, 0.87), "he": (1.0, 1.0)}


@pytest.fixture(scope="module")
def moons():
    return load_moons()


@pytest.fixture(scope="module")
def runs(moons):
    train_X, train_Y, _, _ = moons
    return {s: fit(train_X, train_Y, reference_init([2, 10, 5, 1], s)) for s in SCALES}


def test_he_cost_trajectory_matches_the_seed(runs):
    assert runs["he"].iterations == list(range(0, 15000, 1000))
    np.testing.assert_allclose(runs["he"].costs, HE_COSTS, rtol=1e-12, atol=0)


def test_zeros_cost_stays_at_log_2_for_the_whole_run(runs):
    np.testing.assert_allclose(runs["zeros"].costs, np.log(2), rtol=1e-12)


def test_random_cost_starts_infinite_and_then_is_finite(runs):
    assert runs["random"].costs[0] == np.inf
    assert np.all(np.isfinite(runs["random"].costs[1:]))


@pytest.mark.parametrize("scheme", list(ACCURACIES))
def test_accuracies_match_the_seed(runs, moons, scheme):
    train_X, train_Y, test_X, test_Y = moons
    parameters = runs[scheme].parameters
    assert (accuracy(train_X, train_Y, parameters), accuracy(test_X, test_Y, parameters)) \
        == pytest.approx(ACCURACIES[scheme], rel=1e-12)


@pytest.mark.parametrize("scheme", list(SCALES))
def test_full_runs_match_the_seed_s_loop_bit_for_bit(runs, moons, scheme):
    """The printed costs and final parameters of the loss-every-iteration, 12-tuple loop."""
    train_X, train_Y, _, _ = moons
    parameters, costs = straightforward().model(train_X, train_Y,
                                                reference_init([2, 10, 5, 1], scheme))
    run = runs[scheme]
    assert format_costs(run) == "\n".join(f"Cost after iteration {i}: {c}" for i, c in costs)
    for key, value in parameters.items():
        np.testing.assert_array_equal(run.parameters[key], value, strict=True)
