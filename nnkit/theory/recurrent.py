"""Measuring vanishing and exploding gradients through time (chapter 7).

Backpropagation through time multiplies the gradient by one Jacobian per step::

    dL/dh_{t-1} = dL/dh_t  J_t,     J_t = dh_t / dh_{t-1}

(for the vanilla tanh cell ``J_t = diag(1 - h_t^2) W_hh``), so
``dL/dh_0 = dL/dh_T J_T J_{T-1} ... J_1``, and the size of that product is governed
by the singular values of the J_t and hence, roughly, by the spectral radius of
``W_hh``. These helpers compute the pieces for the chapter's figures; reached as
``nnkit.theory.<name>``.
"""

from __future__ import annotations

import numpy as np

from nnkit.core import NNKitError, ShapeError

__all__ = [
    "step_jacobians", "grad_norm_vs_distance", "jacobian_product_singular_values",
    "scale_spectral_radius", "fixed_gate_grad_norms",
]


def _forward_caches(layer, x, h0):
    """Run `layer` forward from `h0` and return (caches, x was a single sample).

    The layer's own ``initial_state`` is left as it was.
    """
    if getattr(layer, "_cell", None) is None:
        raise NNKitError(
            f"expected a recurrent layer from nnkit.rnn (RNN, GatedRNN, LSTM, GRU), got "
            f"{type(layer).__name__}."
        )
    x = np.asarray(x)
    single = x.ndim == 2
    if single:
        x = x[None]  # (1, T, d)
        if h0 is not None:
            h0 = tuple(a[None] for a in h0) if isinstance(h0, tuple) else np.asarray(h0)[None]
    saved = layer.initial_state
    try:
        layer.initial_state = h0
        layer(x)
    finally:
        layer.initial_state = saved
    caches, _, _ = layer._cache  # the per-step caches of the cell (same package)
    return caches, single


def step_jacobians(layer, x, h0=None) -> np.ndarray:
    """The per-step state Jacobians ``J_t = d state_t / d state_{t-1}``, exactly.

    ``J[..., t, a, b] = d state_t[a] / d state_{t-1}[b]`` (rows: the new state). The state
    is ``h`` for RNN, GatedRNN and GRU, and ``[h, c]`` (2h entries, h first) for the LSTM.
    Gate derivatives are included (for the gated cell this is more than the
    ``diag(f) + diag(i phi') W`` of the syllabus, which holds the gates fixed).
    Computed with the cell's own `step_backward` on one basis vector per row; parameter
    gradients are not touched, but the layer's forward cache is replaced.

    Shapes
    ------
    x (n, T, d) -> (n, T, S, S); one sample x (T, d) -> (T, S, S); S = h (2h for LSTM).
    """
    cell = layer._cell
    caches, single = _forward_caches(layer, x, h0)
    H, k = cell.n_hidden, cell.n_state
    S = k * H
    n = caches[0][0].shape[0]
    eye = np.tile(np.eye(S, dtype=cell.dtype), (n, 1))  # (n*S, S), row i*S + a is e_a
    dstate = tuple(eye[:, j * H:(j + 1) * H] for j in range(k))  # k arrays (n*S, h)
    J = np.empty((n, len(caches), S, S), dtype=cell.dtype)  # (n, T, S, S)
    for t, cache in enumerate(caches):
        tiled = tuple(np.repeat(a, S, axis=0) for a in cache)  # every sample S times
        _, dprev = cell.step_backward(dstate, tiled, accumulate=False)
        J[:, t] = np.concatenate(dprev, axis=1).reshape(n, S, S)  # row a: d s_t[a]/d s_{t-1}
    return J[0] if single else J


def grad_norm_vs_distance(layer, x, h0=None, d_h_T=None) -> tuple[np.ndarray, np.ndarray]:
    """``||dL/dh_t||`` against the distance ``T - t`` for a loss on the last state only.

    The loss is ``L = sum_n <g_n, h_T>`` with ``g = d_h_T`` (default: every sample gets the
    unit vector ``ones(h) / sqrt(h)``), so distance 0 has norm ``||g||`` and distance k is
    ``||g J_T ... J_{T-k+1}||``. Full BPTT is used whatever ``layer.truncate`` says, and the
    parameters' ``.grad`` are left as they were.

    Returns ``(distances, norms)``: ``distances = 0, ..., T`` (T is h0) and the norm of
    dL/dh (the h part for the LSTM) at that distance, averaged over the batch.

    Shapes
    ------
    x (n, T, d) or (T, d); d_h_T (n, h) or None -> distances (T+1,), norms (T+1,).
    """
    saved = [p.grad.copy() for p in layer.parameters()]
    truncate = layer.truncate
    try:
        layer.truncate = None
        caches, single = _forward_caches(layer, x, h0)
        n, H = caches[0][0].shape[0], layer.n_hidden
        if d_h_T is None:
            d_h_T = np.full((n, H), 1.0 / np.sqrt(H), dtype=layer.dtype)  # (n, h)
        elif single:
            d_h_T = np.asarray(d_h_T)[None]
        d_h_T = np.asarray(d_h_T, dtype=layer.dtype)  # (n, h)
        if layer.return_sequences:  # a loss on the last state only: zero on h_1 .. h_{T-1}
            grad = np.zeros((n, len(caches), H), dtype=layer.dtype)  # (n, T, h)
            grad[:, -1] = d_h_T
        else:
            grad = d_h_T
        layer.backward(grad)
        dh0 = layer.initial_state_grad
        dh0 = dh0[0] if isinstance(dh0, tuple) else dh0  # (n, h)
        grads = np.concatenate([layer.state_grads, dh0[:, None]], axis=1)  # (n, T+1, h)
    finally:
        layer.truncate = truncate
        for p, g in zip(layer.parameters(), saved):
            p.grad[...] = g
    norms = np.linalg.norm(grads, axis=2).mean(axis=0)  # (T+1,) index t; t = T is h0
    T = len(caches)
    norms = np.concatenate([norms[T - 1::-1], norms[T:]])  # reorder by distance 0..T
    return np.arange(T + 1), norms


def jacobian_product_singular_values(jacobians) -> np.ndarray:
    """Singular values of the products ``J_T J_{T-1} ... J_{T-k+1}`` for k = 1, ..., T.

    Row ``k-1`` holds the singular values (descending) of ``d state_T / d state_{T-k}``,
    the product of the last k step Jacobians, e.g. from
    ``step_jacobians(layer, x[0])``. Their growth or decay with k is the exploding or
    vanishing gradient.

    Shapes
    ------
    jacobians (T, S, S) -> (T, S).
    """
    J = np.asarray(jacobians, dtype=np.float64)
    if J.ndim != 3 or J.shape[1] != J.shape[2]:
        raise ShapeError(
            "jacobian_product_singular_values: expected a stack of square Jacobians (T, S, S) "
            f"for one sample, got {J.shape}; take one sample with step_jacobians(layer, x[0])."
        )
    T, S, _ = J.shape
    P = np.eye(S)
    out = np.empty((T, S))
    for k in range(1, T + 1):
        P = P @ J[T - k]  # (S, S): d state_T / d state_{T-k}
        out[k - 1] = np.linalg.svd(P, compute_uv=False)
    return out


def scale_spectral_radius(W, rho: float) -> np.ndarray:
    """Return ``W * rho / max|eig(W)|``: the same matrix rescaled to spectral radius `rho`.

    Use it to set a recurrent weight in place:
    ``rnn.weight_hh.value[...] = scale_spectral_radius(rnn.weight_hh.value, 1.2)``.

    Shapes
    ------
    W (h, h) -> (h, h), same dtype.
    """
    W = np.asarray(W)
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ShapeError(f"scale_spectral_radius: W must be square (h, h), got {W.shape}.")
    if rho < 0:
        raise NNKitError(f"scale_spectral_radius: rho must be >= 0, got {rho}.")
    radius = np.max(np.abs(np.linalg.eigvals(W)))
    if radius == 0:
        raise NNKitError(
            "scale_spectral_radius: W has spectral radius 0 (nilpotent, e.g. all zeros), so no "
            "rescaling can change it; start from a random matrix."
        )
    return (W * (rho / radius)).astype(W.dtype)


def fixed_gate_grad_norms(layer, x, f, h0=None) -> tuple[np.ndarray, np.ndarray]:
    """``||dL/dh_{T-k}||`` against k for the gated recurrence with the gates held fixed.

    The recurrence takes the weights of a vanilla `nnkit.RNN` layer (W = ``weight_hh``,
    U = ``weight_ih``, b = ``bias_ih + bias_hh``, phi its nonlinearity) and constant gates,
    a forget gate `f` and the input gate ``i = 1 - f``::

        h_t = f h_{t-1} + (1 - f) phi(a_t),    a_t = W h_{t-1} + U x_t + b,
        J_t = dh_t/dh_{t-1} = diag(f) + diag((1 - f) phi'(a_t)) W.

    ``f = 0`` is the layer itself, so the norms then equal `grad_norm_vs_distance`. The loss
    and the averaging are those of `grad_norm_vs_distance`: ``L = sum_n <g, h_T>`` with
    ``g = ones(h) / sqrt(h)``, the norm of ``g J_T ... J_{T-k+1}`` averaged over the batch.
    The backward pass multiplies row vectors, ``g J = f g + ((1 - f) phi'(a) g) W``, so no
    Jacobian is formed. Computed in float64; the layer is not changed.

    Parameters
    ----------
    layer : nnkit.RNN
    x : array (n, T, d) or (T, d)
    f : float in [0, 1], or an array (h,) of them (one gate per unit)
    h0 : array (n, h) or (h,), optional; default the layer's ``initial_state`` (None: zeros)

    Returns ``(distances, norms)``, both (T+1,).
    """
    from nnkit.rnn import RNN

    if not isinstance(layer, RNN):
        raise NNKitError(f"fixed_gate_grad_norms: expected a vanilla nnkit.RNN layer (its weights "
                         f"drive the gated recurrence), got {type(layer).__name__}.")
    H = layer.n_hidden
    fg = np.asarray(f, dtype=np.float64)
    if fg.shape not in ((), (H,)) or not np.all((fg >= 0) & (fg <= 1)):
        raise NNKitError(f"fixed_gate_grad_norms: f must be a number in [0, 1] or an array of "
                         f"{H} of them (one per unit), got {f!r}.")
    x = np.asarray(x, dtype=np.float64)
    single = x.ndim == 2
    if single:
        x = x[None]  # (1, T, d)
    if x.ndim != 3 or x.shape[2] != layer.weight_ih.value.shape[1]:
        raise ShapeError(f"fixed_gate_grad_norms: x must be (n, T, {layer.weight_ih.value.shape[1]}) "
                         f"or (T, {layer.weight_ih.value.shape[1]}), got {np.shape(x)}.")
    W = layer.weight_hh.value.astype(np.float64)  # (h, h)
    U = layer.weight_ih.value.astype(np.float64)  # (h, d)
    b = (layer.bias_ih.value + layer.bias_hh.value).astype(np.float64)  # (h,)
    n, T, _ = x.shape
    start = layer.initial_state if h0 is None else h0
    h = np.zeros((n, H)) if start is None else np.broadcast_to(
        np.asarray(start, dtype=np.float64), (n, H))  # (n, h)
    relu = layer.nonlinearity == "relu"
    slopes = []  # (1 - f) phi'(a_t), each (n, h)
    for t in range(T):
        a = h @ W.T + x[:, t] @ U.T + b  # (n, h)
        phi = np.maximum(a, 0.0) if relu else np.tanh(a)
        h = fg * h + (1 - fg) * phi
        slopes.append((1 - fg) * ((a > 0).astype(np.float64) if relu else 1 - phi ** 2))
    g = np.full((n, H), 1.0 / np.sqrt(H))  # (n, h): dL/dh_T
    norms = [np.linalg.norm(g, axis=1).mean()]
    for s in reversed(slopes):  # g <- g J_t, t = T, ..., 1
        g = fg * g + (g * s) @ W
        norms.append(np.linalg.norm(g, axis=1).mean())
    return np.arange(T + 1), np.array(norms)
