"""Loss functions with PyTorch's default ("mean") reduction.

``loss(pred, target)`` returns the loss as a Python float and caches what
``loss.backward()`` needs to return dL/dpred (an array shaped like `pred`, in its dtype).
NaN or infinity in the prediction or the target raises `NonFiniteError` naming it; the
check runs only when the loss value is not finite, so it costs nothing in a training step.
Chapter 3 (Losses and backpropagation) derives each gradient.

Shapes
------
``MSELoss``, ``BCELoss``, ``BCEWithLogitsLoss``: `pred` and `target` of the same shape
(any), mean over all elements.
``CrossEntropyLoss``: logits ``(n, C)`` with integer labels ``(n,)`` or probability
(e.g. one-hot) targets ``(n, C)``; mean over the ``n`` samples.
"""

from __future__ import annotations

import math

import numpy as np

from . import functional as F
from .core import BackwardBeforeForwardError, NNKitError, ShapeError, as_float_array, check_finite

__all__ = ["Loss", "MSELoss", "BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss"]


class Loss:
    """Base class: ``__call__(pred, target) -> float`` and ``backward() -> dL/dpred``.

    `reduction` is ``"mean"`` (PyTorch's default) or ``"sum"``.
    """

    def __init__(self, reduction: str = "mean"):
        if reduction not in ("mean", "sum"):
            raise NNKitError(
                f"{type(self).__name__}: reduction must be 'mean' or 'sum', got {reduction!r}."
            )
        self.reduction = reduction
        self._grad = None  # dL/dpred, computed by forward

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, pred, target) -> float:
        value = self.forward(pred, target)
        if not math.isfinite(value):  # NaN/inf in an input shows in the value: name it
            check_finite(as_float_array(pred, self.name, "prediction"), self.name, "prediction")
            target = np.asarray(target)
            if target.dtype.kind == "f":
                check_finite(target, self.name, "target")
        return value

    def forward(self, pred, target) -> float:
        raise NotImplementedError

    def backward(self) -> np.ndarray:
        """dL/dpred for the last call, shaped like `pred`."""
        if self._grad is None:
            raise BackwardBeforeForwardError(
                f"{self.name}.backward was called before computing the loss: call "
                f"loss(pred, target) first, then loss.backward()."
            )
        return self._grad.copy()

    # -- helpers ----------------------------------------------------------------------------
    def _pred(self, pred) -> np.ndarray:
        return as_float_array(pred, self.name, "prediction")

    def _same_shape_target(self, pred: np.ndarray, target) -> np.ndarray:
        target = as_float_array(target, self.name, "target", dtype=pred.dtype)
        if target.shape != pred.shape:
            hint = ""
            if pred.ndim == 2 and pred.shape[1] == 1 and target.shape == pred.shape[:1]:
                hint = " Reshape the target with target.reshape(-1, 1)."
            elif target.ndim == 2 and target.shape[1] == 1 and pred.shape == target.shape[:1]:
                hint = " Reshape the prediction with pred.reshape(-1, 1)."
            raise ShapeError(
                f"{self.name}: prediction and target must have the same shape, got prediction "
                f"{pred.shape} and target {target.shape}.{hint}"
            )
        return target

    def _scale(self, n: int) -> float:
        return 1.0 / n if self.reduction == "mean" else 1.0

    def _reduce(self, values: np.ndarray, n: int) -> float:
        return float(values.sum()) * self._scale(n)

    def __repr__(self):
        return f"{self.name}(reduction={self.reduction!r})"


class MSELoss(Loss):
    """Mean squared error ``mean((pred - target)^2)`` over *all* elements, as PyTorch.

    Gradient: ``2 (pred - target) / N`` with N the number of elements. (The book's
    ``1/2`` convention only halves this.)
    """

    def forward(self, pred, target) -> float:
        pred = self._pred(pred)
        target = self._same_shape_target(pred, target)
        diff = pred - target
        n = max(diff.size, 1)
        value = self._reduce(np.square(diff), n)
        diff *= 2.0 * self._scale(n)
        self._grad = diff
        return value


class BCELoss(Loss):
    """Binary cross-entropy on probabilities: ``-mean(y log p + (1 - y) log(1 - p))``.

    As in PyTorch, each log is clamped at -100 (so p = 0 or 1 gives a finite loss), and the
    gradient ``(p - y) / (p (1 - p)) / N`` uses ``max(p (1 - p), 1e-12)`` in the denominator.
    Feed it probabilities (after a sigmoid); for raw scores use `BCEWithLogitsLoss`.
    """

    def forward(self, pred, target) -> float:
        p = self._pred(pred)
        y = self._same_shape_target(p, target)
        if p.size and (p.min() < 0 or p.max() > 1):
            raise NNKitError(
                f"{self.name}: predictions must be probabilities in [0, 1], got values in "
                f"[{p.min():.4g}, {p.max():.4g}]. Apply a sigmoid first, or use "
                "BCEWithLogitsLoss on the raw scores (it is also more stable)."
            )
        if y.size and (y.min() < 0 or y.max() > 1):
            raise NNKitError(
                f"{self.name}: targets must lie in [0, 1] (labels 0/1 or soft labels), got "
                f"values in [{y.min():.4g}, {y.max():.4g}]."
            )
        n = max(p.size, 1)
        with np.errstate(divide="ignore"):
            log_p = np.maximum(np.log(p), -100.0)
            log_1mp = np.maximum(np.log1p(-p), -100.0)
        value = -self._reduce(y * log_p + (1.0 - y) * log_1mp, n)
        denom = np.maximum(p * (1.0 - p), 1e-12)
        grad = p - y
        grad /= denom
        grad *= self._scale(n)
        self._grad = grad
        return value


class BCEWithLogitsLoss(Loss):
    """Sigmoid followed by binary cross-entropy, computed stably from the logits z:
    ``mean(max(z, 0) - z y + log(1 + exp(-|z|)))``; gradient ``(sigmoid(z) - y) / N``.
    """

    def forward(self, pred, target) -> float:
        z = self._pred(pred)
        y = self._same_shape_target(z, target)
        n = max(z.size, 1)
        per = np.maximum(z, 0.0)
        per -= z * y
        per += np.log1p(np.exp(-np.abs(z)))
        value = self._reduce(per, n)
        grad = F.sigmoid(z)
        grad -= y
        grad *= self._scale(n)
        self._grad = grad
        return value


class CrossEntropyLoss(Loss):
    """Softmax cross-entropy on logits, as PyTorch's `nn.CrossEntropyLoss`.

    With integer labels ``y`` (shape ``(n,)``, values in ``0..C-1``):
    ``L = mean_i(logsumexp(z_i) - z_i[y_i])``. With probability targets ``Y`` of shape
    ``(n, C)`` (one-hot or soft): ``L = -mean_i sum_c Y_ic log_softmax(z_i)_c``; one-hot
    targets give exactly the value for the matching labels. Gradient:
    ``(softmax(z) * sum_c Y_ic - Y) / n``, i.e. ``(softmax(z) - Y) / n`` for targets that sum
    to one.

    Shapes: logits ``(n, C)``; target ``(n,)`` integers or ``(n, C)`` probabilities.
    """

    def forward(self, pred, target) -> float:
        z = self._pred(pred)
        if z.ndim != 2:
            raise ShapeError(
                f"{self.name}: expected logits of shape (n, C) (one row of class scores per "
                f"sample), got {z.shape}; for a single sample use z.reshape(1, -1)."
            )
        n, C = z.shape
        target = np.asarray(target)
        # log-sum-exp trick inline (z is finite, so the shifted row sum is >= 1: no log 0)
        shifted = z - z.max(axis=1, keepdims=True)  # (n, C)
        probs = np.exp(shifted)  # unnormalized, (n, C)
        sums = probs.sum(axis=1, keepdims=True)  # (n, 1)
        log_p = shifted - np.log(sums)  # log_softmax, (n, C)
        probs /= sums  # softmax
        if target.shape == (n,):
            labels = self._labels(target, C)
            rows = np.arange(n)
            value = -self._reduce(log_p[rows, labels], max(n, 1))
            grad = probs
            grad[rows, labels] -= 1.0
        elif target.shape == (n, C):
            Y = as_float_array(target, self.name, "target", dtype=z.dtype)
            value = -self._reduce(Y * log_p, max(n, 1))
            grad = probs
            grad *= Y.sum(axis=1, keepdims=True)
            grad -= Y
        else:
            raise ShapeError(
                f"{self.name}: for logits of shape {z.shape} the target must be integer labels "
                f"of shape ({n},) or probabilities (e.g. one-hot) of shape ({n}, {C}), got "
                f"{target.shape}."
            )
        grad *= self._scale(max(n, 1))
        self._grad = grad
        return value

    def _labels(self, target: np.ndarray, C: int) -> np.ndarray:
        kind = target.dtype.kind
        if kind in "iu" and target.size:
            lo, hi = target.min(), target.max()
            if 0 <= lo and hi < C:
                return target  # the common case: valid integer labels, no copy
        if kind == "f":
            check_finite(target, self.name, "target")
            if not np.all(target == np.round(target)):
                bad = target[target != np.round(target)][0]
                raise NNKitError(
                    f"{self.name}: class labels must be integers 0..{C - 1}, got a non-integer "
                    f"value {bad}; for probability targets pass an array of shape (n, {C})."
                )
        elif kind not in "iu":
            raise NNKitError(
                f"{self.name}: class labels must be integers 0..{C - 1}, got dtype "
                f"{target.dtype}."
            )
        labels = target.astype(np.intp)
        if labels.size and (labels.min() < 0 or labels.max() >= C):
            bad = labels[(labels < 0) | (labels >= C)][0]
            raise NNKitError(
                f"{self.name}: label {bad} is out of range for {C} classes (valid labels are "
                f"0..{C - 1}); check the number of outputs of the last layer."
            )
        return labels
