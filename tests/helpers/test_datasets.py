import h5py
import numpy as np
import pytest

from helpers.datasets import IMAGE_KEYS, class_names, load_image_dataset, load_moons


def test_load_moons_shapes_and_labels():
    train_X, train_Y, test_X, test_Y = load_moons()
    assert train_X.shape == (2, 300) and train_Y.shape == (1, 300)
    assert test_X.shape == (2, 100) and test_Y.shape == (1, 100)
    assert set(np.unique(train_Y)) == {0, 1} and train_Y.mean() == 0.5


def test_load_moons_is_deterministic_and_leaves_global_state_alone():
    np.random.seed(123)
    state = np.random.get_state()[1].copy()
    first, second = load_moons(), load_moons()
    np.testing.assert_array_equal(np.random.get_state()[1], state)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    other = load_moons(random_state=(5, 6))
    assert not np.allclose(first[0], other[0])


def test_make_moons_without_noise_puts_each_class_on_its_half_circle():
    """Class 0 on the upper unit half circle, class 1 on the lower one centred at (1, 0.5),
    in an order and with noise that the seed decides (scikit-learn's recipe, checked bit
    for bit against scikit-learn in tests/integration/test_reference_data.py)."""
    from helpers.datasets import make_moons
    X, y = make_moons(9, 0.0, 4)
    assert X.shape == (9, 2) and list(np.bincount(y)) == [4, 5]
    outer, inner = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0, rtol=1e-12)
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0, rtol=1e-12)
    assert np.all(outer[:, 1] >= 0) and np.all(inner[:, 1] <= 0.5 + 1e-12)
    noisy, same_y = make_moons(9, 0.1, 4)
    np.testing.assert_array_equal(same_y, y)
    assert 0 < np.abs(noisy - X).max() < 1


def _write_images(path, keys=IMAGE_KEYS, m_train=6, m_test=4, seed=0):
    rng = np.random.default_rng(seed)
    data = {
        "train_set_x": rng.integers(0, 256, (m_train, 8, 8, 3), dtype=np.uint8),
        "train_set_y": rng.integers(0, 2, m_train),
        "test_set_x": rng.integers(0, 256, (m_test, 8, 8, 3), dtype=np.uint8),
        "test_set_y": rng.integers(0, 2, m_test),
        "list_classes": np.array([b"other", b"target"]),
    }
    with h5py.File(path, "w") as f:
        for key in keys:
            f[key] = data[key]
    return data


def test_load_image_dataset_round_trip(tmp_path):
    data = _write_images(tmp_path / "images.h5")
    train_X, train_Y, test_X, test_Y, classes = load_image_dataset(tmp_path / "images.h5")
    assert train_X.shape == (8 * 8 * 3, 6) and test_X.shape == (192, 4)
    np.testing.assert_allclose(train_X[:, 2], data["train_set_x"][2].ravel() / 255)
    np.testing.assert_array_equal(train_Y, data["train_set_y"].reshape(1, -1))
    np.testing.assert_array_equal(test_Y, data["test_set_y"].reshape(1, -1))
    assert train_X.min() >= 0 and train_X.max() <= 1
    assert classes == ["other", "target"]


def test_load_image_dataset_prints_class_names_as_text(tmp_path):
    _write_images(tmp_path / "images.h5")
    *_, classes = load_image_dataset(tmp_path / "images.h5")
    assert str(classes) == "['other', 'target']"


def test_class_names_decodes_bytes_and_keeps_text():
    assert class_names(np.array([b"not 3", b"3"])) == ["not 3", "3"]
    assert class_names(np.array(["caf\u00e9", "b"])) == ["caf\u00e9", "b"]
    assert class_names(np.array(["caf\u00e9".encode(), b"x"])) == ["caf\u00e9", "x"]


def test_load_image_dataset_from_two_files(tmp_path):
    data = _write_images(tmp_path / "train.h5", keys=IMAGE_KEYS[:2])
    _write_images(tmp_path / "test.h5", keys=IMAGE_KEYS[2:])
    train_X, _, test_X, _, _ = load_image_dataset(tmp_path / "train.h5", tmp_path / "test.h5")
    np.testing.assert_allclose(train_X[:, 0], data["train_set_x"][0].ravel() / 255)
    assert test_X.shape == (192, 4)


def test_load_image_dataset_names_the_missing_key(tmp_path):
    _write_images(tmp_path / "partial.h5", keys=("train_set_x", "train_set_y", "test_set_x"))
    with pytest.raises(ValueError, match="partial.h5 has no test_set_y, list_classes"):
        load_image_dataset(tmp_path / "partial.h5")


def test_load_image_dataset_rejects_mismatched_labels(tmp_path):
    with h5py.File(tmp_path / "bad.h5", "w") as f:
        f["train_set_x"] = np.zeros((5, 2, 2))
        f["train_set_y"] = np.zeros(4)
        f["test_set_x"] = np.zeros((2, 2, 2))
        f["test_set_y"] = np.zeros(2)
        f["list_classes"] = np.array([b"a", b"b"])
    with pytest.raises(ValueError, match=r"train_set_x has shape \(5, 2, 2\) and train_set_y \(4,\)"):
        load_image_dataset(tmp_path / "bad.h5")
