"""What every diagram shares: the `Diagram` (a Figure and its alt text), colours and sizes,
and the drawing primitives (coordinates in inches, origin bottom left).

A notebook cell shows a `Diagram` as SVG (text kept as text, so it stays sharp on any
screen); the book glues it and places it with ``{glue:figure}`` and ``:alt:``. Diagrams are at
most `MAX_WIDTH` inches wide with text of at least `MIN_FONT` points, so on a 390 px phone
(about 360 px of content) no label is smaller than about 10 px.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAX_WIDTH = 5.2  # inches
MIN_FONT = 10.0  # points
FONT = 11.0
INK, BLUE, ORANGE, GREEN, GREY = "#222222", "#0072B2", "#D55E00", "#009E73", "#999999"
FILL = {"input": "#E8F1FA", "hidden": "#FFF4E0", "output": "#E6F5EE", "op": "#F2F2F2"}


@dataclass
class Diagram:
    """A drawn diagram: `figure` (a matplotlib Figure) and `alt`, its text alternative."""

    figure: object
    alt: str

    def svg(self) -> str:
        """The SVG text, deterministic (fixed ids, no date), text kept as <text>."""
        import matplotlib

        buf = io.BytesIO()
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "nnkit"}):
            self.figure.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
        svg = buf.getvalue().decode("utf-8")
        # the alt text as the SVG's own accessible name, for readers of the file itself
        import html

        head, sep, rest = _split_svg(svg)
        return head + sep + f"<title>{html.escape(self.alt)}</title>\n" + rest

    def _repr_svg_(self) -> str:
        return self.svg()

    def _repr_png_(self) -> bytes:
        """A PNG for formats that cannot show SVG (the PDF's LaTeX picks it; pages use the SVG)."""
        buf = io.BytesIO()
        self.figure.savefig(buf, format="png", dpi=200, metadata={"Software": None})
        return buf.getvalue()

    def save(self, path: str | Path) -> Path:
        path = Path(path)
        path.write_text(self.svg(), encoding="utf-8")
        return path

    def font_sizes(self) -> list[float]:
        """Point sizes of every text drawn in the figure."""
        return [t.get_fontsize() for t in self.figure.findobj(_is_visible_text)]

    def min_font_px(self, content_px: float = 360.0) -> float:
        """Smallest text height in CSS pixels when the diagram is shown `content_px` wide."""
        width_in = self.figure.get_size_inches()[0]
        return min(self.font_sizes()) * content_px / (72.0 * width_in)

    def __repr__(self) -> str:
        return f"Diagram({self.alt[:60]!r}...)"


def _split_svg(svg: str) -> tuple[str, str, str]:
    """Split the SVG text just after its opening <svg ...> tag."""
    start = svg.index("<svg")
    end = svg.index(">", start) + 1
    return svg[:end], "\n", svg[end:].lstrip("\n")


def _is_visible_text(artist) -> bool:
    from matplotlib.text import Text

    return isinstance(artist, Text) and artist.get_visible() and bool(artist.get_text())


# -- drawing primitives (coordinates in inches, origin bottom left) ----------------------------


def canvas(width: float, height: float):
    """A Figure `width` x `height` inches whose one Axes uses inches as data units."""
    import matplotlib
    from matplotlib.figure import Figure

    from nnkit.book.style import fixed_layout
    from nnkit.book.viz import book_rc

    if width > MAX_WIDTH + 1e-9:
        raise ValueError(f"diagram width {width} in exceeds MAX_WIDTH = {MAX_WIDTH} in "
                         "(it would be illegible on a phone); draw it narrower or taller.")
    with matplotlib.rc_context(book_rc()):
        fig = Figure(figsize=(width, height), facecolor="white", layout=fixed_layout())
        ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def text(ax, x, y, s, *, size=FONT, color=INK, **kw):
    kw.setdefault("ha", "center")
    kw.setdefault("va", "center")
    return ax.text(x, y, s, fontsize=max(size, MIN_FONT), color=color, **kw)


def node(ax, x, y, r, label="", *, fill="white", edge=INK, size=FONT, lw=1.2, dashed=False):
    from matplotlib.patches import Circle

    ax.add_patch(Circle((x, y), r, facecolor=fill, edgecolor=edge, linewidth=lw,
                        linestyle="--" if dashed else "-", zorder=3))
    if label:
        text(ax, x, y, label, size=size, zorder=4)


def box(ax, x, y, w, h, label="", *, fill=FILL["op"], edge=INK, size=FONT, lw=1.2):
    """A rounded box centred at (x, y)."""
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                                boxstyle="round,pad=0,rounding_size=0.06",
                                facecolor=fill, edgecolor=edge, linewidth=lw, zorder=3))
    if label:
        text(ax, x, y, label, size=size, zorder=4)


def arrow(ax, p, q, *, color=INK, lw=1.1, shrink=(0.0, 0.0), style="-|>", ls="-", zorder=2):
    """An arrow from p to q, each end pulled back by `shrink` inches."""
    p, q = np.asarray(p, float), np.asarray(q, float)
    d = q - p
    n = np.linalg.norm(d)
    u = d / n if n else d
    a, b = p + shrink[0] * u, q - shrink[1] * u
    ax.annotate("", xy=b, xytext=a, zorder=zorder,
                arrowprops={"arrowstyle": style, "color": color, "lw": lw, "linestyle": ls,
                            "shrinkA": 0, "shrinkB": 0, "mutation_scale": 10})


def line(ax, p, q, *, color=GREY, lw=0.6, zorder=1, **kw):
    ax.plot([p[0], q[0]], [p[1], q[1]], color=color, lw=lw, zorder=zorder, solid_capstyle="butt",
            **kw)


def fmt(v: float) -> str:
    """A number as the diagrams print it: 2 decimals, a true minus sign."""
    s = f"{v:.2f}"
    return s.replace("-", "\u2212")
