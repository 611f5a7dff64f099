"""Callbacks for `fit`, and the `History` it returns.

A callback watches training from outside the loop: `fit` calls ``on_train_begin(model)``,
``on_epoch_end(epoch, logs, model)`` after every epoch (returning True stops training) and
``on_train_end(model)``. `EarlyStopping` (chapter 6) is the one the book uses; `PrintLogs`
prints a line per epoch, `ProgressBar` shows a tqdm bar, and a learning-rate scheduler from
`nnkit.schedules` is a callback too (it steps once per epoch).
"""

from __future__ import annotations

import math

import numpy as np

from nnkit.core import NNKitError, positive_int

__all__ = ["History", "Callback", "EarlyStopping", "PrintLogs", "ProgressBar"]


# -- history and callbacks -------------------------------------------------------------------
class History(dict):
    """What `fit` returns: a dict of per-epoch lists (``history["val_loss"][e]``).

    Keys: ``"loss"`` (mean training loss over the epoch's batches, without the penalty),
    ``"lr"`` (the learning rate used during the epoch), ``"accuracy"`` if asked for
    (running accuracy over the epoch's training batches, in training mode), and
    ``"val_loss"``, ``"val_accuracy"`` when `validation_data` is given (inference mode,
    after the epoch).

    Attributes
    ----------
    epochs : list[int]
        The epoch indices run (0, 1, ...); shorter than asked when a callback stopped.
    stopped_epoch : int or None
        The epoch after which a callback stopped training, or None.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.epochs: list[int] = []
        self.stopped_epoch: int | None = None

    def record(self, epoch: int, logs: dict) -> None:
        """Append one epoch's logs (a key seen for the first time gets a new list)."""
        for key, value in logs.items():
            self.setdefault(key, []).append(value)
        self.epochs.append(epoch)

    def __repr__(self):
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.items() if v)
        return f"History({len(self.epochs)} epochs; last: {last})"


def _snapshot(model):
    """Copies of every parameter value and every public array buffer (BatchNorm's running stats)."""
    params = [(p, p.value.copy()) for p in model.parameters()]
    buffers = [(layer, attr, arr.copy())
               for layer in model.modules()
               for attr, arr in vars(layer).items()
               if not attr.startswith("_") and isinstance(arr, np.ndarray)]
    return params, buffers


def _restore(snapshot):
    params, buffers = snapshot
    for p, value in params:
        np.copyto(p.value, value)           # in place: optimizers keep their references
    for layer, attr, value in buffers:
        current = getattr(layer, attr)
        if isinstance(current, np.ndarray) and current.shape == value.shape:
            np.copyto(current, value)
        else:
            setattr(layer, attr, value.copy())


class Callback:
    """Base class for callbacks: override the hooks you need.

    ``on_epoch_end`` returns True to stop training after this epoch.
    """

    def on_train_begin(self, model) -> None:
        pass

    def on_epoch_end(self, epoch: int, logs: dict, model) -> bool | None:
        return None

    def on_train_end(self, model) -> None:
        pass


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs; restore the best weights.

    An epoch improves when ``value < best - min_delta`` (``mode="min"``, for losses) or
    ``value > best + min_delta`` (``mode="max"``; the default mode is "max" when the
    monitored name contains "accuracy", else "min"). With ``restore_best=True`` the
    parameter values (and buffers such as BatchNorm's running statistics) of the best epoch
    are copied back into the model when training ends, whether it stopped early or not.

    Attributes
    ----------
    best : float or None
        The best monitored value seen.
    best_epoch : int or None
        The epoch (from 0) where it was reached.
    stopped_epoch : int or None
        The epoch after which it stopped training, or None.
    """

    def __init__(self, patience: int = 5, min_delta: float = 0.0, monitor: str = "val_loss",
                 restore_best: bool = True, mode: str | None = None):
        self.patience = positive_int(patience, "EarlyStopping", "patience")
        self.min_delta = float(min_delta)
        if self.min_delta < 0:
            raise NNKitError(f"EarlyStopping: min_delta must be >= 0, got {min_delta!r}.")
        self.monitor = monitor
        self.restore_best = bool(restore_best)
        self.mode = mode if mode is not None else ("max" if "accuracy" in monitor else "min")
        if self.mode not in ("min", "max"):
            raise NNKitError(f"EarlyStopping: mode must be 'min' or 'max', got {mode!r}.")
        self.on_train_begin(None)

    def on_train_begin(self, model) -> None:
        self.best = self.best_epoch = self.stopped_epoch = None
        self.wait = 0
        self._best_state = None

    def _improved(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        if self.best is None:
            return True
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta

    def on_epoch_end(self, epoch, logs, model):
        if self.monitor not in logs:
            raise NNKitError(
                f"EarlyStopping: the monitored value {self.monitor!r} is not among this epoch's "
                f"logs {sorted(logs)}; pass validation_data to fit for 'val_*' values, or "
                "monitor one of the keys listed."
            )
        value = float(logs[self.monitor])
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self._best_state = _snapshot(model)
            return False
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            return True
        return False

    def on_train_end(self, model) -> None:
        if self.restore_best and self._best_state is not None:
            _restore(self._best_state)

    def __repr__(self):
        return (f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
                f"best={self.best}, best_epoch={self.best_epoch})")


class PrintLogs(Callback):
    """Print one line per epoch: ``epoch 3/20  loss 0.412  val_loss 0.398``.

    `epochs` (optional) is only used to print the total.
    """

    def __init__(self, epochs: int | None = None):
        self.epochs = epochs

    def on_epoch_end(self, epoch, logs, model):
        total = "" if self.epochs is None else f"/{self.epochs}"
        print(f"epoch {epoch + 1}{total}  " + "  ".join(f"{k} {v:.4g}" for k, v in logs.items()))
        return False


class ProgressBar(Callback):
    """A tqdm progress bar over the epochs showing the latest logs (tqdm is imported only here)."""

    def __init__(self, epochs: int | None = None):
        self.epochs = epochs
        self._bar = None

    def on_train_begin(self, model) -> None:
        from tqdm.auto import tqdm

        self._bar = tqdm(total=self.epochs, desc="fit", unit="epoch")

    def on_epoch_end(self, epoch, logs, model):
        self._bar.update(1)
        self._bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()})
        return False

    def on_train_end(self, model) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
