"""Small data sets for the chapters, splitting, and standardization.

Every function that draws random numbers takes ``rng``, an `np.random.Generator`, as a
required keyword (``rng=np.random.default_rng(0)``): the same generator state gives the
same data. Features come as ``X`` of shape ``(n, d)`` (one sample per row); class labels as
``y`` of shape ``(n,)`` with integers ``0 .. C-1``; regression targets as ``y`` of shape
``(n, 1)``, matching a ``Dense(..., 1)`` output.

The Iris data ship inside the package (``nnkit/datasets/iris.csv``); nothing downloads.
"""

from __future__ import annotations

import csv
import io
import math
from importlib import resources

import numpy as np

from nnkit.core import NNKitError, check_xy, require_rng

__all__ = [
    "make_xor", "make_moons", "make_circles", "make_spirals", "make_blobs",
    "make_regression_1d", "make_sinusoids", "load_iris",
    "train_test_split", "train_val_test_split", "kfold", "Standardizer", "one_hot",
]


# -- argument checks -----------------------------------------------------------------------
def _count(n, who: str, name: str = "n", minimum: int = 1) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < minimum:
        raise NNKitError(f"{who}: {name} must be an integer >= {minimum}, got {n!r}.")
    return int(n)


def _noise(noise, who: str) -> float:
    noise = float(noise)
    if not (noise >= 0 and math.isfinite(noise)):
        raise NNKitError(f"{who}: noise is a standard deviation and must be >= 0, got {noise!r}.")
    return noise


def _balanced_labels(n: int, k: int, rng: np.random.Generator) -> np.ndarray:
    """n labels 0..k-1 as equal in number as possible, in random order.  # (n,)"""
    return rng.permutation(np.arange(n) % k)


# -- synthetic classification sets ---------------------------------------------------------
def make_xor(n: int, *, noise: float = 0.2, rng: np.random.Generator | None = None):
    """The XOR problem: four Gaussian clouds at the corners of ``[-1, 1]^2``.

    A sample at corner ``(s1, s2)`` (signs) gets label 1 when the signs differ, 0 when they
    agree, so no line separates the classes (chapter 1). Corners are used equally often.

    Shapes: returns ``X`` (n, 2) float64 and ``y`` (n,) int64.
    """
    n = _count(n, "make_xor")
    rng = require_rng(rng, "make_xor")
    noise = _noise(noise, "make_xor")
    corner = _balanced_labels(n, 4, rng)                             # (n,) 0..3
    signs = np.stack([np.where(corner & 1, 1.0, -1.0),
                      np.where(corner & 2, 1.0, -1.0)], axis=1)      # (n, 2)
    X = signs + noise * rng.standard_normal((n, 2))                  # (n, 2)
    y = (signs[:, 0] != signs[:, 1]).astype(np.int64)                # (n,)
    return X, y


def make_moons(n: int, *, noise: float = 0.1, rng: np.random.Generator | None = None):
    """Two interleaving half circles (class 0 on top, class 1 below, shifted right).

    Class 0: ``(cos s, sin s)``; class 1: ``(1 - cos s, 0.5 - sin s)``, ``s`` uniform in
    ``[0, pi]``; then Gaussian noise of standard deviation `noise` on both coordinates.

    Shapes: returns ``X`` (n, 2) float64 and ``y`` (n,) int64.
    """
    n = _count(n, "make_moons")
    rng = require_rng(rng, "make_moons")
    noise = _noise(noise, "make_moons")
    y = _balanced_labels(n, 2, rng)                                  # (n,)
    s = rng.uniform(0.0, np.pi, n)                                   # (n,)
    X = np.where(y[:, None] == 0,
                 np.stack([np.cos(s), np.sin(s)], axis=1),
                 np.stack([1.0 - np.cos(s), 0.5 - np.sin(s)], axis=1))  # (n, 2)
    X += noise * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def make_circles(n: int, *, noise: float = 0.05, factor: float = 0.5,
                 rng: np.random.Generator | None = None):
    """Two concentric circles: class 0 of radius 1, class 1 of radius `factor` (< 1).

    Angles are uniform in ``[0, 2 pi)``; Gaussian noise of standard deviation `noise`.

    Shapes: returns ``X`` (n, 2) float64 and ``y`` (n,) int64.
    """
    n = _count(n, "make_circles")
    rng = require_rng(rng, "make_circles")
    noise = _noise(noise, "make_circles")
    if not 0.0 < factor < 1.0:
        raise NNKitError(
            f"make_circles: factor (inner radius / outer radius) must lie in (0, 1), "
            f"got {factor!r}."
        )
    y = _balanced_labels(n, 2, rng)                                  # (n,)
    angle = rng.uniform(0.0, 2.0 * np.pi, n)                         # (n,)
    radius = np.where(y == 0, 1.0, float(factor))                    # (n,)
    X = radius[:, None] * np.stack([np.cos(angle), np.sin(angle)], axis=1)  # (n, 2)
    X += noise * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def make_spirals(n: int, *, n_classes: int = 2, noise: float = 0.1, turns: float = 1.0,
                 rng: np.random.Generator | None = None):
    """Interleaved spiral arms, one per class.

    Arm ``k`` is ``r (cos theta, sin theta)`` with ``r`` uniform in ``[0.05, 1]`` and
    ``theta = 2 pi (turns * r + k / n_classes)``; Gaussian noise of standard deviation
    ``noise`` is then added to the points.

    Shapes: returns ``X`` (n, 2) float64 and ``y`` (n,) int64.
    """
    n = _count(n, "make_spirals")
    k = _count(n_classes, "make_spirals", "n_classes", minimum=2)
    rng = require_rng(rng, "make_spirals")
    noise = _noise(noise, "make_spirals")
    y = _balanced_labels(n, k, rng)                                  # (n,)
    r = rng.uniform(0.05, 1.0, n)                                    # (n,)
    theta = 2.0 * np.pi * (turns * r + y / k)                        # (n,)
    X = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)  # (n, 2)
    X += noise * rng.standard_normal((n, 2))
    return X, y.astype(np.int64)


def make_blobs(n: int, *, centers=3, std: float = 1.0, n_features: int = 2, box=(-5.0, 5.0),
               rng: np.random.Generator | None = None):
    """Isotropic Gaussian clusters, one class per centre.

    `centers` is either a number ``k`` (centres drawn uniformly in ``box`` in each of
    `n_features` dimensions) or an array of centres of shape ``(k, d)``. Class sizes differ
    by at most one.

    Shapes: returns ``X`` (n, d) float64 and ``y`` (n,) int64.
    """
    n = _count(n, "make_blobs")
    rng = require_rng(rng, "make_blobs")
    std = _noise(std, "make_blobs")
    if np.ndim(centers) == 0:
        k = _count(centers, "make_blobs", "centers")
        d = _count(n_features, "make_blobs", "n_features")
        C = rng.uniform(box[0], box[1], (k, d))                      # (k, d)
    else:
        C = np.asarray(centers, dtype=np.float64)
        if C.ndim != 2:
            raise NNKitError(
                f"make_blobs: centers must be a number or an array (k, d), "
                f"got shape {C.shape}."
            )
    y = _balanced_labels(n, C.shape[0], rng)                         # (n,)
    X = C[y] + std * rng.standard_normal((n, C.shape[1]))            # (n, d)
    return X, y.astype(np.int64)


# -- regression sets -----------------------------------------------------------------------
def _sin_pi(x):
    return np.sin(np.pi * x)


def make_regression_1d(n: int, *, noise: float = 0.1, rng: np.random.Generator | None = None,
                       fn=_sin_pi, low: float = -1.0, high: float = 1.0):
    """Noisy samples of a function of one variable: ``y = fn(x) + noise * N(0, 1)``.

    ``x`` is uniform in ``[low, high)`` and sorted (convenient for line plots); the default
    ``fn`` is ``sin(pi x)``, one period on ``[-1, 1]``.

    Shapes: returns ``X`` (n, 1) and ``y`` (n, 1), float64.
    """
    n = _count(n, "make_regression_1d")
    rng = require_rng(rng, "make_regression_1d")
    noise = _noise(noise, "make_regression_1d")
    x = np.sort(rng.uniform(low, high, n))                           # (n,)
    f = np.asarray(fn(x), dtype=np.float64)
    if f.shape != x.shape:
        raise NNKitError(
            f"make_regression_1d: fn must map an array of shape {x.shape} to the same shape,"
            f" got {f.shape}."
        )
    y = f + noise * rng.standard_normal(n)                           # (n,)
    return x[:, None], y[:, None]


def make_sinusoids(n: int, *, freqs=(1, 5), amps=(1.0, 0.5), noise: float = 0.0,
                   rng: np.random.Generator | None = None):
    """A sum of sinusoids on an even grid of ``[0, 1)``, to study spectral bias (chapter 6).

        y(x) = sum_k amps[k] * sin(2 pi freqs[k] x) + noise * N(0, 1)

    with ``x_i = i / n``, so ``np.fft.rfft(y[:, 0])`` has the amplitude of frequency ``f``
    (cycles per unit) in bin ``f`` (``2 |Y_f| / n = amps[k]`` when noise is 0 and
    ``freqs[k] < n / 2``).

    Shapes: returns ``X`` (n, 1) and ``y`` (n, 1), float64.
    """
    n = _count(n, "make_sinusoids")
    rng = require_rng(rng, "make_sinusoids")
    noise = _noise(noise, "make_sinusoids")
    freqs, amps = np.atleast_1d(np.asarray(freqs, float)), np.atleast_1d(np.asarray(amps, float))
    if freqs.shape != amps.shape or freqs.ndim != 1:
        raise NNKitError(
            f"make_sinusoids: freqs and amps need one entry per sinusoid,"
            f" got {freqs.shape} and {amps.shape}."
        )
    x = np.arange(n) / n                                             # (n,)
    y = np.sin(2.0 * np.pi * np.outer(x, freqs)) @ amps              # (n, k) @ (k,) -> (n,)
    if noise:
        y = y + noise * rng.standard_normal(n)
    return x[:, None], y[:, None]


# -- Iris ------------------------------------------------------------------------------------
IRIS_FEATURES = ("sepal_length", "sepal_width", "petal_length", "petal_width")
IRIS_CLASSES = ("setosa", "versicolor", "virginica")


def load_iris():
    """Fisher's Iris data from the copy shipped in ``nnkit/datasets`` (no download).

    Returns
    -------
    X : (150, 4) float64
        sepal length, sepal width, petal length, petal width in cm.
    y : (150,) int64
        0 = setosa, 1 = versicolor, 2 = virginica (50 each, in that order: shuffle before
        splitting).
    feature_names : list[str]
    class_names : list[str]
    """
    text = resources.files("nnkit").joinpath("datasets", "iris.csv").read_text(encoding="utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    if tuple(header) != IRIS_FEATURES + ("species",):
        raise NNKitError(f"load_iris: unexpected header {header} in nnkit/datasets/iris.csv.")
    rows = [r for r in reader if r]
    X = np.array([[float(v) for v in r[:4]] for r in rows], dtype=np.float64)  # (150, 4)
    y = np.array([IRIS_CLASSES.index(r[4]) for r in rows], dtype=np.int64)     # (150,)
    return X, y, list(IRIS_FEATURES), list(IRIS_CLASSES)


# -- splitting -------------------------------------------------------------------------------
def _fraction(value, who, name):
    value = float(value)
    if not 0.0 <= value < 1.0:
        raise NNKitError(f"{who}: {name} is a fraction of the samples in [0, 1), got {value!r}.")
    return value


def _split_indices(n, fractions, labels, rng):
    """Random disjoint index arrays with the given fractions (the first part takes the rest).

    With `labels` the split is stratified: each class is divided in the same proportions
    (counts rounded per class), so every part keeps the class frequencies.
    """
    groups = [np.arange(n)] if labels is None else [np.flatnonzero(labels == c)
                                                    for c in np.unique(labels)]
    parts = [[] for _ in range(len(fractions) + 1)]
    for idx in groups:
        idx = rng.permutation(idx)
        sizes = [int(round(f * len(idx))) for f in fractions]
        start = 0
        for j, size in enumerate(sizes, start=1):
            parts[j].append(idx[start:start + size])
            start += size
        parts[0].append(idx[start:])
    return [rng.permutation(np.concatenate(p)) for p in parts]


def train_test_split(X, y, *, test: float = 0.2, rng: np.random.Generator | None = None,
                     stratify: bool = True):
    """Split into a training and a test part, shuffled with `rng`.

    Stratified by default (each class split in the same proportion; needs integer labels).

    Shapes: ``X`` (n, ...) and ``y`` (n, ...) -> ``X_train, X_test, y_train, y_test`` in
    scikit-learn's order, with about ``(1 - test) n`` and ``test n`` rows.
    """
    X, y = check_xy(X, y, "train_test_split")
    rng = require_rng(rng, "train_test_split")
    test = _fraction(test, "train_test_split", "test")
    tr, te = _split_indices(len(X), [test], y if stratify else None, rng)
    return X[tr], X[te], y[tr], y[te]


def train_val_test_split(X, y, *, val: float = 0.2, test: float = 0.2,
                         rng: np.random.Generator | None = None, stratify: bool = True):
    """Split into training, validation and test parts, shuffled with `rng`.

    Fit on the training part, choose hyperparameters (and fit `Standardizer`) on what the
    training part tells you, and look at the test part once at the end.

    Shapes: ``X`` (n, ...) and ``y`` (n, ...) ->
    ``X_train, X_val, X_test, y_train, y_val, y_test`` with about ``(1 - val - test) n``,
    ``val n`` and ``test n`` rows.
    """
    X, y = check_xy(X, y, "train_val_test_split")
    rng = require_rng(rng, "train_val_test_split")
    val = _fraction(val, "train_val_test_split", "val")
    test = _fraction(test, "train_val_test_split", "test")
    if val + test >= 1.0:
        raise NNKitError(
            f"train_val_test_split: val + test must be below 1 to leave training data,"
            f" got {val + test}."
        )
    tr, va, te = _split_indices(len(X), [val, test], y if stratify else None, rng)
    return X[tr], X[va], X[te], y[tr], y[va], y[te]


def kfold(n: int, k: int, *, rng: np.random.Generator | None = None, y=None):
    """Indices for k-fold cross-validation.

    The ``n`` indices are shuffled with `rng` and cut into `k` folds of sizes differing by
    at most one (with labels `y`, each class is dealt round-robin across folds, so folds are
    stratified). Each fold is the validation set once.

    Shapes: returns a list of `k` pairs ``(train_idx, val_idx)`` of int arrays whose
    ``val_idx`` partition ``range(n)``.
    """
    n = _count(n, "kfold")
    k = _count(k, "kfold", "k", minimum=2)
    rng = require_rng(rng, "kfold")
    if k > n:
        raise NNKitError(f"kfold: cannot make k={k} folds from n={n} samples.")
    if y is None:
        order = rng.permutation(n)
    else:
        y = np.asarray(y)
        if y.shape[0] != n:
            raise NNKitError(f"kfold: y has {y.shape[0]} labels but n is {n}.")
        order = np.concatenate([rng.permutation(np.flatnonzero(y == c)) for c in np.unique(y)])
    fold_of = np.empty(n, dtype=np.int64)
    fold_of[order] = np.arange(n) % k                                # round-robin: sizes differ by <= 1
    return [(np.flatnonzero(fold_of != j), np.flatnonzero(fold_of == j)) for j in range(k)]


# -- preprocessing ---------------------------------------------------------------------------
class Standardizer:
    """Shift and scale each feature to mean 0 and standard deviation 1 (``(x - mean) / scale``).

    Fit on the training data only, then transform every split with the same numbers;
    fitting on all the data leaks information from the test set. Constant features get
    ``scale = 1`` (they become 0 instead of NaN). Names follow scikit-learn's StandardScaler.

    Attributes
    ----------
    mean_, scale_ : np.ndarray of shape (d,)
        Per-feature mean and (population, ddof=0) standard deviation, set by `fit`.

    Shapes: ``X`` (n, d) -> (n, d).
    """

    def __init__(self):
        self.mean_ = None
        self.scale_ = None

    def fit(self, X) -> "Standardizer":
        X = np.asarray(X, dtype=np.float64)
        if X.ndim != 2 or X.shape[0] < 1:
            raise NNKitError(
                f"Standardizer.fit: expected X of shape (n, d) with n >= 1, "
                f"got {X.shape}."
            )
        self.mean_ = X.mean(axis=0)                                  # (d,)
        std = X.std(axis=0)                                          # (d,)
        self.scale_ = np.where(std > 0, std, 1.0)
        return self

    def _check(self, X, who):
        if self.mean_ is None:
            raise NNKitError(f"Standardizer.{who}: call fit(X_train) first.")
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != self.mean_.shape[0]:
            raise NNKitError(
                f"Standardizer.{who}: expected X of shape (n, {self.mean_.shape[0]}) like the "
                f"data it was fit on, got {X.shape}."
            )
        return X

    def transform(self, X) -> np.ndarray:
        X = self._check(X, "transform")
        dtype = X.dtype if np.issubdtype(X.dtype, np.floating) else np.float64
        return ((X - self.mean_) / self.scale_).astype(dtype, copy=False)

    def fit_transform(self, X) -> np.ndarray:
        return self.fit(X).transform(X)

    def inverse_transform(self, Z) -> np.ndarray:
        Z = self._check(Z, "inverse_transform")
        dtype = Z.dtype if np.issubdtype(Z.dtype, np.floating) else np.float64
        return (Z * self.scale_ + self.mean_).astype(dtype, copy=False)

    def __repr__(self):
        fitted = "unfitted" if self.mean_ is None else f"d={self.mean_.shape[0]}"
        return f"Standardizer({fitted})"


def one_hot(y, n_classes: int | None = None, dtype=np.float64) -> np.ndarray:
    """One row per label with a 1 in the label's column: ``Y[i, y[i]] = 1``.

    Shapes: ``y`` (n,) ints in ``0 .. n_classes-1`` -> (n, n_classes).
    """
    y = np.asarray(y)
    if y.ndim != 1 or (y.size and y.dtype.kind not in "iu"):
        raise NNKitError(
            f"one_hot: expected a 1-D array of integer labels,"
            f" got shape {y.shape} dtype {y.dtype}."
        )
    if n_classes is None:
        n_classes = int(y.max()) + 1 if y.size else 0
    if y.size and (y.min() < 0 or y.max() >= n_classes):
        raise NNKitError(
            f"one_hot: labels must lie in 0..{n_classes - 1}, got values from {y.min()} to {y.max()}."
        )
    Y = np.zeros((y.shape[0], n_classes), dtype=dtype)               # (n, C)
    Y[np.arange(y.shape[0]), y] = 1
    return Y
