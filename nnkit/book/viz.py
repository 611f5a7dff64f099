"""Plot helpers the chapters use, so every figure of the book looks the same.

Every function draws on the Axes it is given (or on a new one), labels its axes and
returns the Axes (or the Figure, for multi-panel helpers). None calls ``plt.show()``.
matplotlib is imported inside the functions, so ``import nnkit.book.viz`` stays cheap.

The book's style (`book_rc`, `use_book_style`) keeps an opaque white figure
background, so figures stay readable when the book is read in its dark theme.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

from nnkit.train import predict_classes

__all__ = [
    "BOOK_COLORS",
    "PALETTE",
    "FigureStyleError",
    "check_figure",
    "color",
    "glue_figure",
    "role",
    "sweep_colors",
    "activation_histograms",
    "book_rc",
    "book_style",
    "confusion_matrix_plot",
    "decision_boundary",
    "heatmap",
    "loss_curves",
    "plot_function_and_derivative",
    "region_map",
    "trajectory_on_contours",
    "use_book_style",
]

from nnkit.book.style import (  # noqa: F401  (re-exported: chapters import them from here)
    BOOK_COLORS,
    PALETTE,
    FigureStyleError,
    book_rc,
    book_style,
    check_figure,
    color,
    glue_figure,
    role,
    sweep_colors,
    use_book_style,
)


def _axes(ax):
    """Return `ax`, or a new Axes on a new pyplot figure."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


# -- functions and derivatives ---------------------------------------------------------------


def _lookup_activation(fn) -> tuple[str, Callable, Callable]:
    if isinstance(fn, str):
        from nnkit.functional import ACTIVATIONS

        if fn not in ACTIVATIONS:
            raise KeyError(f"unknown activation {fn!r}; known: {', '.join(sorted(ACTIVATIONS))}")
        f, df = ACTIVATIONS[fn]
        return fn, f, df
    f, df = fn
    return getattr(f, "__name__", "f"), f, df


def plot_function_and_derivative(fn, ax=None, z=None, *, label: str | None = None):
    """Plot an activation `phi(z)` and its derivative `phi'(z)` on one Axes.

    Parameters
    ----------
    fn : str or (callable, callable)
        A name in `nnkit.functional.ACTIVATIONS`, or a pair ``(f, df)``.
    ax : matplotlib Axes, optional
    z : array, optional
        Points to evaluate at; default 401 points on [-5, 5].
    label : str, optional
        Name used in the legend and title (default: the activation's name).

    Returns
    -------
    Axes
    """
    name, f, df = _lookup_activation(fn)
    name = label or name
    ax = _axes(ax)
    z = np.linspace(-5.0, 5.0, 401) if z is None else np.asarray(z, dtype=float)
    ax.plot(z, f(z), label=f"{name}(z)")
    ax.plot(z, df(z), linestyle="--", label=f"{name}'(z)")
    ax.axhline(0.0, color="0.6", linewidth=0.8)
    ax.axvline(0.0, color="0.6", linewidth=0.8)
    ax.set_xlabel("pre-activation z")
    ax.set_ylabel("value")
    ax.set_title(name)
    ax.legend()
    return ax


# -- classifiers -----------------------------------------------------------------------------


def decision_boundary(
    model,
    X: np.ndarray,
    y: np.ndarray,
    ax=None,
    resolution: int = 200,
    *,
    padding: float = 0.5,
    output: str,
    xlabel: str = "$x_1$",
    ylabel: str = "$x_2$",
    markersize: float = 40,
    legend: bool = True,
):
    """Shade the classes a 2-D classifier predicts and scatter the data on top.

    Parameters
    ----------
    model : Layer or callable
        A Layer (run with ``training=False``) or a function mapping (n, 2) to (n,), (n, 1)
        or (n, k); see `predict_classes` for how outputs become classes.
    output : "logit" or "probability"
        What a single output column holds (required: nothing is guessed from the values).
    X : array (n, 2)
    y : array (n,) of class labels
    resolution : int
        Grid points per axis.
    padding : float
        Margin around the data.
    markersize : float
        Area of the data points (scatter ``s``), large enough to see.
    legend : bool
        Draw a legend outside the plotting area, to the right.

    Returns
    -------
    Axes
    """
    from matplotlib.colors import ListedColormap

    X = np.asarray(X, dtype=float)
    y = np.asarray(y).reshape(-1)
    ax = _axes(ax)
    x1 = np.linspace(X[:, 0].min() - padding, X[:, 0].max() + padding, resolution)
    x2 = np.linspace(X[:, 1].min() - padding, X[:, 1].max() + padding, resolution)
    G1, G2 = np.meshgrid(x1, x2)  # (r, r) each
    grid = np.column_stack([G1.ravel(), G2.ravel()])  # (r*r, 2)
    pred = predict_classes(model, grid, output=output).reshape(G1.shape)  # (r, r)
    classes = np.unique(np.concatenate([np.unique(y), np.unique(pred)])).astype(int)
    n_colors = int(classes.max()) + 1
    colors = [color(f"class{c}") if c < 4 else BOOK_COLORS[c % len(BOOK_COLORS)]
              for c in range(n_colors)]
    cmap = ListedColormap(colors)
    ax.contourf(G1, G2, pred, levels=np.arange(n_colors + 1) - 0.5, cmap=cmap, alpha=0.25)
    ax.contour(G1, G2, pred, levels=np.arange(n_colors) + 0.5, colors="0.2", linewidths=1.0)
    for c in np.unique(y).astype(int):
        mask = y == c
        ax.scatter(X[mask, 0], X[mask, 1], s=markersize, color=colors[c], edgecolor="white",
                   linewidth=1.0, label=f"class {c}", zorder=3)
    ax.set_xlim(x1[0], x1[-1])
    ax.set_ylim(x2[0], x2[-1])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend:  # outside the plotting area, never over the data
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), handletextpad=0.2)
    return ax


# -- training curves -----------------------------------------------------------------------


def _series(history) -> dict[str, list[float]]:
    """Name -> list of numbers, from a mapping or an object with list attributes."""
    if isinstance(history, Mapping):
        items = history.items()
    elif hasattr(history, "as_dict"):
        items = history.as_dict().items()
    else:
        items = vars(history).items()
    series = {}
    for name, values in items:
        if name.startswith("_") or isinstance(values, (str, bytes)):
            continue
        if isinstance(values, (Sequence, np.ndarray)) and len(values) > 0:
            arr = np.asarray(values)
            if arr.ndim == 1 and np.issubdtype(arr.dtype, np.number):
                series[name] = arr.astype(float).tolist()
    return series


def loss_curves(history, ax=None, log: bool = False, *, keys: Sequence[str] | None = None,
                xlabel: str = "epoch", ylabel: str | None = None):
    """Plot training curves per epoch.

    Parameters
    ----------
    history : History or mapping name -> list of numbers
        A `nnkit.train.History` (or any object whose attributes are lists of numbers)
        or a dict such as ``{"lr=0.1": [...], "lr=0.01": [...]}``.
    log : bool
        Logarithmic y axis.
    keys : sequence of str, optional
        Which series to plot. Default: those whose name contains "loss" (so a History
        shows ``loss`` and ``val_loss``, not ``lr``), or all series if no name does.

    Returns
    -------
    Axes
    """
    series = _series(history)
    if keys is None:
        keys = [k for k in series if "loss" in k] or list(series)
    keys = list(keys)
    missing = [k for k in keys if k not in series]
    if missing:
        raise KeyError(f"no series named {missing}; available: {sorted(series)}")
    ax = _axes(ax)
    for k in keys:
        values = series[k]
        ax.plot(np.arange(1, len(values) + 1), values, label=k)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or ("loss" if all("loss" in k for k in keys) else "value"))
    ax.legend()
    return ax


def activation_histograms(activations: Sequence[np.ndarray], fig=None, bins: int = 50, *,
                          titles: Sequence[str] | None = None, range: tuple | None = None,
                          xlabel: str = "activation"):
    """One histogram per layer, side by side, with shared axes.

    Parameters
    ----------
    activations : list of arrays
        One array per layer (any shape; all entries are counted).
    fig : Figure, optional
        Drawn into if given (it should be empty).
    bins : int
    titles : list of str, optional
        Default "layer 1", "layer 2", ...
    range : (low, high), optional
        Histogram range shared by all panels (the name of `np.histogram`'s argument);
        default the overall min and max.

    Returns
    -------
    Figure
    """
    if not activations:
        raise ValueError("activation_histograms needs at least one array of activations.")
    arrays = [np.asarray(a, dtype=float).ravel() for a in activations]
    limits = range  # `range` is np.histogram's name for it (it shadows the builtin here)
    if limits is None:
        finite = np.concatenate([a[np.isfinite(a)] for a in arrays])
        low, high = (finite.min(), finite.max()) if finite.size else (-1.0, 1.0)
        limits = (low, high) if high > low else (low - 1.0, high + 1.0)
    titles = list(titles) if titles is not None else [f"layer {i + 1}" for i, _ in enumerate(arrays)]
    if fig is None:
        import matplotlib.pyplot as plt

        fig = plt.figure(figsize=(min(2.0 * len(arrays), 14.0), 2.6))
    axes = fig.subplots(1, len(arrays), sharex=True, sharey=True, squeeze=False)[0]
    for ax, a, title in zip(axes, arrays, titles):
        ax.hist(a[np.isfinite(a)], bins=bins, range=limits, color=BOOK_COLORS[0])
        ax.set_title(title, fontsize="medium")
        ax.set_xlabel(xlabel)
    axes[0].set_ylabel("count")
    return fig


# -- geometry --------------------------------------------------------------------------------


def region_colors(n: int):
    """`n` distinct, deterministic colours; neighbouring ids get unlike hues."""
    from matplotlib.colors import ListedColormap, hsv_to_rgb

    golden = 0.618033988749895
    k = np.arange(n)
    hsv = np.column_stack([(k * golden) % 1.0, 0.45 + 0.25 * (k % 3) / 2, 0.95 - 0.1 * (k % 2)])
    return ListedColormap(hsv_to_rgb(hsv))


def region_map(region_map_array: np.ndarray, extent: Sequence[float], ax=None, *,
               boundaries: bool = True, xlabel: str = "$x_1$", ylabel: str = "$x_2$",
               title: str | None = None):
    """Colour each linear region of a ReLU network differently.

    Parameters
    ----------
    region_map_array : int array (ny, nx)
        Region id at each grid point, row 0 at the bottom (``y = ylim[0]``), as returned
        by `nnkit.theory.linear_regions`.
    extent : (xmin, xmax, ymin, ymax)
    boundaries : bool
        Draw thin dark lines where the region id changes.
    title : str, optional
        Default "<count> linear regions".

    Returns
    -------
    Axes
    """
    ids = np.asarray(region_map_array)
    _, dense = np.unique(ids, return_inverse=True)
    dense = dense.reshape(ids.shape)  # (ny, nx) ids 0..n-1
    n = int(dense.max()) + 1
    ax = _axes(ax)
    ax.imshow(dense, origin="lower", extent=tuple(extent), cmap=region_colors(n),
              vmin=-0.5, vmax=n - 0.5, interpolation="nearest", aspect="auto")
    if boundaries:
        edge = np.zeros(ids.shape, dtype=bool)
        edge[:, 1:] |= ids[:, 1:] != ids[:, :-1]
        edge[1:, :] |= ids[1:, :] != ids[:-1, :]
        overlay = np.zeros(ids.shape + (4,))
        overlay[edge] = (0.1, 0.1, 0.1, 0.8)
        ax.imshow(overlay, origin="lower", extent=tuple(extent), interpolation="nearest",
                  aspect="auto")
    ax.grid(False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title if title is not None else f"{n} linear regions")
    return ax


def _evaluate_on_grid(f: Callable, G1: np.ndarray, G2: np.ndarray) -> np.ndarray:
    """Evaluate f(theta) at every grid point: vectorized if f allows, else point by point."""
    try:
        Z = np.asarray(f(np.stack([G1, G2])), dtype=float)  # theta[0], theta[1] are grids
        if Z.shape == G1.shape:
            return Z
    except (ValueError, TypeError, IndexError):
        pass
    points = np.column_stack([G1.ravel(), G2.ravel()])  # (r*r, 2)
    return np.array([float(f(p)) for p in points]).reshape(G1.shape)


def trajectory_on_contours(f: Callable, path, ax=None, *, xlim: Sequence[float] | None = None,
                           ylim: Sequence[float] | None = None, levels: int = 25,
                           log_levels: bool = True, resolution: int = 200,
                           xlabel: str = r"$\theta_1$", ylabel: str = r"$\theta_2$",
                           minimum: Sequence[float] | None = None,
                           colors: Mapping[str, str] | None = None, legend: bool = True):
    """Draw optimizer paths over the contour lines of a 2-D loss surface.

    Parameters
    ----------
    f : callable
        The loss ``f(theta)`` of a point ``theta = (theta_1, theta_2)``. It is first
        called once on the whole grid with ``theta[0]``, ``theta[1]`` being arrays (so
        write it with ``theta[0]`` and ``theta[1]``), and point by point if that fails.
    path : array (T, 2) or mapping name -> array (T, 2)
        The iterates; several paths are drawn in different colours with a legend.
    xlim, ylim : (low, high), optional
        Default: the paths' range with a 10 % margin.
    levels : int
        Number of contour levels.
    log_levels : bool
        Space the levels logarithmically (good for ill-conditioned or Rosenbrock losses).
    minimum : (float, float), optional
        Marked with a star.
    colors : mapping name -> colour, optional
        Colour of each named path (use the palette: ``{"Adam": color("adam")}``); default the
        book's colour cycle in order.
    legend : bool
        Draw a legend on the Axes (set False to draw one legend for a whole figure).

    Returns
    -------
    Axes
    """
    paths = dict(path) if isinstance(path, Mapping) else {None: path}
    paths = {k: np.asarray(v, dtype=float).reshape(-1, 2) for k, v in paths.items()}
    finite = np.concatenate([p[np.all(np.isfinite(p), axis=1)] for p in paths.values()])
    xlim = xlim if xlim is not None else _padded(finite[:, 0])
    ylim = ylim if ylim is not None else _padded(finite[:, 1])
    G1, G2 = np.meshgrid(np.linspace(*xlim, resolution), np.linspace(*ylim, resolution))
    Z = _evaluate_on_grid(f, G1, G2)  # (r, r)
    ax = _axes(ax)
    if log_levels:
        low = max(Z.min(), 0.0)
        lv = low + np.geomspace(1e-3 * max(Z.max() - low, 1e-12), Z.max() - low, levels)
    else:
        lv = np.linspace(Z.min(), Z.max(), levels)
    ax.contour(G1, G2, Z, levels=lv, cmap="Greys_r", linewidths=0.7, alpha=0.8)
    for i, (name, p) in enumerate(paths.items()):
        color = (colors or {}).get(name) or BOOK_COLORS[i % len(BOOK_COLORS)]
        ax.plot(p[:, 0], p[:, 1], marker="o", markersize=3, linewidth=1.4, color=color,
                label=name)
        ax.plot(p[0, 0], p[0, 1], marker="s", color=color, markersize=7)
    if minimum is not None:
        ax.plot(*minimum, marker="*", color="black", markersize=11, linestyle="none",
                label="minimum" if any(name is not None for name in paths) else None)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.grid(False)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if legend and any(name is not None for name in paths):
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return ax


def _padded(values: np.ndarray, margin: float = 0.1) -> tuple[float, float]:
    low, high = float(values.min()), float(values.max())
    span = high - low if high > low else 1.0
    return low - margin * span, high + margin * span


# -- matrices --------------------------------------------------------------------------------


def heatmap(matrix: np.ndarray, labels: Sequence[str] | None = None, ax=None,
            annotate: bool = True, *, col_labels: Sequence[str] | None = None,
            fmt: str = "{:.2f}", cmap: str = "RdBu_r", vmin: float | None = None,
            vmax: float | None = None, colorbar: bool = True, xlabel: str = "column",
            ylabel: str = "row", title: str | None = None):
    """A labelled matrix heatmap, with the value written in each cell.

    Parameters
    ----------
    matrix : array (m, k)
    labels : list of str, optional
        Row labels (and column labels too, unless `col_labels` is given).
    annotate : bool
        Write each value, formatted with `fmt`, in black or white for contrast.
    cmap, vmin, vmax :
        Colour map and range; the default diverging map suits correlations in [-1, 1].

    Returns
    -------
    Axes
    """
    M = np.asarray(matrix, dtype=float)
    if M.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D matrix, got shape {M.shape}.")
    ax = _axes(ax)
    image = ax.imshow(M, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    rows = list(labels) if labels is not None else [str(i) for i in range(M.shape[0])]
    if col_labels is not None:
        cols = list(col_labels)
    elif labels is not None and len(rows) == M.shape[1]:
        cols = rows  # a square matrix such as a correlation matrix
    else:
        cols = [str(j) for j in range(M.shape[1])]
    long = max(map(len, cols)) > 3
    ax.set_xticks(np.arange(M.shape[1]), labels=cols, rotation=45 if long else 0,
                  ha="right" if long else "center")
    ax.set_yticks(np.arange(M.shape[0]), labels=rows)
    ax.grid(False)
    if annotate:
        norm, cm = image.norm, image.cmap
        for (i, j), v in np.ndenumerate(M):
            r, g, b, _ = cm(norm(v))
            ink = "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"
            ax.text(j, i, fmt.format(v), ha="center", va="center", color=ink)
    if colorbar:
        ax.figure.colorbar(image, ax=ax)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def confusion_matrix_plot(cm: np.ndarray, class_names: Sequence[str] | None = None, ax=None, *,
                          normalize: bool = False, title: str | None = None):
    """Plot a confusion matrix: rows are true classes, columns predicted ones.

    Parameters
    ----------
    cm : int array (k, k)
        ``cm[i, j]`` counts samples of true class i predicted as j.
    class_names : list of str, optional
    normalize : bool
        Show each row as fractions of that class (recall on the diagonal).

    Returns
    -------
    Axes
    """
    cm = np.asarray(cm)
    if normalize:
        totals = cm.sum(axis=1, keepdims=True)
        M = cm / np.where(totals == 0, 1, totals)
        fmt, vmax = "{:.2f}", 1.0
    else:
        M = cm
        fmt, vmax = "{:.0f}", None
    return heatmap(M, class_names, ax=ax, annotate=True, fmt=fmt, cmap="Blues", vmin=0,
                   vmax=vmax, xlabel="predicted class", ylabel="true class", title=title)
