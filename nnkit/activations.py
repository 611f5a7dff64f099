"""Activation layers: each wraps a function of `nnkit.functional` with a cache.

`forward(x)` applies phi elementwise and keeps what `backward` needs (the input or the
output); `backward(grad)` returns ``grad * phi'(z)``. `PReLU` also learns its slope
`weight`; `Softmax` couples the entries of a row, so its backward is a Jacobian-vector
product. Chapter 2 (Activation functions) explains each one.

Shapes
------
``x``: any shape, usually ``(n, d)`` -> output of the same shape; ``backward`` takes and
returns arrays of that shape.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from .core import Layer, NNKitError, Parameter, ShapeError

__all__ = [
    "Identity", "Step", "Sigmoid", "Tanh", "ReLU", "LeakyReLU", "PReLU", "ELU", "GELU",
    "Swish", "SiLU", "Softmax",
]


class _Activation(Layer):
    """Shared plumbing: the cache and the grad-shape check (inputs are checked by `__call__`)."""

    def __init__(self):
        self._cache = None  # whatever backward needs, set by forward

    def _grad(self, grad) -> tuple:
        cache = self._require_cache(self._cache)
        if grad.shape != cache[0].shape:
            raise ShapeError(
                f"{self.name}.backward: expected a gradient of shape {cache[0].shape} (the "
                f"shape of the last forward output), got {grad.shape}."
            )
        return grad, cache


class Identity(_Activation):
    """phi(z) = z: the output layer of a regression network.

    Shapes: ``x`` any shape -> same shape.
    """

    def forward(self, x, *, training=False):
        self._cache = (x,)
        return x

    def backward(self, grad):
        grad, _ = self._grad(grad)
        return grad


class Step(_Activation):
    """Heaviside step, 1 where z >= 0 else 0 (the perceptron's activation).

    Its derivative is zero wherever it exists, so `backward` returns zeros: no gradient
    flows through a step unit, which is why perceptrons are not trained by backpropagation.

    Shapes: ``x`` any shape -> same shape.
    """

    def forward(self, x, *, training=False):
        self._cache = (x,)
        return F.step(x)

    def backward(self, grad):
        grad, _ = self._grad(grad)
        return np.zeros_like(grad)


class Sigmoid(_Activation):
    """sigma(z) = 1 / (1 + exp(-z)); backward uses the cached output: sigma (1 - sigma).

    Shapes: ``x`` any shape -> same shape.
    """

    def forward(self, x, *, training=False):
        a = F.sigmoid(x)
        self._cache = (a,)
        return a

    def backward(self, grad):
        grad, (a,) = self._grad(grad)
        dz = 1.0 - a
        dz *= a
        dz *= grad
        return dz


class Tanh(_Activation):
    """tanh(z); backward uses the cached output: 1 - tanh^2.

    Shapes: ``x`` any shape -> same shape.
    """

    def forward(self, x, *, training=False):
        a = np.tanh(x)
        self._cache = (a,)
        return a

    def backward(self, grad):
        grad, (a,) = self._grad(grad)
        dz = np.square(a)
        np.subtract(1.0, dz, out=dz)
        dz *= grad
        return dz


class ReLU(_Activation):
    """max(z, 0); the gradient passes where the output is positive (0 at z = 0, as in PyTorch).

    Shapes: ``x`` any shape -> same shape.
    """

    def forward(self, x, *, training=False):
        a = np.maximum(x, 0.0)
        self._cache = (a,)
        return a

    def backward(self, grad):
        grad, (a,) = self._grad(grad)
        return np.multiply(grad, a > 0)


class LeakyReLU(_Activation):
    """z where z > 0, else alpha z (PyTorch's `negative_slope`).

    Shapes: ``x`` any shape -> same shape.
    """

    def __init__(self, alpha: float = 0.01):
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x, *, training=False):
        self._cache = (x,)
        return F.leaky_relu(x, self.alpha)

    def backward(self, grad):
        grad, (x,) = self._grad(grad)
        return grad * F.leaky_relu_grad(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class PReLU(_Activation):
    """Leaky ReLU with a learned slope `weight` (PyTorch's `nn.PReLU`).

    With ``num_parameters=1`` one slope is shared by every unit; with ``num_parameters=C``
    unit ``c`` of the channel axis (axis 1, as in PyTorch) has its own slope.

    Shapes: ``x`` ``(n, C, ...)`` (or any shape if ``num_parameters == 1``) -> same shape;
    ``weight`` ``(num_parameters,)``.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, dtype=np.float64):
        super().__init__()
        if int(num_parameters) < 1:
            raise NNKitError(f"PReLU: num_parameters must be at least 1, got {num_parameters}.")
        self.num_parameters = int(num_parameters)
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def _alpha(self, x: np.ndarray) -> np.ndarray:
        """The slope reshaped to broadcast against `x` along axis 1."""
        alpha = self.weight.value
        if self.num_parameters == 1:
            return alpha
        if x.ndim < 2 or x.shape[1] != self.num_parameters:
            raise ShapeError(
                f"{self.name}: expected an input of shape (n, {self.num_parameters}, ...) "
                f"(one slope per unit on axis 1), got {x.shape}."
            )
        return alpha.reshape((self.num_parameters,) + (1,) * (x.ndim - 2))  # (C, 1, ...)

    def forward(self, x, *, training=False):
        self._cache = (x,)
        return F.prelu(x, self._alpha(x))

    def backward(self, grad):
        grad, (x,) = self._grad(grad)
        alpha = self._alpha(x)
        if self.weight.requires_grad:
            dalpha = grad * F.prelu_grad_alpha(x)
            if self.num_parameters == 1:
                self.weight.grad += dalpha.sum()
            else:
                axes = (0,) + tuple(range(2, x.ndim))
                self.weight.grad += dalpha.sum(axis=axes)  # (C,)
        return grad * F.prelu_grad(x, alpha)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class ELU(_Activation):
    """z where z > 0, else alpha (exp(z) - 1).

    Shapes: ``x`` any shape -> same shape.
    """

    def __init__(self, alpha: float = 1.0):
        super().__init__()
        self.alpha = float(alpha)

    def forward(self, x, *, training=False):
        self._cache = (x,)
        return F.elu(x, self.alpha)

    def backward(self, grad):
        grad, (x,) = self._grad(grad)
        return grad * F.elu_grad(x, self.alpha)

    def extra_repr(self):
        return f"alpha={self.alpha}"


class GELU(_Activation):
    """z Phi(z) with the exact normal CDF (PyTorch's default ``approximate='none'``).

    Shapes: ``x`` any shape -> same shape.
    """

    def forward(self, x, *, training=False):
        self._cache = (x,)
        return F.gelu(x)

    def backward(self, grad):
        grad, (x,) = self._grad(grad)
        return grad * F.gelu_grad(x)


class Swish(_Activation):
    """Swish / SiLU: z sigma(z).

    Shapes: ``x`` any shape -> same shape.
    """

    def forward(self, x, *, training=False):
        self._cache = (x,)
        return F.swish(x)

    def backward(self, grad):
        grad, (x,) = self._grad(grad)
        return grad * F.swish_grad(x)


SiLU = Swish


class Softmax(_Activation):
    """softmax along `dim` (default the last axis).

    The output entries of a row depend on every input of the row, so backward is the
    Jacobian-vector product: with s = softmax(z) and g = dL/ds,
    ``dL/dz = s * (g - sum(g * s))`` (the sum along `dim`).

    Shapes: ``x`` any shape -> same shape.
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = int(dim)

    def forward(self, x, *, training=False):
        if x.ndim == 0 or not -x.ndim <= self.dim < x.ndim:
            raise ShapeError(
                f"{self.name}: cannot normalize along dim={self.dim} of an input of shape "
                f"{x.shape}; pass an array with that axis or choose another dim."
            )
        s = F.softmax(x, axis=self.dim)
        self._cache = (s,)
        return s

    def backward(self, grad):
        grad, (s,) = self._grad(grad)
        dot = np.sum(grad * s, axis=self.dim, keepdims=True)  # (..., 1, ...)
        dz = grad - dot
        dz *= s
        return dz

    def extra_repr(self):
        return f"dim={self.dim}"
