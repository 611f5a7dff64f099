"""Recurrent layers over batch-first sequences, backpropagation through time (chapter 7).

A sequence layer unrolls one cell (`nnkit.rnn_cells`) in time::

    state_{-1} = h0 (zeros if not given)
    state_t    = cell(x[:, t], state_{t-1})          t = 0, ..., T-1
    outputs[:, t] = h_t

and backpropagation through time (BPTT) is the same loop reversed: at step t the
gradient arriving at h_t is ``dL/doutputs[:, t]`` plus what step t+1 sent back.

Layers: `RNN` (tanh or ReLU), `GatedRNN` (the chapter's simplified gated cell), `LSTM`,
`GRU`, all with PyTorch's parameter names, shapes and gate order (``weight_ih``,
``weight_hh``, ``bias_ih``, ``bias_hh``; ``torch.nn.LSTM`` calls them ``weight_ih_l0``
and so on, see `load_torch_state_dict`). `SequenceRegressor` puts a dense read-out on
the last state. The analysis helpers for the vanishing/exploding-gradient figures
(`step_jacobians`, `grad_norm_vs_distance`, `jacobian_product_singular_values`,
`scale_spectral_radius`) live in `nnkit.theory.recurrent`.
"""

from __future__ import annotations

import numpy as np

from .core import Layer, NNKitError, ShapeError, as_float_array, check_finite
from .rnn_cells import GatedCell, GRUCell, LSTMCell, RNNCell

__all__ = [
    "RNNCell", "GatedCell", "LSTMCell", "GRUCell",
    "RNN", "GatedRNN", "LSTM", "GRU", "SequenceRegressor", "load_torch_state_dict",
    "step_jacobians", "grad_norm_vs_distance", "jacobian_product_singular_values",
    "scale_spectral_radius",
]

_PARAMETER_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


class _Recurrent(Layer):
    """Unrolls `self._cell` over a sequence; subclasses choose the cell.

    ``truncate``: None for full BPTT, or k >= 1 for truncated BPTT (defined in `backward`).
    """

    _cell_class: type = RNNCell

    def __init__(self, n_in: int, n_hidden: int, *, rng: np.random.Generator | None = None,
                 dtype=np.float64, truncate: int | None = None, **cell_options):
        self._cell = self._cell_class(n_in, n_hidden, rng=rng, dtype=dtype, **cell_options)
        # The layer shows the cell's Parameter objects under PyTorch's names (shared, not copied).
        for pname in _PARAMETER_NAMES:
            setattr(self, pname, getattr(self._cell, pname))
        self.n_in, self.n_hidden = self._cell.n_in, self._cell.n_hidden
        self.truncate = truncate
        self._cache = None
        self.dh0 = None
        self.state_grads = None

    @property
    def dtype(self) -> np.dtype:
        return self._cell.dtype

    @property
    def truncate(self) -> int | None:
        return self._truncate

    @truncate.setter
    def truncate(self, k: int | None) -> None:
        if k is not None and (int(k) != k or k < 1):
            raise NNKitError(
                f"{self.name}: truncate must be None (full BPTT) or an integer >= 1 (steps "
                f"of backpropagation per output), got {k!r}."
            )
        self._truncate = None if k is None else int(k)

    # -- state packing: the public state is h (or (h, c) for LSTM) ------------------
    def _pack(self, state: tuple):
        return state[0]

    def _unpack(self, h, n: int, what: str) -> tuple:
        if h is None:
            return self._cell.zero_state(n)
        h = as_float_array(h, self.name, what, dtype=self.dtype)
        if h.shape != (n, self.n_hidden):
            raise ShapeError(
                f"{self.name}: expected {what} of shape ({n}, {self.n_hidden}) (batch, hidden), "
                f"got {h.shape}."
            )
        return (h,)

    # -- forward ------------------------------------------------------------------
    def forward(self, x, h0=None, *, training: bool = False):
        """Run the cell over the sequence.

        Returns ``(outputs, h_T)``: all hidden states and the final one (for the LSTM
        ``(outputs, (h_T, c_T))``).

        Shapes
        ------
        x (n, T, d); h0 (n, h) or None for zeros; outputs (n, T, h); h_T (n, h).
        """
        x = as_float_array(x, self.name, dtype=self.dtype)
        if x.ndim != 3 or x.shape[2] != self.n_in:
            hint = " (add a time axis: x[:, None, :] for one step)" if x.ndim == 2 else ""
            raise ShapeError(
                f"{self.name}: expected a batch-first sequence of shape (n, T, {self.n_in}), "
                f"got {x.shape}{hint}."
            )
        check_finite(x, self.name)
        n, T, _ = x.shape
        if T == 0:
            raise ShapeError(f"{self.name}: the sequence is empty (T = 0); give at least one step.")
        state = self._unpack(h0, n, "h0")
        outputs = np.empty((n, T, self.n_hidden), dtype=self.dtype)  # (n, T, h)
        caches = []
        for t in range(T):
            state, cache = self._cell.step_forward(x[:, t], state)
            outputs[:, t] = state[0]
            caches.append(cache)
        self._cache = (caches, n, T)
        return outputs, self._pack(state)

    def __call__(self, x, h0=None, *, training: bool = False):
        return self.forward(x, h0, training=training)

    # -- backward (BPTT) ----------------------------------------------------------
    def _dstate_T(self, d_h_T, n: int) -> tuple:
        """dL/d(final state) as a tuple, zeros where not given."""
        return self._unpack(d_h_T, n, "d_h_T") if d_h_T is not None else self._cell.zero_state(n)

    def backward(self, d_outputs, d_h_T=None):
        """Backpropagation through time; fills the parameters' ``.grad`` and returns dL/dx.

        Full BPTT (``truncate=None``) is the reversed loop: the gradient reaching h_t is
        ``d_outputs[:, t]`` plus what step t+1 sent back, and `step_backward` of step t
        turns it into dL/dx_t, the parameter gradients and dL/dstate_{t-1}.

        Truncated BPTT (``truncate=k``): the gradient of the loss term on output h_s (for
        s = T-1 also the term on the final state, `d_h_T`) flows back through the k steps
        s, s-1, ..., s-k+1 only; the state entering step s-k+1 counts as a constant (the
        whole state: h and c for the LSTM). This is the exact gradient of::

            L_k = sum_s <d_outputs[:, s], F_k(stop_gradient(state_{s-k}); x_{s-k+1}, ..., x_s)>

        with F_k = k steps of the cell; a window that reaches the start begins at h0, which
        then gets gradient. ``k = 1``: no gradient through the recurrence at all;
        ``k >= T``: full BPTT. Cost: up to T * k cell steps instead of T (one window per
        output with a nonzero gradient).

        Also sets ``self.dh0`` (dL/dh0; ``(dh0, dc0)`` for the LSTM) and
        ``self.state_grads`` (n, T, h): the gradient reaching each h_t (summed over the
        windows when truncated).

        Shapes
        ------
        d_outputs (n, T, h) or None (no loss on the outputs); d_h_T (n, h) or None;
        returns dx (n, T, d).
        """
        caches, n, T = self._require_cache(self._cache)
        if d_outputs is not None:
            d_outputs = as_float_array(d_outputs, self.name, "d_outputs", dtype=self.dtype)
            if d_outputs.shape != (n, T, self.n_hidden):
                raise ShapeError(
                    f"{self.name}.backward: expected d_outputs of shape ({n}, {T}, "
                    f"{self.n_hidden}) like the outputs of forward, got {d_outputs.shape}."
                )
        dstate_T = self._dstate_T(d_h_T, n)
        dx = np.zeros((n, T, self.n_in), dtype=self.dtype)  # (n, T, d)
        state_grads = np.zeros((n, T, self.n_hidden), dtype=self.dtype)  # (n, T, h)
        k = self.truncate
        if k is None or k >= T:
            dstate = dstate_T
            for t in reversed(range(T)):
                if d_outputs is not None:
                    dstate = (dstate[0] + d_outputs[:, t],) + dstate[1:]
                state_grads[:, t] = dstate[0]
                dx[:, t], dstate = self._cell.step_backward(dstate, caches[t])
            dh0 = dstate
        else:
            dh0 = self._cell.zero_state(n)
            for s in range(T):
                dstate = dstate_T if s == T - 1 else self._cell.zero_state(n)
                if d_outputs is not None:
                    dstate = (dstate[0] + d_outputs[:, s],) + dstate[1:]
                if not any(np.any(a) for a in dstate):
                    continue
                for t in range(s, max(s - k, -1), -1):  # the k steps s, ..., s-k+1
                    state_grads[:, t] += dstate[0]
                    dx_t, dstate = self._cell.step_backward(dstate, caches[t])
                    dx[:, t] += dx_t
                if s - k + 1 <= 0:  # this window started at h0
                    dh0 = tuple(a + b for a, b in zip(dh0, dstate))
        self.dh0 = self._pack(dh0)
        self.state_grads = state_grads
        return dx

    def extra_repr(self) -> str:
        trunc = "" if self.truncate is None else f", truncate={self.truncate}"
        return f"{self.n_in}, {self.n_hidden}{trunc}"


class RNN(_Recurrent):
    """Vanilla recurrent layer ``h_t = phi(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``.

    As ``torch.nn.RNN(n_in, n_hidden, nonlinearity, batch_first=True)`` with one layer.
    See `RNNCell` for the step equations and `backward` for ``truncate`` (truncated BPTT).

    Shapes
    ------
    x (n, T, d) -> outputs (n, T, h), h_T (n, h); weight_ih (h, d), weight_hh (h, h).
    """

    _cell_class = RNNCell

    def __init__(self, n_in: int, n_hidden: int, nonlinearity: str = "tanh", *,
                 rng: np.random.Generator | None = None, dtype=np.float64,
                 truncate: int | None = None):
        super().__init__(n_in, n_hidden, rng=rng, dtype=dtype, truncate=truncate,
                         nonlinearity=nonlinearity)
        self.nonlinearity = nonlinearity


class GatedRNN(_Recurrent):
    """The simplified gated recurrence ``h_t = f * h_{t-1} + i * phi(...)`` over a sequence.

    See `GatedCell` (gates i, f, g; ``forget_bias``) and `backward` for ``truncate``.

    Shapes
    ------
    x (n, T, d) -> outputs (n, T, h), h_T (n, h); weight_ih (3h, d), weight_hh (3h, h).
    """

    _cell_class = GatedCell

    def __init__(self, n_in: int, n_hidden: int, nonlinearity: str = "tanh", *,
                 forget_bias: float = 0.0, rng: np.random.Generator | None = None,
                 dtype=np.float64, truncate: int | None = None):
        super().__init__(n_in, n_hidden, rng=rng, dtype=dtype, truncate=truncate,
                         nonlinearity=nonlinearity, forget_bias=forget_bias)
        self.nonlinearity = nonlinearity


class GRU(_Recurrent):
    """GRU layer, as ``torch.nn.GRU(n_in, n_hidden, batch_first=True)`` (gates r, z, n).

    Shapes
    ------
    x (n, T, d) -> outputs (n, T, h), h_T (n, h); weight_ih (3h, d), weight_hh (3h, h).
    """

    _cell_class = GRUCell


class LSTM(_Recurrent):
    """LSTM layer, as ``torch.nn.LSTM(n_in, n_hidden, batch_first=True)`` (gates i, f, g, o).

    The state is ``(h, c)``: ``forward(x, h0=None)`` takes ``h0`` as a pair ``(h0, c0)``
    (or None for zeros) and returns ``(outputs, (h_T, c_T))``; ``backward(d_outputs,
    d_h_T)`` takes ``d_h_T`` as ``(dh_T, dc_T)``, or just ``dh_T``; ``dh0`` is a pair.

    Shapes
    ------
    x (n, T, d) -> outputs (n, T, h), h_T and c_T (n, h); weight_ih (4h, d), weight_hh (4h, h).
    """

    _cell_class = LSTMCell

    def __init__(self, n_in: int, n_hidden: int, *, forget_bias: float = 0.0,
                 rng: np.random.Generator | None = None, dtype=np.float64,
                 truncate: int | None = None):
        super().__init__(n_in, n_hidden, rng=rng, dtype=dtype, truncate=truncate)
        h = self.n_hidden
        self.bias_ih.value[h:2 * h] += forget_bias

    def _pack(self, state: tuple):
        return state

    def _unpack(self, hc, n: int, what: str) -> tuple:
        if hc is None:
            return self._cell.zero_state(n)
        if isinstance(hc, np.ndarray):
            hc = (hc, None)  # a bare h: c is zero
        if not isinstance(hc, (tuple, list)) or len(hc) != 2:
            raise ShapeError(f"{self.name}: {what} must be a pair (h, c) of (n, h) arrays.")
        parts = []
        for a, label in zip(hc, ("h", "c")):
            a = (np.zeros((n, self.n_hidden), self.dtype) if a is None
                 else as_float_array(a, self.name, what, dtype=self.dtype))
            if a.shape != (n, self.n_hidden):
                raise ShapeError(
                    f"{self.name}: expected the {label} part of {what} with shape "
                    f"({n}, {self.n_hidden}), got {a.shape}."
                )
            parts.append(a)
        return tuple(parts)


def load_torch_state_dict(layer: _Recurrent, state_dict) -> None:
    """Copy weights from a PyTorch module's ``state_dict()`` into an nnkit recurrent layer.

    Accepts the names of ``torch.nn.RNN/LSTM/GRU`` (``weight_ih_l0``, ...) and of the
    cells (``weight_ih``, ...); values may be tensors (``.detach().numpy()`` is applied)
    or arrays. Shapes must match exactly.
    """
    for pname in _PARAMETER_NAMES:
        for key in (pname, pname + "_l0"):
            if key in state_dict:
                value = state_dict[key]
                value = value.detach().cpu().numpy() if hasattr(value, "detach") else value
                param = getattr(layer, pname)
                value = np.asarray(value, dtype=param.dtype)
                if value.shape != param.shape:
                    raise ShapeError(
                        f"load_torch_state_dict: {key} has shape {value.shape} but "
                        f"{layer.name}.{pname} has {param.shape}; build the layer with the same "
                        "n_in and n_hidden."
                    )
                param.value[...] = value
                break
        else:
            raise NNKitError(
                f"load_torch_state_dict: no {pname!r} or {pname + '_l0'!r} in the state dict "
                f"(keys: {sorted(state_dict)}); only single-layer, unidirectional modules map."
            )


_LAYERS = {"rnn": RNN, "gated": GatedRNN, "lstm": LSTM, "gru": GRU}


class SequenceRegressor(Layer):
    """A recurrent layer read out by a `Dense` layer on its last hidden state.

    ``y_hat = W_out h_T + b_out`` with ``h_T`` from ``RNN``/``GatedRNN``/``LSTM``/``GRU``
    (``cell="rnn"``, ``"gated"``, ``"lstm"``, ``"gru"``). Chapter 7 trains it on the
    adding problem (`nnkit.sequences.adding_problem`). Extra keywords (``nonlinearity``,
    ``forget_bias``, ``truncate``) go to the recurrent layer. Parameters are named
    ``rnn.weight_ih``, ..., ``head.weight``, ``head.bias``.

    Shapes
    ------
    x (n, T, n_in) -> y_hat (n, n_out); backward: dL/dy_hat (n, n_out) -> dx (n, T, n_in).
    """

    def __init__(self, cell: str, n_in: int, n_hidden: int, n_out: int, *,
                 rng: np.random.Generator | None = None, dtype=np.float64, **rnn_options):
        from .layers import Dense

        if cell not in _LAYERS:
            raise NNKitError(
                f"SequenceRegressor: cell must be one of {sorted(_LAYERS)}, got {cell!r}."
            )
        rng = np.random.default_rng() if rng is None else rng
        self.cell = cell
        self.rnn = _LAYERS[cell](n_in, n_hidden, rng=rng, dtype=dtype, **rnn_options)
        self.head = Dense(n_hidden, n_out, rng=rng, dtype=dtype)

    def forward(self, x, *, training: bool = False):
        _, final = self.rnn.forward(x, training=training)
        h_T = final[0] if isinstance(final, tuple) else final  # (n, h)
        return self.head.forward(h_T, training=training)  # (n, n_out)

    def backward(self, grad):
        dh_T = self.head.backward(grad)  # (n, h)
        return self.rnn.backward(None, dh_T)  # (n, T, d)

    def extra_repr(self) -> str:
        return f"{self.cell!r}, {self.rnn.n_in}, {self.rnn.n_hidden}, {self.head.n_out}"

