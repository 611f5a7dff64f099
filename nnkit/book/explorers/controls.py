"""The controls of a frame explorer: sliders, drop-down lists and the frames they index.

Shared by `nnkit.book.widgets` (which draws the frames) and `nnkit.book.explorers.html`
(which writes them into HTML); it imports neither, so the book package has no import cycle.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Choice", "Frames", "Slider"]


# -- parameter specs ------------------------------------------------------------------


@dataclass(frozen=True)
class Slider:
    """A numeric parameter shown as a slider that steps through `values`.

    Parameters
    ----------
    values : sequence of numbers
        The values the slider can take, in slider order (at least one).
    label : str, optional
        Text shown next to the slider; defaults to the parameter's name.
    fmt : str
        `str.format` pattern for the value shown next to the slider.
    initial : number, optional
        The value selected at first; defaults to the first of `values`.
    """

    values: Sequence[float]
    label: str | None = None
    fmt: str = "{:.2f}"
    initial: float | None = None

    def __post_init__(self):
        values = tuple(self.values)
        if not values:
            raise ValueError("Slider needs at least one value.")
        bad = [v for v in values if not _is_number(v)]
        if bad:
            raise ValueError(
                f"Slider values must be numbers, got {bad[0]!r}; use Choice for categories."
            )
        object.__setattr__(self, "values", values)
        if self.initial is not None and self.initial not in values:
            raise ValueError(f"Slider initial value {self.initial!r} is not one of {values}.")

    def format(self, value) -> str:
        return self.fmt.format(value)


@dataclass(frozen=True)
class Choice:
    """A categorical parameter shown as a drop-down list of `options`.

    Parameters
    ----------
    options : sequence
        The values to choose from (strings, numbers or booleans).
    label : str, optional
        Text shown next to the list; defaults to the parameter's name.
    initial : optional
        The option selected at first; defaults to the first.
    """

    options: Sequence[Any]
    label: str | None = None
    initial: Any = None

    def __post_init__(self):
        options = tuple(self.options)
        if not options:
            raise ValueError("Choice needs at least one option.")
        object.__setattr__(self, "options", options)
        if self.initial is not None and self.initial not in options:
            raise ValueError(f"Choice initial option {self.initial!r} is not one of {options}.")

    @property
    def values(self) -> tuple:
        return self.options

    def format(self, value) -> str:
        return str(value)


def _is_number(v) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def _as_spec(name: str, spec) -> Slider | Choice:
    """Turn a plain list into a `Slider` (all numbers) or a `Choice` (anything else)."""
    if isinstance(spec, (Slider, Choice)):
        return spec
    if isinstance(spec, (str, bytes)) or not isinstance(spec, Sequence):
        raise TypeError(
            f"parameter {name!r}: expected a list of values, a Slider or a Choice, "
            f"got {type(spec).__name__}."
        )
    if spec and all(_is_number(v) for v in spec):
        return Slider(spec, fmt="{:g}")
    return Choice(spec)


def _initial_index(spec: Slider | Choice) -> int:
    return 0 if spec.initial is None else list(spec.values).index(spec.initial)


# -- the explorer -----------------------------------------------------------------------


@dataclass
class _Param:
    name: str
    spec: Slider | Choice

    @property
    def label(self) -> str:
        return self.spec.label or self.name

    @property
    def labels(self) -> list[str]:
        return [self.spec.format(v) for v in self.spec.values]


@dataclass
class Frames:
    """The precomputed pictures of an explorer.

    `images` holds each distinct picture once (bytes); `index[k]` is the picture of the
    k-th combination, combinations ordered like `itertools.product` over the parameters.
    """

    images: list[bytes]
    index: list[int]
    shape: tuple[int, ...]
    mime: str
    bytes_total: int = field(init=False)

    def __post_init__(self):
        self.bytes_total = sum(len(b) for b in self.images)
