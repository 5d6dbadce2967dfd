"""Symmetric label noise (Table 18 trains with a noise rate of 0.1)."""

import numpy as np

from ldrld_core.errors import ConfigError


def symmetric_label_noise(labels, num_classes, rate, seed=0):
    """Return a copy of ``labels`` where each label, independently with
    probability ``rate``, is replaced by one of the *other* ``num_classes - 1``
    classes drawn uniformly; so about ``rate`` of the labels end up wrong.
    Deterministic for a given ``seed``."""
    if not 0.0 <= float(rate) < 1.0:
        raise ConfigError(f"noise_rate must be in [0, 1), got {rate!r}")
    labels = np.asarray(labels, dtype=np.int64)
    if rate == 0 or labels.size == 0:
        return labels.copy()
    if num_classes < 2:
        raise ConfigError(f"label noise needs at least 2 classes, got {num_classes}")
    rng = np.random.default_rng(seed)
    flip = rng.random(labels.shape[0]) < rate
    # an offset in 1..C-1 added modulo C never gives back the true class
    offset = rng.integers(1, num_classes, size=labels.shape[0])
    noisy = labels.copy()
    noisy[flip] = (labels[flip] + offset[flip]) % num_classes
    return noisy
