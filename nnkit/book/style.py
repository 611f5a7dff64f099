"""The book's figure style: one palette of named roles, matplotlib settings, legibility checks.

Colours mean the same thing on every page: MSE is always `color("mse")`, Adam always
`color("adam")`, the validation curve always `color("validation")`. Chapters ask for a role,
never for a raw colour, so a reader who learns "orange is validation" in one chapter can rely on
it in the next::

    ax.plot(steps, loss_mse, **role("mse"))            # colour and legend label
    ax.plot(steps, loss_bce, color=color("bce"), label="BCE, lr 0.1")

Figures are read at two widths: the content column of a laptop (about 688 CSS px) and a phone
(390 px viewport, about 358 px of content). `check_figure` measures a figure against both and
`glue_figure` refuses to glue one that fails: text smaller than about 9 pt at the laptop width
or about 8.5 pt on a phone, or more than three panels in a row. matplotlib is imported inside
the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

__all__ = [
    "BOOK_COLORS",
    "FigureStyleError",
    "PALETTE",
    "book_rc",
    "book_style",
    "check_figure",
    "color",
    "fixed_layout",
    "glue_figure",
    "role",
    "sweep_colors",
    "use_book_style",
]

# Okabe-Ito colours (distinguishable with the common colour-vision deficiencies), without the
# yellow, which is too pale on white; plus one dark wine from Paul Tol's palette and a grey.
BLUE, VERMILLION, GREEN, PURPLE = "#0072B2", "#D55E00", "#009E73", "#CC79A7"
ORANGE, SKY, BLACK, WINE, GREY = "#E69F00", "#56B4E9", "#000000", "#882255", "#7F7F7F"
BOOK_COLORS = (BLUE, VERMILLION, GREEN, PURPLE, ORANGE, SKY, BLACK)


@dataclass(frozen=True)
class _Role:
    color: str
    label: str


# One colour per role. Roles of one family (losses, optimizers, ...) never share a colour, so
# any figure that compares members of a family can be read by colour alone.
_ROLES: dict[str, _Role] = {
    # data: classes and splits
    "class0": _Role(BLUE, "class 0"),
    "class1": _Role(VERMILLION, "class 1"),
    "class2": _Role(GREEN, "class 2"),
    "class3": _Role(PURPLE, "class 3"),
    "train": _Role(BLUE, "training"),
    "validation": _Role(ORANGE, "validation"),
    "test": _Role(GREEN, "test"),
    # references drawn next to data
    "target": _Role(BLACK, "target"),
    "reference": _Role(GREY, "reference"),
    "model": _Role(BLUE, "model"),
    # losses (binary and multi-class cross-entropy are one loss: one colour)
    "mse": _Role(BLUE, "MSE"),
    "bce": _Role(VERMILLION, "BCE"),
    "cross_entropy": _Role(VERMILLION, "cross-entropy"),
    "hinge": _Role(GREEN, "hinge"),
    # optimizers
    "sgd": _Role(BLACK, "SGD"),
    "momentum": _Role(BLUE, "momentum"),
    "nesterov": _Role(SKY, "Nesterov"),
    "adagrad": _Role(PURPLE, "AdaGrad"),
    "rmsprop": _Role(GREEN, "RMSProp"),
    "adam": _Role(VERMILLION, "Adam"),
    "adamw": _Role(ORANGE, "AdamW"),
    # initializations
    "zeros": _Role(GREY, "constant"),
    "normal": _Role(PURPLE, "N(0, 0.01²)"),
    "lecun": _Role(GREEN, "LeCun"),
    "xavier": _Role(BLUE, "Xavier"),
    "he": _Role(VERMILLION, "He"),
    "orthogonal": _Role(ORANGE, "orthogonal"),
    "uniform": _Role(SKY, "U(-1, 1)"),
    # recurrent cells
    "rnn": _Role(BLACK, "vanilla RNN"),
    "lstm": _Role(BLUE, "LSTM"),
    "gru": _Role(VERMILLION, "GRU"),
    # generalization bounds
    "blumer": _Role(BLUE, "Blumer et al."),
    "anthony_biggs": _Role(VERMILLION, "Anthony and Biggs"),
    # activations
    "step": _Role(BLACK, "step"),
    "sigmoid": _Role(BLUE, "sigmoid"),
    "tanh": _Role(GREEN, "tanh"),
    "relu": _Role(VERMILLION, "ReLU"),
    "leaky_relu": _Role(ORANGE, "leaky ReLU"),
    "elu": _Role(PURPLE, "ELU"),
    "gelu": _Role(SKY, "GELU"),
    "swish": _Role(WINE, "swish"),
    "softplus": _Role(GREY, "softplus"),
    # schedules
    "constant_lr": _Role(BLACK, "constant"),
    "step_decay": _Role(BLUE, "step decay"),
    "exponential_decay": _Role(GREEN, "exponential decay"),
    "inverse_time": _Role(ORANGE, "1/t decay"),
    "cosine": _Role(VERMILLION, "cosine"),
    "warmup": _Role(PURPLE, "warm-up + cosine"),
}

#: role name -> colour, for reading (use `color` and `role` in chapters)
PALETTE: dict[str, str] = {name: r.color for name, r in _ROLES.items()}

_ALIASES = {"val": "validation", "training": "train", "ce": "cross_entropy",
            "leakyrelu": "leaky_relu", "gd": "sgd", "silu": "swish", "glorot": "xavier",
            "kaiming": "he", "constant": "zeros"}


def _lookup(name: str) -> _Role:
    key = str(name).strip().lower().replace("-", "_").replace(" ", "_")
    key = _ALIASES.get(key, key)
    if key not in _ROLES:
        raise KeyError(f"no colour role named {name!r}; the palette's roles are: "
                       f"{', '.join(sorted(_ROLES))}. Add a role to nnkit/book/style.py "
                       "rather than using a raw colour.")
    return _ROLES[key]


def color(name: str) -> str:
    """The colour of a role (`"mse"`, `"adam"`, `"he"`, `"validation"`, `"class1"`, ...)."""
    return _lookup(name).color


def role(name: str, **overrides) -> dict:
    """Keyword arguments for a plot call: ``dict(color=..., label=...)`` of a role.

    ``ax.plot(x, y, **role("adam"))``; ``role("adam", label="Adam, lr 0.01")`` overrides.
    """
    r = _lookup(name)
    return {"color": r.color, "label": r.label, **overrides}


def sweep_colors(n: int) -> list:
    """`n` colours for an ordered sweep (a learning rate, a depth, a dropout rate, ...).

    Steps of one sequential colour map (viridis, without its pale yellow end), dark for the
    first value and light for the last, so that the order reads off the colours. Use roles, not
    this, for things that have no order (losses, optimizers, ...).
    """
    import matplotlib

    if n < 1:
        raise ValueError(f"sweep_colors needs at least one colour, got n={n}.")
    cmap = matplotlib.colormaps["viridis"]
    return [cmap(x) for x in ([0.0] if n == 1 else [0.85 * i / (n - 1) for i in range(n)])]


# -- matplotlib settings ----------------------------------------------------------------------

#: resolution of the PNGs the book embeds (1 inch of figure = 100 CSS px)
DPI = 100
#: a figure wider than this many inches is scaled down on a laptop, and much more on a phone
MAX_WIDTH_IN = 5.6
#: content widths the figures are read at: a laptop's column and a 390 px phone screen
DISPLAY_WIDTHS_PX = {"laptop": 688, "phone": 358}
#: smallest text, in CSS points at display size, allowed at each width
MIN_TEXT_PT = {"laptop": 9.0, "phone": 8.5}
MAX_PANELS_PER_ROW = 3


def book_rc() -> dict:
    """The book's matplotlib settings as an rcParams dict (nothing is changed)."""
    from cycler import cycler

    ink = "#222222"
    return {
        "figure.facecolor": "white",
        "axes.facecolor": "white",
        "savefig.facecolor": "white",
        "savefig.transparent": False,
        "figure.dpi": DPI,
        "savefig.dpi": DPI,
        "figure.constrained_layout.use": True,
        "figure.figsize": (5.4, 3.6),
        "font.size": 13,
        "axes.titlesize": 13,
        "axes.labelsize": 13,
        "xtick.labelsize": 13,
        "ytick.labelsize": 13,
        "legend.fontsize": 13,
        "legend.frameon": False,
        "legend.handlelength": 1.6,
        "text.color": ink,
        "axes.labelcolor": ink,
        "axes.edgecolor": ink,
        "xtick.color": ink,
        "ytick.color": ink,
        "axes.prop_cycle": cycler(color=list(BOOK_COLORS)),
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "lines.linewidth": 2.0,
        "lines.markersize": 7,
        "scatter.edgecolors": "white",
        "image.cmap": "viridis",
    }


def use_book_style() -> None:
    """Apply `book_rc()` to matplotlib's rcParams (call once at the top of a chapter)."""
    import matplotlib

    matplotlib.rcParams.update(book_rc())


def fixed_layout():
    """A layout engine for a figure placed by hand (what ``layout="none"`` asks for) that stays so.

    matplotlib's ``savefig`` turns the layout engine off while it saves and then restores the
    old one; a figure that had none is given ``set_layout_engine(None)``, which reads
    ``figure.constrained_layout.use`` (True in `book_rc`) and so switches constrained layout
    on from the second save on (a diagram shown as SVG and then as PNG): matplotlib then warns
    "There are no gridspecs with layoutgrids" for axes placed with ``add_axes``. An explicit
    engine that does nothing is restored as itself. Like no engine, it allows
    ``subplots_adjust`` and colorbars placed through the gridspec.
    """
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    return PlaceHolderLayoutEngine(adjust_compatible=True, colorbar_gridspec=True)


@contextlib.contextmanager
def book_style():
    """Context manager: the book's style inside the ``with`` block only."""
    import matplotlib

    with matplotlib.rc_context(book_rc()):
        yield


# -- legibility ------------------------------------------------------------------------------


class FigureStyleError(ValueError):
    """A figure of the book cannot be read at the page's width."""


def _panels_per_row(fig) -> int:
    """Most data panels side by side in one row (colorbars and insets are not panels)."""
    rows: dict[tuple, set] = {}
    for ax in fig.get_axes():
        if not ax.get_visible() or ax.get_label() == "<colorbar>" or not ax.axison:
            continue
        spec = ax.get_subplotspec()
        if spec is None:
            continue
        grid = spec.get_gridspec()
        rows.setdefault((id(grid), spec.rowspan.start), set()).add(spec.colspan.start)
    return max((len(cols) for cols in rows.values()), default=0)


def _texts(fig):
    """Every visible, non-empty text of the figure, tick labels and legends included."""
    from matplotlib.text import Text

    seen = set()
    for artist in fig.findobj(Text):
        if id(artist) in seen or not artist.get_visible() or not artist.get_text().strip():
            continue
        seen.add(id(artist))
        yield artist


def check_figure(fig) -> list[str]:
    """What makes `fig` hard to read in the book, as a list of sentences (empty when fine).

    The figure is embedded as a PNG at `DPI`; the browser shows it at its own width or, if
    that is wider than the column, scaled down to the column. Each text's size is measured as
    it appears at the laptop and phone widths of `DISPLAY_WIDTHS_PX`.
    """
    fig.canvas.draw()  # tick labels exist only after a draw
    problems = []
    panels = _panels_per_row(fig)
    if panels > MAX_PANELS_PER_ROW:
        problems.append(f"{panels} panels in one row; use at most {MAX_PANELS_PER_ROW} "
                        "(stack further panels in a second row or make a second figure)")
    width_px = fig.get_figwidth() * DPI
    texts = list(_texts(fig))
    if texts:
        smallest = min(texts, key=lambda t: t.get_fontsize())
        size_pt = smallest.get_fontsize()  # points of the figure: size_pt / 72 inch
        for where, column in DISPLAY_WIDTHS_PX.items():
            scale = min(1.0, column / width_px)
            shown_pt = size_pt * DPI / 72 * scale * 0.75  # CSS px -> CSS pt
            if shown_pt < MIN_TEXT_PT[where] - 1e-9:
                problems.append(
                    f"the text {smallest.get_text()!r} is {shown_pt:.1f} pt on a {where} "
                    f"({column} px wide), under {MIN_TEXT_PT[where]} pt: make the figure "
                    f"narrower (at most {MAX_WIDTH_IN} in) or the text larger")
    return problems


def glue_figure(name: str, fig, *, close: bool = True) -> None:
    """Check `fig` with `check_figure`, then glue it under `name` for ``{glue:figure}``.

    Raises `FigureStyleError` (so the strict build fails) when the figure is hard to read.
    """
    problems = check_figure(fig)
    if problems:
        raise FigureStyleError(f"figure {name!r} is hard to read in the book: "
                               + "; ".join(problems) + ".")
    from myst_nb import glue

    glue(name, fig, display=False)
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
