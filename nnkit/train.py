"""The training loop: mini-batches, `fit`, metrics, callbacks and early stopping.

`fit` is the loop every chapter would otherwise write by hand, nothing more::

    for epoch in range(epochs):
        for Xb, yb in batches(X, y, batch_size, rng=rng):      # shuffled with rng
            optimizer.zero_grad()
            loss = loss_fn(model.forward(Xb, training=True), yb)  # + regularizer.value(model)
            model.backward(loss_fn.backward())                 # + regularizer.add_grad(model)
            optimizer.step()                                   # (after clip_grad_norm_)
        scheduler.step(); evaluate on validation_data; run callbacks

It stops with `TrainingDivergedError` as soon as the loss, a gradient or a parameter
becomes NaN or infinite, naming the epoch, the batch and the parameter. Chapter 4 introduces
mini-batches and epochs; chapter 6 early stopping.
"""

from __future__ import annotations

import contextlib
import math

import numpy as np

from nnkit.core import NNKitError, NonFiniteError, check_finite
from nnkit.callbacks import Callback, EarlyStopping, History, _positive_int
from nnkit.optim import clip_grad_norm_

__all__ = ["batches", "fit", "History", "Callback", "EarlyStopping", "TrainingDivergedError", "accuracy",
           "predict", "evaluate"]


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
def _check_xy(X, y, who):
    X = np.asarray(X)
    if X.ndim < 1 or X.shape[0] < 1:
        raise NNKitError(
            f"{who}: X must have one sample per row and at least one row,"
            f" got shape {X.shape}."
        )
    if y is not None:
        y = np.asarray(y)
        if y.ndim < 1 or y.shape[0] != X.shape[0]:
            raise NNKitError(
                f"{who}: X and y need the same number of rows (one target per sample), got "
                f"X {X.shape} and y {y.shape}."
            )
    return X, y


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
    X, y = _check_xy(X, y, "batches")
    batch_size = _positive_int(batch_size, "batches", "batch_size")
    n = X.shape[0]
    if shuffle:
        if not isinstance(rng, np.random.Generator):
            raise NNKitError(
                "batches: shuffle=True needs rng=np.random.Generator (e.g. "
                "np.random.default_rng(0)), or pass shuffle=False to keep the order."
            )
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


def _forward(model, X, training, rng):
    if training and getattr(model, "uses_rng", False):
        return model.forward(X, training=True, rng=rng)
    return model.forward(X, training=training)


def predict(model, X, *, batch_size: int | None = None) -> np.ndarray:
    """The model's output in inference mode (``training=False``), in chunks if `batch_size`.

    Shapes: ``X`` (n, ...) -> whatever the model returns for n samples, e.g. (n, C) logits.
    """
    X, _ = _check_xy(X, None, "predict")
    if batch_size is None:
        return model.forward(X, training=False)
    return np.concatenate([model.forward(Xb, training=False)
                           for Xb, _ in batches(X, None, batch_size, shuffle=False)])


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
    X, y = _check_xy(X, y, "evaluate")
    metrics = _check_metrics(metrics, "evaluate")
    size = X.shape[0] if batch_size is None else _positive_int(batch_size, "evaluate", "batch_size")
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
def _first_nonfinite(arrays):
    """The name of the first array holding NaN/inf, or None (one reduction per array)."""
    for name, a in arrays:
        if a.size and not np.isfinite(a.sum()) and not np.isfinite(a).all():
            return name
    return None


def _diverged(what, epoch, batch, step, parameter=None, detail=""):
    where = f"epoch {epoch}, batch {batch} (counting from 0; optimizer step {step})"
    return TrainingDivergedError(
        f"Training diverged at {where}: {what}.{detail} Usually the learning rate is too large "
        "for this model and data: lower it (for example by 10x), standardize the inputs, or "
        "clip the gradients (clip_norm=...).",
        epoch=epoch, batch=batch, parameter=parameter,
    )


@contextlib.contextmanager
def _closing(bar):
    try:
        yield
    finally:
        if bar is not None:
            bar.close()


def fit(model, loss_fn, optimizer, X, y, *, epochs: int, batch_size: int = 32,
        rng: np.random.Generator | None = None, validation_data=None, metrics=("loss",),
        callbacks=(), scheduler=None, clip_norm: float | None = None, regularizer=None,
        progress: bool = False, verbose: bool = False, shuffle: bool = True) -> History:
    """Train `model` with mini-batch gradient descent and return the per-epoch `History`.

    Parameters
    ----------
    model : Layer
        Anything with ``forward(x, training=...)`` and ``backward(grad)``; models containing
        Dropout receive ``rng`` too.
    loss_fn : Loss
        ``loss_fn(pred, target) -> float`` and ``loss_fn.backward() -> dL/dpred``.
    optimizer
        An `nnkit.optim` optimizer over the model's parameters.
    X, y : np.ndarray
        Training inputs (n, ...) and targets (n, ...).
    epochs, batch_size : int
        Passes over the data, samples per step (the last batch may be smaller).
    rng : np.random.Generator
        Shuffles the batches each epoch and draws dropout masks: same seed, same run.
    validation_data : (X_val, y_val), optional
        Evaluated in inference mode after each epoch (``val_loss``, ``val_accuracy``).
    metrics : tuple of str
        ``"loss"`` (always recorded) and optionally ``"accuracy"``.
    callbacks : iterable
        Objects with ``on_epoch_end(epoch, logs, model)`` returning True to stop (optional
        ``on_train_begin(model)``, ``on_train_end(model)``), e.g. `EarlyStopping`; a plain
        function ``f(epoch, logs, model)`` works too.
    scheduler : LRScheduler, optional
        Stepped once after every epoch.
    clip_norm : float, optional
        Clip the joint gradient norm to this value before each step (`clip_grad_norm_`).
    regularizer : L1 or L2, optional
        Its gradient is added to the weights' gradients after each backward pass (the
        recorded ``loss`` stays the data loss, comparable with ``val_loss``).
    progress : bool
        Show a tqdm progress bar over the epochs (tqdm is imported only then).
    verbose : bool
        Print one line per epoch.

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
    X, y = _check_xy(X, y, "fit")
    epochs = _positive_int(epochs, "fit", "epochs")
    batch_size = _positive_int(batch_size, "fit", "batch_size")
    if not isinstance(rng, np.random.Generator):
        raise NNKitError(
            "fit: rng must be an np.random.Generator (it shuffles the batches and draws dropout "
            "masks); pass rng=np.random.default_rng(seed)."
        )
    metrics = _check_metrics(metrics, "fit")
    if np.issubdtype(X.dtype, np.floating):
        check_finite(X, "fit", "training inputs X")
    if validation_data is not None:
        try:
            X_val, y_val = validation_data
        except (TypeError, ValueError):
            raise NNKitError("fit: validation_data must be a pair (X_val, y_val).") from None
        X_val, y_val = _check_xy(X_val, y_val, "fit (validation_data)")
    callbacks = list(callbacks)
    names = {id(p): n for n, p in model.named_parameters()}
    opt_params = list(getattr(optimizer, "params", None) or model.parameters())
    trainable = [(names.get(id(p), f"param{i}"), p) for i, p in enumerate(opt_params)]
    want_acc = "accuracy" in metrics
    threshold = _threshold_for(loss_fn)

    history = History({"loss": [], "lr": []})
    if want_acc:
        history["accuracy"] = []
    if validation_data is not None:
        history["val_loss"] = []
        if want_acc:
            history["val_accuracy"] = []

    for cb in callbacks:
        if hasattr(cb, "on_train_begin"):
            cb.on_train_begin(model)

    epoch_iter = range(epochs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        epoch_iter = bar = tqdm(epoch_iter, desc="fit", unit="epoch")

    step = 0
    # overflow in a diverging run is detected below and reported as TrainingDivergedError,
    # so NumPy's floating-point warnings would only repeat it less clearly
    with np.errstate(over="ignore", invalid="ignore"), _closing(bar):
        for epoch in epoch_iter:
            lr = float(optimizer.lr)
            total_loss = total_correct = 0.0
            for b, (Xb, yb) in enumerate(batches(X, y, batch_size, rng=rng, shuffle=shuffle)):
                step += 1
                optimizer.zero_grad()
                try:
                    out = _forward(model, Xb, True, rng)
                    loss = float(loss_fn(out, yb))
                except NonFiniteError as exc:
                    raise _diverged("an activation or the output became NaN/inf", epoch, b,
                                    step, detail=f" ({exc})") from exc
                if not math.isfinite(loss):
                    raise _diverged(f"the loss is {loss}", epoch, b, step)
                model.backward(loss_fn.backward())
                if regularizer is not None:
                    regularizer.add_grad(model)
                bad = _first_nonfinite((n, p.grad) for n, p in trainable if p.requires_grad)
                if bad is not None:
                    raise _diverged(f"the gradient of parameter {bad!r} holds NaN/inf", epoch, b,
                                    step, parameter=bad)
                if clip_norm is not None:
                    clip_grad_norm_([p for _, p in trainable], clip_norm)
                optimizer.step()
                bad = _first_nonfinite((n, p.value) for n, p in trainable if p.requires_grad)
                if bad is not None:
                    raise _diverged(f"parameter {bad!r} became NaN/inf after the update", epoch,
                                    b, step, parameter=bad)
                total_loss += loss * Xb.shape[0]
                if want_acc:
                    total_correct += accuracy(out, yb, threshold=threshold) * Xb.shape[0]

            n_seen = X.shape[0]
            logs = {"loss": total_loss / n_seen, "lr": lr}
            if want_acc:
                logs["accuracy"] = total_correct / n_seen
            if validation_data is not None:
                val = evaluate(model, loss_fn, X_val, y_val, metrics=metrics)
                logs["val_loss"] = val["loss"]
                if want_acc:
                    logs["val_accuracy"] = val["accuracy"]
            for key, value in logs.items():
                history[key].append(value)
            history.epochs.append(epoch)
            if scheduler is not None:
                scheduler.step()
            if bar is not None:
                bar.set_postfix({k: f"{v:.4g}" for k, v in logs.items()})
            if verbose:
                print(f"epoch {epoch + 1}/{epochs}  " +
                      "  ".join(f"{k} {v:.4g}" for k, v in logs.items()))
            stop = False
            for cb in callbacks:
                hook = getattr(cb, "on_epoch_end", None) or cb
                stop = bool(hook(epoch, dict(logs), model)) or stop
            if stop:
                history.stopped_epoch = epoch
                break
    for cb in callbacks:
        if hasattr(cb, "on_train_end"):
            cb.on_train_end(model)
    return history
