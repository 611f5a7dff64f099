"""The two building blocks every layer shares: `Parameter` and `Layer`.

A `Parameter` is a value array and a gradient array of the same shape. A `Layer`
owns parameters, computes `forward(x, *, training=False)` and, after a forward,
`backward(grad)` returning dL/dx while filling its parameters' `.grad`.

Conventions (see the introduction of the book):
- batches are first: `x` has shape `(n, d)`; sequences are `(n, T, d)`;
- a dense layer stores `W` with shape `(n_out, n_in)` and computes `Z = A @ W.T + b`;
- `dX` always means dL/dX.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

__all__ = [
    "Parameter", "Layer", "NNKitError", "ShapeError", "NonFiniteError",
    "BackwardBeforeForwardError", "RNGError",
]


class NNKitError(ValueError):
    """Base class of the errors nnkit raises for bad input."""


class ShapeError(NNKitError):
    """An array arrived with a shape the layer cannot use."""


class NonFiniteError(NNKitError):
    """An array arrived containing NaN or infinity (often a sign of a diverging training run)."""


class RNGError(NNKitError, TypeError):
    """A function or layer that draws random numbers got no `np.random.Generator`."""


class BackwardBeforeForwardError(RuntimeError):
    """`backward` was called on a layer with nothing cached from a forward pass."""


class Parameter:
    """A learnable array and its gradient.

    Attributes
    ----------
    value : np.ndarray
        The current value; optimizers update it in place.
    grad : np.ndarray
        dL/dvalue, same shape and dtype as `value`; layers *accumulate* into it
        (``grad += ...``) so that a parameter shared by several uses gets the sum,
        and optimizers' ``zero_grad()`` resets it to zero.
    requires_grad : bool
        False for a frozen parameter: optimizers skip it.
    """

    __slots__ = ("value", "grad", "requires_grad")

    def __init__(self, value: np.ndarray, *, requires_grad: bool = True):
        value = np.asarray(value)
        if not np.issubdtype(value.dtype, np.floating):
            raise NNKitError(
                f"Parameter values must be a floating-point array, got dtype {value.dtype}; "
                "convert with np.asarray(value, dtype=np.float64)."
            )
        self.value = value
        self.grad = np.zeros_like(value)
        self.requires_grad = requires_grad

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    def zero_grad(self) -> None:
        self.grad.fill(0)

    def __repr__(self) -> str:
        frozen = "" if self.requires_grad else ", frozen"
        return f"Parameter(shape={self.value.shape}, dtype={self.value.dtype}{frozen})"


def _holds_layers(value) -> bool:
    """True for a list, tuple, set or dict with a Layer among its items (or values)."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, (list, tuple, set, frozenset)):
        return False
    return any(isinstance(v, Layer) for v in value)


class Layer:
    """Base class: a forward/backward pair with its own cache and named parameters.

    The contract every layer keeps (recurrent ones included):

    - ``forward(x, *, training=False) -> array``: the output; keeps in the layer's cache
      what backward needs. It trusts its input: calling the layer, ``layer(x)``, first runs
      ``check_input(x)`` (dtype, shape, finiteness), once, at the boundary.
    - ``backward(grad) -> array``: given dL/d(output), accumulates the parameters'
      ``.grad`` and returns dL/d(input). A layer whose input is data sets
      ``needs_input_grad = False`` (as `fit` does for the model it trains): it may then
      skip that last product and return None.

    Parameters are `Parameter` attributes; sub-layers are `Layer` attributes. `children()`
    is the one walk over them, used by `named_parameters()`, `modules()`, the optimizers,
    the regularizers and the callbacks. A list, tuple, set or dict of layers is refused (their
    parameters would silently never be trained): keep sub-layers in a `Sequential`.
    """

    #: Whether `backward` must return dL/dx. False for a layer whose input is data:
    #: it may skip that product and return None (PyTorch skips it too).
    needs_input_grad: bool = True

    def forward(self, x: np.ndarray, *, training: bool = False) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def check_input(self, x) -> np.ndarray:
        """Validate and convert an input once, at the boundary: a float array of finite values.

        Layers with a fixed input shape or dtype override this to check them too.
        """
        x = as_float_array(x, self)
        check_finite(x, self)
        return x

    def __call__(self, x, *, training: bool = False) -> np.ndarray:
        return self.forward(self.check_input(x), training=training)

    # -- the walk over sub-layers and parameters -------------------------------------------------
    def children(self) -> Iterator[tuple[str, Layer]]:
        """Yield `(name, layer)` for every direct sub-layer, in attribute order."""
        for name, value in vars(self).items():
            if isinstance(value, Layer):
                yield name, value
            elif _holds_layers(value):
                raise NNKitError(
                    f"{type(self).__name__}.{name} is a {type(value).__name__} of layers, whose "
                    "parameters nnkit would never find (so never train): keep sub-layers in a "
                    f"Sequential, e.g. self.{name.lstrip('_')} = Sequential(*layers), or give "
                    "each its own attribute."
                )

    def modules(self) -> Iterator[Layer]:
        """This layer and every layer inside it, each once (depth first, in order)."""
        seen: set[int] = set()
        stack: list[Layer] = [self]
        while stack:
            layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            yield layer
            stack.extend(reversed([child for _, child in layer.children()]))

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Parameter]]:
        """Yield `(name, parameter)` pairs, names dotted as in PyTorch (`"0.weight"`).

        A parameter shared by two places is yielded once, under its first name.
        """
        seen: set[int] = set()
        for name, p in self._named_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _named_parameters(self, prefix: str) -> Iterator[tuple[str, Parameter]]:
        for attr, obj in vars(self).items():
            if isinstance(obj, Parameter):
                yield prefix + attr, obj
        for name, child in self.children():
            yield from child._named_parameters(f"{prefix}{name}.")

    def parameters(self) -> list[Parameter]:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    @property
    def name(self) -> str:
        """The name used in error messages (Sequential sets a positional one)."""
        return getattr(self, "_name", None) or type(self).__name__

    def _require_cache(self, cache):
        """Return `cache`, or raise a clear error if no forward pass filled it."""
        if cache is None:
            raise BackwardBeforeForwardError(
                f"{self.name}.backward was called before {self.name}.forward: run a forward "
                "pass on the same batch first (backward uses the values it cached)."
            )
        return cache

    def extra_repr(self) -> str:
        """A short description of the layer's size or settings, e.g. ``"16->16"`` for a Dense."""
        return ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


# -- input validation shared by layers and losses ----------------------------------------


def _who(who) -> str:
    """A layer (its `.name`, computed only when an error is raised) or a plain string."""
    return who if isinstance(who, str) else who.name


def as_float_array(x, who, what: str = "input", *, dtype=None) -> np.ndarray:
    """Return `x` as a floating-point ndarray, or raise `NNKitError` naming `who`.

    `who` is the layer (or a string) to name in error messages. Integer and boolean arrays
    are cast to `dtype` (default float64); float arrays are cast to `dtype` only if one is
    given (no copy when it already matches). Object, complex and string arrays are rejected
    with a message saying what to pass instead.
    """
    if type(x) is np.ndarray:
        kind = x.dtype.kind
        if kind == "f" and (dtype is None or x.dtype == dtype):
            return x  # the common case, kept cheap for small batches
    else:
        try:
            x = np.asarray(x)
        except (ValueError, TypeError) as exc:  # ragged lists and the like
            raise NNKitError(
                f"{_who(who)}: could not turn the {what} into an array ({exc}); pass a NumPy "
                "array of numbers with one sample per row."
            ) from None
        kind = x.dtype.kind
    if kind == "f":
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    if kind in "iub":
        return x.astype(np.float64 if dtype is None else dtype)
    raise NNKitError(
        f"{_who(who)}: the {what} has dtype {x.dtype}, expected real numbers (float32 or "
        "float64); convert it with np.asarray(x, dtype=np.float64)."
    )


def check_finite(x: np.ndarray, who, what: str = "input") -> None:
    """Raise `NonFiniteError` naming `who` if `x` holds NaN or infinity.

    The common case costs two reductions and no temporary array: NaN propagates through
    maximum and minimum, +inf shows in the maximum and -inf in the minimum (a sum would be
    cheaper but overflows, with a warning, on large finite values). Only when one of them
    is not finite are the entries inspected to write the message.
    """
    if x.size == 0 or (np.isfinite(np.maximum.reduce(x, axis=None))
                       and np.isfinite(np.minimum.reduce(x, axis=None))):
        return
    bad = ~np.isfinite(x)
    n_nan = int(np.isnan(x).sum())
    first = tuple(int(i) for i in np.argwhere(bad)[0])
    raise NonFiniteError(
        f"{_who(who)}: the {what} contains {n_nan} NaN and {int(bad.sum()) - n_nan} infinite "
        f"value(s) (first at index {first}). Check the data, or, during training, lower the "
        "learning rate: values usually blow up after too large a step."
    )


def require_rng(rng, who) -> np.random.Generator:
    """Return `rng` if it is an `np.random.Generator`, else raise `RNGError` naming `who`.

    The one randomness rule of nnkit: every function or layer that draws random numbers
    takes ``rng`` explicitly and nothing draws from hidden or global state.
    """
    if not isinstance(rng, np.random.Generator):
        got = "nothing" if rng is None else f"a {type(rng).__name__}"
        raise RNGError(
            f"{_who(who)} draws random numbers and needs rng=np.random.Generator, got {got}; "
            "pass rng=np.random.default_rng(seed) (same seed, same result)."
        )
    return rng


def positive_int(value, who, name: str) -> int:
    """`value` as an int if it is an integer >= 1, else raise `NNKitError` naming it."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise NNKitError(f"{_who(who)}: {name} must be a positive integer, got {value!r}.")
    return int(value)


def check_xy(X, y, who) -> tuple[np.ndarray, np.ndarray | None]:
    """`X` and `y` as arrays with one sample per row and the same number of rows.

    `y` may be None. Shapes: ``X`` (n, ...), ``y`` (n, ...) with n >= 1.
    """
    X = np.asarray(X)
    if X.ndim < 1 or X.shape[0] < 1:
        raise NNKitError(
            f"{_who(who)}: X must have one sample per row and at least one row, got shape {X.shape}."
        )
    if y is not None:
        y = np.asarray(y)
        if y.ndim < 1 or y.shape[0] != X.shape[0]:
            raise NNKitError(
                f"{_who(who)}: X and y need the same number of rows (one target per sample), "
                f"got X {X.shape} and y {y.shape}."
            )
    return X, y
