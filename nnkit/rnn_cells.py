"""One time step of a recurrent network: forward and backward, four cells.

Each cell computes one step ``state_t = cell(x_t, state_{t-1})`` and its exact
backward. The sequence layers in `nnkit.rnn` unroll a cell in time, so
backpropagation through time is a plain reversed loop over `step_backward`
(chapter 7, "Recurrent networks").

Parameter names, shapes and gate order are PyTorch's (``torch.nn.RNNCell``,
``LSTMCell``, ``GRUCell``): a cell with G gates has

- ``weight_ih`` ``(G*h, d)`` and ``bias_ih`` ``(G*h,)`` acting on the input,
- ``weight_hh`` ``(G*h, h)`` and ``bias_hh`` ``(G*h,)`` acting on the hidden state,

with the gate blocks stacked in rows, so weights copied from PyTorch give the
same outputs and gradients. In code (batch first, as everywhere in nnkit) the
pre-activations of all gates are ``A = x @ W_ih.T + b_ih + h @ W_hh.T + b_hh``.

The step API, used by the layers and by the analysis helpers:

- ``state, cache = cell.step_forward(x_t, state_prev)`` with ``state`` a tuple
  (``(h,)``, or ``(h, c)`` for the LSTM);
- ``dx_t, dstate_prev = cell.step_backward(dstate, cache)``, which also adds the
  parameter gradients into ``.grad`` (pass ``accumulate=False`` to skip that).

Every array in a cache has the batch as its first axis (the Jacobian helpers
rely on this to tile a cache). The step API trusts its arrays; the checks run once,
at the boundary (`check_input`, and `unpack_state` for a given state).

As a `Layer`, a cell keeps the one contract: ``forward(x_t, *, training=False)`` takes one
step from the attribute ``initial_state`` (None means zeros; ``(h, c)`` for the LSTM) and
returns the new h, setting ``final_state``; ``backward(dh)`` returns dL/dx_t and sets
``initial_state_grad``.
"""

from __future__ import annotations

import numpy as np

from . import init as _init
from .core import (
    Layer, NNKitError, Parameter, ShapeError, as_float_array, check_finite, require_rng,
)
from .functional import relu, sigmoid, tanh

__all__ = ["RNNCell", "GatedCell", "LSTMCell", "GRUCell"]

_NONLINEARITIES = ("tanh", "relu")


def _phi(a: np.ndarray, nonlinearity: str) -> np.ndarray:
    return tanh(a) if nonlinearity == "tanh" else relu(a)


def _phi_grad_from_output(y: np.ndarray, nonlinearity: str) -> np.ndarray:
    """phi'(a) written with y = phi(a): 1 - y^2 for tanh, [y > 0] for ReLU."""
    return 1 - y * y if nonlinearity == "tanh" else (y > 0).astype(y.dtype)


class _Cell(Layer):
    """Shared parts of the four cells: parameters, checks, the public one-step API."""

    n_gates = 1
    n_state = 1  # how many arrays make up the state: 1 (h) or 2 (h, c)

    def __init__(self, n_in: int, n_hidden: int, *, rng: np.random.Generator | None = None,
                 dtype=np.float64):
        if int(n_in) < 1 or int(n_hidden) < 1:
            raise NNKitError(
                f"{type(self).__name__}: n_in and n_hidden must be positive integers, got "
                f"n_in={n_in}, n_hidden={n_hidden}."
            )
        self.n_in, self.n_hidden = int(n_in), int(n_hidden)
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise NNKitError(
                f"{type(self).__name__}: dtype must be float32 or float64, got {dtype}."
            )
        rng = require_rng(rng, type(self).__name__)
        # PyTorch's default: every parameter ~ U(-1/sqrt(h), 1/sqrt(h)).
        bound = 1.0 / np.sqrt(self.n_hidden)
        G, h, d = self.n_gates, self.n_hidden, self.n_in

        def uniform(*shape):
            return _init.uniform(shape, rng, dtype, low=-bound, high=bound)

        self.weight_ih = Parameter(uniform(G * h, d))  # (G*h, d)
        self.weight_hh = Parameter(uniform(G * h, h))  # (G*h, h)
        self.bias_ih = Parameter(uniform(G * h))  # (G*h,)
        self.bias_hh = Parameter(uniform(G * h))  # (G*h,)
        self.initial_state = None  # h_{t-1} for `forward` (LSTM: (h, c)); None means zeros
        self.final_state = None  # the state after the last `forward`
        self.initial_state_grad = None  # dL/d(initial_state) after the last `backward`
        self._cache = None

    @property
    def dtype(self) -> np.dtype:
        return self.weight_ih.value.dtype

    # -- state: the public form is h, or the pair (h, c) for the LSTM -----------------
    def pack_state(self, state: tuple):
        """The public form of a state tuple: ``h``, or ``(h, c)`` for the LSTM."""
        return state if self.n_state == 2 else state[0]

    def unpack_state(self, public, n: int, who: str, what: str) -> tuple:
        """A state in public form (None means zeros) as a tuple of checked (n, h) arrays."""
        if public is None:
            return self.zero_state(n)
        if self.n_state == 2:
            if isinstance(public, np.ndarray):
                public = (public, None)  # a bare h: c is zero
            if not isinstance(public, (tuple, list)) or len(public) != 2:
                raise ShapeError(f"{who}: {what} must be a pair (h, c) of (n, h) arrays.")
        else:
            public = (public,)
        parts = []
        for a, label in zip(public, ("h", "c")):
            if a is None:
                a = np.zeros((n, self.n_hidden), self.dtype)
            a = as_float_array(a, who, what, dtype=self.dtype)
            if a.shape != (n, self.n_hidden):
                part = f"the {label} part of {what}" if self.n_state == 2 else what
                raise ShapeError(
                    f"{who}: expected {part} of shape ({n}, {self.n_hidden}) (batch, hidden), "
                    f"got {a.shape}."
                )
            parts.append(a)
        return tuple(parts)

    def zero_state(self, n: int) -> tuple:
        """The initial state used when none is given: zeros, a tuple of (n, h) arrays."""
        return tuple(np.zeros((n, self.n_hidden), dtype=self.dtype) for _ in range(self.n_state))

    def _add_param_grads(self, dA_ih, dA_hh, x, h_prev) -> None:
        """Accumulate dL/dW and dL/db from the gate pre-activation gradients (n, G*h)."""
        if self.weight_ih.requires_grad:
            self.weight_ih.grad += dA_ih.T @ x  # (G*h, d)
        if self.bias_ih.requires_grad:
            self.bias_ih.grad += dA_ih.sum(axis=0)  # (G*h,)
        if self.weight_hh.requires_grad:
            self.weight_hh.grad += dA_hh.T @ h_prev  # (G*h, h)
        if self.bias_hh.requires_grad:
            self.bias_hh.grad += dA_hh.sum(axis=0)  # (G*h,)

    # -- the step API (each cell writes its own equations) ---------------------------
    def step_forward(self, x, state: tuple) -> tuple[tuple, tuple]:
        """One time step: returns ``(state_t, cache)``; `state` is ``(h,)`` or ``(h, c)``.

        Shapes: x (n, d); each state array (n, h). The cache holds batch-first arrays.
        """
        raise NotImplementedError

    def step_backward(self, dstate: tuple, cache: tuple, *, accumulate: bool = True):
        """Backward of one step: ``(dx_t, dstate_prev)`` from ``dstate = dL/dstate_t``.

        Adds this step's parameter gradients into ``.grad`` unless ``accumulate=False``.
        Shapes: dstate arrays (n, h) -> dx_t (n, d), dstate_prev arrays (n, h).
        """
        raise NotImplementedError

    # -- the Layer contract: one step from `initial_state` --------------------------
    def check_input(self, x):
        x = as_float_array(x, self, "input x_t", dtype=self.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_in:
            raise ShapeError(
                f"{self.name}: expected one time step x_t of shape (n, {self.n_in}), got "
                f"{x.shape}. Sequences (n, T, d) go to the sequence layers (RNN, LSTM, ...)."
            )
        check_finite(x, self)
        return x

    def forward(self, x, *, training: bool = False):
        """One step on a batch from ``initial_state``: returns the new h.

        Sets ``final_state`` (h, or ``(h, c)`` for the LSTM).
        Shapes: x (n, d) -> h (n, h).
        """
        state = self.unpack_state(self.initial_state, x.shape[0], self.name, "initial_state")
        state, self._cache = self.step_forward(x, state)
        self.final_state = self.pack_state(state)
        return state[0]

    def backward(self, grad):
        """Backward of the last `forward`: dL/dh_new -> dL/dx; sets ``initial_state_grad``."""
        cache = self._require_cache(self._cache)
        dstate = (grad,) + tuple(np.zeros_like(grad) for _ in range(self.n_state - 1))
        dx, dprev = self.step_backward(dstate, cache)
        self.initial_state_grad = self.pack_state(dprev)
        return dx

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_hidden}"


class RNNCell(_Cell):
    """Vanilla (Elman) recurrent cell, as ``torch.nn.RNNCell``.

    Equation (chapter 7), with ``phi`` = tanh or ReLU::

        a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
        h_t = phi(a_t)

    Backward, with ``delta = dL/dh_t * phi'(a_t)``::

        dL/dx_t = delta W_ih,  dL/dh_{t-1} = delta W_hh,
        dW_ih += delta^T x_t,  dW_hh += delta^T h_{t-1},  db_ih = db_hh += sum_n delta

    Shapes
    ------
    x_t (n, d), h (n, h); weight_ih (h, d), weight_hh (h, h), bias_ih and bias_hh (h,).
    """

    n_gates = 1

    def __init__(self, n_in: int, n_hidden: int, nonlinearity: str = "tanh", *,
                 rng: np.random.Generator | None = None, dtype=np.float64):
        if nonlinearity not in _NONLINEARITIES:
            raise NNKitError(
                f"RNNCell: nonlinearity must be 'tanh' or 'relu' (as in PyTorch), got "
                f"{nonlinearity!r}."
            )
        super().__init__(n_in, n_hidden, rng=rng, dtype=dtype)
        self.nonlinearity = nonlinearity

    def step_forward(self, x, state):
        (h_prev,) = state
        a = (x @ self.weight_ih.value.T + self.bias_ih.value
             + h_prev @ self.weight_hh.value.T + self.bias_hh.value)  # (n, h)
        h = _phi(a, self.nonlinearity)  # (n, h)
        return (h,), (x, h_prev, h)

    def step_backward(self, dstate, cache, *, accumulate: bool = True):
        (dh,) = dstate
        x, h_prev, h = cache
        delta = dh * _phi_grad_from_output(h, self.nonlinearity)  # (n, h)
        if accumulate:
            self._add_param_grads(delta, delta, x, h_prev)
        dx = delta @ self.weight_ih.value  # (n, d)
        dh_prev = delta @ self.weight_hh.value  # (n, h)
        return dx, (dh_prev,)

    def extra_repr(self) -> str:
        return f"{self.n_in}, {self.n_hidden}, nonlinearity={self.nonlinearity!r}"


class GatedCell(_Cell):
    """The simplified gated recurrence of chapter 7 (not in PyTorch; laid out like its LSTM).

    Gates in the order i, f, g (rows of ``weight_ih``/``weight_hh``)::

        [a_i, a_f, a_g] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
        i = sigmoid(a_i),  f = sigmoid(a_f),  g = phi(a_g)
        h_t = f * h_{t-1} + i * g

    With the gates held fixed, dh_t/dh_{t-1} = diag(f) + diag(i * phi'(a_g)) W_hg: a forget
    gate near 1 keeps an identity path through time. The exact Jacobian (what
    `step_backward` computes) adds the terms through the gates.

    `forget_bias` is added to the f block of ``bias_ih`` at initialization (0 by default;
    a value near 1 starts the cell close to remembering).

    Shapes
    ------
    x_t (n, d), h (n, h); weight_ih (3h, d), weight_hh (3h, h), biases (3h,).
    """

    n_gates = 3

    def __init__(self, n_in: int, n_hidden: int, nonlinearity: str = "tanh", *,
                 forget_bias: float = 0.0, rng: np.random.Generator | None = None,
                 dtype=np.float64):
        if nonlinearity not in _NONLINEARITIES:
            raise NNKitError(
                f"GatedCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}."
            )
        super().__init__(n_in, n_hidden, rng=rng, dtype=dtype)
        self.nonlinearity = nonlinearity
        h = self.n_hidden
        self.bias_ih.value[h:2 * h] += forget_bias

    def step_forward(self, x, state):
        (h_prev,) = state
        H = self.n_hidden
        A = (x @ self.weight_ih.value.T + self.bias_ih.value
             + h_prev @ self.weight_hh.value.T + self.bias_hh.value)  # (n, 3h)
        i = sigmoid(A[:, :H])  # (n, h)
        f = sigmoid(A[:, H:2 * H])  # (n, h)
        g = _phi(A[:, 2 * H:], self.nonlinearity)  # (n, h)
        h = f * h_prev + i * g  # (n, h)
        return (h,), (x, h_prev, i, f, g)

    def step_backward(self, dstate, cache, *, accumulate: bool = True):
        (dh,) = dstate
        x, h_prev, i, f, g = cache
        dA = np.concatenate([
            dh * g * i * (1 - i),  # dL/da_i
            dh * h_prev * f * (1 - f),  # dL/da_f
            dh * i * _phi_grad_from_output(g, self.nonlinearity),  # dL/da_g
        ], axis=1)  # (n, 3h)
        if accumulate:
            self._add_param_grads(dA, dA, x, h_prev)
        dx = dA @ self.weight_ih.value  # (n, d)
        dh_prev = dh * f + dA @ self.weight_hh.value  # (n, h)
        return dx, (dh_prev,)


class LSTMCell(_Cell):
    """Long short-term memory cell, as ``torch.nn.LSTMCell`` (gates i, f, g, o).

    ::

        [a_i, a_f, a_g, a_o] = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh
        i = sigmoid(a_i), f = sigmoid(a_f), g = tanh(a_g), o = sigmoid(a_o)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    Backward: with ``dc = dL/dc_t + dL/dh_t * o * (1 - tanh(c_t)^2)``, the cell state
    passes ``dL/dc_{t-1} = dc * f`` straight back (the "conveyor belt").

    Shapes
    ------
    x_t (n, d); state (h, c) each (n, h); weight_ih (4h, d), weight_hh (4h, h), biases (4h,).
    """

    n_gates = 4
    n_state = 2

    def step_forward(self, x, state):
        h_prev, c_prev = state
        H = self.n_hidden
        A = (x @ self.weight_ih.value.T + self.bias_ih.value
             + h_prev @ self.weight_hh.value.T + self.bias_hh.value)  # (n, 4h)
        i = sigmoid(A[:, :H])  # (n, h)
        f = sigmoid(A[:, H:2 * H])
        g = tanh(A[:, 2 * H:3 * H])
        o = sigmoid(A[:, 3 * H:])
        c = f * c_prev + i * g  # (n, h)
        tanh_c = tanh(c)
        h = o * tanh_c  # (n, h)
        return (h, c), (x, h_prev, c_prev, i, f, g, o, tanh_c)

    def step_backward(self, dstate, cache, *, accumulate: bool = True):
        dh, dc_next = dstate
        x, h_prev, c_prev, i, f, g, o, tanh_c = cache
        dc = dc_next + dh * o * (1 - tanh_c * tanh_c)  # (n, h) total dL/dc_t
        dA = np.concatenate([
            dc * g * i * (1 - i),  # dL/da_i
            dc * c_prev * f * (1 - f),  # dL/da_f
            dc * i * (1 - g * g),  # dL/da_g
            dh * tanh_c * o * (1 - o),  # dL/da_o
        ], axis=1)  # (n, 4h)
        if accumulate:
            self._add_param_grads(dA, dA, x, h_prev)
        dx = dA @ self.weight_ih.value  # (n, d)
        dh_prev = dA @ self.weight_hh.value  # (n, h)
        return dx, (dh_prev, dc * f)


class GRUCell(_Cell):
    """Gated recurrent unit, as ``torch.nn.GRUCell`` (gates r, z, n).

    ::

        [a_ir, a_iz, a_in] = W_ih x_t + b_ih,   [a_hr, a_hz, a_hn] = W_hh h_{t-1} + b_hh
        r = sigmoid(a_ir + a_hr),  z = sigmoid(a_iz + a_hz)
        n = tanh(a_in + r * a_hn)
        h_t = (1 - z) * n + z * h_{t-1}

    (PyTorch's convention: r multiplies ``W_hn h + b_hn``, bias included.)

    Shapes
    ------
    x_t (n, d), h (n, h); weight_ih (3h, d), weight_hh (3h, h), biases (3h,).
    """

    n_gates = 3

    def step_forward(self, x, state):
        (h_prev,) = state
        H = self.n_hidden
        A_i = x @ self.weight_ih.value.T + self.bias_ih.value  # (n, 3h)
        A_h = h_prev @ self.weight_hh.value.T + self.bias_hh.value  # (n, 3h)
        r = sigmoid(A_i[:, :H] + A_h[:, :H])  # (n, h)
        z = sigmoid(A_i[:, H:2 * H] + A_h[:, H:2 * H])
        a_hn = A_h[:, 2 * H:]
        n_ = tanh(A_i[:, 2 * H:] + r * a_hn)  # (n, h); `n_` because n is the batch size
        h = (1 - z) * n_ + z * h_prev  # (n, h)
        return (h,), (x, h_prev, r, z, n_, a_hn)

    def step_backward(self, dstate, cache, *, accumulate: bool = True):
        (dh,) = dstate
        x, h_prev, r, z, n_, a_hn = cache
        dn_pre = dh * (1 - z) * (1 - n_ * n_)  # dL/d(a_in + r * a_hn), (n, h)
        da_r = dn_pre * a_hn * r * (1 - r)
        da_z = dh * (h_prev - n_) * z * (1 - z)
        dA_i = np.concatenate([da_r, da_z, dn_pre], axis=1)  # (n, 3h)
        dA_h = np.concatenate([da_r, da_z, dn_pre * r], axis=1)  # (n, 3h)
        if accumulate:
            self._add_param_grads(dA_i, dA_h, x, h_prev)
        dx = dA_i @ self.weight_ih.value  # (n, d)
        dh_prev = dh * z + dA_h @ self.weight_hh.value  # (n, h)
        return dx, (dh_prev,)
