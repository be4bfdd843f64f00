#!/usr/bin/env python3
"""Write source/initialization/digits.h5: "is it a 3?" from scikit-learn's 8x8 digits.

The images come from the handwritten digits bundled inside scikit-learn
(``sklearn.datasets.load_digits``, 1,797 images of 8x8 pixels with values
0-16), so no download is needed. The file uses the classic image layout that
``helpers.datasets.load_image_dataset`` reads:

- ``train_set_x``, ``test_set_x``: uint8 images of shape (m, 8, 8), pixels 0-255
- ``train_set_y``, ``test_set_y``: int64 labels of shape (m,), 1 for a 3, else 0
- ``list_classes``: the class names, ``[b"not 3", b"3"]``

The task is balanced: every 3 of the data set, and the first 20 images of each
other digit, in the data set's order. Every fourth of those images goes to the
test set. Nothing is random, and the HDF5 file is written without time stamps,
so running this script again writes the same bytes (a test checks it).

Usage: python scripts/make_digits_h5.py [OUTPUT]
"""

import sys
from pathlib import Path

import h5py
import numpy as np
from sklearn.datasets import load_digits

OUTPUT = Path(__file__).resolve().parent.parent / "source" / "initialization" / "digits.h5"
TARGET = 3
OTHERS_PER_DIGIT = 20
TEST_EVERY = 4
CLASSES = np.array([b"not 3", b"3"])


def build():
    """The train and test arrays of the data set, by HDF5 key."""
    digits = load_digits()
    images = np.round(digits.images * 255 / 16).astype(np.uint8)
    target = digits.target
    chosen = [np.flatnonzero(target == TARGET)]
    for digit in range(10):
        if digit != TARGET:
            chosen.append(np.flatnonzero(target == digit)[:OTHERS_PER_DIGIT])
    index = np.sort(np.concatenate(chosen))
    is_test = np.arange(index.size) % TEST_EVERY == TEST_EVERY - 1
    labels = (target[index] == TARGET).astype(np.int64)
    return {
        "train_set_x": images[index[~is_test]],
        "train_set_y": labels[~is_test],
        "test_set_x": images[index[is_test]],
        "test_set_y": labels[is_test],
        "list_classes": CLASSES,
    }


def write(path, data):
    """Write ``data`` to ``path`` with fixed settings, so that the bytes are reproducible."""
    with h5py.File(path, "w", libver="earliest", track_order=False) as f:
        for key, value in data.items():
            f.create_dataset(key, data=value, track_times=False)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    path = Path(argv[0]) if argv else OUTPUT
    data = build()
    write(path, data)
    print(f"wrote {path}: {data['train_set_x'].shape[0]} training and "
          f"{data['test_set_x'].shape[0]} test images, {data['train_set_y'].mean():.0%} "
          f"and {data['test_set_y'].mean():.0%} of them 3s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
