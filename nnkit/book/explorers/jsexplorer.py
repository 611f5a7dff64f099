"""Closed-form explorers computed in the page's JavaScript, with continuous controls.

Where the picture is a formula (an activation, a neuron, a small network on the plane, a
gradient step on a quadratic, a PAC bound), the page itself can compute it for any value of
the controls, so nothing is precomputed. A `JSExplorer` is an HTML block: labelled sliders
and drop-down lists, an empty figure, a JSON configuration and the script
``nnkit/book/explorers/assets/explorers.js`` inlined (a page that holds several blocks runs it
once).
It works in the static book, in a trusted notebook and in a saved page, with no kernel and
no request. The script's numbers are nnkit's: ``tests/book/test_explorers_browser.py``
evaluates both at the same points.

`live()` gives an ipywidgets version that recomputes with nnkit itself in a running kernel,
for the explorers that pass a `python_render`.
"""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from nnkit.book.explorers.html import _json_for_script, _palette_png, _rgb_pixels

__all__ = ["JSExplorer", "Range", "Select", "script_source"]

KINDS = ("init_scale", "activation", "neuron", "architecture", "learning_rate", "losses", "pac_bounds",
         "gated_gradient", "pooling")


def script_source() -> str:
    """The explorers' JavaScript as inlined in a page: ``assets/explorers.js`` without its
    comments, indentation and blank lines (newlines kept, so the code is unchanged)."""
    script = resources.files("nnkit.book.explorers").joinpath("assets/explorers.js")
    text = script.read_text("utf-8")
    text = re.sub(r"\A\s*/\*.*?\*/", "", text, count=1, flags=re.S)  # the header comment
    lines = (line.strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line and not line.startswith("//"))


@dataclass(frozen=True)
class Range:
    """A continuous slider from `low` to `high` in steps of `step`, starting at `value`.

    `show="pow10"` displays 10**value next to it (for a slider over a logarithm).
    """

    name: str
    label: str
    low: float
    high: float
    step: float
    value: float
    digits: int = 2
    show: str = ""

    def __post_init__(self):
        if not self.low < self.high:
            raise ValueError(f"Range {self.name!r}: low must be below high, got {self.low}, {self.high}.")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"Range {self.name!r}: value {self.value} is outside [{self.low}, {self.high}].")
        if self.step <= 0:
            raise ValueError(f"Range {self.name!r}: step must be positive, got {self.step}.")


@dataclass(frozen=True)
class Select:
    """A drop-down list of `options` (strings), starting at `value`."""

    name: str
    label: str
    options: Sequence[str]
    value: str

    def __post_init__(self):
        if self.value not in self.options:
            raise ValueError(f"Select {self.name!r}: {self.value!r} is not one of {list(self.options)}.")


_STYLE = 'style="display:inline-flex;align-items:center;gap:0.4em;margin:0.15em 1.2em 0.15em 0"'


def _control_html(c: Range | Select) -> str:
    label = html.escape(c.label)
    if isinstance(c, Range):
        shown = 10 ** c.value if c.show == "pow10" else c.value
        return (f'<label {_STYLE}><span>{label}</span>'
                f'<input type="range" data-name="{html.escape(c.name)}" min="{c.low!r}" '
                f'max="{c.high!r}" step="{c.step!r}" value="{c.value!r}" '
                f'data-digits="{c.digits}" data-show="{html.escape(c.show)}" '
                'style="width:9em;max-width:45vw">'
                f'<output data-for="{html.escape(c.name)}" style="min-width:3.5em;'
                f'font-family:monospace">{shown:.{c.digits}f}</output></label>')
    options = "".join(f'<option value="{html.escape(o)}"{" selected" if o == c.value else ""}>'
                      f"{html.escape(o)}</option>" for o in c.options)
    return (f'<label {_STYLE}><span>{label}</span><select data-name="{html.escape(c.name)}">'
            f"{options}</select></label>")


class JSExplorer:
    """A closed-form explorer drawn by the page's JavaScript (see the module docstring).

    Parameters
    ----------
    kind : str
        Which drawing of ``explorers.js`` to use, one of `KINDS`.
    controls : sequence of Range and Select
    config : dict
        JSON-serializable data for the drawing (grid sizes, stored weights, ...).
    title, description : str
        Shown above the figure.
    python_render : callable, optional
        ``python_render(fig, **values)`` draws the same picture with nnkit and matplotlib;
        `live()` uses it.
    """

    def __init__(self, kind: str, controls: Sequence[Range | Select], config: dict[str, Any], *,
                 title: str, description: str = "", python_render: Callable | None = None,
                 extra_html: str = ""):
        if kind not in KINDS:
            raise ValueError(f"JSExplorer: unknown kind {kind!r}; known: {', '.join(KINDS)}.")
        names = [c.name for c in controls]
        if len(set(names)) != len(names):
            raise ValueError(f"JSExplorer: control names must be unique, got {names}.")
        self.kind, self.controls, self.config = kind, list(controls), dict(config)
        self.title, self.description = title, description
        self.python_render = python_render
        self.extra_html = extra_html

    @property
    def values(self) -> dict[str, Any]:
        """The controls' initial values."""
        return {c.name: c.value for c in self.controls}

    def to_html(self) -> str:
        config = _json_for_script(self.config)
        uid = "nnkit-js-" + hashlib.sha256(
            (self.kind + self.title + config).encode()).hexdigest()[:12]
        parts = [
            f'<div id="{uid}" class="nnkit-explorer nnkit-js-explorer" data-kind="{self.kind}" role="group" '
            f'aria-label="{html.escape(self.title)}" style="margin:1em 0;max-width:100%">',
            f'<div style="font-weight:bold">{html.escape(self.title)}</div>',
        ]
        if self.description:
            parts.append(f'<div style="margin:0.2em 0">{html.escape(self.description)}</div>')
        parts.append('<div style="margin:0.4em 0;display:flex;flex-wrap:wrap">')
        parts.extend(_control_html(c) for c in self.controls)
        parts.append("</div>")
        parts.append('<div class="nnkit-js-figure" aria-live="off" '
                     'style="display:flex;flex-wrap:wrap;gap:8px;align-items:flex-start;'
                     'max-width:100%"></div>')
        parts.append(self.extra_html)
        parts.append('<p class="nnkit-js-readout" aria-live="polite" style="margin:0.3em 0">'
                     "This explorer is drawn by JavaScript in the page; enable it to see the "
                     "figure.</p>")
        parts.append(f'<script type="application/json">{config}</script>')
        script = script_source().replace("</", "<\\/")
        parts.append(f"<script>{script}\nNNKIT.mount(document.currentScript ? "
                     f"document.currentScript.parentNode : document.getElementById({json.dumps(uid)}));"
                     "</script>")
        parts.append("</div>")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def initial_png(self, dpi: int = 80) -> bytes | None:
        """The picture at the controls' initial values, drawn with nnkit (None without a
        `python_render`): the fallback of formats that cannot run the page's script (PDF)."""
        if self.python_render is None:
            return None
        import matplotlib
        from matplotlib.figure import Figure

        from nnkit.book.viz import book_rc

        with matplotlib.rc_context(book_rc()):
            fig = Figure(figsize=(7, 3.2), layout="constrained")
            self.python_render(fig, **self.values)
            return _palette_png(_rgb_pixels(fig, dpi))

    def _repr_mimebundle_(self, include=None, exclude=None):
        """HTML for pages and notebooks; a PNG of the initial picture and a note for print."""
        import base64

        bundle = {"text/html": self.to_html(),
                  "text/plain": f"Interactive explorer: {self.title} (shown at its initial "
                                "settings; the HTML book and Jupyter let you move its controls)."}
        png = self.initial_png()
        if png is not None:
            bundle["image/png"] = base64.b64encode(png).decode("ascii")
        return bundle

    def save(self, path: str | Path) -> Path:
        """Write a minimal standalone HTML page holding this explorer; return its path."""
        path = Path(path)
        path.write_text(
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            '<link rel="icon" href="data:,">'
            f"<title>{html.escape(self.title)}</title></head>\n<body>\n{self.to_html()}\n"
            "</body></html>\n", encoding="utf-8")
        return path

    def live(self):
        """An `ipywidgets.interactive` recomputing the picture with nnkit (needs a kernel)."""
        if self.python_render is None:
            raise NotImplementedError(
                f"the {self.kind!r} explorer has no Python drawing; display it in the notebook "
                "instead (its JavaScript runs there too).")
        import ipywidgets as widgets

        def show(**values):
            from IPython.display import display
            from matplotlib.figure import Figure

            fig = Figure(figsize=(8, 3.6), layout="constrained")
            self.python_render(fig, **values)
            display(fig)

        controls = {}
        for c in self.controls:
            if isinstance(c, Range):
                controls[c.name] = widgets.FloatSlider(value=c.value, min=c.low, max=c.high,
                                                       step=c.step, description=c.label,
                                                       continuous_update=False)
            else:
                controls[c.name] = widgets.Dropdown(options=list(c.options), value=c.value,
                                                    description=c.label)
        return widgets.interactive(show, **controls)

    def __repr__(self) -> str:
        return f"JSExplorer({self.kind!r}, {self.title!r}, controls={[c.name for c in self.controls]})"
