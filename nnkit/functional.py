"""Activation functions and their derivatives as plain functions of arrays.

Every function works elementwise on an array `z` of any shape (softmax and friends along
one axis), keeps its dtype (a float32 array gives a float32 result; integers become
float64), and is numerically stable for large |z|: no overflow warnings, no NaN from
finite inputs. Each derivative `f_grad(z)` is df/dz evaluated at `z` (not at `f(z)`).

Chapter 2 (Activation functions) derives each of them; the layers in
`nnkit.activations` wrap these functions with a cache for backpropagation.

Shapes
------
All elementwise functions: ``z`` of any shape -> same shape.
``softmax``, ``log_softmax``: any shape, normalized along ``axis`` -> same shape.
``logsumexp``: reduces ``axis`` (kept with size 1 if ``keepdims``).
"""

from __future__ import annotations

import functools
import math

import numpy as np

__all__ = [
    "identity", "identity_grad", "step", "step_grad", "sigmoid", "sigmoid_grad",
    "tanh", "tanh_grad", "relu", "relu_grad", "leaky_relu", "leaky_relu_grad",
    "prelu", "prelu_grad", "prelu_grad_alpha", "elu", "elu_grad", "gelu", "gelu_grad",
    "swish", "swish_grad", "silu", "silu_grad", "softmax", "log_softmax", "logsumexp",
    "ACTIVATIONS",
]

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


def _float(z) -> np.ndarray:
    """`z` as a floating-point array (integers and bools become float64)."""
    z = np.asarray(z)
    if z.dtype.kind == "f":
        return z
    if z.dtype.kind in "iub":
        return z.astype(np.float64)
    raise TypeError(
        f"activation functions need real numbers, got an array of dtype {z.dtype}; "
        "convert with np.asarray(z, dtype=np.float64)."
    )


def _accepts_scalars(f):
    """Let `f` take a Python number or a 0-d array too (returning a NumPy scalar, like np.tanh).

    The bodies work in place on arrays (`out=`, masked assignment), which 0-d input does not
    allow, so a scalar goes through as a one-element array.
    """

    @functools.wraps(f)
    def wrapper(z, *args, **kwargs):
        z = np.asarray(z)
        if z.ndim == 0:
            return f(z.reshape(1), *args, **kwargs).reshape(())[()]
        return f(z, *args, **kwargs)

    return wrapper


def _where_positive(z: np.ndarray, pos: float, neg: float) -> np.ndarray:
    """`pos` where z > 0 else `neg`, in z's dtype (np.where with Python floats would give float64)."""
    out = np.full_like(z, neg)
    out[z > 0] = pos
    return out


# -- identity and step ------------------------------------------------------------------


@_accepts_scalars
def identity(z):
    """phi(z) = z."""
    return _float(z).copy()


@_accepts_scalars
def identity_grad(z):
    """phi'(z) = 1."""
    return np.ones_like(_float(z))


@_accepts_scalars
def step(z):
    """Heaviside step: 1 where z >= 0, else 0 (the perceptron's activation)."""
    z = _float(z)
    return (z >= 0).astype(z.dtype)


@_accepts_scalars
def step_grad(z):
    """0 everywhere (the jump at 0 has no derivative; we return 0 there too).

    This is why a step network cannot be trained by gradient descent.
    """
    return np.zeros_like(_float(z))


# -- sigmoid and tanh ---------------------------------------------------------------------


@_accepts_scalars
def sigmoid(z):
    """sigma(z) = 1 / (1 + exp(-z)), computed without overflow.

    With e = exp(-|z|) (always <= 1): sigma(z) = 1/(1+e) for z >= 0 and e/(1+e) for z < 0.
    """
    z = _float(z)
    e = np.abs(z)
    np.negative(e, out=e)
    np.exp(e, out=e)  # e = exp(-|z|) in (0, 1]
    r = e + 1.0
    np.reciprocal(r, out=r)  # r = 1 / (1 + e)
    neg = z < 0
    np.multiply(e, r, out=e)  # e / (1 + e)
    r[neg] = e[neg]
    return r


@_accepts_scalars
def sigmoid_grad(z):
    """sigma'(z) = sigma(z) (1 - sigma(z))."""
    s = sigmoid(z)
    return s * (1.0 - s)


@_accepts_scalars
def tanh(z):
    """tanh(z) = 2 sigma(2z) - 1, range (-1, 1), zero-centred."""
    return np.tanh(_float(z))


@_accepts_scalars
def tanh_grad(z):
    """tanh'(z) = 1 - tanh(z)^2."""
    t = np.tanh(_float(z))
    np.square(t, out=t)
    return np.subtract(1.0, t, out=t)


# -- the ReLU family ------------------------------------------------------------------------


@_accepts_scalars
def relu(z):
    """max(z, 0)."""
    return np.maximum(_float(z), 0.0)


@_accepts_scalars
def relu_grad(z):
    """1 where z > 0, else 0 (we use 0 at z = 0, as PyTorch does)."""
    z = _float(z)
    return (z > 0).astype(z.dtype)


@_accepts_scalars
def leaky_relu(z, alpha: float = 0.01):
    """z where z > 0, else alpha * z."""
    z = _float(z)
    out = z * alpha
    if alpha <= 1:  # then max(z, alpha z) picks z for z > 0 and alpha z for z < 0
        np.maximum(z, out, out=out)
    else:
        np.minimum(z, out, out=out)
    return out


@_accepts_scalars
def leaky_relu_grad(z, alpha: float = 0.01):
    """1 where z > 0, else alpha."""
    return _where_positive(_float(z), 1.0, alpha)


@_accepts_scalars
def prelu(z, alpha):
    """z where z > 0, else alpha * z, with a learned `alpha` (broadcast against `z`)."""
    z = _float(z)
    alpha = np.asarray(alpha, dtype=z.dtype)
    return np.where(z > 0, z, alpha * z)


@_accepts_scalars
def prelu_grad(z, alpha):
    """d prelu / dz: 1 where z > 0, else alpha (broadcast to z's shape)."""
    z = _float(z)
    alpha = np.asarray(alpha, dtype=z.dtype)
    return np.where(z > 0, np.ones((), z.dtype), alpha * np.ones_like(z))


@_accepts_scalars
def prelu_grad_alpha(z, alpha=None):
    """d prelu / d alpha, elementwise: 0 where z > 0, else z.

    A layer sums this (times the incoming gradient) over the axes `alpha` was broadcast on.
    `alpha` is accepted for symmetry with `prelu_grad` and not used.
    """
    z = _float(z)
    return np.minimum(z, 0.0)


@_accepts_scalars
def elu(z, alpha: float = 1.0):
    """z where z > 0, else alpha (exp(z) - 1); expm1 of min(z, 0) so large z never overflows."""
    z = _float(z)
    neg = np.minimum(z, 0.0)
    np.expm1(neg, out=neg)
    neg *= alpha
    return np.where(z > 0, z, neg)


@_accepts_scalars
def elu_grad(z, alpha: float = 1.0):
    """1 where z > 0, else alpha exp(z)."""
    z = _float(z)
    e = np.minimum(z, 0.0)
    np.exp(e, out=e)
    e *= alpha
    e[z > 0] = 1.0
    return e


# -- smooth ReLU-like functions --------------------------------------------------------------


def _normal_cdf(z: np.ndarray) -> np.ndarray:
    """Phi(z) = (1 + erf(z / sqrt 2)) / 2, the standard normal CDF."""
    from scipy.special import erf  # heavy import, done on first use only

    out = erf(z * _SQRT_HALF)
    out += 1.0
    out *= 0.5
    return out.astype(z.dtype, copy=False)


def _normal_pdf(z: np.ndarray) -> np.ndarray:
    """phi(z) = exp(-z^2 / 2) / sqrt(2 pi); |z| is clipped at 40 (phi is 0 there) to avoid overflow."""
    zc = np.clip(z, -40.0, 40.0)
    np.square(zc, out=zc)
    zc *= -0.5
    np.exp(zc, out=zc)
    zc *= _INV_SQRT_2PI
    return zc


@_accepts_scalars
def gelu(z):
    """GELU(z) = z Phi(z), exact (with the normal CDF, not the tanh approximation)."""
    z = _float(z)
    return z * _normal_cdf(z)


@_accepts_scalars
def gelu_grad(z):
    """GELU'(z) = Phi(z) + z phi(z)."""
    z = _float(z)
    out = z * _normal_pdf(z)
    out += _normal_cdf(z)
    return out


@_accepts_scalars
def swish(z):
    """Swish / SiLU: z sigma(z)."""
    z = _float(z)
    return z * sigmoid(z)


@_accepts_scalars
def swish_grad(z):
    """d/dz z sigma(z) = sigma(z) (1 + z (1 - sigma(z)))."""
    z = _float(z)
    s = sigmoid(z)
    out = 1.0 - s
    out *= z
    out += 1.0
    out *= s
    return out


silu = swish
silu_grad = swish_grad


# -- softmax ---------------------------------------------------------------------------------


@_accepts_scalars
def logsumexp(z, axis: int = -1, keepdims: bool = False):
    """log(sum(exp(z))) along `axis`, shifted by the maximum so exp never overflows.

    Shapes: `z` (..., C, ...) -> `axis` removed (or kept with size 1 if `keepdims`).
    """
    z = _float(z)
    m = np.max(z, axis=axis, keepdims=True)  # (..., 1, ...)
    m[~np.isfinite(m)] = 0.0  # a row that is all -inf stays -inf, not NaN
    s = np.exp(z - m)
    s = np.sum(s, axis=axis, keepdims=True)  # (..., 1, ...)
    with np.errstate(divide="ignore"):  # log(0) = -inf for an all -inf row is the right answer
        out = np.log(s)
    out += m
    return out if keepdims else np.squeeze(out, axis=axis)


@_accepts_scalars
def softmax(z, axis: int = -1):
    """exp(z_i - max z) / sum_j exp(z_j - max z) along `axis`; each slice sums to one.

    Shapes: any shape -> same shape.
    """
    z = _float(z)
    e = z - np.max(z, axis=axis, keepdims=True)
    np.exp(e, out=e)
    e /= np.sum(e, axis=axis, keepdims=True)
    return e


@_accepts_scalars
def log_softmax(z, axis: int = -1):
    """z - logsumexp(z) along `axis` (stable log of the softmax).

    Shapes: any shape -> same shape.
    """
    z = _float(z)
    return z - logsumexp(z, axis=axis, keepdims=True)


#: name -> (function, derivative) for the book's plots and explorers.
ACTIVATIONS: dict[str, tuple] = {
    "identity": (identity, identity_grad),
    "step": (step, step_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "gelu": (gelu, gelu_grad),
    "swish": (swish, swish_grad),
    "silu": (silu, silu_grad),
}
