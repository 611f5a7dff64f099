"""Gradient checking: compare backpropagation with central differences.

``numerical_gradient(f, x)`` estimates the gradient of any scalar function of an array;
``check_gradients(model, loss, X, y)`` compares a model's analytic parameter gradients with
central differences ``(L(theta + h) - L(theta - h)) / 2h`` entry by entry, in float64, and
returns a `GradCheckReport` naming the worst parameter. Chapter 3 (Gradient checking).

Relative error of one entry (analytic a, numerical n):
``|a - n| / max(|a| + |n|, floor)``; the floor is the round-off noise of the central
difference divided by `tol`, so entries whose gradients are both at the noise level count
as agreeing instead of producing a meaningless ratio of two tiny numbers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .core import Layer, NNKitError, require_rng

__all__ = ["numerical_gradient", "check_gradients", "GradCheckReport", "GradCheckRow",
           "relative_error"]


def relative_error(a, n, floor: float = 1e-300) -> np.ndarray:
    """``|a - n| / max(|a| + |n|, floor)``, elementwise."""
    a = np.asarray(a, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.abs(a) + np.abs(n), floor)


def numerical_gradient(f, x, h: float = 1e-5) -> np.ndarray:
    """Central-difference gradient of a scalar function `f` of an array, in float64.

    Each entry ``x[i]`` is perturbed in place, ``(f(x + h e_i) - f(x - h e_i)) / 2h`` is
    recorded, and ``x[i]`` is restored exactly, even when `f` raises. If `x` is a float64 array, `f` is called
    with `x` itself (so `f` may also close over it); otherwise (or if `x` is not a
    writeable C-contiguous array) with a float64 copy.

    Shapes: ``x`` any shape -> gradient of the same shape (float64).
    """
    if not (isinstance(x, np.ndarray) and x.dtype == np.float64):
        x = np.array(x, dtype=np.float64)
    if not (x.flags.writeable and x.flags.c_contiguous):
        x = np.ascontiguousarray(x).copy()
    grad = np.zeros(x.shape, dtype=np.float64)
    flat_x = x.reshape(-1)  # a view, since x is contiguous
    flat_g = grad.reshape(-1)
    for i in range(flat_x.size):
        old = flat_x[i]
        try:
            flat_x[i] = old + h
            f_plus = float(f(x))
            flat_x[i] = old - h
            f_minus = float(f(x))
        finally:  # an error inside f leaves x exactly as it was
            flat_x[i] = old
        flat_g[i] = (f_plus - f_minus) / (2.0 * h)
    return grad


@dataclass
class GradCheckRow:
    """One parameter's result: how many entries were checked and the worst errors."""

    name: str
    shape: tuple
    n_checked: int
    max_rel_error: float
    max_abs_error: float
    ok: bool
    frozen: bool = False


@dataclass
class GradCheckReport:
    """Result of `check_gradients`.

    Attributes
    ----------
    ok : bool
        True when every checked entry's relative error is at most `tol`.
    worst : str or None
        Name of the parameter with the largest relative error (None if nothing was checked).
    rows : list of GradCheckRow
        Per parameter: name, shape, number of entries checked, max relative and absolute error.
    """

    rows: list = field(default_factory=list)
    tol: float = 1e-6
    h: float = 1e-6
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    @property
    def worst(self) -> str | None:
        checked = [r for r in self.rows if r.n_checked]
        return max(checked, key=lambda r: r.max_rel_error).name if checked else None

    @property
    def max_rel_error(self) -> float:
        return max((r.max_rel_error for r in self.rows if r.n_checked), default=0.0)

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        head = ("parameter", "shape", "checked", "max rel err", "max abs err", "")
        body = []
        for r in self.rows:
            verdict = "frozen, skipped" if r.frozen else ("ok" if r.ok else "FAIL")
            body.append((r.name, str(r.shape), str(r.n_checked), f"{r.max_rel_error:.2e}",
                         f"{r.max_abs_error:.2e}", verdict))
        widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
        fmt = lambda row: "  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()  # noqa: E731
        lines = [fmt(head), fmt(tuple("-" * w for w in widths)), *map(fmt, body)]
        status = "OK" if self.ok else f"FAILED: worst parameter {self.worst!r}"
        lines.append(f"{status} (tol={self.tol:g}, h={self.h:g}, {self.seconds:.2f} s)")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        cells = "".join(
            f"<tr style='color:{'inherit' if r.ok else '#b00'}'><td><code>{escape(r.name)}</code>"
            f"</td><td>{r.shape}</td><td>{r.n_checked}</td><td>{r.max_rel_error:.2e}</td>"
            f"<td>{r.max_abs_error:.2e}</td><td>{'frozen' if r.frozen else ('ok' if r.ok else 'FAIL')}"
            f"</td></tr>" for r in self.rows)
        status = "OK" if self.ok else f"FAILED: worst parameter <code>{escape(str(self.worst))}</code>"
        return ("<table><thead><tr><th>parameter</th><th>shape</th><th>checked</th>"
                "<th>max rel err</th><th>max abs err</th><th></th></tr></thead><tbody>"
                f"{cells}</tbody></table><p>{status} (tol={self.tol:g}, h={self.h:g})</p>")


def _sample_counts(sizes: list[int], n_samples: int | None) -> list[int]:
    """How many entries to check per parameter: all, or about `n_samples` spread by size."""
    if n_samples is None:
        return list(sizes)
    total = sum(sizes)
    floor = 1 if n_samples < 2 * len(sizes) else 2
    return [min(s, max(floor, round(n_samples * s / total))) for s in sizes]


def check_gradients(model: Layer, loss, X, y, *, h: float = 1e-6, tol: float = 1e-6,
                    n_samples: int | None = None, rng: np.random.Generator | None = None,
                    atol: float | None = None) -> GradCheckReport:
    """Compare `model`'s backpropagated parameter gradients with central differences.

    Runs in float64 whatever the model's dtype: every parameter's value and grad are
    replaced by float64 copies during the check and the original arrays are put back
    afterwards (values and gradients are exactly as before; the layers' forward caches are
    not, so run a new forward before the next backward). Uses ``training=False``.

    Parameters
    ----------
    model : Layer
        Any layer or `Sequential`; frozen parameters (``requires_grad=False``) are skipped.
    loss : Loss
        E.g. ``CrossEntropyLoss()``; called as ``loss(model(X), y)`` then ``loss.backward()``.
    X, y : arrays
        A batch of inputs and targets.
    h : float
        Step of the central difference.
    tol : float
        Largest acceptable relative error.
    n_samples : int, optional
        Check about this many entries in total, spread over the parameters in proportion
        to their size (at least one each), chosen with `rng`. ``None`` checks every entry.
    rng : np.random.Generator
        For the sampling; required with `n_samples` (nothing is drawn without it).
    atol : float, optional
        Round-off noise level of the numerical gradient; default
        ``16 * eps * max(|L|, 1) / h`` (a few units in the last place of L, over h).
        Sets the relative error's floor to ``atol / tol``.

    Shapes: `X` whatever the model takes; `y` whatever the loss takes.
    """
    if not isinstance(model, Layer):
        raise NNKitError(f"check_gradients: model must be an nnkit Layer, got {type(model).__name__}.")
    if n_samples is not None and int(n_samples) < 1:
        raise NNKitError(f"check_gradients: n_samples must be positive or None, got {n_samples}.")
    if n_samples is not None:
        require_rng(rng, "check_gradients (n_samples draws which entries to check)")
    named = list(model.named_parameters())
    if not named:
        raise NNKitError(f"check_gradients: {model.name} has no parameters to check.")
    X = np.asarray(X)
    if X.dtype.kind == "f":
        X = X.astype(np.float64)
    saved = [(p.value, p.grad) for _, p in named]
    start = time.perf_counter()
    try:
        for _, p in named:
            p.value = p.value.astype(np.float64)
            p.grad = np.zeros_like(p.value)
        return _check(model, loss, X, y, named, h, tol, n_samples, rng, atol, start)
    finally:
        for (_, p), (value, grad) in zip(named, saved):
            p.value, p.grad = value, grad


def _check(model, loss, X, y, named, h, tol, n_samples, rng, atol, start) -> GradCheckReport:
    # Analytic gradients: one forward and backward.
    L0 = float(loss(model(X, training=False), y))
    model.backward(loss.backward())
    if atol is None:
        atol = 16 * np.finfo(np.float64).eps * max(abs(L0), 1.0) / h
    floor = atol / tol

    # With a Sequential, perturbing a parameter of child i only changes children i, i+1, ...:
    # cache each child's input and output once and re-run only what changes. For a plain
    # Dense child, W[j, c] + h changes output column j by exactly h * a[:, c] (and b[j] + h
    # by h), so even the child itself need not be recomputed.
    from .layers import Dense, Sequential

    inputs, outputs, child_of = None, None, {}
    if isinstance(model, Sequential):
        inputs, outputs, a = [], [], X
        for i, layer in enumerate(model):
            inputs.append(a)
            for pname, _ in layer.named_parameters(f"{i}."):
                child_of[pname] = i
            a = layer(a, training=False)
            outputs.append(a)

    def run_from(i: int, a) -> float:
        for layer in model[i:]:
            a = layer(a, training=False)
        return float(loss(a, y))

    def loss_at(name: str, k: int, step: float) -> float:
        """The loss with entry k of parameter `name` already moved by `step` in place."""
        if inputs is None:
            return float(loss(model(X, training=False), y))
        i = child_of[name]
        layer, a = model[i], inputs[i]
        if type(layer).forward is Dense.forward and a.ndim == 2:
            z = outputs[i].copy()  # (n, n_out)
            if name.endswith(".weight"):
                j, c = divmod(k, layer.n_in)
                z[:, j] += step * a[:, c]
            else:
                z[:, k] += step
            return run_from(i + 1, z)
        return run_from(i, a)

    trainable = [(name, p) for name, p in named if p.requires_grad]
    counts = dict(zip((n for n, _ in trainable), _sample_counts([p.value.size for _, p in trainable], n_samples)))
    rows = []
    for name, p in named:
        if not p.requires_grad:
            rows.append(GradCheckRow(name, p.shape, 0, 0.0, 0.0, True, frozen=True))
            continue
        flat_v, flat_g = p.value.reshape(-1), p.grad.reshape(-1)
        k = counts[name]
        idx = np.arange(flat_v.size) if k == flat_v.size else rng.choice(flat_v.size, k, replace=False)
        num = np.empty(k)
        for j, i in enumerate(idx):
            old = flat_v[i]
            flat_v[i] = old + h
            f_plus = loss_at(name, i, h)
            flat_v[i] = old - h
            f_minus = loss_at(name, i, -h)
            flat_v[i] = old
            num[j] = (f_plus - f_minus) / (2.0 * h)
        ana = flat_g[idx]
        if not np.all(np.isfinite(ana)):
            rel = np.full(k, np.inf)
        else:
            rel = relative_error(ana, num, floor)
        abs_err = np.abs(ana - num)
        max_rel = float(rel.max()) if k else 0.0
        rows.append(GradCheckRow(name, p.shape, int(k), max_rel,
                                 float(abs_err.max()) if k else 0.0, max_rel <= tol))
    return GradCheckReport(rows=rows, tol=tol, h=h, seconds=time.perf_counter() - start)
