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


def test_load_moons_matches_the_reference_recipe():
    """The reference drew with np.random.seed(1) / seed(2) before make_moons."""
    from sklearn.datasets import make_moons
    np.random.seed(1)
    X, y = make_moons(n_samples=300, noise=0.05)
    train_X, train_Y, _, _ = load_moons()
    np.testing.assert_array_equal(train_X, X.T)
    np.testing.assert_array_equal(train_Y, y.reshape(1, -1))


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


@pytest.mark.parametrize("n_samples, noise, seed", [(300, 0.05, 1), (100, 0.05, 2), (7, 0.3, 0),
                                                    (1, 0.1, 5), (51, 0.0, 123)])
def test_make_moons_equals_scikit_learn_bit_for_bit(n_samples, noise, seed):
    """Same values and memory layout: the training's BLAS calls see identical arrays."""
    from sklearn.datasets import make_moons as sklearn_make_moons
    from helpers.datasets import make_moons
    X, y = make_moons(n_samples, noise, seed)
    X_ref, y_ref = sklearn_make_moons(n_samples=n_samples, noise=noise, random_state=seed)
    np.testing.assert_array_equal(X, X_ref, strict=True)
    np.testing.assert_array_equal(y, y_ref, strict=True)
    assert X.strides == X_ref.strides and X.flags.c_contiguous == X_ref.flags.c_contiguous
