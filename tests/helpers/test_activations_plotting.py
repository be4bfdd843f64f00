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
