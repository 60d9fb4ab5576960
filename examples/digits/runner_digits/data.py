"""scikit-learn's handwritten digits, split once into a training and a held-out validation part.

``sklearn.datasets.load_digits`` reads 1797 images of 8x8 pixels (values 0
to 16) from a file inside the scikit-learn wheel: nothing is downloaded.
Each image becomes one row of 64 features in [0, 1] (float32), and its
label a class index in 0..9 (int64). The split is a fixed permutation of
the 1797 rows, drawn from a generator of its own: it is the same for every
run and every seed, draws nothing from the global generators runner seeds,
and the two parts never share a row.
"""

from __future__ import annotations

SAMPLES = 1797  # the images in load_digits
FEATURES = 64  # 8 x 8 pixels
CLASSES = 10
SPLIT_SEED = 0  # the one split: changing it changes every run's validation set
HOLDOUT = 0.2


def _split_sizes(holdout: float) -> tuple[int, int]:
    """(training, validation) row counts for a held-out fraction ``holdout``."""
    if isinstance(holdout, bool) or not isinstance(holdout, (int, float)) or not 0 < holdout < 1:
        raise ValueError(f"holdout is the fraction of the images held out for validation, between 0 and 1, not {holdout!r}")
    n_val = round(SAMPLES * holdout)
    if not 0 < n_val < SAMPLES:
        raise ValueError(f"holdout={holdout!r} leaves {n_val} of {SAMPLES} images for validation; "
                         "choose a fraction that holds out at least one and keeps one")
    return SAMPLES - n_val, n_val


def _part(backend: str, holdout: float, validation: bool):
    n_train, n_val = _split_sizes(holdout)
    if backend not in ("numpy", "torch"):
        raise ValueError(f"the digits dataset has no {backend!r} backend; use numpy or torch")
    import numpy as np
    from sklearn.datasets import load_digits

    images, labels = load_digits(return_X_y=True)
    order = np.random.default_rng(SPLIT_SEED).permutation(SAMPLES)
    rows = np.sort(order[:n_val] if validation else order[n_val:])
    x = (images[rows] / 16.0).astype(np.float32)
    y = labels[rows].astype(np.int64)
    if backend == "numpy":
        return x, y
    import torch

    return torch.from_numpy(x), torch.from_numpy(y)


def build(backend: str, holdout: float = HOLDOUT):
    """The training split: x of shape (n, 64), float32 in [0, 1]; y of shape (n,), int64 in 0..9; on the CPU."""
    return _part(backend, holdout, validation=False)


def validation(backend: str, holdout: float = HOLDOUT):
    """The held-out split, as ``build`` gives the training one: the other ``holdout`` of the images."""
    return _part(backend, holdout, validation=True)


def shapes(holdout: float = HOLDOUT):
    """What ``build`` returns, without loading the images: ((n, 64), (n,))."""
    n_train, _ = _split_sizes(holdout)
    return (n_train, FEATURES), (n_train,)
