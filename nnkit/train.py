"""The training loop: mini-batches, `fit`, metrics and predictions.

`fit` is the loop every chapter would otherwise write by hand, plus callbacks::

    for epoch in range(epochs):
        for Xb, yb in batches(X, y, batch_size, rng=rng):      # shuffled with rng
            optimizer.zero_grad()
            loss = loss_fn(model.forward(Xb, training=True), yb)
            model.backward(loss_fn.backward())                 # no gradient for the data itself
            optimizer.step()                                   # (after the penalty and clipping)
        evaluate on validation_data; run the callbacks (early stopping, schedules, printing)

The inputs are checked once, before the first epoch (`Layer.check_input`), not in every step.
It stops with `TrainingDivergedError` as soon as the loss, a gradient or a parameter
becomes NaN or infinite, naming the epoch, the batch and the parameter. Chapter 4 introduces
mini-batches and epochs; chapter 6 early stopping.
"""

from __future__ import annotations

import math

import numpy as np

from nnkit.callbacks import Callback, EarlyStopping, History
from nnkit.core import Layer, NNKitError, NonFiniteError, check_xy, positive_int, require_rng
from nnkit.optim import clip_grad_norm_

__all__ = ["batches", "fit", "History", "Callback", "EarlyStopping", "TrainingDivergedError",
           "accuracy", "predict", "predict_classes", "evaluate"]


class TrainingDivergedError(RuntimeError):
    """Training produced NaN or infinity.

    Attributes
    ----------
    epoch, batch : int
        Where it happened, counted from 0 (``batch`` within the epoch).
    parameter : str or None
        The name of the offending parameter (``"0.weight"``), or None if the loss or an
        activation overflowed first.
    """

    def __init__(self, message: str, *, epoch: int, batch: int, parameter: str | None = None):
        super().__init__(message)
        self.epoch, self.batch, self.parameter = epoch, batch, parameter


# -- mini-batches ----------------------------------------------------------------------------
def batches(X, y, batch_size: int, *, rng: np.random.Generator | None = None,
            shuffle: bool = True, drop_last: bool = False):
    """Yield ``(Xb, yb)`` mini-batches that together visit every sample once (one epoch).

    With ``shuffle=True`` (the default, what SGD needs) the order is ``rng.permutation(n)``
    and `rng` is required; ``shuffle=False`` keeps the original order (views, no copies).
    The last batch is smaller when ``batch_size`` does not divide ``n``, unless
    ``drop_last=True`` drops it. ``y`` may be None (then ``yb`` is None).

    Shapes: ``X`` (n, ...) and ``y`` (n, ...) -> ``Xb`` (b, ...) and ``yb`` (b, ...),
    ``b <= batch_size``.
    """
    X, y = check_xy(X, y, "batches")
    batch_size = positive_int(batch_size, "batches", "batch_size")
    n = X.shape[0]
    if shuffle:
        require_rng(rng, "batches (shuffle=True; or pass shuffle=False to keep the order)")
        order = rng.permutation(n)                                   # (n,)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        if shuffle:
            idx = order[start:start + batch_size]                    # (b,)
            yield X[idx], (None if y is None else y[idx])
        else:
            sl = slice(start, start + batch_size)
            yield X[sl], (None if y is None else y[sl])


# -- metrics ------------------------------------------------------------------------------
def accuracy(output, y, *, threshold: float = 0.5) -> float:
    """The fraction of samples whose predicted class equals the target class.

    Predicted class: ``argmax`` over the columns of an ``(n, C)`` output (logits or
    probabilities alike); for a single output column, ``output > threshold`` (0.5 for
    probabilities, pass ``threshold=0.0`` for logits). Targets are labels ``(n,)`` or
    ``(n, 1)``, or one-hot / probability rows ``(n, C)`` (argmax taken).

    Shapes: ``output`` (n, C) or (n,) or (n, 1); ``y`` (n,), (n, 1) or (n, C) -> float.
    """
    out, y = np.asarray(output), np.asarray(y)
    if out.shape[0] != y.shape[0]:
        raise NNKitError(
            f"accuracy: output and y need the same number of rows,"
            f" got {out.shape} and {y.shape}."
        )
    if out.ndim == 2 and out.shape[1] > 1:
        pred = out.argmax(axis=1)                                    # (n,)
    else:
        pred = (out.reshape(out.shape[0]) > threshold).astype(np.int64)  # (n,)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)                                         # one-hot -> labels
    return float(np.mean(pred == y.reshape(y.shape[0])))


def _threshold_for(loss_fn) -> float:
    """0 for losses taking logits of a single output (BCEWithLogitsLoss), else 0.5."""
    from nnkit.losses import BCEWithLogitsLoss

    return 0.0 if isinstance(loss_fn, BCEWithLogitsLoss) else 0.5


def _checked(model, X) -> np.ndarray:
    """`X` checked once at the boundary: by the model's `check_input` if it is a Layer."""
    return model.check_input(X) if isinstance(model, Layer) else np.asarray(X)


def _infer(model, X) -> np.ndarray:
    """The output of a Layer in inference mode, or of a plain function ``f(X)``."""
    return model(X, training=False) if isinstance(model, Layer) else np.asarray(model(X))


def predict(model, X, *, batch_size: int | None = None) -> np.ndarray:
    """The model's output in inference mode (``training=False``), in chunks if `batch_size`.

    Shapes: ``X`` (n, ...) -> whatever the model returns for n samples, e.g. (n, C) logits.
    """
    X, _ = check_xy(X, None, "predict")
    if batch_size is None:
        return _infer(model, X)
    return np.concatenate([_infer(model, Xb) for Xb, _ in batches(X, None, batch_size, shuffle=False)])


_OUTPUTS = {"logit": 0.0, "probability": 0.5}


def predict_classes(model, X, *, output: str) -> np.ndarray:
    """Class labels from a model's outputs; the caller says what the outputs are.

    ``(n, C)`` outputs with C > 1: the argmax of each row (for logits and probabilities
    alike). One output per sample: ``output="logit"`` thresholds at 0,
    ``output="probability"`` at 0.5. Nothing is guessed from the values. `model` is a
    `Layer` (run with ``training=False``) or a function ``f(X) -> outputs``.

    Shapes: ``X`` (n, d) -> (n,) of ints.
    """
    if output not in _OUTPUTS:
        raise NNKitError(
            f"predict_classes: output must be 'logit' or 'probability' (what the model returns), "
            f"got {output!r}."
        )
    out = predict(model, X)
    if out.ndim == 2 and out.shape[1] > 1:
        return out.argmax(axis=1)                                    # (n,)
    return (out.reshape(out.shape[0]) > _OUTPUTS[output]).astype(np.int64)  # (n,)


_METRICS = ("loss", "accuracy")


def _check_metrics(metrics, who):
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    for m in metrics:
        if m not in _METRICS:
            raise NNKitError(f"{who}: unknown metric {m!r}; supported metrics are {_METRICS}.")
    return ("loss",) + tuple(m for m in metrics if m != "loss")


def evaluate(model, loss_fn, X, y, *, metrics=("loss", "accuracy"),
             batch_size: int | None = None) -> dict[str, float]:
    """Loss (and accuracy) of the model on ``(X, y)`` in inference mode.

    With `batch_size` the data go through in chunks and the loss is the sample-weighted
    mean of the chunk losses (equal to the one-pass value for a mean-reduced loss).

    Shapes: ``X`` (n, ...), ``y`` (n, ...) -> ``{"loss": float, "accuracy": float}``.
    """
    X, y = check_xy(X, y, "evaluate")
    X = _checked(model, X)
    metrics = _check_metrics(metrics, "evaluate")
    size = X.shape[0] if batch_size is None else positive_int(batch_size, "evaluate", "batch_size")
    total_loss = correct = 0.0
    threshold = _threshold_for(loss_fn)
    for Xb, yb in batches(X, y, size, shuffle=False):
        out = model.forward(Xb, training=False)
        total_loss += float(loss_fn(out, yb)) * Xb.shape[0]
        if "accuracy" in metrics:
            correct += accuracy(out, yb, threshold=threshold) * Xb.shape[0]
    result = {"loss": total_loss / X.shape[0]}
    if "accuracy" in metrics:
        result["accuracy"] = correct / X.shape[0]
    return result


# -- fit ---------------------------------------------------------------------------------------
def fit(model, loss_fn, optimizer, X, y, *, epochs: int, batch_size: int = 32,
        rng: np.random.Generator | None = None, shuffle: bool = True, validation_data=None,
        metrics=("loss",), callbacks=(), regularizer=None,
        clip_norm: float | None = None) -> History:
    """Train `model` with mini-batch gradient descent and return the per-epoch `History`.

    Parameters
    ----------
    model : Layer
        Trained in training mode; its input is data, so its first layer skips dL/dx.
    loss_fn : Loss
        ``loss_fn(pred, target) -> float`` and ``loss_fn.backward() -> dL/dpred``.
    optimizer
        An `nnkit.optim` optimizer over the model's parameters.
    X, y : np.ndarray
        Training inputs (n, ...) and targets (n, ...), checked once here.
    epochs, batch_size : int
        Passes over the data, samples per step (the last batch may be smaller).
    rng : np.random.Generator
        Shuffles the batches each epoch (layers that draw, like `Dropout`, have their own).
    shuffle : bool
        False keeps the order of the samples (then `rng` is not needed).
    validation_data : (X_val, y_val), optional
        Evaluated in inference mode after each epoch (``val_loss``, ``val_accuracy``).
    metrics : tuple of str
        ``"loss"`` (always recorded) and optionally ``"accuracy"``.
    callbacks : iterable
        Objects with ``on_epoch_end(epoch, logs, model)`` returning True to stop (optional
        ``on_train_begin(model)``, ``on_train_end(model)``): `EarlyStopping`, `PrintLogs`,
        `ProgressBar`, a learning-rate scheduler; a plain function ``f(epoch, logs, model)``
        works too.
    regularizer : L1 or L2, optional
        Its gradient is added to the weights' gradients after each backward pass (the
        recorded ``loss`` stays the data loss, comparable with ``val_loss``).
    clip_norm : float, optional
        Clip the joint gradient norm to this value before each step (`clip_grad_norm_`).

    Returns
    -------
    History
        ``{"loss": [...], "lr": [...], ...}`` with one entry per epoch run.

    Raises
    ------
    TrainingDivergedError
        When the loss, a gradient or a parameter becomes NaN/inf (names epoch, batch and
        parameter).

    Shapes: ``X`` (n, ...), ``y`` (n, ...) matching what ``loss_fn(model(X), y)`` accepts.
    """
    X, y = check_xy(X, y, "fit")
    X = _checked(model, X)
    epochs = positive_int(epochs, "fit", "epochs")
    batch_size = positive_int(batch_size, "fit", "batch_size")
    if shuffle:
        require_rng(rng, "fit (it shuffles the batches; or pass shuffle=False)")
    metrics = _check_metrics(metrics, "fit")
    validation = _validation_pair(model, validation_data)
    step = _TrainingStep(model, loss_fn, optimizer, regularizer, clip_norm)
    history = History()
    callbacks = list(callbacks)
    saved_flag = model.needs_input_grad
    model.needs_input_grad = False              # the data need no gradient
    try:
        for cb in callbacks:
            if hasattr(cb, "on_train_begin"):
                cb.on_train_begin(model)
        for epoch in range(epochs):
            lr = float(optimizer.lr)              # the rate used during this epoch
            train = step.epoch(epoch, batches(X, y, batch_size, rng=rng, shuffle=shuffle),
                               "accuracy" in metrics)
            logs = {"loss": train.pop("loss"), "lr": lr, **train}
            if validation is not None:
                val = evaluate(model, loss_fn, *validation, metrics=metrics)
                logs.update({f"val_{k}": v for k, v in val.items()})
            history.record(epoch, logs)
            if _callbacks_stop(callbacks, epoch, logs, model):
                history.stopped_epoch = epoch
                break
    finally:  # also after an error: no half-done state (flag restored, progress bar closed)
        model.needs_input_grad = saved_flag
        for cb in callbacks:
            if hasattr(cb, "on_train_end"):
                cb.on_train_end(model)
    return history


def _validation_pair(model, validation_data):
    if validation_data is None:
        return None
    try:
        X_val, y_val = validation_data
    except (TypeError, ValueError):
        raise NNKitError("fit: validation_data must be a pair (X_val, y_val).") from None
    X_val, y_val = check_xy(X_val, y_val, "fit (validation_data)")
    return _checked(model, X_val), y_val


def _callbacks_stop(callbacks, epoch, logs, model) -> bool:
    """Run every callback's ``on_epoch_end``; True if any asks to stop."""
    stop = False
    for cb in callbacks:
        hook = getattr(cb, "on_epoch_end", None) or cb
        stop = bool(hook(epoch, dict(logs), model)) or stop
    return stop


class _TrainingStep:
    """One optimizer step per batch, watching for NaN/inf; `epoch` runs them over the batches."""

    def __init__(self, model, loss_fn, optimizer, regularizer, clip_norm):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.regularizer, self.clip_norm = regularizer, clip_norm
        names = {id(p): n for n, p in model.named_parameters()}
        params = list(getattr(optimizer, "params", None) or model.parameters())
        self.trainable = [(names.get(id(p), f"param{i}"), p) for i, p in enumerate(params)]
        self.threshold = _threshold_for(loss_fn)
        self.count = 0                          # optimizer steps taken

    def epoch(self, epoch: int, batch_iter, want_accuracy: bool) -> dict:
        """Train on every batch; return the epoch's mean loss (and accuracy)."""
        total_loss = total_correct = 0.0
        n_seen = 0
        # overflow in a diverging run is reported as TrainingDivergedError below, so NumPy's
        # floating-point warnings would only repeat it less clearly
        with np.errstate(over="ignore", invalid="ignore"):
            for b, (Xb, yb) in enumerate(batch_iter):
                out, loss = self.batch(Xb, yb, epoch, b)
                total_loss += loss * Xb.shape[0]
                n_seen += Xb.shape[0]
                if want_accuracy:
                    total_correct += accuracy(out, yb, threshold=self.threshold) * Xb.shape[0]
        logs = {"loss": total_loss / n_seen}
        if want_accuracy:
            logs["accuracy"] = total_correct / n_seen
        return logs

    def batch(self, Xb, yb, epoch: int, b: int):
        """The book's step on one batch: zero_grad, forward, loss, backward, (penalty, clip) step."""
        self.count += 1
        self.optimizer.zero_grad()
        try:
            out = self.model.forward(Xb, training=True)
            loss = float(self.loss_fn(out, yb))
        except NonFiniteError as exc:
            raise self._diverged("an activation or the output became NaN/inf", epoch, b,
                                 detail=f" ({exc})") from exc
        except ValueError:  # NumPy rejected a shape: let the model name the layer, if it can
            if hasattr(self.model, "find_misfit"):
                self.model.find_misfit(Xb)
            raise
        if not math.isfinite(loss):
            raise self._diverged(f"the loss is {loss}", epoch, b)
        self.model.backward(self.loss_fn.backward())
        if self.regularizer is not None:
            self.regularizer.add_grad(self.model)
        self._check_finite("grad", "the gradient of parameter {!r} holds NaN/inf", epoch, b)
        if self.clip_norm is not None:
            clip_grad_norm_([p for _, p in self.trainable], self.clip_norm)
        self.optimizer.step()
        self._check_finite("value", "parameter {!r} became NaN/inf after the update", epoch, b)
        return out, loss

    def _check_finite(self, attr: str, what: str, epoch: int, b: int) -> None:
        for name, p in self.trainable:
            a = getattr(p, attr)
            if p.requires_grad and a.size and not np.isfinite(a.sum()) and not np.isfinite(a).all():
                raise self._diverged(what.format(name), epoch, b, parameter=name)

    def _diverged(self, what, epoch, b, parameter=None, detail=""):
        where = f"epoch {epoch}, batch {b} (counting from 0; optimizer step {self.count})"
        return TrainingDivergedError(
            f"Training diverged at {where}: {what}.{detail} Usually the learning rate is too "
            "large for this model and data: lower it (for example by 10x), standardize the "
            "inputs, or clip the gradients (clip_norm=...).",
            epoch=epoch, batch=b, parameter=parameter,
        )
