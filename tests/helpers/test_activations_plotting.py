"""The figures of the activations notebook: the histogram grid and the image strip."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from helpers.plotting import plot_activation_histograms, plot_images  # noqa: E402


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _layers(scale, n_layers=3):
    rng = np.random.default_rng(0)
    return [rng.standard_normal((4, 50)) * scale / (l + 1) for l in range(n_layers)]


def test_plot_activation_histograms_rows_are_experiments_columns_layers():
    experiments = {"std 1": _layers(1.0), "He": _layers(0.1)}
    axes = plot_activation_histograms(experiments, bins=10, title="tanh")
    assert axes.shape == (2, 3)
    assert [ax.get_ylabel() for ax in axes[:, 0]] == ["std 1", "He"]
    assert axes[0, 2].get_title().startswith("layer 3")
    assert axes[0][0].figure.get_suptitle() == "tanh"
    # Each panel draws every value of its layer, in the given number of bins.
    (steps,) = axes[1, 1].patches
    heights, edges = steps.get_data().values, steps.get_data().edges
    assert len(heights) == 10 and heights.sum() == 200 and len(edges) == 11


def test_plot_activation_histograms_titles_carry_the_computed_stats():
    layer = np.array([[0.0, 2.0], [4.0, 6.0]])
    axes = plot_activation_histograms({"row": [layer]})
    assert f"mean 3, std {layer.std():.3g}" in axes[0, 0].get_title()


def test_plot_activation_histograms_shares_the_range_of_a_row():
    axes = plot_activation_histograms({"row": [np.array([[0.0, 1.0]]), np.array([[0.0, 10.0]])]},
                                      bins=5)
    first, second = (ax.patches[0].get_data().edges for ax in axes[0])
    np.testing.assert_allclose(first, np.linspace(0, 10, 6))
    np.testing.assert_allclose(second, first)
    assert axes[0, 0].get_xlim() == pytest.approx((0, 10))
    fixed = plot_activation_histograms({"row": [np.array([[0.2, 0.4]])]}, value_range=(0, 1))
    np.testing.assert_allclose(fixed[0, 0].patches[0].get_data().edges[[0, -1]], [0, 1])


def test_plot_activation_histograms_hides_missing_layers_and_rejects_empty_input():
    axes = plot_activation_histograms({"long": _layers(1.0, 3), "short": _layers(1.0, 2)})
    assert not axes[1, 2].get_visible() and axes[0, 2].get_visible()
    with pytest.raises(ValueError, match="experiments is empty"):
        plot_activation_histograms({})
    with pytest.raises(ValueError, match="empty list of layers"):
        plot_activation_histograms({"a": []})


def test_plot_images_titles_each_image_with_its_class():
    X = np.linspace(0, 1, 64 * 3).reshape(64, 3)
    axes = plot_images(X, np.array([[1, 0, 1]]), [b"not 3", b"3"], n_images=5)
    assert len(axes) == 3  # only three images to show
    assert [ax.get_title() for ax in axes] == ["3", "not 3", "3"]
    np.testing.assert_allclose(axes[1].images[0].get_array(), X[:, 1].reshape(8, 8))
    with pytest.raises(ValueError, match=r"images of shape \(8, 8\) need \(64, number of images\)"):
        plot_images(np.zeros((63, 2)), np.zeros((1, 2)), ["a", "b"])


def _relu_layers(stds, n=2000, seed=0):
    """ReLU-like layers: about half exact zeros, the rest positive, of the given spreads."""
    rng = np.random.default_rng(seed)
    return [np.maximum(0.0, rng.standard_normal((10, n // 10))) * s for s in stds]


def _bars(ax):
    (steps,) = ax.patches
    return steps.get_data().values, steps.get_data().edges


def test_plot_activation_histograms_leaves_zeros_out_and_states_their_share():
    layer = np.array([[0.0, 0.0, 0.0, 1.0], [2.0, 3.0, 0.0, 4.0]])  # 4 of 8 are zero
    axes = plot_activation_histograms({"ReLU": [layer, np.zeros((2, 4))]}, bins=4)
    heights, _ = _bars(axes[0, 0])
    assert heights.sum() == 4  # only the values that are not zero
    assert axes[0, 0].get_title().startswith("layer 1, zeros 50%\n")
    # the mean and std are still those of every value, zeros included (the table's)
    assert f"mean {layer.mean():.3g}, std {layer.std():.3g}" in axes[0, 0].get_title()
    assert axes[0, 0].get_xlim()[0] == 0  # the axis still starts at the zeros' place
    assert axes[0, 1].get_title().startswith("layer 2, all zeros\n")
    assert _bars(axes[0, 1])[0].sum() == 0


def test_plot_activation_histograms_counts_every_value_without_zeros_in_the_title():
    axes = plot_activation_histograms({"tanh": [np.array([[-0.5, 0.25, 0.5]])]}, bins=3)
    assert _bars(axes[0, 0])[0].sum() == 3
    assert "zeros" not in axes[0, 0].get_title()
    few = plot_activation_histograms({"a": [np.r_[0.0, np.ones(999)].reshape(1, -1)]})
    assert few[0, 0].get_title().startswith("layer 1, zeros <1%\n")


def test_plot_activation_histograms_puts_rows_spanning_decades_on_a_log_x_axis():
    growing = _relu_layers([1.0, 10.0, 100.0, 1000.0])  # like ReLU with std 1
    steady = _relu_layers([0.8, 0.85, 0.8, 0.9])          # like ReLU with He
    axes = plot_activation_histograms({"std 1": growing, "He": steady}, bins=20)
    assert [ax.get_xscale() for ax in axes[0]] == ["log"] * 4
    assert [ax.get_xscale() for ax in axes[1]] == ["linear"] * 4
    heights, edges = _bars(axes[0, 0])
    np.testing.assert_allclose(edges[1:] / edges[:-1], edges[1] / edges[0])  # log bins
    positive = np.concatenate([g[g > 0] for g in growing])
    assert edges[0] == positive.min() and edges[-1] == positive.max()
    # every value that is not zero is in a bar, in every panel of the row
    assert [_bars(ax)[0].sum() for ax in axes[0]] == [np.count_nonzero(g) for g in growing]
    # the layers' bumps move right, a decade per layer, on the shared axis
    centres = [np.average(np.log10(_bars(ax)[1][:-1]), weights=_bars(ax)[0]) for ax in axes[0]]
    np.testing.assert_allclose(np.diff(centres), 1.0, atol=0.15)
    # no mathtext in tick labels (slow to parse): plain 1e+02
    axes[0, 0].figure.canvas.draw()
    labels = [t.get_text() for t in axes[0, 0].get_xticklabels() if t.get_text()]
    assert labels and not any("$" in t for t in labels)


def test_plot_activation_histograms_keeps_a_given_range_and_signed_rows_linear():
    growing = _relu_layers([1.0, 100.0])
    fixed = plot_activation_histograms({"row": growing}, value_range=(0, 5))
    assert fixed[0, 0].get_xscale() == "linear"
    signed = [g - 0.5 * g.max() for g in growing]
    assert plot_activation_histograms({"row": signed})[0, 0].get_xscale() == "linear"


def test_plot_activation_histograms_counts_on_a_log_axis_where_one_bar_towers():
    rng = np.random.default_rng(1)
    spike = np.r_[np.full(5000, 0.5), rng.uniform(0, 1, 1000)].reshape(1, -1)
    spread = rng.uniform(0, 1, 6000).reshape(1, -1)
    axes = plot_activation_histograms({"spike": [spike, spread], "spread": [spread]}, bins=10)
    assert axes[0, 0].get_yscale() == "log" and axes[0, 1].get_yscale() == "log"  # shared
    assert axes[1, 0].get_yscale() == "linear"
    assert axes[0, 0].get_ylim()[0] == 0.5  # a bar of one value still shows
    assert _bars(axes[0, 0])[0].sum() == 6000
