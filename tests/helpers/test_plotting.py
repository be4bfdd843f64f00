import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.plotting import plot_costs, plot_data, plot_decision_boundary  # noqa: E402
from helpers.training import Run  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def test_plot_costs_labels_axes_with_iterations_and_skips_inf():
    run = Run(parameters={}, iterations=[0, 1000, 2000], costs=[np.inf, 0.5, 0.25])
    ax = plot_costs(run)
    assert ax.get_xlabel() == "iteration"
    assert ax.get_ylabel().startswith("cost")
    x, y = ax.lines[0].get_data()
    np.testing.assert_array_equal(x, [0, 1000, 2000])
    assert np.isnan(y[0]) and list(y[1:]) == [0.5, 0.25]
    assert "learning rate 0.01" in ax.get_title()


def test_plot_costs_draws_one_labelled_curve_per_run():
    runs = {"a": Run({}, [0, 1], [1.0, 0.5]), "b": Run({}, [0, 1], [2.0, 1.0])}
    ax = plot_costs(runs, log_scale=True)
    assert [line.get_label() for line in ax.lines] == ["a", "b"]
    assert ax.get_yscale() == "log"
    ax.set_ylim(0.005, 5)
    ax.figure.canvas.draw()
    assert [t.get_text() for t in ax.get_yticklabels()] == ["0.001", "0.01", "0.1", "1", "10"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]


def test_plot_decision_boundary_colours_each_side():
    # One unit that says 1 where x1 > 0.
    parameters = {"W1": np.array([[50.0, 0.0]]), "b1": np.array([[0.0]])}
    X = np.array([[-1.0, 1.0], [0.0, 0.0]])
    Y = np.array([[0, 1]])
    fig, ax = plt.subplots()
    assert plot_decision_boundary(parameters, X, Y, ax=ax, title="t", resolution=50) is ax
    assert ax.get_title() == "t"
    assert len(ax.collections) >= 2  # the filled regions and the points
    assert ax.get_xlabel() == "x\N{SUBSCRIPT ONE}" and ax.get_ylabel() == "x\N{SUBSCRIPT TWO}"


def test_plot_data_uses_given_axes():
    fig, ax = plt.subplots()
    out = plot_data(np.zeros((2, 4)), np.array([[0, 1, 0, 1]]), ax=ax)
    assert out is ax and len(ax.collections) == 1
    assert ax.collections[0].get_offsets().shape == (4, 2)


def test_plot_data_puts_few_round_ticks_on_the_moons():
    X = np.array([[-1.1, 0.0, 2.1], [-0.6, 1.05, 0.2]])
    ax = plot_data(X, np.array([[0, 1, 0]]))
    ax.figure.canvas.draw()
    for ticks, (low, high) in ((ax.get_xticks(), ax.get_xlim()), (ax.get_yticks(), ax.get_ylim())):
        shown = ticks[(ticks >= low) & (ticks <= high)]
        assert 3 <= len(shown) <= 7
        np.testing.assert_allclose(shown * 2, np.round(shown * 2))  # whole or half units


def test_plot_gradient_profiles_draws_one_line_per_profile_on_log_axes():
    from helpers.gradients import depth_profile
    from helpers.plotting import plot_gradient_profiles

    X = np.random.default_rng(0).standard_normal((10, 20))
    profiles = {"He ReLU": depth_profile(X, [10] * 4, "he", "relu"),
                "zeros": depth_profile(X, [10] * 4, 0.0, "tanh")}
    left, right = plot_gradient_profiles(profiles)
    try:
        assert [line.get_label() for line in left.lines] == ["He ReLU", "zeros"]
        assert left.get_yscale() == right.get_yscale() == "log"
        np.testing.assert_allclose(left.lines[0].get_ydata(),
                                   profiles["He ReLU"].gradient_std(), rtol=1e-12)
        # zero weights: no gradient below the top layer and no ratio, left out of the line
        assert np.isnan(right.lines[1].get_ydata()).all()
        assert np.isnan(left.lines[1].get_ydata()[:-1]).all()
    finally:
        plt.close(left.figure)
