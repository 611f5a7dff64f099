"""The shattering diagram of chapter 8: every labelling of a few points in the plane with the
line the perceptron of `nnkit.theory` finds for it (or a mark where none exists).

Same conventions as every diagram (`nnkit.book.diagrams.drawing`: SVG, alt text, legible at
phone width).
"""

from __future__ import annotations

import numpy as np

from nnkit.book.diagrams.drawing import BLUE, INK, ORANGE, Diagram, canvas, text


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
