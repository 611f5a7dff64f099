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

The prebuilt explorers of the chapters live in `nnkit.book.explorers`; closed-form explorers
computed in the page's JavaScript are `nnkit.book.explorers.jsexplorer.JSExplorer`. This module
builds on that package's `controls` (the parameter grid) and `html` (the HTML block and its
pictures); nothing in the package imports it.
"""

from __future__ import annotations

import html
import io
import itertools
import math
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from nnkit.book.explorers.controls import Choice, Frames, Slider, _as_spec, _initial_index, _Param
from nnkit.book.explorers.html import _palette_png, _rgb_pixels, explorer_html

__all__ = ["Choice", "Explorer", "Frames", "Slider", "TooManyFramesError"]

MAX_FRAMES = 200

_MIME = {"png": "image/png", "svg": "image/svg+xml"}


class TooManyFramesError(ValueError):
    """An explorer's parameter grid has more combinations than the frame limit."""


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

        from nnkit.book.style import fixed_layout

        layout = fixed_layout() if self.layout == "none" else self.layout
        fig = Figure(figsize=self.figsize, dpi=self.dpi, facecolor="white", layout=layout)
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


# -- helpers ------------------------------------------------------------------------------


def _encode(fig, fmt: str, dpi: int) -> bytes:
    """Encode a Figure as PNG (256-colour palette) or SVG, without timestamps."""
    buf = io.BytesIO()
    if fmt == "svg":
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        return buf.getvalue()
    return _palette_png(_rgb_pixels(fig, dpi))


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
