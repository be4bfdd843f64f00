"""helpers.moons_explorer: one training per setting, the notebook's runs used as given,
the figure a function of the setting, no training and no widget under nbgrader."""

import os
import subprocess
import sys

import numpy as np
import pytest

from helpers import moons_explorer
from helpers.datasets import load_moons
from helpers.moons_explorer import (MoonsDrawing, MoonsSettings, Trainings, initial_parameters,
                                    render)
from helpers.plotting import decision_grid
from helpers.training import Run, accuracy, fit, predict

#: Short trainings: the behaviour is the same as with part 1's 15,000 iterations.
ITERATIONS = 2000


@pytest.fixture(scope="module")
def data():
    return load_moons()


@pytest.fixture
def counted_fit(monkeypatch):
    """helpers.moons_explorer's ``fit``, counting its calls."""
    calls = []

    def counting(*args, **kwargs):
        calls.append(kwargs["learning_rate"])
        return fit(*args, **kwargs)

    monkeypatch.setattr(moons_explorer, "fit", counting)
    return calls


@pytest.fixture
def no_training(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the explorer trained a network")
    monkeypatch.setattr(moons_explorer, "fit", refuse)


def he_run(data, iterations=ITERATIONS, learning_rate=0.01):
    train_X, train_Y, _, _ = data
    return fit(train_X, train_Y, initial_parameters(MoonsSettings("he")),
               learning_rate=learning_rate, num_iterations=iterations)


def test_settings_refuse_bad_values_and_key_on_what_training_uses():
    for bad, message in (({"init": "xavier"}, "unknown init 'xavier'"),
                         ({"std": 0.0}, "std must be a positive number"),
                         ({"learning_rate": float("nan")}, "learning_rate must be a positive")):
        with pytest.raises(ValueError, match=message):
            MoonsSettings(**bad)
    assert MoonsSettings("he", std=0.5).key() == MoonsSettings("he", std=0.01).key()
    assert MoonsSettings("std", std=0.5).key() != MoonsSettings("std", std=0.01).key()
    assert MoonsSettings("random").label() == "large random (x10)"
    assert MoonsSettings("std", std=0.5).label() == "std 0.5"


def test_initial_parameters_are_part_one_s_draws_and_leave_numpy_s_generator_alone():
    """The expected outputs of Initialization.ipynb's random and He exercises."""
    state = np.random.get_state()[1].copy()
    random = initial_parameters(MoonsSettings("random"), (3, 2, 1))
    he = initial_parameters(MoonsSettings("he"), (2, 4, 1))
    np.testing.assert_allclose(random["W1"], [[17.88628473, 4.36509851, 0.96497468],
                                              [-18.63492703, -2.77388203, -3.54758979]],
                               rtol=0, atol=1e-8)
    np.testing.assert_allclose(random["W2"], [[-0.82741481, -6.27000677]], rtol=0, atol=1e-8)
    np.testing.assert_allclose(he["W2"], [[-0.03098412, -0.33744411, -0.92904268, 0.62552248]],
                               rtol=0, atol=1e-8)
    assert not any(initial_parameters(MoonsSettings("zeros")).get(k).any()
                   for k in ("W1", "b1", "W3"))
    std_10 = initial_parameters(MoonsSettings("std", std=10.0))
    for key, W in initial_parameters(MoonsSettings("random")).items():   # x10 is std 10
        np.testing.assert_array_equal(std_10[key], W)
    assert all(he[f"b{l}"].shape == (n, 1) and not he[f"b{l}"].any()
               for l, n in ((1, 4), (2, 1)))
    np.testing.assert_array_equal(np.random.get_state()[1], state)


def test_each_setting_is_trained_once_and_kept(data, counted_fit):
    trainings = Trainings(data, num_iterations=ITERATIONS)
    std = MoonsSettings("std", std=0.1, learning_rate=0.03)
    assert not trainings.known(std)
    first = trainings.outcome(std)
    assert trainings.known(std)
    assert trainings.outcome(MoonsSettings("std", std=0.1, learning_rate=0.03)) is first
    trainings.outcome(MoonsSettings("he"))
    trainings.outcome(MoonsSettings("he", std=3.0))   # std means nothing for He
    assert counted_fit == [0.03, 0.01] and trainings.trained == 2
    assert first.run.iterations == [0, 1000]


def test_runs_handed_in_are_shown_as_given_without_training(data, monkeypatch):
    run = he_run(data)
    monkeypatch.setattr(moons_explorer, "fit", None)   # any training would fail here
    trainings = Trainings(data, {"he": run}, num_iterations=ITERATIONS)
    outcome = trainings.outcome(MoonsSettings())
    train_X, train_Y, test_X, test_Y = data
    assert outcome.run is run and trainings.trained == 0
    assert outcome.train_accuracy == accuracy(train_X, train_Y, run.parameters)
    assert outcome.test_accuracy == accuracy(test_X, test_Y, run.parameters)
    g1, g2 = decision_grid(train_X)
    np.testing.assert_array_equal(
        outcome.regions, predict(np.vstack([g1.ravel(), g2.ravel()]), run.parameters)
        .reshape(g1.shape))


def test_runs_handed_in_must_be_named_and_as_long_as_the_explorer_s(data):
    run = he_run(data, iterations=1000)
    with pytest.raises(ValueError, match="named 'He'; expected one of zeros, random, he"):
        Trainings(data, {"He": run}, num_iterations=1000)
    with pytest.raises(ValueError, match="the he run recorded its cost at iterations "
                                         r"\[0\]...\[0\], but the explorer trains for 15000"):
        Trainings(data, {"he": run})


def test_figure_shows_the_run_s_costs_boundary_and_accuracies(data):
    trainings = Trainings(data, num_iterations=ITERATIONS)
    drawing = MoonsDrawing(trainings)
    drawing.update(MoonsSettings("random"))
    outcome = trainings.outcome(MoonsSettings("random"))
    assert np.isinf(outcome.run.costs[0])   # x10: the first cost is infinite
    np.testing.assert_array_equal(drawing.line.get_xdata(), outcome.run.iterations)
    np.testing.assert_array_equal(drawing.line.get_ydata(),
                                  np.where(np.isinf(outcome.run.costs), np.nan,
                                           outcome.run.costs))
    assert drawing.note.get_text() == "cost inf at iteration 0 (not drawn): a confident " \
                                      "wrong answer"
    np.testing.assert_array_equal(drawing.regions.get_array(), outcome.regions)
    assert drawing.boundary.get_title() == (f"large random (x10): train "
                                            f"{outcome.train_accuracy:.1%}, test "
                                            f"{outcome.test_accuracy:.1%}")
    drawing.update(MoonsSettings("he", learning_rate=0.1))
    assert drawing.note.get_text() == ""
    assert drawing.costs.get_title() == "Training cost, learning rate 0.1"


def test_render_is_a_function_of_the_setting_alone(data):
    trainings = Trainings(data, num_iterations=ITERATIONS)
    a, b = MoonsSettings("zeros"), MoonsSettings("std", std=1.0, learning_rate=0.1)
    fresh = render(a, MoonsDrawing(trainings))
    drawing = MoonsDrawing(trainings)
    other = render(b, drawing)
    assert render(a, drawing) == fresh != other
    assert render(b, MoonsDrawing(trainings)) == other
    assert fresh.startswith(b"\x89PNG")


def test_each_control_redraws_the_figure_training_only_new_settings(data, counted_fit):
    trainings = Trainings(data, {"he": he_run(data)}, num_iterations=ITERATIONS)
    box = moons_explorer.moons_explorer(trainings)
    init, std, rate = box.controls
    assert std.disabled and counted_fit == []
    seen = [box.image.value]
    for control, value in ((init, "std"), (std, 1.0), (rate, 0.1), (init, "zeros")):
        control.value = value
        assert box.image.value not in seen, control.description
        seen.append(box.image.value)
    assert box.status.value == ""
    assert box.settings() == MoonsSettings("zeros", 1.0, 0.1)
    assert len(counted_fit) == 4
    init.value, rate.value = "he", 0.01   # back to the run handed in: no training
    assert box.image.value == seen[0] and len(counted_fit) == 5   # (He at 0.1 on the way)
    assert repr(box) == moons_explorer.REPR


def test_show_moons_explorer_shows_the_runs_handed_in_without_training(data, monkeypatch,
                                                                       no_training):
    """Under nbgrader: one still image and no widget; elsewhere the explorer alone, its
    figure the same image, still without training."""
    # A run as the notebook hands it in (15,000 iterations), made up: nothing trains it.
    runs = {"he": Run(initial_parameters(MoonsSettings("he")), list(range(0, 15000, 1000)),
                      [0.5] * 15, 0.01)}
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert moons_explorer.show_moons_explorer(runs, data) is None
    assert len(shown) == 1
    assert shown[0].data == render(MoonsSettings(), MoonsDrawing(Trainings(data, runs)))
    monkeypatch.delenv("NBGRADER_EXECUTION")
    box = moons_explorer.show_moons_explorer(runs, data)
    assert len(shown) == 2 and shown[1] is box   # the explorer alone: no second, still figure
    assert box.image.value == shown[0].data


def test_show_moons_explorer_starts_from_the_notebook_s_he_run_whatever_its_settings(
        data, monkeypatch, no_training):
    """A notebook that trains for 1,000 iterations at learning rate 0.05: its He run is
    still what is shown first, untrained again, and 0.05 is among the learning rates."""
    runs = {init: Run(initial_parameters(MoonsSettings(init)), [0], [0.7], 0.05)
            for init in ("random", "he")}
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj: shown.append(obj))
    monkeypatch.setenv("NBGRADER_EXECUTION", "validate")
    moons_explorer.show_moons_explorer(runs, data, num_iterations=1000)
    he = MoonsSettings("he", learning_rate=0.05)
    assert shown[0].data == render(he, MoonsDrawing(Trainings(data, runs, num_iterations=1000)))
    monkeypatch.delenv("NBGRADER_EXECUTION")
    box = moons_explorer.show_moons_explorer({"random": runs["random"]}, data,
                                             num_iterations=1000)
    assert box.settings() == MoonsSettings("random", learning_rate=0.05)
    assert [rate for _, rate in box.controls[2].options] == [0.001, 0.003, 0.01, 0.03, 0.05,
                                                             0.1]


def test_importing_the_moons_explorer_imports_no_widget_library():
    code = "import sys, helpers.moons_explorer; print('ipywidgets' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ}, check=True).stdout.strip()
    assert out == "False"
