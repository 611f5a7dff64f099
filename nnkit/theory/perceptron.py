"""Perceptrons and shattering (chapter 8).

Rosenblatt's perceptron and the shattering tests for affine half-spaces. Reached as
``nnkit.theory.<name>``.

Labels: every function here accepts labels in {-1, +1} or in {0, 1} (0 is read as -1).
A half-space classifier is ``h(x) = +1 if w . x + b > 0 else -1``.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from nnkit.core import NNKitError, ShapeError, as_float_array, require_rng

__all__ = [
    "PerceptronResult", "perceptron", "is_linearly_separable", "ShatterResult", "shatters",
    "vc_dimension_halfspaces",
]

_MAX_SHATTER_POINTS = 16


def _points(X, who: str) -> np.ndarray:
    X = as_float_array(X, who, "points", dtype=np.float64)
    if X.ndim != 2:
        raise ShapeError(f"{who}: expected points of shape (m, d), one per row, got {X.shape}.")
    return X


def _pm1_labels(y, m: int, who: str) -> np.ndarray:
    """Labels as a float array of -1.0/+1.0; accepts {-1, +1} or {0, 1}."""
    y = np.asarray(y).reshape(-1)
    if y.shape != (m,):
        raise ShapeError(f"{who}: expected {m} labels (one per point), got shape {np.shape(y)}.")
    values = set(np.unique(y).tolist())
    if values <= {-1, 1}:
        return y.astype(np.float64)
    if values <= {0, 1}:
        return np.where(y == 1, 1.0, -1.0)
    raise NNKitError(
        f"{who}: labels must be in {{-1, +1}} or in {{0, 1}}, got the values {sorted(values)}."
    )


# -- the perceptron ------------------------------------------------------------------------


@dataclass
class PerceptronResult:
    """What `perceptron` returns.

    Attributes
    ----------
    w : (d,) array and b : float
        The final weights and bias.
    mistakes : int
        Total number of updates (misclassified visits) over all epochs.
    converged : bool
        True if the last epoch made no mistake: (w, b) separates the training set.
    epochs : int
        Epochs run (passes over the data), at most ``max_epochs``.
    history : list[int]
        Mistakes made in each epoch.
    """

    w: np.ndarray
    b: float
    mistakes: int
    converged: bool
    epochs: int
    history: list = field(default_factory=list)

    def decision_function(self, X) -> np.ndarray:
        """``w . x + b`` for each row of X, shape (m,)."""
        return _points(X, "PerceptronResult") @ self.w + self.b

    def predict(self, X) -> np.ndarray:
        """Labels in {-1, +1}: +1 where ``w . x + b > 0``. Shape (m,)."""
        return np.where(self.decision_function(X) > 0, 1, -1)


def perceptron(X, y, *, max_epochs: int = 100, lr: float = 1.0,
               rng: np.random.Generator | None = None, shuffle: bool = False) -> PerceptronResult:
    """Rosenblatt's perceptron learning rule, run until an epoch without mistakes.

    Starting from ``w = 0, b = 0``, visit the samples in order (a fresh random order each
    epoch if ``shuffle``, drawn from `rng`); whenever ``y_i (w . x_i + b) <= 0``::

        w <- w + lr * y_i x_i,     b <- b + lr * y_i

    Stops after the first epoch with no mistake (``converged=True``) or after
    `max_epochs` epochs (``converged=False``: on data that is not linearly separable,
    such as XOR, the rule never stops by itself). On separable data with margin gamma
    and radius R (of the points extended with a 1), Novikoff's theorem bounds the total
    number of mistakes by ``(R / gamma)^2``.

    Labels: {-1, +1} or {0, 1} (0 is read as -1).

    Shapes
    ------
    X (m, d), y (m,) -> w (d,), b scalar.
    """
    X = _points(X, "perceptron")
    m, d = X.shape
    y = _pm1_labels(y, m, "perceptron")
    if int(max_epochs) != max_epochs or max_epochs < 1:
        raise NNKitError(f"perceptron: max_epochs must be an integer >= 1, got {max_epochs!r}.")
    if shuffle:
        require_rng(rng, "perceptron (shuffle=True draws a random order each epoch)")
    w, b = np.zeros(d), 0.0
    history: list[int] = []
    for _ in range(int(max_epochs)):
        order = rng.permutation(m) if shuffle else range(m)
        errors = 0
        for i in order:
            if y[i] * (X[i] @ w + b) <= 0:
                w += lr * y[i] * X[i]  # (d,)
                b += lr * y[i]
                errors += 1
        history.append(errors)
        if errors == 0:
            break
    return PerceptronResult(w=w, b=float(b), mistakes=int(sum(history)),
                            converged=history[-1] == 0, epochs=len(history), history=history)


# -- linear separability and shattering -----------------------------------------------------


def is_linearly_separable(X, y) -> bool:
    """Exactly decide whether some half-space ``w . x + b > 0`` realizes the labels.

    Solves the linear feasibility problem ``y_i (w . x_i + b) >= 1`` for all i (any strict
    separation can be scaled to margin 1) with `scipy.optimize.linprog` (HiGHS).
    A labelling with one class only is always separable.

    Shapes
    ------
    X (m, d), y (m,).
    """
    from scipy.optimize import linprog

    X = _points(X, "is_linearly_separable")
    m, d = X.shape
    y = _pm1_labels(y, m, "is_linearly_separable")
    if np.all(y == y[0]):
        return True
    A_ub = -y[:, None] * np.hstack([X, np.ones((m, 1))])  # (m, d+1): -y_i [x_i, 1]
    res = linprog(np.zeros(d + 1), A_ub=A_ub, b_ub=-np.ones(m),
                  bounds=[(None, None)] * (d + 1), method="highs")
    if res.status == 0:
        return True
    if res.status == 2:
        return False
    raise NNKitError(f"is_linearly_separable: the LP solver failed ({res.message}).")


@dataclass
class ShatterResult:
    """What `shatters` returns; ``bool(result)`` is `shattered`.

    Attributes
    ----------
    shattered : bool
        True if every labelling is realizable.
    labellings : (2^m, m) int array
        Every labelling of the m points, in {-1, +1}, in binary order (all -1 first).
    realizable : (2^m,) bool array
        Whether a half-space realizes each labelling (with ``method="perceptron"``,
        False means "not found within max_epochs").
    method : str
    """

    shattered: bool
    labellings: np.ndarray
    realizable: np.ndarray
    method: str

    def __bool__(self) -> bool:
        return self.shattered

    @property
    def failures(self) -> np.ndarray:
        """The labellings no half-space realizes, shape (k, m)."""
        return self.labellings[~self.realizable]


def shatters(points, method: str = "lp", *, max_epochs: int = 1000) -> ShatterResult:
    """Do affine half-spaces in R^d shatter these points? Checked over all 2^m labellings.

    ``method="lp"`` decides each labelling exactly with `is_linearly_separable`;
    ``method="perceptron"`` runs `perceptron` for up to `max_epochs` epochs and counts a
    labelling as realizable if it converges (a one-sided test: it can miss a separable
    labelling with a tiny margin, never invent one). At most 16 points.

    Shapes
    ------
    points (m, d).
    """
    X = _points(points, "shatters")
    m = X.shape[0]
    if method not in ("lp", "perceptron"):
        raise NNKitError(f"shatters: method must be 'lp' or 'perceptron', got {method!r}.")
    if m > _MAX_SHATTER_POINTS:
        raise NNKitError(
            f"shatters: {m} points means 2^{m} labellings; at most {_MAX_SHATTER_POINTS} are "
            "supported (and more than d + 1 points are never shattered by half-spaces in R^d)."
        )
    labellings = np.array(list(itertools.product((-1, 1), repeat=m)), dtype=np.int64)  # (2^m, m)
    if method == "lp":
        realizable = np.array([is_linearly_separable(X, lab) for lab in labellings])
    else:
        realizable = np.array([perceptron(X, lab, max_epochs=max_epochs).converged
                               for lab in labellings])
    return ShatterResult(bool(realizable.all()), labellings, realizable, method)


def vc_dimension_halfspaces(d: int) -> int:
    """VC dimension of affine half-spaces ``{x : w . x + b > 0}`` in R^d: ``d + 1``.

    (d + 1 points in general position are shattered; Radon's theorem splits any d + 2
    points into two sets whose convex hulls meet, a labelling no half-space realizes.)
    """
    if int(d) != d or d < 1:
        raise NNKitError(f"vc_dimension_halfspaces: d must be a positive integer, got {d!r}.")
    return int(d) + 1

