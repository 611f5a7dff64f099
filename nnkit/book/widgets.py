"""Interactive explorers that work in Jupyter *and* in the static HTML book.

An `Explorer` is a drawing function plus a small grid of parameter values. It has
two faces:

- **static** (`_repr_html_`, `to_html`, `save`): every combination of parameter
  values is drawn once, at build time, into a PNG (or SVG) frame; the frames go into
  one self-contained HTML block with a slider per numeric parameter, a drop-down
  list per categorical one, and a few lines of inline JavaScript that swap the
  image when a control moves. No kernel, no network, no external file.
- **live** (`live()`): an `ipywidgets.interactive` that redraws on demand in a
  running kernel.

Displaying an `Explorer` in a notebook shows the static block, which works in
Jupyter too; the book's pages (MyST-NB) insert it as raw HTML.

Page weight: PNG frames are reduced to a 256-colour palette; a 30-frame explorer of
simple line plots at the default size and dpi 80 weighs about 190 kB. Combinations that
draw the same picture are stored once (and, given `canonical`, drawn once). At most
`MAX_FRAMES` (200) combinations are allowed.

The protocol of the drawing function is ``render(fig, **values)``: it receives a
fresh, empty `matplotlib.figure.Figure` and draws into it (it may instead return
another Figure, which is then used). It must be deterministic: the same values give
the same picture.

Example
-------
>>> def render(fig, *, w, activation):
...     ax = fig.subplots()
...     ...
>>> Explorer(render, {"w": Slider([0.5, 1.0, 2.0]), "activation": ["relu", "tanh"]},
...          title="A neuron")                                    # doctest: +SKIP

The prebuilt explorers of chapters 1-4 (`activation_explorer`, `neuron_explorer`,
`learning_rate_explorer`, `linear_regions_explorer`) live in `nnkit.book.explorers` and
are also reachable from here.
"""

from __future__ import annotations

import html
import io
import itertools
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The prebuilt explorers are defined in nnkit.book.explorers and loaded on first use (below).
_EXPLORERS = (
    "activation_explorer",
    "learning_rate_explorer",
    "linear_regions_explorer",
    "neuron_explorer",
)

__all__ = [  # noqa: F822 (the explorers come from the module __getattr__)
    "Choice", "Explorer", "Frames", "Slider", "TooManyFramesError",
    "activation_explorer", "learning_rate_explorer", "linear_regions_explorer", "neuron_explorer",
]

MAX_FRAMES = 200

_MIME = {"png": "image/png", "svg": "image/svg+xml"}


class TooManyFramesError(ValueError):
    """An explorer's parameter grid has more combinations than the frame limit."""


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


class Explorer:
    """An interactive figure over a grid of parameter values (see the module docstring).

    Parameters
    ----------
    render : callable
        ``render(fig, **values)`` draws into the empty Figure `fig` (or returns a Figure).
    params : mapping
        Ordered ``name -> spec``; a spec is a `Slider`, a `Choice`, or a plain list
        (numbers become a slider, anything else a drop-down list).
    title, description : str
        Shown above the figure; the title also starts the image's alt text.
    fmt : {"png", "svg"}
        Frame format. PNG frames are reduced to a 256-colour palette, which keeps a
        30-frame explorer at a few hundred kilobytes.
    dpi : int
        Resolution of PNG frames.
    figsize : (float, float)
        Figure size in inches.
    max_frames : int
        Largest number of combinations allowed; more raise `TooManyFramesError`.
    layout : {"constrained", "tight", "none"}
        matplotlib layout engine of each frame's Figure; ``"none"`` (margins set by
        `render`, e.g. with ``fig.subplots_adjust``) draws faster than ``"constrained"``.
    canonical : callable, optional
        ``canonical(values) -> dict`` keeps only the values that change the picture (for
        example it drops a slope parameter when the chosen function has none).
        Combinations with equal canonical values share one frame, drawn once.
    """

    def __init__(
        self,
        render: Callable[..., Any],
        params: Mapping[str, Any],
        *,
        title: str = "",
        description: str = "",
        fmt: str = "png",
        dpi: int = 80,
        figsize: tuple[float, float] = (6, 3.5),
        max_frames: int = MAX_FRAMES,
        layout: str = "constrained",
        canonical: Callable[[dict], Mapping] | None = None,
    ):
        if fmt not in _MIME:
            raise ValueError(f"fmt must be one of {sorted(_MIME)}, got {fmt!r}.")
        if not params:
            raise ValueError("An Explorer needs at least one parameter.")
        self.render = render
        self.params = [_Param(name, _as_spec(name, spec)) for name, spec in params.items()]
        self.title = title
        self.description = description
        self.fmt = fmt
        self.dpi = dpi
        self.figsize = tuple(figsize)
        self.max_frames = max_frames
        self.canonical = canonical
        self.layout = layout
        self._check_size()
        self._html: str | None = None

    # -- grid -------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values of each parameter, in order."""
        return tuple(len(p.spec.values) for p in self.params)

    @property
    def n_frames(self) -> int:
        """Number of combinations (frames before removing duplicates)."""
        return math.prod(self.shape)

    def _check_size(self) -> None:
        if self.n_frames > self.max_frames:
            sizes = " x ".join(f"{len(p.spec.values)} {p.name}" for p in self.params)
            raise TooManyFramesError(
                f"Explorer {self.title!r} would precompute {self.n_frames} frames ({sizes}); "
                f"the limit is {self.max_frames}. Use fewer values per parameter, or pass "
                "max_frames=... if the page can afford the weight."
            )

    def combinations(self):
        """Yield ``dict(name=value)`` for every combination, in frame order."""
        names = [p.name for p in self.params]
        for values in itertools.product(*(p.spec.values for p in self.params)):
            yield dict(zip(names, values))

    # -- drawing ----------------------------------------------------------------------
    def figure(self, **values):
        """Draw one frame and return its `matplotlib.figure.Figure`."""
        from matplotlib.figure import Figure

        fig = Figure(figsize=self.figsize, dpi=self.dpi, facecolor="white", layout=self.layout)
        returned = self.render(fig, **values)
        return returned if returned is not None else fig

    def frame_bytes(self, **values) -> bytes:
        """Draw one frame and encode it (PNG or SVG bytes), deterministically."""
        import matplotlib

        from nnkit.book.viz import book_rc

        rc = dict(book_rc())
        if self.fmt == "svg":
            rc["svg.hashsalt"] = "nnkit"  # stable element ids
        with matplotlib.rc_context(rc):
            fig = self.figure(**values)
            return _encode(fig, self.fmt, self.dpi)

    def frames(self) -> Frames:
        """Draw every combination; identical pictures are stored once."""
        images: list[bytes] = []
        seen: dict[bytes, int] = {}  # picture -> position in images
        drawn: dict[str, int] = {}  # canonical values -> position in images
        index: list[int] = []
        for values in self.combinations():
            key = self._canonical_key(values)
            if key not in drawn:
                data = self.frame_bytes(**values)
                drawn[key] = seen.setdefault(data, len(images))
                if drawn[key] == len(images):
                    images.append(data)
            index.append(drawn[key])
        return Frames(images, index, self.shape, _MIME[self.fmt])

    def _canonical_key(self, values: dict) -> str:
        if self.canonical is None:
            return repr(sorted(values.items()))
        return repr(sorted(dict(self.canonical(dict(values))).items()))

    # -- static HTML ------------------------------------------------------------------
    def to_html(self) -> str:
        """Return the self-contained HTML block (computes every frame)."""
        from nnkit.book._explorer_html import explorer_html

        return explorer_html(self, self.frames())

    def _repr_html_(self) -> str:
        if self._html is None:
            self._html = self.to_html()
        return self._html

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/html": self._repr_html_(), "text/plain": repr(self)}

    def save(self, path: str | Path) -> Path:
        """Write a minimal standalone HTML page holding this explorer; return its path."""
        path = Path(path)
        title = html.escape(self.title or "nnkit explorer")
        path.write_text(
            "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head>\n<body>\n{self._repr_html_()}\n</body></html>\n",
            encoding="utf-8",
        )
        return path

    # -- live -------------------------------------------------------------------------
    def live(self):
        """Return an `ipywidgets.interactive` that redraws on demand (needs a kernel)."""
        import ipywidgets as widgets

        controls = {p.name: _live_widget(p) for p in self.params}

        def show(**values):
            from IPython.display import SVG, Image, display

            data = self.frame_bytes(**values)
            display(SVG(data=data) if self.fmt == "svg" else Image(data=data))

        return widgets.interactive(show, **controls)

    def __repr__(self) -> str:
        grid = ", ".join(f"{p.name}: {len(p.spec.values)}" for p in self.params)
        return f"Explorer({self.title!r}, {grid}; {self.n_frames} frames)"


def __getattr__(name: str):
    # The prebuilt explorers import numpy-heavy modules; load them only when asked.
    if name in _EXPLORERS:
        from nnkit.book import explorers

        return getattr(explorers, name)
    raise AttributeError(f"module 'nnkit.book.widgets' has no attribute {name!r}")


# -- helpers ------------------------------------------------------------------------------


def _encode(fig, fmt: str, dpi: int) -> bytes:
    """Encode a Figure as PNG (256-colour palette) or SVG, without timestamps."""
    buf = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return buf.getvalue()
    return _palette_png(_rgb_pixels(fig, dpi))


def _rgb_pixels(fig, dpi: int):
    """Rasterize a Figure with Agg; return its (height, width, 3) uint8 pixels."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()  # (h, w, 3)


def _palette_png(pixels) -> bytes:
    """PNG with an adaptive 256-colour palette: about 3x smaller than RGB, same look."""
    from PIL import Image

    image = Image.fromarray(pixels)
    palette = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _live_widget(param: _Param):
    import ipywidgets as widgets

    spec = param.spec
    options = list(zip(param.labels, spec.values))
    value = spec.values[_initial_index(spec)]
    if isinstance(spec, Slider):
        return widgets.SelectionSlider(
            options=options, value=value, description=param.label, continuous_update=False
        )
    return widgets.Dropdown(options=options, value=value, description=param.label)
