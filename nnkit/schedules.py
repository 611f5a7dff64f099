"""Learning-rate schedules: pure functions of the step, and PyTorch-style schedulers.

Two layers, one source of truth:

- functions ``step_decay(t, eta0, ...)``, ``exponential_decay``, ``inverse_time_decay``,
  ``cosine_decay``, ``linear_warmup`` give the learning rate at step ``t`` (an int or a
  NumPy array of steps, so ``cosine_decay(np.arange(100), 0.1, T_max=100)`` is a curve to
  plot);
- scheduler classes wrap an optimizer like ``torch.optim.lr_scheduler``: construction sets
  ``optimizer.lr`` to the rate at ``t = 0``, each ``step()`` advances ``t`` by one and sets
  the rate for the next stretch of training, ``get_last_lr()`` reads it. They compute the
  rate with the functions above from ``optimizer.initial_lr`` (so they never compound
  rounding errors, and ``lr_at(t)`` answers for any ``t`` without stepping).

Call ``scheduler.step()`` once per epoch (or pass the scheduler to ``nnkit.train.fit`` as a
callback, which does that) or once per batch for warm-ups counted in batches. Chapter 4 plots all of them.

One difference from PyTorch: nnkit optimizers have one learning rate, so ``get_last_lr()``
returns a float rather than a one-element list.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from nnkit.core import NNKitError, positive_int

__all__ = [
    "step_decay", "exponential_decay", "inverse_time_decay", "cosine_decay", "linear_warmup",
    "LRScheduler", "StepLR", "ExponentialLR", "InverseTimeLR", "CosineAnnealingLR",
    "LinearWarmup", "SequentialLR",
]


# -- pure functions of the step -------------------------------------------------------------
def _steps(t, who):
    t_arr = np.asarray(t)
    if t_arr.dtype.kind not in "iu" or np.any(t_arr < 0):
        raise NNKitError(f"{who}: t must be a step number 0, 1, 2, ... (or an array of them), got {t!r}.")
    return t_arr


def _out(values, t):
    return float(values) if np.ndim(t) == 0 else values


def step_decay(t, eta0: float, step_size: int, gamma: float = 0.1):
    """Step decay: ``eta0 * gamma ** floor(t / step_size)`` (divide by 1/gamma every step_size steps).

    Shapes: ``t`` scalar or any array of ints -> float or an array of the same shape.
    """
    t = _steps(t, "step_decay")
    return _out(eta0 * gamma ** (t // step_size), t)


def exponential_decay(t, eta0: float, gamma: float):
    """Exponential decay: ``eta0 * gamma ** t``.

    This is the book's ``eta0 * exp(-k t)`` with ``gamma = exp(-k)``, i.e. ``k = -ln gamma``
    (``gamma = 0.95`` means ``k`` about 0.051: the rate halves every ``ln 2 / k``, about 13.5 steps).

    Shapes: ``t`` scalar or any array of ints -> float or an array of the same shape.
    """
    t = _steps(t, "exponential_decay")
    return _out(eta0 * np.power(float(gamma), t), t)


def inverse_time_decay(t, eta0: float, decay: float):
    """1/t decay: ``eta0 / (1 + decay * t)`` (the classic Robbins-Monro-style schedule).

    Shapes: ``t`` scalar or any array of ints -> float or an array of the same shape.
    """
    t = _steps(t, "inverse_time_decay")
    return _out(eta0 / (1.0 + decay * t), t)


def cosine_decay(t, eta0: float, T_max: int, eta_min: float = 0.0):
    """Cosine annealing: ``eta_min + (eta0 - eta_min) * (1 + cos(pi t / T_max)) / 2``.

    Goes from ``eta0`` at ``t = 0`` to ``eta_min`` at ``t = T_max``; beyond ``T_max`` it
    rises again (the closed form PyTorch's ``CosineAnnealingLR`` documents).

    Shapes: ``t`` scalar or any array of ints -> float or an array of the same shape.
    """
    t = _steps(t, "cosine_decay")
    return _out(eta_min + (eta0 - eta_min) * (1.0 + np.cos(np.pi * t / T_max)) / 2.0, t)


def linear_warmup(t, eta0: float, warmup_steps: int, start_factor: float = 1.0 / 3.0):
    """Linear warm-up: from ``start_factor * eta0`` at ``t = 0`` to ``eta0`` at ``warmup_steps``.

    ``eta0 * (start_factor + (1 - start_factor) * min(t, warmup_steps) / warmup_steps)``,
    constant ``eta0`` afterwards (PyTorch's ``LinearLR`` with ``end_factor = 1``; the default
    ``start_factor`` is PyTorch's 1/3).

    Shapes: ``t`` scalar or any array of ints -> float or an array of the same shape.
    """
    t = _steps(t, "linear_warmup")
    frac = np.minimum(t, warmup_steps) / warmup_steps
    return _out(eta0 * (start_factor + (1.0 - start_factor) * frac), t)


# -- schedulers ------------------------------------------------------------------------------
def _in_range(who, name, value, low, high, *, low_open=False, high_open=False):
    value = float(value)
    ok = (value > low if low_open else value >= low) and (value < high if high_open else value <= high)
    if not ok or not math.isfinite(value):
        lo, hi = "(" if low_open else "[", ")" if high_open else "]"
        raise NNKitError(f"{who}: {name} must lie in {lo}{low}, {high}{hi}, got {value!r}.")
    return value


class LRScheduler:
    """Base class: sets ``optimizer.lr = lr_at(t)`` at construction (t = 0) and at each step.

    Attributes
    ----------
    optimizer
        Any object with ``lr`` and ``initial_lr`` attributes (all `nnkit.optim` optimizers).
    base_lr : float
        ``optimizer.initial_lr``, the ``eta0`` of the formulas.
    last_epoch : int
        How many times ``step()`` was called (PyTorch's name; it counts batches if you step
        per batch).
    """

    def __init__(self, optimizer):
        if not hasattr(optimizer, "lr"):
            raise NNKitError(
                f"{type(self).__name__}: expected an nnkit optimizer (with an lr attribute), got "
                f"{type(optimizer).__name__}."
            )
        self.optimizer = optimizer
        self.base_lr = float(getattr(optimizer, "initial_lr", optimizer.lr))
        self.last_epoch = 0
        self.optimizer.lr = self.lr_at(0)

    def lr_at(self, t: int) -> float:
        """The learning rate after ``t`` calls of ``step()`` (a pure function of ``t``)."""
        raise NotImplementedError

    def step(self) -> None:
        """Advance one step and set ``optimizer.lr`` for the next one."""
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def on_epoch_end(self, epoch: int, logs: dict, model) -> bool:
        """As a callback of `fit` (``callbacks=[StepLR(opt, ...)]``): one step per epoch."""
        self.step()
        return False

    def get_last_lr(self) -> float:
        """The learning rate this scheduler last set."""
        return self.lr_at(self.last_epoch)

    def __repr__(self):
        return f"{type(self).__name__}(base_lr={self.base_lr:g}, last_epoch={self.last_epoch})"


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` steps: see `step_decay`."""

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1):
        self.step_size = positive_int(step_size, "StepLR", "step_size")
        self.gamma = _in_range("StepLR", "gamma", gamma, 0.0, 1.0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, t):
        return step_decay(t, self.base_lr, self.step_size, self.gamma)


class ExponentialLR(LRScheduler):
    """``eta0 * gamma ** t``, the book's ``eta0 * exp(-k t)`` with ``gamma = exp(-k)``:
    see `exponential_decay`."""

    def __init__(self, optimizer, gamma: float):
        self.gamma = _in_range("ExponentialLR", "gamma", gamma, 0.0, 1.0, low_open=True)
        super().__init__(optimizer)

    def lr_at(self, t):
        return exponential_decay(t, self.base_lr, self.gamma)


class InverseTimeLR(LRScheduler):
    """1/t decay ``eta0 / (1 + decay * t)``: see `inverse_time_decay` (no PyTorch class)."""

    def __init__(self, optimizer, decay: float):
        self.decay = _in_range("InverseTimeLR", "decay", decay, 0.0, math.inf, high_open=True)
        super().__init__(optimizer)

    def lr_at(self, t):
        return inverse_time_decay(t, self.base_lr, self.decay)


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from ``eta0`` down to ``eta_min`` over ``T_max`` steps: see `cosine_decay`."""

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0):
        self.T_max = positive_int(T_max, "CosineAnnealingLR", "T_max")
        self.eta_min = _in_range("CosineAnnealingLR", "eta_min", eta_min, 0.0, math.inf,
                                 high_open=True)
        super().__init__(optimizer)

    def lr_at(self, t):
        return cosine_decay(t, self.base_lr, self.T_max, self.eta_min)


class LinearWarmup(LRScheduler):
    """Ramp linearly from ``start_factor * eta0`` to ``eta0`` in ``warmup_steps`` steps, then hold.

    See `linear_warmup`. To decay after the warm-up, chain it with `SequentialLR`::

        warm = LinearWarmup(opt, warmup_steps=5, start_factor=0.1)
        cos = CosineAnnealingLR(opt, T_max=45)
        sched = SequentialLR(opt, [warm, cos], milestones=[5])
    """

    def __init__(self, optimizer, warmup_steps: int, start_factor: float = 1.0 / 3.0):
        self.warmup_steps = positive_int(warmup_steps, "LinearWarmup", "warmup_steps")
        self.start_factor = _in_range("LinearWarmup", "start_factor", start_factor, 0.0, 1.0)
        super().__init__(optimizer)

    def lr_at(self, t):
        return linear_warmup(t, self.base_lr, self.warmup_steps, self.start_factor)


class SequentialLR(LRScheduler):
    """Run several schedulers one after another, as PyTorch's ``SequentialLR``.

    ``schedulers[0]`` is used for ``t < milestones[0]``, ``schedulers[1]`` from
    ``milestones[0]`` on, and so on; each one starts from its own ``t = 0`` when it takes
    over (so a cosine after a 5-step warm-up starts at the full rate at ``t = 5``):

        lr(t) = schedulers[i].lr_at(t - milestones[i-1])   for milestones[i-1] <= t < milestones[i]

    All schedulers must wrap the same optimizer. Only ``SequentialLR.step()`` should be
    called; the inner schedulers are used through their ``lr_at``.
    """

    def __init__(self, optimizer, schedulers, milestones):
        schedulers, milestones = list(schedulers), [int(m) for m in milestones]
        if len(schedulers) < 1 or len(milestones) != len(schedulers) - 1:
            raise NNKitError(
                f"SequentialLR: expected one milestone fewer than schedulers, got "
                f"{len(schedulers)} schedulers and {len(milestones)} milestones."
            )
        if any(m < 1 for m in milestones) or milestones != sorted(set(milestones)):
            raise NNKitError(
                f"SequentialLR: milestones must be increasing positive steps, got {milestones}."
            )
        for i, s in enumerate(schedulers):
            if not isinstance(s, LRScheduler) or s.optimizer is not optimizer:
                raise NNKitError(
                    f"SequentialLR: schedulers[{i}] must be a scheduler built on the same "
                    "optimizer as the SequentialLR."
                )
        self.schedulers, self.milestones = schedulers, milestones
        super().__init__(optimizer)

    def lr_at(self, t):
        i = bisect.bisect_right(self.milestones, t)
        start = self.milestones[i - 1] if i > 0 else 0
        return self.schedulers[i].lr_at(t - start)
