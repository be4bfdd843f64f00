"""Training: helpers.training.fit against the straightforward loop, side by side.

Both train the course's network [2, 10, 5, 1] on the two moons for 15,000
iterations from the same initial parameters (zeros, random x10, He). The
benchmark checks that they print the same costs bit for bit, end with the same
parameters and accuracies, and prints the time ratio (target: helpers <= 45%)
of the best wall times (the runs least disturbed by other processes).

    python benchmarks/bench_training.py [--rounds 5] [--iterations 15000]
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import straightforward  # noqa: E402
from common import best_of, machine, verdict  # noqa: E402

from helpers.datasets import load_moons  # noqa: E402
from helpers.training import accuracy, fit, format_costs  # noqa: E402

TARGET = 0.45
SCALES = {"zeros": lambda n_prev: 0.0, "random": lambda n_prev: 10.0,
          "he": lambda n_prev: np.sqrt(2 / n_prev)}


def initial_parameters(scheme, dims=(2, 10, 5, 1)):
    """The exercises' answer: seed 3, one randn draw per layer, zero biases."""
    np.random.seed(3)
    parameters = {}
    for l in range(1, len(dims)):
        parameters[f"W{l}"] = np.random.randn(dims[l], dims[l - 1]) * SCALES[scheme](dims[l - 1])
        parameters[f"b{l}"] = np.zeros((dims[l], 1))
    return parameters


def compare(scheme, data, iterations, rounds):
    """Time both loops on one initialization; raise AssertionError if they differ."""
    train_X, train_Y, test_X, test_Y = data
    initial = initial_parameters(scheme)
    results = best_of(rounds,
                      ("straightforward", lambda: straightforward.model(
                          train_X, train_Y, initial, num_iterations=iterations)),
                      ("helpers", lambda: fit(train_X, train_Y, initial, num_iterations=iterations)))
    reference_parameters, reference_costs = results["straightforward"]["value"]
    run = results["helpers"]["value"]
    printed = "\n".join(f"Cost after iteration {i}: {c}" for i, c in reference_costs)
    assert format_costs(run) == printed, f"{scheme}: the printed costs differ"
    for key, value in reference_parameters.items():
        assert np.array_equal(run.parameters[key], value), f"{scheme}: {key} differs"
    for X, Y in ((train_X, train_Y), (test_X, test_Y)):
        expected = float(np.mean(straightforward.predict(X, reference_parameters) == Y))
        assert accuracy(X, Y, run.parameters) == expected, f"{scheme}: accuracies differ"
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="best of this many runs each")
    parser.add_argument("--iterations", type=int, default=15000)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", RuntimeWarning)  # the seed's overflow warnings, not shown
    data = load_moons()
    print(f"# Training, {args.iterations} iterations, best of {args.rounds} interleaved runs, "
          f"wall seconds (CPU seconds in brackets)\n# {machine()}")
    print(f"{'init':<8} {'straightforward':>20} {'helpers':>16}  ratio")
    worst = 0.0
    for scheme in SCALES:
        r = compare(scheme, data, args.iterations, args.rounds)
        ref, ours = r["straightforward"], r["helpers"]
        ratio = ours["wall"] / ref["wall"]
        worst = max(worst, ratio)
        print(f"{scheme:<8} {ref['wall']:>9.3f} s [{ref['cpu']:.2f}] {ours['wall']:>7.3f} s "
              f"[{ours['cpu']:.2f}]  {verdict(ratio, TARGET)}  (CPU: {ours['cpu'] / ref['cpu']:.2f})")
    print(f"costs, parameters and accuracies identical bit for bit: yes\n"
          f"training ratio (worst of the three): {verdict(worst, TARGET)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
