"""The data sets of the course: two moons, and image sets stored in HDF5."""

import numpy as np

__all__ = ["load_moons", "make_moons", "load_image_dataset", "class_names", "IMAGE_KEYS"]

IMAGE_KEYS = ("train_set_x", "train_set_y", "test_set_x", "test_set_y", "list_classes")


def load_moons(*, n_train=300, n_test=100, noise=0.05, random_state=(1, 2)):
    """Two interleaving half circles, split into a training and a test set.

    Parameters
    ----------
    n_train, n_test : int, default=300, 100
    noise : float, default=0.05
        Standard deviation of the Gaussian noise added to the points.
    random_state : pair of int, default=(1, 2)
        Seeds of the training and the test set. NumPy's global generator is
        not touched.

    Returns
    -------
    train_X : ndarray of shape (2, n_train)
    train_Y : ndarray of int of shape (1, n_train)
    test_X : ndarray of shape (2, n_test)
    test_Y : ndarray of int of shape (1, n_test)
    """
    train_seed, test_seed = random_state
    train_X, train_y = make_moons(n_train, noise, train_seed)
    test_X, test_y = make_moons(n_test, noise, test_seed)
    return train_X.T, train_y.reshape(1, -1), test_X.T, test_y.reshape(1, -1)


def make_moons(n_samples, noise, seed):
    """``sklearn.datasets.make_moons(n_samples, noise=noise, random_state=seed)``.

    The same arrays, bit for bit and in the same memory layout (a test checks
    it against scikit-learn), without importing scikit-learn: that import
    alone takes longer than training a network here, at every Run All.

    Returns
    -------
    X : ndarray of shape (n_samples, 2)
    y : ndarray of int of shape (n_samples,)
    """
    generator = np.random.RandomState(seed)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    outer_x = np.cos(np.linspace(0, np.pi, n_out))
    outer_y = np.sin(np.linspace(0, np.pi, n_out))
    inner_x = 1 - np.cos(np.linspace(0, np.pi, n_in))
    inner_y = 1 - np.sin(np.linspace(0, np.pi, n_in)) - 0.5
    X = np.vstack([np.append(outer_x, inner_x), np.append(outer_y, inner_y)]).T
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    order = np.arange(n_samples)
    generator.shuffle(order)
    X, y = X[order], y[order]
    X += generator.normal(scale=noise, size=X.shape)
    return X, y


def load_image_dataset(train_path, test_path=None):
    """Load images and labels from HDF5, flattened and scaled to [0, 1].

    The layout is the classic one: ``train_set_x`` (m, height, width[, channels])
    of 0-255 pixels, ``train_set_y`` (m,), the same two for ``test_set``, and
    ``list_classes``, the class names.

    Parameters
    ----------
    train_path : str or path-like
        File holding ``train_set_x`` and ``train_set_y``, and, when
        ``test_path`` is None, the test set and ``list_classes`` too.
    test_path : str or path-like, optional
        File holding ``test_set_x``, ``test_set_y`` and ``list_classes``.

    Returns
    -------
    train_X : ndarray of shape (n_pixels, m_train)
    train_Y : ndarray of shape (1, m_train)
    test_X : ndarray of shape (n_pixels, m_test)
    test_Y : ndarray of shape (1, m_test)
    classes : list of str
        The class names, decoded from the file's bytes (UTF-8): printed, they
        read ``['not 3', '3']``, not ``[b'not 3' b'3']``.
    """
    if test_path is None:
        wanted = {train_path: IMAGE_KEYS}
    else:
        wanted = {train_path: IMAGE_KEYS[:2], test_path: IMAGE_KEYS[2:]}
    import h5py  # only here: notebooks that never read HDF5 do not pay for the import

    data = {}
    for path, keys in wanted.items():
        with h5py.File(path, "r") as f:
            missing = [k for k in keys if k not in f]
            if missing:
                raise ValueError(f"{path} has no {', '.join(missing)}; an image data set "
                                 f"needs {', '.join(keys)} (it has {', '.join(f) or 'nothing'})")
            data.update({k: f[k][()] for k in keys})
    sets = []
    for name in ("train", "test"):
        x, y = data[f"{name}_set_x"], data[f"{name}_set_y"]
        if x.ndim < 2 or y.shape != (x.shape[0],):
            raise ValueError(f"{name}_set_x has shape {x.shape} and {name}_set_y {y.shape}; "
                             f"expected (m, ...) images and (m,) labels with the same m")
        sets += [x.reshape(x.shape[0], -1).T / 255, y.reshape(1, -1)]
    return (*sets, class_names(data["list_classes"]))


def class_names(stored):
    """The class names an HDF5 file stores (bytes, or str), as a list of str."""
    return [name.decode("utf-8") if isinstance(name, bytes) else str(name)
            for name in np.ravel(stored)]
