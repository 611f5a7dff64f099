"""Diagrams on the plane and on the pixel grid, drawn from nnkit's computations.

- `shattering_diagram` (chapter 8): every labelling of a few points in the plane with the
  line the perceptron of `nnkit.theory` finds for it (or a mark where none exists).
- `conv_pool_diagram` (chapter 9): a kernel's window on an input grid, the feature map it
  produces, and a pooling window on that map, every number computed.

Same conventions as `nnkit.book.diagrams` (SVG, alt text, legible at phone width).
"""

from __future__ import annotations

import numpy as np

from nnkit.book.diagrams import BLUE, FILL, INK, ORANGE, Diagram, arrow, canvas, text

__all__ = ["conv_pool_diagram", "conv2d_valid", "pool2d", "shattering_diagram"]


# -- shattering --------------------------------------------------------------------------------


def shattering_diagram(points, *, max_epochs: int = 1000) -> Diagram:
    """All 2^m labellings of m <= 4 points in the plane, each with a separating line if any.

    Whether a labelling is realizable comes from `nnkit.theory.shatters` (exact, by linear
    programming); the line drawn is the one `nnkit.theory.perceptron` converges to. Filled
    blue dots are labelled +1, open ones -1; the shaded side is where w.x + b > 0.
    """
    from nnkit.theory import perceptron, shatters

    X = np.asarray(points, float)
    if X.ndim != 2 or X.shape[1] != 2 or not 1 <= len(X) <= 4:
        raise ValueError(f"shattering_diagram: expects 1 to 4 points in the plane, shape (m, 2); "
                         f"got {X.shape}.")
    res = shatters(X)
    n = len(res.labellings)
    cols = min(n, 4)
    rows = -(-n // cols)
    cell = 1.2
    fig, ax = canvas(cols * cell + 0.2, rows * (cell + 0.25) + 0.1)
    lo, hi = X.min(0), X.max(0)
    center, half = (lo + hi) / 2, max(hi - lo) / 2 * 1.45 + 0.2
    for k, (lab, ok) in enumerate(zip(res.labellings, res.realizable)):
        r, c = divmod(k, cols)
        ox, oy = 0.1 + c * cell, fig.get_size_inches()[1] - (r + 1) * (cell + 0.25)
        s = (cell - 0.16) / (2 * half)

        def to(p, ox=ox, oy=oy, s=s):
            return np.array([ox, oy]) + 0.08 + (np.asarray(p) - center + half) * s

        from matplotlib.patches import Polygon, Rectangle

        corner = to(center - half)
        ax.add_patch(Rectangle(corner, cell - 0.16, cell - 0.16, facecolor="white",
                               edgecolor="#BBBBBB", lw=0.8))
        if ok:
            fit = perceptron(X, lab, max_epochs=max_epochs)
            w, b = np.asarray(fit.w, float), float(fit.b)
            poly = _halfplane(w, b, center - half, center + half)
            if len(poly):
                ax.add_patch(Polygon([to(p) for p in poly], facecolor="#DCEBF7",
                                     edgecolor="none", zorder=1))
            seg = _clip_line(w, b, center - half, center + half)
            if seg is not None:
                ax.plot(*zip(*[to(p) for p in seg]), color=ORANGE, lw=1.6, zorder=2)
        for p, y in zip(X, lab):
            q = to(p)
            ax.plot(*q, "o", ms=7, mfc=BLUE if y > 0 else "white", mec=INK, mew=1.0, zorder=3)
        verdict = "".join("+" if y > 0 else "\u2212" for y in lab)
        text(ax, ox + cell / 2 - 0.08 + 0.08, oy + cell - 0.05, verdict + ("" if ok else "  none"),
             size=10, color=INK if ok else ORANGE, va="bottom")
    count = int(res.realizable.sum())
    alt = (f"{n} small panels, one per labelling of the same {len(X)} points in the plane "
           "(filled dot = +1, open dot = -1). "
           + (f"In all {n} a straight line, the one the perceptron finds, separates the "
              "labels, with the positive side shaded: the points are shattered."
              if res.shattered else
              f"In {count} of them a line separates the labels; in the other {n - count} no "
              "line can, so the points are not shattered."))
    return Diagram(fig, alt)


def _halfplane(w, b, lo, hi) -> np.ndarray:
    """The part of the box [lo, hi] where w.x + b > 0, as a polygon (clip the box)."""
    poly = [np.array(p, float) for p in ((lo[0], lo[1]), (hi[0], lo[1]), (hi[0], hi[1]),
                                         (lo[0], hi[1]))]
    out = []
    for p, q in zip(poly, poly[1:] + poly[:1]):
        fp, fq = w @ p + b, w @ q + b
        if fp > 0:
            out.append(p)
        if (fp > 0) != (fq > 0):
            out.append(p + (q - p) * fp / (fp - fq))
    return np.array(out)


def _clip_line(w, b, lo, hi):
    """The segment of the line w.x + b = 0 inside the box, or None."""
    pts = []
    for axis in (0, 1):
        other = 1 - axis
        if abs(w[other]) < 1e-12:
            continue
        for v in (lo[axis], hi[axis]):
            u = -(b + w[axis] * v) / w[other]
            if lo[other] - 1e-9 <= u <= hi[other] + 1e-9:
                p = np.zeros(2)
                p[axis], p[other] = v, u
                pts.append(p)
    return (pts[0], pts[-1]) if len(pts) >= 2 else None


# -- convolution and pooling ---------------------------------------------------------------------


def conv2d_valid(X, K, b: float = 0.0) -> np.ndarray:
    """Cross-correlation at the 'valid' positions: (H, W), (k, k) -> (H-k+1, W-k+1)."""
    from numpy.lib.stride_tricks import sliding_window_view

    return np.einsum("ijuv,uv->ij", sliding_window_view(X, K.shape), K) + b


def pool2d(A, p: int, reduce=np.max, stride: int | None = None) -> np.ndarray:
    """p x p pooling with the given stride (default p: windows side by side, the last rows and
    columns that fill no window dropped): (H, W) -> ((H - p) // stride + 1, (W - p) // stride + 1).

    ``out[i, j] = reduce(A[stride i : stride i + p, stride j : stride j + p])``.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    s = p if stride is None else stride
    if p < 1 or s < 1:
        raise ValueError(f"pool2d: the window p and the stride must be at least 1, got {p}, {s}.")
    return reduce(sliding_window_view(np.asarray(A), (p, p))[::s, ::s], axis=(2, 3))


def _grid(ax, M, x0, y0, s, *, hl=None, hl_color=ORANGE, fill="white", label=""):
    """Draw the matrix M with cell size s, top-left corner (x0, y0); hl = (i, j, h, w)."""
    from matplotlib.patches import Rectangle

    n, m = M.shape
    for i in range(n):
        for j in range(m):
            ax.add_patch(Rectangle((x0 + j * s, y0 - (i + 1) * s), s, s, facecolor=fill,
                                   edgecolor="#AAAAAA", lw=0.6))
            v = M[i, j]
            text(ax, x0 + (j + 0.5) * s, y0 - (i + 0.5) * s,
                 f"{v:g}".replace("-", "\u2212"), size=10)
    if hl is not None:
        i, j, h, w = hl
        ax.add_patch(Rectangle((x0 + j * s, y0 - (i + h) * s), w * s, h * s, facecolor="none",
                               edgecolor=hl_color, lw=2.2, zorder=5))
    if label:
        text(ax, x0 + m * s / 2, y0 + 0.2, label, size=10)


def conv_pool_diagram(X, K, *, at=(1, 2), p: int = 2, reduce: str = "max") -> Diagram:
    """The kernel K's window at position `at` of the input X, the feature map, then pooling.

    Top: X with the k x k window at `at` outlined, the kernel K, and the feature map
    ``conv2d_valid(X, K)`` with the entry that window produces outlined. Bottom: the feature
    map's p x p pooling window containing that entry and the pooled map.
    """
    X, K = np.asarray(X, float), np.asarray(K, float)
    if reduce not in ("max", "mean"):
        raise ValueError(f"conv_pool_diagram: reduce must be 'max' or 'mean', got {reduce!r}.")
    A = conv2d_valid(X, K)
    i, j = at
    if not (0 <= i < A.shape[0] and 0 <= j < A.shape[1]):
        raise ValueError(f"conv_pool_diagram: position {at} is outside the {A.shape} feature map.")
    P = pool2d(A, p, np.max if reduce == "max" else np.mean)
    k = K.shape[0]
    s = 0.3
    width = 0.2 + X.shape[1] * s + 0.45 + k * s + 0.45 + A.shape[1] * s + 0.1
    height = 0.5 + X.shape[0] * s + 0.55 + A.shape[0] * s + 0.45
    fig, ax = canvas(min(width, 5.0), height)
    top = height - 0.4
    _grid(ax, X, 0.15, top, s, hl=(i, j, k, k), fill=FILL["input"], label=f"input X {X.shape[0]}\u00d7{X.shape[1]}")
    xk = 0.15 + X.shape[1] * s + 0.45
    _grid(ax, K, xk, top, s, fill=FILL["hidden"], hl=(0, 0, k, k), label=f"kernel K {k}\u00d7{k}")
    text(ax, xk - 0.22, top - k * s / 2, "\u22c6", size=14)
    xa = xk + k * s + 0.45
    _grid(ax, A, xa, top, s, hl=(i, j, 1, 1), fill=FILL["output"], label="feature map")
    text(ax, xa - 0.22, top - k * s / 2, "=", size=13)
    patch = X[i:i + k, j:j + k]
    text(ax, xk + k * s / 2, top - k * s - 0.3,
         f"\u03a3 K\u2299window = {A[i, j]:g}".replace("-", "\u2212"), size=10, color=ORANGE)
    # bottom row: pooling
    top2 = top - X.shape[0] * s - 0.55
    pi, pj = i // p, j // p
    _grid(ax, A, 0.15, top2, s, hl=(pi * p, pj * p, p, p), hl_color=BLUE, fill=FILL["output"],
          label="feature map")
    xp = 0.15 + A.shape[1] * s + 0.9
    arrow(ax, (0.15 + A.shape[1] * s + 0.1, top2 - A.shape[0] * s / 2),
          (xp - 0.1, top2 - A.shape[0] * s / 2))
    text(ax, (0.15 + A.shape[1] * s + xp) / 2, top2 - A.shape[0] * s / 2 + 0.3,
         f"{reduce} pool\n{p}\u00d7{p}", size=10, linespacing=1.1)
    _grid(ax, P, xp, top2, s, hl=(pi, pj, 1, 1), hl_color=BLUE, fill="#F2F2F2", label="pooled")
    alt = (f"Top: a {X.shape[0]}x{X.shape[1]} input grid with the {k}x{k} window at row {i + 1}, "
           f"column {j + 1} outlined; the kernel K; and the {A.shape[0]}x{A.shape[1]} feature "
           f"map, in which the outlined entry {A[i, j]:g} is the sum of the window's entries "
           f"times the kernel's ({np.array2string(patch.ravel(), separator=', ')} times "
           f"{np.array2string(K.ravel(), separator=', ')}). Bottom: the feature map cut into "
           f"{p}x{p} windows; {reduce} pooling keeps one number per window, giving a "
           f"{P.shape[0]}x{P.shape[1]} map; the outlined window gives {P[pi, pj]:g}.")
    return Diagram(fig, alt)

