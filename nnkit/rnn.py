"""Recurrent layers over batch-first sequences, backpropagation through time (chapter 7).

A sequence layer unrolls one cell (`nnkit.rnn_cells`) in time::

    state_{-1} = layer.initial_state (zeros if None)
    state_t    = cell(x[:, t], state_{t-1})          t = 0, ..., T-1
    outputs[:, t] = h_t;  layer.final_state = state_{T-1}

and backpropagation through time (BPTT) is the same loop reversed: at step t the
gradient arriving at h_t is ``dL/doutputs[:, t]`` plus what step t+1 sent back.

Layers: `RNN` (tanh or ReLU), `GatedRNN` (the chapter's simplified gated cell), `LSTM`,
`GRU`, all with PyTorch's parameter names, shapes and gate order (``weight_ih``,
``weight_hh``, ``bias_ih``, ``bias_hh``; ``torch.nn.LSTM`` calls them ``weight_ih_l0``
and so on, see `load_torch_state_dict`). They keep the Layer contract: `forward` returns
an array (all states, or the last one with ``return_sequences=False``) and `backward`
returns dL/dx, so they compose in a `Sequential`. `SequenceRegressor` puts a dense read-out
on the last state. The analysis helpers for the vanishing/exploding-gradient figures
(`step_jacobians`, `grad_norm_vs_distance`, `jacobian_product_singular_values`,
`scale_spectral_radius`) live in `nnkit.theory.recurrent`.
"""

from __future__ import annotations

import numpy as np

from .core import Layer, NNKitError, ShapeError, as_float_array, check_finite, require_rng
from .rnn_cells import GatedCell, GRUCell, LSTMCell, RNNCell

__all__ = [
    "RNNCell", "GatedCell", "LSTMCell", "GRUCell",
    "RNN", "GatedRNN", "LSTM", "GRU", "SequenceRegressor", "load_torch_state_dict",
]

_PARAMETER_NAMES = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")


class _Recurrent(Layer):
    """Unrolls `self._cell` over a sequence; subclasses choose the cell.

    The Layer contract with the state made explicit:

    - ``forward(x, *, training=False)`` returns all hidden states ``(n, T, h)``, or only the
      last one ``(n, h)`` when built with ``return_sequences=False`` (so that
      ``Sequential(LSTM(d, h, return_sequences=False, rng=rng), Dense(h, 1, rng=rng))``
      reads out the last state);
    - ``backward(grad)`` takes dL/d(that output) and returns dL/dx ``(n, T, d)``.

    State attributes (h, or the pair ``(h, c)`` for the LSTM):

    - ``initial_state``: the state before the first step, read by every forward; None
      (the default) means zeros. Carry a state over from one chunk of a long sequence to
      the next with ``layer.initial_state = layer.final_state``.
    - ``final_state``: the state after the last step, set by forward.
    - ``initial_state_grad``: dL/d(initial_state), set by backward.
    - ``state_grads``: (n, T, h), the gradient reaching each h_t, set by backward.

    ``truncate``: None for full BPTT, or k >= 1 for truncated BPTT (defined in `backward`).
    """

    _cell_class: type = RNNCell

    def __init__(self, n_in: int, n_hidden: int, *, rng: np.random.Generator | None = None,
                 dtype=np.float64, truncate: int | None = None, return_sequences: bool = True,
                 **cell_options):
        self._cell = self._cell_class(n_in, n_hidden, rng=rng, dtype=dtype, **cell_options)
        # The layer shows the cell's Parameter objects under PyTorch's names (shared, not copied).
        for pname in _PARAMETER_NAMES:
            setattr(self, pname, getattr(self._cell, pname))
        self.n_in, self.n_hidden = self._cell.n_in, self._cell.n_hidden
        self.truncate = truncate
        self.return_sequences = bool(return_sequences)
        self.initial_state = None
        self.final_state = None
        self.initial_state_grad = None
        self.state_grads = None
        self._cache = None

    def children(self):
        return iter(())  # the cell's parameters are this layer's own attributes (shared)

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

    # -- forward ------------------------------------------------------------------
    def check_input(self, x):
        x = as_float_array(x, self.name, dtype=self.dtype)
        if x.ndim != 3 or x.shape[2] != self.n_in:
            hint = " (add a time axis: x[:, None, :] for one step)" if x.ndim == 2 else ""
            raise ShapeError(
                f"{self.name}: expected a batch-first sequence of shape (n, T, {self.n_in}), "
                f"got {x.shape}{hint}."
            )
        if x.shape[1] == 0:
            raise ShapeError(f"{self.name}: the sequence is empty (T = 0); give at least one step.")
        check_finite(x, self.name)
        return x

    def forward(self, x, *, training: bool = False):
        """Run the cell over the sequence from ``initial_state``; sets ``final_state``.

        Shapes
        ------
        x (n, T, d) -> outputs (n, T, h), or h_T (n, h) with ``return_sequences=False``.
        """
        n, T, _ = x.shape
        state = self._cell.unpack_state(self.initial_state, n, self.name, "initial_state")
        outputs = np.empty((n, T, self.n_hidden), dtype=self.dtype)  # (n, T, h)
        caches = []
        for t in range(T):
            state, cache = self._cell.step_forward(x[:, t], state)
            outputs[:, t] = state[0]
            caches.append(cache)
        self._cache = (caches, n, T)
        self.final_state = self._cell.pack_state(state)
        return outputs if self.return_sequences else state[0]  # (n, T, h) or (n, h)

    # -- backward (BPTT) ----------------------------------------------------------
    def backward(self, grad):
        """Backpropagation through time; fills the parameters' ``.grad`` and returns dL/dx.

        `grad` is dL/d(outputs) (n, T, h), or dL/dh_T (n, h) with ``return_sequences=False``.

        Full BPTT (``truncate=None``) is the reversed loop: the gradient reaching h_t is
        ``d_outputs[:, t]`` plus what step t+1 sent back, and `step_backward` of step t
        turns it into dL/dx_t, the parameter gradients and dL/dstate_{t-1}.

        Truncated BPTT (``truncate=k``): the gradient of the loss term on output h_s
        flows back through the k steps s, s-1, ..., s-k+1 only; the state entering step
        s-k+1 counts as a constant (the whole state: h and c for the LSTM). This is the
        exact gradient of::

            L_k = sum_s <d_outputs[:, s], F_k(stop_gradient(state_{s-k}); x_{s-k+1}, ..., x_s)>

        with F_k = k steps of the cell; a window that reaches the start begins at the
        initial state, which then gets gradient. ``k = 1``: no gradient through the
        recurrence at all; ``k >= T``: full BPTT. Cost: up to T * k cell steps instead of T
        (one window per output with a nonzero gradient).

        Also sets ``initial_state_grad`` (``(dh0, dc0)`` for the LSTM) and ``state_grads``.

        Shapes
        ------
        grad (n, T, h) or (n, h) -> dx (n, T, d).
        """
        caches, n, T = self._require_cache(self._cache)
        expected = (n, T, self.n_hidden) if self.return_sequences else (n, self.n_hidden)
        if grad.shape != expected:
            raise ShapeError(
                f"{self.name}.backward: expected a gradient of shape {expected} like the output "
                f"of forward, got {grad.shape}."
            )
        if self.return_sequences:
            d_outputs = grad  # (n, T, h)
        else:
            d_outputs = np.zeros((n, T, self.n_hidden), dtype=self.dtype)  # (n, T, h)
            d_outputs[:, -1] = grad
        cell = self._cell
        dx = np.zeros((n, T, self.n_in), dtype=self.dtype)  # (n, T, d)
        state_grads = np.zeros((n, T, self.n_hidden), dtype=self.dtype)  # (n, T, h)
        k = self.truncate
        if k is None or k >= T:
            dstate = cell.zero_state(n)
            for t in reversed(range(T)):
                dstate = (dstate[0] + d_outputs[:, t],) + dstate[1:]
                state_grads[:, t] = dstate[0]
                dx[:, t], dstate = cell.step_backward(dstate, caches[t])
            dh0 = dstate
        else:
            dh0 = cell.zero_state(n)
            for s in range(T):
                if not np.any(d_outputs[:, s]):
                    continue
                dstate = cell.zero_state(n)
                dstate = (dstate[0] + d_outputs[:, s],) + dstate[1:]
                for t in range(s, max(s - k, -1), -1):  # the k steps s, ..., s-k+1
                    state_grads[:, t] += dstate[0]
                    dx_t, dstate = cell.step_backward(dstate, caches[t])
                    dx[:, t] += dx_t
                if s - k + 1 <= 0:  # this window started at the initial state
                    dh0 = tuple(a + b for a, b in zip(dh0, dstate))
        self.initial_state_grad = cell.pack_state(dh0)
        self.state_grads = state_grads
        return dx

    def extra_repr(self) -> str:
        trunc = "" if self.truncate is None else f", truncate={self.truncate}"
        last = "" if self.return_sequences else ", return_sequences=False"
        return f"{self.n_in}, {self.n_hidden}{trunc}{last}"


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
                 truncate: int | None = None, return_sequences: bool = True):
        super().__init__(n_in, n_hidden, rng=rng, dtype=dtype, truncate=truncate,
                         return_sequences=return_sequences, nonlinearity=nonlinearity)
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
                 dtype=np.float64, truncate: int | None = None, return_sequences: bool = True):
        super().__init__(n_in, n_hidden, rng=rng, dtype=dtype, truncate=truncate,
                         return_sequences=return_sequences, nonlinearity=nonlinearity,
                         forget_bias=forget_bias)
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

    The state is the pair ``(h, c)``: ``initial_state``, ``final_state`` and
    ``initial_state_grad`` are pairs (an ``initial_state`` given as a bare h means c = 0);
    the output is h only, as for the other layers.

    Shapes
    ------
    x (n, T, d) -> outputs (n, T, h) (or h_T (n, h)); h and c (n, h);
    weight_ih (4h, d), weight_hh (4h, h).
    """

    _cell_class = LSTMCell

    def __init__(self, n_in: int, n_hidden: int, *, forget_bias: float = 0.0,
                 rng: np.random.Generator | None = None, dtype=np.float64,
                 truncate: int | None = None, return_sequences: bool = True):
        super().__init__(n_in, n_hidden, rng=rng, dtype=dtype, truncate=truncate,
                         return_sequences=return_sequences)
        h = self.n_hidden
        self.bias_ih.value[h:2 * h] += forget_bias


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
    (``cell="rnn"``, ``"gated"``, ``"lstm"``, ``"gru"``) built with
    ``return_sequences=False``. Chapter 7 trains it on the adding problem
    (`nnkit.sequences.adding_problem`). Extra keywords (``nonlinearity``, ``forget_bias``,
    ``truncate``) go to the recurrent layer. Parameters are named ``rnn.weight_ih``, ...,
    ``head.weight``, ``head.bias``.

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
        rng = require_rng(rng, "SequenceRegressor")
        self.cell = cell
        self.rnn = _LAYERS[cell](n_in, n_hidden, rng=rng, dtype=dtype, return_sequences=False,
                                 **rnn_options)
        self.head = Dense(n_hidden, n_out, rng=rng, dtype=dtype)

    def check_input(self, x):
        return self.rnn.check_input(x)

    def forward(self, x, *, training: bool = False):
        h_T = self.rnn.forward(x, training=training)  # (n, h)
        return self.head.forward(h_T, training=training)  # (n, n_out)

    def backward(self, grad):
        dh_T = self.head.backward(grad)  # (n, h)
        return self.rnn.backward(dh_T)  # (n, T, d)

    def extra_repr(self) -> str:
        return f"{self.cell!r}, {self.rnn.n_in}, {self.rnn.n_hidden}, {self.head.n_out}"
