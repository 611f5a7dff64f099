"""Convolution and pooling on one channel, and the diagram of chapter 9 that follows one window
through both.

- `conv2d_valid`: equation (ch9-conv), the kernel's cross-correlation at the 'valid' positions.
- `pool2d`: equation (ch9-pool), max or average pooling of p x p windows, side by side or with
  a stride.
- `conv_pool_diagram`: a kernel's window on an input, the feature map it produces, and a pooling
  window on that map, every number computed with the two functions above.

Chapter 9 computes with `conv2d_valid` and `pool2d` (and shows their source); the pooling
explorer (`nnkit.book.explorers.pooling`) draws its maps with them. Same conventions as every
diagram (`nnkit.book.diagrams.drawing`: SVG, alt text, legible at phone width).
"""

from __future__ import annotations

import numpy as np

from nnkit.book.diagrams.drawing import BLUE, FILL, ORANGE, Diagram, arrow, canvas, text


# -- convolution and pooling ---------------------------------------------------------------------


def conv2d_valid(X, K, b: float = 0.0) -> np.ndarray:
    """Equation (ch9-conv) at the 'valid' positions: (H, W), (r, r) -> (H-r+1, W-r+1)."""
    from numpy.lib.stride_tricks import sliding_window_view

    windows = sliding_window_view(X, K.shape)                # (H-r+1, W-r+1, r, r)
    return np.einsum("ijuv,uv->ij", windows, K) + b          # (H-r+1, W-r+1)


def pool2d(A, p: int, reduce=np.max, stride: int | None = None) -> np.ndarray:
    """Equation (ch9-pool): p x p pooling with the given stride (default p: windows side by
    side, the last rows and columns that fill no window dropped): (H, W) -> (H', W') with
    H' = (H - p) // stride + 1 and W' = (W - p) // stride + 1.

    ``out[i, j] = reduce(A[stride i : stride i + p, stride j : stride j + p])``.
    """
    from numpy.lib.stride_tricks import sliding_window_view

    s = p if stride is None else stride
    if p < 1 or s < 1:
        raise ValueError(f"pool2d: the window p and the stride must be at least 1, got {p}, {s}.")
    windows = sliding_window_view(np.asarray(A), (p, p))[::s, ::s]   # (H', W', p, p)
    return reduce(windows, axis=(2, 3))                                 # (H', W')


def _draw_matrix(ax, M, x0, y0, s, *, hl=None, hl_color=ORANGE, fill="white", label=""):
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
    _draw_matrix(ax, X, 0.15, top, s, hl=(i, j, k, k), fill=FILL["input"],
                 label=f"input X {X.shape[0]}\u00d7{X.shape[1]}")
    xk = 0.15 + X.shape[1] * s + 0.45
    _draw_matrix(ax, K, xk, top, s, fill=FILL["hidden"], hl=(0, 0, k, k),
                 label=f"kernel K {k}\u00d7{k}")
    text(ax, xk - 0.22, top - k * s / 2, "\u22c6", size=14)
    xa = xk + k * s + 0.45
    _draw_matrix(ax, A, xa, top, s, hl=(i, j, 1, 1), fill=FILL["output"], label="feature map")
    text(ax, xa - 0.22, top - k * s / 2, "=", size=13)
    patch = X[i:i + k, j:j + k]
    text(ax, xk + k * s / 2, top - k * s - 0.3,
         f"\u03a3 K\u2299window = {A[i, j]:g}".replace("-", "\u2212"), size=10, color=ORANGE)
    # bottom row: pooling
    top2 = top - X.shape[0] * s - 0.55
    pi, pj = i // p, j // p
    _draw_matrix(ax, A, 0.15, top2, s, hl=(pi * p, pj * p, p, p), hl_color=BLUE,
                 fill=FILL["output"], label="feature map")
    xp = 0.15 + A.shape[1] * s + 0.9
    arrow(ax, (0.15 + A.shape[1] * s + 0.1, top2 - A.shape[0] * s / 2),
          (xp - 0.1, top2 - A.shape[0] * s / 2))
    text(ax, (0.15 + A.shape[1] * s + xp) / 2, top2 - A.shape[0] * s / 2 + 0.3,
         f"{reduce} pool\n{p}\u00d7{p}", size=10, linespacing=1.1)
    _draw_matrix(ax, P, xp, top2, s, hl=(pi, pj, 1, 1), hl_color=BLUE, fill="#F2F2F2",
                 label="pooled")
    alt = (f"Top: a {X.shape[0]}x{X.shape[1]} input grid with the {k}x{k} window at row {i + 1}, "
           f"column {j + 1} outlined; the kernel K; and the {A.shape[0]}x{A.shape[1]} feature "
           f"map, in which the outlined entry {A[i, j]:g} is the sum of the window's entries "
           f"times the kernel's ({np.array2string(patch.ravel(), separator=', ')} times "
           f"{np.array2string(K.ravel(), separator=', ')}). Bottom: the feature map cut into "
           f"{p}x{p} windows; {reduce} pooling keeps one number per window, giving a "
           f"{P.shape[0]}x{P.shape[1]} map; the outlined window gives {P[pi, pj]:g}.")
    return Diagram(fig, alt)

