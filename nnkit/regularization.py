"""Weight penalties (L2, L1) and the proximal step that makes L1 weights exactly zero.

A penalty ``R(w)`` is added to the data loss, ``L_total = L + R``; its gradient is added to
the weights' gradients after backpropagation. Only *weights* are penalized by default:
biases (parameters whose name ends in ``bias...``) and the scale and shift of `BatchNorm`
are left alone, since shrinking them does not make the function smoother (pass
``include_bias=True`` to penalize biases too). Chapter 6 (Regularization) uses all of this.

Usage in a training step::

    reg = L2(1e-3)
    loss = loss_fn(model(Xb, training=True), yb) + reg.value(model)
    model.backward(loss_fn.backward())
    reg.add_grad(model)        # grad += lambda * w, for the penalized weights
    optimizer.step()

`nnkit.train.fit(..., regularizer=reg)` does exactly this.
"""

from __future__ import annotations

import numpy as np

from nnkit.core import Layer, NNKitError, Parameter
from nnkit.optim import named_params

__all__ = ["L2", "L1", "l2_penalty", "l1_penalty", "penalized_parameters", "soft_threshold",
           "proximal_l1_step"]


def _normalization_param_ids(model: Layer) -> set[int]:
    from nnkit.layers import BatchNorm

    return {id(p) for layer in model.modules() if isinstance(layer, BatchNorm)
            for p in layer.parameters()}


def _is_bias(name: str) -> bool:
    return name.rsplit(".", 1)[-1].startswith("bias")


def penalized_parameters(params, *, include_bias: bool = False) -> list[tuple[str, Parameter]]:
    """The `(name, Parameter)` pairs a penalty applies to.

    `params` is a model (a `Layer`), its ``named_parameters()`` or a list of parameters.
    Skipped unless ``include_bias``: names whose last part starts with ``"bias"``.
    Always skipped when a model is given: the parameters of `BatchNorm` layers.
    A plain list of parameters carries no names, so every entry is penalized.
    """
    pairs = named_params(params, where="penalty")
    skip = _normalization_param_ids(params) if isinstance(params, Layer) else set()
    return [(n, p) for n, p in pairs
            if id(p) not in skip and (include_bias or not _is_bias(n))]


def _lam(lam, who):
    lam = float(lam)
    if not lam >= 0 or lam == float("inf"):
        raise NNKitError(f"{who}: the strength lam must be a finite number >= 0, got {lam!r}.")
    return lam


class L2:
    """The L2 penalty ``R(w) = lam / 2 * sum_i w_i**2`` (weight decay), gradient ``lam * w``.

    With plain SGD this matches ``SGD(weight_decay=lam)`` on the weights: both add ``lam * w``
    to the gradient. The optimizer's ``weight_decay`` decays the biases too; this penalty does
    so only with ``include_bias=True``.

    Shapes: every parameter any shape; ``value`` is a float, ``add_grad`` works in place.
    """

    def __init__(self, lam: float, *, include_bias: bool = False):
        self.lam = _lam(lam, type(self).__name__)
        self.include_bias = bool(include_bias)

    def _params(self, model):
        return penalized_parameters(model, include_bias=self.include_bias)

    def value(self, model) -> float:
        """``R(w)`` summed over the penalized parameters of `model`."""
        return self.lam / 2.0 * sum(float(np.vdot(p.value, p.value)) for _, p in self._params(model))

    def add_grad(self, model) -> None:
        """``grad += lam * w`` for each penalized, trainable parameter."""
        for _, p in self._params(model):
            if p.requires_grad and self.lam:
                p.grad += self.lam * p.value

    __call__ = value

    def __repr__(self):
        return f"{type(self).__name__}(lam={self.lam:g}, include_bias={self.include_bias})"


class L1(L2):
    """The L1 penalty ``R(w) = lam * sum_i |w_i|``, subgradient ``lam * sign(w)`` (0 at 0).

    Plain (sub)gradient steps make weights hover around zero; `proximal_l1_step` makes
    them exactly zero. At ``w = 0`` the subgradient chosen is 0, so a zero weight stays
    put when the rest of its gradient is 0.

    Shapes: every parameter any shape; ``value`` is a float, ``add_grad`` works in place.
    """

    def value(self, model) -> float:
        """``R(w)`` summed over the penalized parameters of `model`."""
        return self.lam * sum(float(np.abs(p.value).sum()) for _, p in self._params(model))

    def add_grad(self, model) -> None:
        """``grad += lam * sign(w)`` for each penalized, trainable parameter."""
        for _, p in self._params(model):
            if p.requires_grad and self.lam:
                p.grad += self.lam * np.sign(p.value)

    __call__ = value


def l2_penalty(model, lam: float, *, include_bias: bool = False) -> float:
    """``lam / 2 * ||w||^2`` over the penalized weights of `model` (see `L2`)."""
    return L2(lam, include_bias=include_bias).value(model)


def l1_penalty(model, lam: float, *, include_bias: bool = False) -> float:
    """``lam * ||w||_1`` over the penalized weights of `model` (see `L1`)."""
    return L1(lam, include_bias=include_bias).value(model)


def soft_threshold(w, t: float) -> np.ndarray:
    """The proximal map of ``t * |w|``: ``sign(w) * max(|w| - t, 0)``.

    Entries with ``|w| <= t`` become exactly 0; the others move ``t`` towards 0.

    Shapes: ``w`` any shape -> same shape and dtype.
    """
    t = float(t)
    if not t >= 0:
        raise NNKitError(f"soft_threshold: the threshold t must be >= 0, got {t!r}.")
    w = np.asarray(w)
    return np.sign(w) * np.maximum(np.abs(w) - t, 0) + 0.0   # + 0.0 turns -0.0 into 0.0


def proximal_l1_step(params, lr: float, lam: float, *, include_bias: bool = False) -> None:
    """After a gradient step on the data loss, apply ``w <- soft_threshold(w, lr * lam)`` in place.

    This is proximal gradient descent (ISTA) for ``L + lam ||w||_1``: a weight whose data
    gradient stays below ``lam`` in magnitude is driven to exactly 0 and stays there,
    which a subgradient step (`L1.add_grad`) cannot do. Use it with plain SGD at rate `lr`.
    Frozen parameters are left alone.

    Shapes: every parameter any shape, updated in place.
    """
    lr = float(lr)
    if not lr > 0:
        raise NNKitError(f"proximal_l1_step: lr must be > 0, got {lr!r}.")
    t = lr * _lam(lam, "proximal_l1_step")
    for _, p in penalized_parameters(params, include_bias=include_bias):
        if not p.requires_grad:
            continue
        w = p.value
        shrunk = np.abs(w)                  # |w|, one scratch array
        shrunk -= t
        np.maximum(shrunk, 0, out=shrunk)   # max(|w| - t, 0)
        np.copysign(shrunk, w, out=shrunk)  # sign(w) * ...
        w[...] = shrunk
        w[w == 0] = 0.0                     # no -0.0 left behind
