"""Weight initializers, named and scaled as in `torch.nn.init`.

Every initializer is a function ``init(shape, rng, dtype=np.float64, **settings)`` that
returns a new array, so any of them (or a `functools.partial` of one with its settings
fixed) can be handed to ``Dense(..., init=...)``. Random ones require an
`np.random.Generator`; nothing touches NumPy's global random state.

Fans follow PyTorch for a weight of shape ``(n_out, n_in)``: ``fan_in = n_in``,
``fan_out = n_out`` (for more axes, each is multiplied by the product of the trailing
"receptive field" axes). Chapter 5 (Initialization) derives the scales.

Shapes
------
``shape``: a tuple such as ``(n_out, n_in)`` -> an array of exactly that shape.
"""

from __future__ import annotations

import math

import numpy as np

from .core import NNKitError, require_rng

__all__ = [
    "zeros", "ones", "constant", "uniform", "normal", "xavier_uniform", "xavier_normal",
    "kaiming_uniform", "kaiming_normal", "he_uniform", "he_normal", "calculate_gain",
    "compute_fans", "get",
]


def _shape(shape) -> tuple[int, ...]:
    return (int(shape),) if np.ndim(shape) == 0 else tuple(int(s) for s in shape)


def _cast(values: np.ndarray, dtype) -> np.ndarray:
    return values.astype(dtype, copy=False)


def compute_fans(shape) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape ``(n_out, n_in, *receptive)``, as PyTorch."""
    shape = _shape(shape)
    if len(shape) < 2:
        raise NNKitError(
            f"init: fan-in and fan-out need a weight of at least 2 dimensions (n_out, n_in), "
            f"got shape {shape}; biases are usually initialized with init.zeros or init.uniform."
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain PyTorch recommends for an activation (the factor in the std of the init).

    linear/identity/sigmoid: 1; tanh: 5/3; relu: sqrt(2); leaky_relu with slope ``param``
    (default 0.01): sqrt(2 / (1 + param^2)); selu: 3/4.
    """
    name = nonlinearity.lower()
    if name in ("linear", "identity", "sigmoid") or name.startswith("conv"):
        return 1.0
    if name == "tanh":
        return 5.0 / 3.0
    if name == "relu":
        return math.sqrt(2.0)
    if name == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    if name == "selu":
        return 3.0 / 4.0
    raise NNKitError(
        f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of 'linear', "
        "'sigmoid', 'tanh', 'relu', 'leaky_relu', 'selu'."
    )


# -- constant ones ----------------------------------------------------------------------------


def zeros(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """All zeros (`rng` is accepted and ignored, so the signature matches the others)."""
    return np.zeros(_shape(shape), dtype=dtype)


def ones(shape, rng=None, dtype=np.float64) -> np.ndarray:
    """All ones."""
    return np.ones(_shape(shape), dtype=dtype)


def constant(shape, rng=None, dtype=np.float64, *, value: float = 0.0) -> np.ndarray:
    """Every entry equal to `value`; e.g. ``functools.partial(init.constant, value=0.1)``."""
    return np.full(_shape(shape), value, dtype=dtype)


# -- plain random ones ---------------------------------------------------------------------------


def uniform(shape, rng, dtype=np.float64, *, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """Uniform on [low, high) (PyTorch's defaults 0 and 1)."""
    rng = require_rng(rng, "init.uniform")
    return _cast(rng.uniform(low, high, size=_shape(shape)), dtype)


def normal(shape, rng, dtype=np.float64, *, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """Normal with the given mean and standard deviation (PyTorch's defaults 0 and 1)."""
    rng = require_rng(rng, "init.normal")
    return _cast(rng.normal(mean, std, size=_shape(shape)), dtype)


# -- Xavier / Glorot -----------------------------------------------------------------------------


def xavier_uniform(shape, rng, dtype=np.float64, *, gain: float = 1.0) -> np.ndarray:
    """Uniform on ±gain sqrt(6 / (fan_in + fan_out)): variance gain^2 2 / (fan_in + fan_out)."""
    rng = require_rng(rng, "init.xavier_uniform")
    fan_in, fan_out = compute_fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return _cast(rng.uniform(-bound, bound, size=_shape(shape)), dtype)


def xavier_normal(shape, rng, dtype=np.float64, *, gain: float = 1.0) -> np.ndarray:
    """Normal with std gain sqrt(2 / (fan_in + fan_out))."""
    rng = require_rng(rng, "init.xavier_normal")
    fan_in, fan_out = compute_fans(shape)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return _cast(rng.normal(0.0, std, size=_shape(shape)), dtype)


# -- Kaiming / He --------------------------------------------------------------------------------


def _kaiming_std(shape, a, mode, nonlinearity) -> float:
    fan_in, fan_out = compute_fans(shape)
    if mode not in ("fan_in", "fan_out"):
        raise NNKitError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}.")
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform(shape, rng, dtype=np.float64, *, a: float = 0.0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu") -> np.ndarray:
    """Uniform on ±gain sqrt(3 / fan), gain = sqrt(2 / (1 + a^2)) (sqrt 2 for ReLU, a = 0).

    Defaults as PyTorch: fan_in mode, ``leaky_relu`` with slope ``a = 0``, i.e. ReLU's gain.
    """
    rng = require_rng(rng, "init.kaiming_uniform")
    bound = math.sqrt(3.0) * _kaiming_std(shape, a, mode, nonlinearity)
    return _cast(rng.uniform(-bound, bound, size=_shape(shape)), dtype)


def kaiming_normal(shape, rng, dtype=np.float64, *, a: float = 0.0, mode: str = "fan_in",
                   nonlinearity: str = "leaky_relu") -> np.ndarray:
    """Normal with std gain / sqrt(fan) (sqrt(2 / n_in) for ReLU), defaults as PyTorch."""
    rng = require_rng(rng, "init.kaiming_normal")
    std = _kaiming_std(shape, a, mode, nonlinearity)
    return _cast(rng.normal(0.0, std, size=_shape(shape)), dtype)


he_uniform = kaiming_uniform
he_normal = kaiming_normal

_BY_NAME = {
    f.__name__: f for f in (zeros, ones, constant, uniform, normal, xavier_uniform,
                            xavier_normal, kaiming_uniform, kaiming_normal)
}
_BY_NAME.update(he_uniform=kaiming_uniform, he_normal=kaiming_normal,
                glorot_uniform=xavier_uniform, glorot_normal=xavier_normal)


def get(init):
    """The initializer for `init`: a callable is returned as is, a name is looked up."""
    if callable(init):
        return init
    if isinstance(init, str) and init in _BY_NAME:
        return _BY_NAME[init]
    raise NNKitError(
        f"unknown initializer {init!r}; pass a callable (shape, rng, dtype) -> array or one of "
        f"{sorted(_BY_NAME)}."
    )
