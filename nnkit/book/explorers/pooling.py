"""The pooling explorer of chapter 9, computed in the page.

An image with a vertical bar (fractional positions cover a pixel partly), its edge feature map
(ReLU of a 2x2 convolution) and the pooled map, with the pooling type, window and stride as
controls. `pooling_maps` computes the three maps with the convolution and pooling of
`nnkit.book.diagrams.convolution`; ``assets/explorers.js`` computes the same in the page.
"""

from __future__ import annotations

import numpy as np

from nnkit.book.explorers.jsexplorer import JSExplorer, Range, Select

__all__ = ["POOL_KERNELS", "bar_image", "pooling_config", "pooling_explorer", "pooling_maps"]


# -- chapter 9: convolution and pooling ----------------------------------------------------------

POOL_KERNELS = {"left edge": [[-1.0, 1.0], [-1.0, 1.0]],
                "right edge": [[1.0, -1.0], [1.0, -1.0]],
                "top edge": [[-1.0, -1.0], [1.0, 1.0]]}


def pooling_config(*, size: int = 8, rows: tuple[int, int] = (2, 5), left: float = 1.0) -> dict:
    """The image and the kernels shared by the page and `pooling_maps`."""
    return {"size": size, "rows": list(rows), "left": left, "kernels": POOL_KERNELS}


def bar_image(shift: float, width: float = 1.0, config: dict | None = None) -> np.ndarray:
    """A dark square image with a bright vertical bar in rows ``rows[0] .. rows[1] - 1`` over
    the columns ``[left + shift, left + shift + width)``; a pixel partly covered gets the
    fraction covered, so the bar moves continuously.

    Shapes: -> (size, size).
    """
    cfg = pooling_config() if config is None else config
    n, (r0, r1) = cfg["size"], cfg["rows"]
    x0 = cfg["left"] + shift
    x1 = x0 + width
    c = np.arange(n, dtype=float)
    cover = np.maximum(0.0, np.minimum(1.0, np.minimum(c + 1, x1) - np.maximum(c, x0)))  # (size,)
    img = np.zeros((n, n))
    img[r0:r1] = cover
    return img


def pooling_maps(shift: float, width: float = 1.0, kernel: str = "left edge",
                 pooling: str = "max", p: int = 2, stride: int | None = None,
                 config: dict | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(image, feature map, pooled map)``: the bar image, the ReLU of its valid convolution
    with the 2 x 2 `kernel`, and that map pooled with p x p windows at the given stride
    (default p). Uses `nnkit.book.diagrams.convolution.conv2d_valid` and ``pool2d``.

    Shapes: (size, size), (size - 1, size - 1), ((size - 1 - p) // stride + 1, same).
    """
    from nnkit.book.diagrams.convolution import conv2d_valid, pool2d

    cfg = pooling_config() if config is None else config
    if kernel not in cfg["kernels"] or pooling not in ("max", "average"):
        raise ValueError(f"pooling_maps: kernel must be one of {list(cfg['kernels'])} and pooling "
                         f"'max' or 'average', got {kernel!r}, {pooling!r}.")
    img = bar_image(shift, width, cfg)
    fmap = np.maximum(conv2d_valid(img, np.array(cfg["kernels"][kernel])), 0.0)
    pooled = pool2d(fmap, p, np.max if pooling == "max" else np.mean, stride)
    return img, fmap, pooled


def pooling_explorer(*, shift: float = 0.0, width: float = 1.0, config: dict | None = None
                     ) -> JSExplorer:
    """The bar image, its edge feature map and the pooled map, with controls for the bar's
    position and width, the kernel, the pooling (max or average), the window p and the stride."""
    cfg = pooling_config() if config is None else config

    def render(fig, *, shift, width, kernel, pooling, p, stride):
        from matplotlib.patches import Rectangle

        p = int(p)
        s = p if stride == "p" else int(stride)
        maps = pooling_maps(shift, width, kernel, pooling, p, s, cfg)
        top = max(1.0, float(maps[1].max()))
        names = ("input image", f"{kernel} feature map", f"{pooling} pool {p}×{p}, stride {s}")
        for ax, M, title, vmax in zip(fig.subplots(1, 3), maps, names, (1.0, top, top)):
            ax.imshow(M, cmap="Greys", vmin=0, vmax=vmax)
            ax.grid(False)
            ax.set_title(title, fontsize="medium")
            ax.set(xticks=range(M.shape[1]), yticks=range(M.shape[0]))
            edges = np.arange(M.shape[0] + 1) - 0.5
            ax.hlines(edges, -0.5, M.shape[1] - 0.5, color="0.75", lw=0.5)
            ax.vlines(edges[:M.shape[1] + 1], -0.5, M.shape[0] - 0.5, color="0.75", lw=0.5)
            for (i, j), v in np.ndenumerate(M):
                if v > 0:
                    ax.text(j, i, f"{round(v, 2):g}", ha="center", va="center", fontsize=8,
                            color="white" if v > 0.5 * vmax else "black")
        windows = [(0, 0)] if s < p else [(s * i, s * j) for i in range(maps[2].shape[0])
                                            for j in range(maps[2].shape[1])]
        for i, j in windows:
            fig.axes[1].add_patch(Rectangle((j - 0.5, i - 0.5), p, p, fill=False,
                                            edgecolor="#D55E00", lw=1.5))

    return JSExplorer(
        "pooling",
        [Range("shift", "shift of the bar (pixels)", 0.0, 4.0, 0.1, shift, digits=1),
         Range("width", "width of the bar", 0.5, 3.0, 0.1, width, digits=1),
         Select("kernel", "kernel", list(cfg["kernels"]), "left edge"),
         Select("pooling", "pooling", ["max", "average"], "max"),
         Select("p", "window p", ["2", "3"], "2"),
         Select("stride", "stride", ["p", "1"], "p")],
        cfg,
        title="Convolution, pooling and small shifts",
        description=f"An {cfg['size']}×{cfg['size']} image with a vertical bar, its feature map "
                    "(ReLU of a 2×2 convolution) and the pooled map; orange squares: the pooling "
                    "windows (with stride 1, the first one).",
        python_render=render,
    )
