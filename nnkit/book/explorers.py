"""The prebuilt explorers of chapters 1-4, each a function returning an `Explorer`.

- `activation_explorer` (chapter 2): an activation, its derivative, and where it saturates.
- `neuron_explorer` (chapter 1): a single ReLU neuron's active half-space in 2-D.
- `learning_rate_explorer` (chapter 4): gradient descent on an ill-conditioned quadratic.
- `linear_regions_explorer` (chapter 1): the linear regions of small random ReLU networks.

Each keeps its grid small (tens of frames) so that precomputing it at build time stays
within a few seconds and the page within a few hundred kilobytes. Display the result in a
notebook cell for the static version, or call ``.live()`` in a kernel.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence

import numpy as np

from nnkit.book.widgets import Choice, Explorer, Slider

__all__ = [
    "activation_explorer",
    "gradient_descent_path",
    "learning_rate_explorer",
    "linear_regions_explorer",
    "neuron_explorer",
]


# -- chapter 2: activation functions ---------------------------------------------------------

_DEFAULT_ACTIVATIONS = ("sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "swish")


def _has_alpha(f) -> bool:
    return "alpha" in inspect.signature(f).parameters


def saturation_mask(dphi: np.ndarray, threshold: float) -> np.ndarray:
    """True where the derivative is small, ``|phi'(z)| < threshold`` (the unit saturates)."""
    return np.abs(dphi) < threshold


def activation_explorer(
    names: Sequence[str] = _DEFAULT_ACTIVATIONS,
    *,
    alphas: Sequence[float] = (0.01, 0.3, 1.0),
    thresholds: Sequence[float] = (0.01, 0.05, 0.2),
    z: np.ndarray | None = None,
) -> Explorer:
    """Pick an activation (and its `alpha`, for Leaky ReLU and ELU) and a saturation threshold.

    The left panel shows ``phi(z)``, the right one ``phi'(z)``; the grey bands mark where
    ``|phi'(z)| < threshold``, the inputs for which almost no gradient flows back.
    Activations come from `nnkit.functional.ACTIVATIONS`.
    """
    from nnkit.functional import ACTIVATIONS

    unknown = [n for n in names if n not in ACTIVATIONS]
    if unknown:
        raise KeyError(f"unknown activations {unknown}; known: {', '.join(sorted(ACTIVATIONS))}")
    z = np.linspace(-6.0, 6.0, 601) if z is None else np.asarray(z, dtype=float)
    takes_alpha = {n: _has_alpha(ACTIVATIONS[n][0]) for n in names}

    def render(fig, *, activation, alpha, threshold):
        f, df = ACTIVATIONS[activation]
        kwargs = {"alpha": alpha} if takes_alpha[activation] else {}
        phi, dphi = f(z, **kwargs), df(z, **kwargs)
        flat = saturation_mask(dphi, threshold)
        name = activation + (f" (alpha = {alpha:g})" if kwargs else "")
        ax_f, ax_df = fig.subplots(1, 2)
        fig.subplots_adjust(left=0.09, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
        for ax, y, ylabel in ((ax_f, phi, r"$\phi(z)$"), (ax_df, dphi, r"$\phi'(z)$")):
            ax.fill_between(z, 0, 1, where=flat, transform=ax.get_xaxis_transform(),
                            color="0.85", linewidth=0)
            ax.plot(z, y, color="#0072B2" if ax is ax_f else "#D55E00")
            ax.axhline(0.0, color="0.5", linewidth=0.7)
            ax.set_xlabel("pre-activation z")
            ax.set_ylabel(ylabel)
        for level in (-threshold, threshold):
            ax_df.axhline(level, color="0.4", linewidth=0.8, linestyle=":")
        ax_df.set_ylim(min(-0.1, dphi.min() - 0.1), max(1.1, dphi.max() + 0.1))
        ax_f.set_title(name, fontsize="medium")
        ax_df.set_title(f"grey: |φ'| < {threshold:g} on {flat.mean():.0%} of [{z[0]:g}, {z[-1]:g}]",
                        fontsize="medium")

    def canonical(values):
        if not takes_alpha[values["activation"]]:
            values.pop("alpha")
        return values

    return Explorer(
        render,
        {
            "activation": Choice(list(names), label="activation"),
            "alpha": Slider(list(alphas), label="alpha (Leaky ReLU, ELU)", fmt="{:g}"),
            "threshold": Slider(list(thresholds), label="threshold on |φ'|", fmt="{:g}"),
        },
        title="Activation function, derivative and saturation",
        description="Grey bands: inputs where the derivative is below the threshold.",
        figsize=(7, 3.2),
        layout="none",
        canonical=canonical,
    )


# -- chapter 1: a single neuron ---------------------------------------------------------------


def neuron_explorer(
    *,
    angles: Sequence[float] = (0, 60, 120, 180, 240, 300),
    biases: Sequence[float] = (-1.0, -0.5, 0.0, 0.5, 1.0),
    norm: float = 1.5,
    lim: float = 2.0,
) -> Explorer:
    """A ReLU neuron ``a = max(w . x + b, 0)`` on the plane as its weight turns and its bias moves.

    The weight is ``w = norm * (cos t, sin t)`` for the angle t in degrees. Colour shows the
    output `a`: zero (white) on one side of the boundary line ``w . x + b = 0``, growing
    linearly on the active side, which the arrow `w` points into.
    """
    g = np.linspace(-lim, lim, 161)
    levels = np.arange(0.0, norm * lim * np.sqrt(2) + max(biases) + 0.5, 0.5)  # output bands
    X1, X2 = np.meshgrid(g, g)  # (161, 161) each

    def render(fig, *, angle, bias):
        t = np.deg2rad(angle)
        w = norm * np.array([np.cos(t), np.sin(t)])  # (2,)
        z = w[0] * X1 + w[1] * X2 + bias  # (161, 161)
        a = np.ma.masked_less_equal(z, 0.0)  # inactive side left white: a = 0 there
        ax = fig.subplots()
        fig.subplots_adjust(left=0.15, right=0.84, bottom=0.13, top=0.92)
        image = ax.contourf(X1, X2, a, levels=levels, cmap="Blues", extend="max")
        ax.contour(X1, X2, z, levels=[0.0], colors="#D55E00", linewidths=2)
        foot = -bias * w / (w @ w)  # the point of the boundary closest to the origin
        ax.annotate("", xy=foot + w / norm, xytext=foot,
                    arrowprops={"arrowstyle": "->", "color": "black", "linewidth": 1.5})
        ax.text(*(foot + 0.5 * w / norm + 0.15 * np.array([-w[1], w[0]]) / norm), "w",
                fontsize="large", ha="center", va="center")
        ax.set_xlim(-lim, lim)
        ax.set_ylim(-lim, lim)
        ax.set_aspect("equal")
        ax.grid(False)
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_title(f"w = ({w[0]:.2f}, {w[1]:.2f}), b = {bias:g}", fontsize="medium")
        fig.colorbar(image, ax=ax, ticks=levels[::2], label="output a = max(w·x + b, 0)")

    return Explorer(
        render,
        {
            "angle": Slider(list(angles), label="angle of w (degrees)", fmt="{:g}°"),
            "bias": Slider(list(biases), label="bias b", fmt="{:+.1f}",
                           initial=biases[len(biases) // 2]),
        },
        title="A single ReLU neuron",
        description="Orange line: the boundary w·x + b = 0; the neuron is active on the "
                    "side the arrow w points to.",
        figsize=(5.2, 4.0),
        layout="none",
    )


# -- chapter 4: the learning rate --------------------------------------------------------------


def gradient_descent_path(A: np.ndarray, theta0: Sequence[float], lr: float, steps: int, *,
                          momentum: float = 0.0) -> np.ndarray:
    """Iterates of `nnkit.optim.SGD` on the quadratic ``f(theta) = 1/2 theta^T A theta``.

    The gradient is ``A theta``. Stops early (keeping the last iterate) once the iterate
    leaves a huge ball, so divergent runs stay finite.

    Shapes: A (2, 2), theta0 (2,) -> (steps + 1, 2) at most.
    """
    from nnkit.core import Parameter
    from nnkit.optim import SGD

    theta = Parameter(np.array(theta0, dtype=float))
    opt = SGD([theta], lr=lr, momentum=momentum)
    path = [theta.value.copy()]
    for _ in range(steps):
        opt.zero_grad()
        theta.grad += A @ theta.value  # (2,)
        opt.step()
        path.append(theta.value.copy())
        if not np.all(np.abs(theta.value) < 1e6):
            break
    return np.array(path)  # (T, 2)


def learning_rate_explorer(
    *,
    lrs: Sequence[float] = (0.005, 0.02, 0.05, 0.1, 0.15, 0.19, 0.21),
    momenta: Sequence[float] = (0.0, 0.9),
    curvatures: tuple[float, float] = (1.0, 10.0),
    theta0: tuple[float, float] = (-4.0, 1.5),
    steps: int = 60,
) -> Explorer:
    """Gradient descent on ``f(theta) = (a theta_1^2 + b theta_2^2) / 2`` as the learning rate moves.

    With curvatures ``a < b`` the problem has condition number ``b / a``; plain gradient
    descent converges iff ``lr < 2 / b`` (0.2 for the default b = 10), and the slow
    direction converges at rate ``|1 - lr a|``. Left: the path over the contour lines;
    right: the loss per step on a log scale. `momenta` adds a momentum slider if it has
    more than one value.
    """
    from nnkit.book.viz import trajectory_on_contours

    a, b = curvatures
    A = np.diag([a, b])  # (2, 2)

    def loss(theta):
        return 0.5 * (a * theta[0] ** 2 + b * theta[1] ** 2)

    lim = 1.3 * max(abs(theta0[0]), abs(theta0[1]))

    def render(fig, *, lr, momentum=0.0):
        path = gradient_descent_path(A, theta0, lr, steps, momentum=momentum)  # (T, 2)
        ax_path, ax_loss = fig.subplots(1, 2, width_ratios=(1.2, 1))
        fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.3)
        trajectory_on_contours(loss, path, ax_path, xlim=(-lim, lim), ylim=(-lim, lim),
                               resolution=120, levels=14, minimum=(0.0, 0.0))
        ax_path.set_title(f"lr = {lr:g}" + (f", momentum = {momentum:g}" if momentum else ""),
                          fontsize="medium")
        losses = loss(path.T)  # (T,)
        ax_loss.semilogy(np.arange(len(losses)), np.maximum(losses, 1e-12))
        ax_loss.set_xlim(0, steps)
        ax_loss.set_ylim(1e-6, 1e4)
        ax_loss.set_yticks([1e-6, 1e-3, 1, 1e3], labels=["1e-6", "1e-3", "1", "1e3"])
        ax_loss.minorticks_off()
        ax_loss.set_xlabel("step")
        ax_loss.set_ylabel(r"loss $f(\theta)$")
        verdict = "diverges" if losses[-1] > losses[0] else f"final loss {losses[-1]:.1e}"
        ax_loss.set_title(verdict, fontsize="medium")

    params = {"lr": Slider(list(lrs), label="learning rate", fmt="{:g}",
                           initial=lrs[len(lrs) // 2])}
    if len(momenta) > 1:
        params["momentum"] = Slider(list(momenta), label="momentum", fmt="{:g}")
    return Explorer(
        render,
        params,
        title="Learning rate on an ill-conditioned quadratic",
        description=f"Curvatures {a:g} and {b:g}: plain gradient descent diverges for "
                    f"lr > {2 / b:g}.",
        figsize=(7, 3.3),
        layout="none",
    )


# -- chapter 1: linear regions ------------------------------------------------------------------


def linear_regions_explorer(
    *,
    widths: Sequence[int] = (2, 4, 8, 16),
    depths: Sequence[int] = (1, 2, 3, 4),
    seed: int = 0,
    lim: float = 2.0,
    resolution: int = 200,
) -> Explorer:
    """The linear regions of a random ReLU network on ``[-lim, lim]^2`` as width and depth change.

    Each region is one activation pattern, on which the network is a single affine map.
    Networks come from `nnkit.theory.random_relu_net` (widths ``[2, width, ..., width, 1]``)
    and regions from `nnkit.theory.linear_regions` on a `resolution` x `resolution` grid, so
    very thin ones can be missed. The network for (width, depth) is drawn from
    ``np.random.default_rng([seed, width, depth])``, so every frame is reproducible.
    """
    from nnkit.theory import linear_regions, random_relu_net
    from nnkit.book.viz import region_map

    xlim = ylim = (-lim, lim)

    def render(fig, *, width, depth):
        rng = np.random.default_rng([seed, width, depth])
        model = random_relu_net([2] + [width] * depth + [1], rng)
        count, ids, _ = linear_regions(model, xlim, ylim, resolution)
        ax = fig.subplots()
        fig.subplots_adjust(left=0.16, right=0.96, bottom=0.12, top=0.92)
        region_map(ids, (*xlim, *ylim), ax,
                   title=f"width {width}, depth {depth}: {count} regions")
        ax.set_aspect("equal")

    return Explorer(
        render,
        {
            "width": Slider(list(widths), label="width (units per layer)", fmt="{:d}"),
            "depth": Slider(list(depths), label="depth (hidden layers)", fmt="{:d}"),
        },
        title="Linear regions of a random ReLU network",
        description="Each colour is one activation pattern, where the network is affine.",
        figsize=(4.6, 4.2),
        layout="none",
    )
