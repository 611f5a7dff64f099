"""Layers with parameters or state: `Dense`, `Dropout`, `BatchNorm`, and `Sequential`.

Each layer is a forward/backward pair with its own cache (chapter 3, Backpropagation).
A dense layer follows the book's notation ``z = W a + b`` with ``W`` of shape
``(n_out, n_in)``; with one sample per row that is ``Z = A @ W.T + b``.

Shapes
------
``Dense``: ``(n, n_in)`` (or ``(..., n_in)``) -> ``(n, n_out)``.
``Dropout``: any shape -> same shape.
``BatchNorm``: ``(n, n_features)`` -> same shape.
``Sequential``: whatever its first layer takes -> whatever its last layer returns.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np

from . import init as _init
from .core import (
    Layer, NNKitError, Parameter, ShapeError, as_float_array, check_finite, positive_int,
    require_rng,
)

__all__ = ["Dense", "Dropout", "BatchNorm", "Sequential"]


def _check_grad(layer: Layer, grad, shape: tuple) -> np.ndarray:
    """The shape check every backward keeps (a tuple comparison: nothing else is re-validated)."""
    if grad.shape != shape:
        raise ShapeError(
            f"{layer.name}.backward: expected a gradient of shape {shape} (the shape of the "
            f"last forward output), got {grad.shape}."
        )
    return grad


class Dense(Layer):
    """Fully connected layer (PyTorch's `nn.Linear`): ``Z = X @ W.T + b``.

    Parameters
    ----------
    n_in, n_out : int
        Input and output widths.
    bias : bool
        Whether to learn a bias `b`.
    init : callable or str, optional
        Initializer for the weight, ``init(shape, rng, dtype) -> array`` from `nnkit.init`
        or its name (``"he_normal"``, ...). ``None`` (default) is PyTorch's default for
        `nn.Linear`: weight and bias uniform on ±1/sqrt(n_in).
    bias_init : callable or str, optional
        Initializer for the bias. ``None`` means PyTorch's uniform ±1/sqrt(n_in) when `init`
        is ``None`` and zeros when an `init` is given (the convention of chapter 5).
    rng : np.random.Generator
        Source of the initial values (required, as for everything in nnkit that draws).
    dtype : float32 or float64
        dtype of the parameters; ``layer(x)`` casts inputs to it, so a float32 layer stays
        float32.

    The input is cached by reference, not copied (PyTorch does the same): if the caller
    changes the input array in place between ``forward`` and ``backward``, ``backward``
    computes ``dW`` from the changed values. Pass a copy if you must reuse the array.

    Shapes
    ------
    x: ``(n, n_in)`` (any leading axes, or a single sample ``(n_in,)``) -> ``(n, n_out)``.
    weight: ``(n_out, n_in)``; bias: ``(n_out,)``.
    """

    def __init__(self, n_in: int, n_out: int, *, bias: bool = True, init=None,
                 bias_init=None, rng: np.random.Generator | None = None, dtype=np.float64):
        self.n_in, self.n_out = positive_int(n_in, "Dense", "n_in"), positive_int(n_out, "Dense", "n_out")
        dtype = np.dtype(dtype)
        if dtype.kind != "f":
            raise NNKitError(f"Dense: dtype must be float32 or float64, got {dtype}.")
        rng = require_rng(rng, "Dense")
        bound = 1.0 / math.sqrt(self.n_in)
        if init is None:
            W = _init.uniform((self.n_out, self.n_in), rng, dtype, low=-bound, high=bound)
        else:
            W = _init.get(init)((self.n_out, self.n_in), rng, dtype)
        if W.shape != (self.n_out, self.n_in):
            raise ShapeError(
                f"Dense: the initializer returned shape {W.shape}, expected {(self.n_out, self.n_in)}."
            )
        self.weight = Parameter(np.asarray(W, dtype=dtype))
        if bias:
            if bias_init is None:
                b = (_init.uniform((self.n_out,), rng, dtype, low=-bound, high=bound)
                     if init is None else np.zeros(self.n_out, dtype=dtype))
            else:
                b = _init.get(bias_init)((self.n_out,), rng, dtype)
            self.bias = Parameter(np.asarray(b, dtype=dtype).reshape(self.n_out))
        else:
            self.bias = None
        self._x = None  # the cached input, (m, n_in)

    def check_input(self, x):
        x = as_float_array(x, self, dtype=self.weight.dtype)
        if x.ndim == 0 or x.shape[-1] != self.n_in:
            raise ShapeError(
                f"{self.name}: expected an input of shape (n, {self.n_in}) (one sample per "
                f"row, {self.n_in} features), got {x.shape}."
                + (" Did you pass the transpose?" if x.ndim == 2 and x.shape[0] == self.n_in else "")
            )
        check_finite(x, self)
        return x

    def forward(self, x, *, training=False):
        A = x if x.ndim == 2 else x.reshape(-1, self.n_in)    # (m, n_in)
        Z = A @ self.weight.value.T                           # (m, n_out)
        if self.bias is not None:
            Z += self.bias.value
        self._x = A
        return Z if x.ndim == 2 else Z.reshape(x.shape[:-1] + (self.n_out,))  # (..., n_out)

    def backward(self, grad):
        """Accumulate dW = delta.T @ A and db = sum(delta) and return dA = delta @ W.

        Returns None instead of dA when ``needs_input_grad`` is False (the input is data).
        """
        A = self._require_cache(self._x)                      # (m, n_in)
        if grad.shape[-1:] != (self.n_out,) or grad.size != A.shape[0] * self.n_out:
            raise ShapeError(
                f"{self.name}.backward: expected a gradient of shape (n, {self.n_out}) with the "
                f"same number of samples as the forward input ({A.shape[0]}), got {grad.shape}."
            )
        delta = grad if grad.ndim == 2 else grad.reshape(-1, self.n_out)  # (m, n_out) = dL/dZ
        if self.weight.requires_grad:
            self.weight.grad += delta.T @ A                   # (n_out, n_in)
        if self.bias is not None and self.bias.requires_grad:
            self.bias.grad += delta.sum(axis=0)               # (n_out,)
        if not self.needs_input_grad:
            return None                                       # the input is data: no dA
        dA = delta @ self.weight.value                        # (m, n_in) = dL/dA
        return dA if grad.ndim == 2 else dA.reshape(grad.shape[:-1] + (self.n_in,))

    def extra_repr(self):
        return f"{self.n_in}->{self.n_out}" + ("" if self.bias is not None else ", bias=False")

    def __repr__(self):
        return (f"Dense(n_in={self.n_in}, n_out={self.n_out}, bias={self.bias is not None}, "
                f"dtype={self.weight.dtype})")


class Dropout(Layer):
    """Inverted dropout: in training, zero each entry with probability `p` and scale the
    survivors by ``1 / (1 - p)``, so the expected output equals the input; at inference
    (``training=False``) the identity. Chapter 6 (Regularization).

    The masks are drawn from the `np.random.Generator` given at construction (required,
    as for everything in nnkit that draws): the same seed gives the same masks.

    Attributes
    ----------
    mask : np.ndarray of bool or None
        The units kept by the last training-mode forward (True = kept); None before one.

    Shapes: ``x`` any shape -> same shape.
    """

    def __init__(self, p: float = 0.5, *, rng: np.random.Generator | None = None):
        if not 0.0 <= float(p) <= 1.0:
            raise NNKitError(f"Dropout: p is the probability of dropping and must lie in [0, 1], got {p}.")
        self.p = float(p)
        self.rng = require_rng(rng, "Dropout")
        self.mask = None
        self._cache = None  # ("eval", shape) or ("train", mask, scale)

    def forward(self, x, *, training=False):
        if not training or self.p == 0.0:
            if training:
                self.mask = np.ones(x.shape, dtype=bool)
            self._cache = ("eval", x.shape)
            return x
        keep = self.rng.random(x.shape, dtype=x.dtype) >= self.p  # (same as x), True = kept
        self.mask = keep
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        out = np.multiply(x, keep)
        out *= scale
        self._cache = ("train", keep, scale)
        return out

    def backward(self, grad):
        cache = self._require_cache(self._cache)
        if cache[0] == "eval":
            return _check_grad(self, grad, cache[1])
        _, keep, scale = cache
        grad = _check_grad(self, grad, keep.shape)
        dx = np.multiply(grad, keep)
        dx *= scale
        return dx

    def extra_repr(self):
        return f"p={self.p}"


class BatchNorm(Layer):
    """Batch normalization over the batch axis, as PyTorch's `nn.BatchNorm1d`.

    Training: ``x_hat = (x - mu_B) / sqrt(var_B + eps)`` with the batch mean and the
    *biased* batch variance, output ``gamma * x_hat + beta``; the running statistics are
    updated as ``running = (1 - momentum) * running + momentum * batch_stat``, where the
    running variance uses the *unbiased* batch variance (n / (n - 1) times the biased one).
    Inference (``training=False``): normalize with the running statistics.

    Attributes
    ----------
    weight, bias : Parameter
        gamma (initially ones) and beta (initially zeros), shape ``(n_features,)``.
    running_mean, running_var : np.ndarray
        Buffers (not parameters), initially zeros and ones.

    Shapes: ``x`` ``(n, n_features)`` -> same shape.
    """

    def __init__(self, n_features: int, momentum: float = 0.1, eps: float = 1e-5,
                 dtype=np.float64):
        if int(n_features) < 1:
            raise NNKitError(f"BatchNorm: n_features must be positive, got {n_features}.")
        self.n_features = int(n_features)
        self.momentum = float(momentum)
        self.eps = float(eps)
        self.weight = Parameter(np.ones(self.n_features, dtype=dtype))
        self.bias = Parameter(np.zeros(self.n_features, dtype=dtype))
        self.running_mean = np.zeros(self.n_features, dtype=dtype)
        self.running_var = np.ones(self.n_features, dtype=dtype)
        self._cache = None

    def check_input(self, x):
        x = as_float_array(x, self, dtype=self.weight.dtype)
        if x.ndim != 2 or x.shape[1] != self.n_features:
            raise ShapeError(
                f"{self.name}: expected an input of shape (n, {self.n_features}), got {x.shape}."
            )
        check_finite(x, self)
        return x

    def forward(self, x, *, training=False):
        gamma, beta = self.weight.value, self.bias.value
        n = x.shape[0]
        if training:
            if n < 2:
                raise ShapeError(
                    f"{self.name}: training mode needs at least 2 samples per batch to estimate "
                    f"a variance, got {n}; use a larger batch or training=False."
                )
            mu = x.mean(axis=0)  # (d,)
            xc = x - mu  # (n, d)
            var = np.mean(np.square(xc), axis=0)  # (d,) biased
            m = self.momentum
            self.running_mean *= 1.0 - m
            self.running_mean += m * mu
            self.running_var *= 1.0 - m
            self.running_var += (m * n / (n - 1)) * var
        else:
            xc = x - self.running_mean  # (n, d)
            var = self.running_var
        inv_std = 1.0 / np.sqrt(var + self.eps)  # (d,)
        x_hat = xc
        x_hat *= inv_std
        out = x_hat * gamma
        out += beta
        self._cache = (x_hat, inv_std, training)
        return out

    def backward(self, grad):
        x_hat, inv_std, training = self._require_cache(self._cache)
        grad = _check_grad(self, grad, x_hat.shape)
        if self.weight.requires_grad:
            self.weight.grad += np.sum(grad * x_hat, axis=0)  # (d,)
        if self.bias.requires_grad:
            self.bias.grad += grad.sum(axis=0)  # (d,)
        dx_hat = grad * self.weight.value  # (n, d)
        if not training:
            dx_hat *= inv_std
            return dx_hat
        # dx = inv_std / n * (n dx_hat - sum(dx_hat) - x_hat sum(dx_hat x_hat))
        dx = dx_hat - dx_hat.mean(axis=0)
        dx -= x_hat * np.mean(dx_hat * x_hat, axis=0)
        dx *= inv_std
        return dx

    def extra_repr(self):
        return f"{self.n_features}"


class Sequential(Layer):
    """Layers applied one after the other; children are named ``"0"``, ``"1"``, ...

    ``forward(x, training=...)`` passes `training` to every layer; ``backward(grad)`` runs
    the layers in reverse. Calling the model, ``model(x)``, checks the input once (with the
    first layer's `check_input`); the layers inside trust what the previous layer returns.
    Parameters are named like PyTorch's: ``"0.weight"``, ``"0.bias"``, ...
    ``freeze(i, ...)`` sets ``requires_grad = False`` on the parameters of those layers so
    optimizers (and the layers' backward) skip them. ``needs_input_grad`` is the first
    layer's: set it to False when the input is data, and the first layer may skip dL/dx.

    Shapes: whatever the first layer takes -> whatever the last layer returns.
    """

    def __init__(self, *layers: Layer):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        for i, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise NNKitError(
                    f"Sequential: argument {i} is a {type(layer).__name__}, not a Layer; pass "
                    "layer objects, e.g. Sequential(Dense(2, 3, rng=rng), ReLU())."
                )
            desc = " ".join(s for s in (type(layer).__name__, layer.extra_repr()) if s)
            layer._name = f"Sequential[{i}] ({desc})"
        self._layers = list(layers)

    # -- container protocol -------------------------------------------------------------------
    def __getitem__(self, index):
        if isinstance(index, slice):  # a view on the same layers, which keep their names
            part = Sequential.__new__(Sequential)
            part._layers = self._layers[index]
            return part
        return self._layers[index]

    def __len__(self):
        return len(self._layers)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self._layers)

    def children(self):
        for i, layer in enumerate(self._layers):
            yield str(i), layer

    @property
    def needs_input_grad(self) -> bool:
        return self._layers[0].needs_input_grad if self._layers else True

    @needs_input_grad.setter
    def needs_input_grad(self, flag: bool) -> None:
        if self._layers:
            self._layers[0].needs_input_grad = bool(flag)

    # -- computation ---------------------------------------------------------------------------
    def check_input(self, x):
        return self._layers[0].check_input(x) if self._layers else super().check_input(x)

    def forward(self, x, *, training=False):
        for layer in self._layers:
            x = layer.forward(x, training=training)
        return x

    def __call__(self, x, *, training=False):
        x = self.check_input(x)
        try:
            return self.forward(x, training=training)
        except ValueError:  # NumPy rejected a shape inside: name the layer (costs nothing otherwise)
            self.find_misfit(x)
            raise

    def find_misfit(self, x) -> None:
        """Raise the `ShapeError` of the first layer whose input does not fit, if there is one.

        Runs the layers in inference mode, each checking its input, so the error names the
        layer, the expected and the received shape. `fit` calls it when a step fails.
        """
        for layer in self._layers:
            x = layer(x, training=False)

    def activations(self, x, *, training=False) -> list:
        """Run a forward pass and return every layer's output, in order (``len(self)`` arrays).

        The chapters plot per-layer histograms with it. The input is checked as by
        ``model(x)``; the caches are filled as by `forward`.
        """
        x = self.check_input(x)
        outs = []
        for layer in self._layers:
            x = layer(x, training=training)
            outs.append(x)
        return outs

    def backward(self, grad):
        """Run every layer's backward in reverse order and return dL/dx (None when
        ``needs_input_grad`` is False)."""
        for layer in reversed(self._layers):
            grad = layer.backward(grad)
        return grad

    # -- freezing ------------------------------------------------------------------------------
    def _set_requires_grad(self, indices, flag: bool) -> None:
        n = len(self._layers)
        for i in indices if indices else range(n):
            if not isinstance(i, (int, np.integer)) or not -n <= i < n:
                raise NNKitError(
                    f"Sequential.freeze/unfreeze: {i!r} is not a layer index of this "
                    f"{n}-layer Sequential (use 0..{n - 1})."
                )
            for p in self._layers[i].parameters():
                p.requires_grad = flag

    def freeze(self, *indices: int) -> None:
        """Stop training the layers at `indices` (all layers if none are given)."""
        self._set_requires_grad(indices, False)

    def unfreeze(self, *indices: int) -> None:
        """Train the layers at `indices` again (all layers if none are given)."""
        self._set_requires_grad(indices, True)

    def __repr__(self):
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self._layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"
