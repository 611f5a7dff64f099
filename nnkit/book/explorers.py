"""The prebuilt explorers of the chapters, each a function returning an explorer.

Closed-form ones are `nnkit.book.jsexplorer.JSExplorer` blocks computed in the page's
JavaScript with continuous controls; their `python_render` draws the same picture with nnkit
(``.live()`` in a kernel):

- `activation_explorer` (chapter 2): an activation, its derivative and where it saturates.
- `neuron_explorer` (chapter 1): a single neuron's output over the plane.
- `architecture_explorer` (chapter 1, in `nnkit.book.architecture`): choose a network's
  depth, widths and activation; see it drawn, its parameters and what it computes.
- `initialization_explorer` (chapter 5, in `nnkit.book.init_explorer`): activations of a deep
  network as the initial weight scale, the activation and the depth change.
- `loss_explorer` (chapter 3): squared error and cross-entropy on a sigmoid output.
- `learning_rate_explorer` (chapter 4): gradient descent on an ill-conditioned quadratic.
- `pac_bounds_explorer` (chapter 8): the sample sizes of the VC bounds.
- `gated_gradient_explorer` (chapter 7): the gradient through time of a tanh recurrence with a
  fixed forget gate, against the vanilla network.
- `pooling_explorer` (chapter 9): an image with a bar, its edge feature map and the pooled map.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnkit.book.architecture import architecture_explorer, architecture_network
from nnkit.book.init_explorer import initialization_explorer
from nnkit.book.jsexplorer import JSExplorer, Range, Select

__all__ = [
    "activation_explorer",
    "activation_values",
    "architecture_explorer",
    "architecture_network",
    "gradient_descent_path",
    "initialization_explorer",
    "learning_rate_explorer",
    "loss_explorer",
    "neuron_explorer",
    "pac_bounds_explorer",
    "saturation_mask",
    "sigmoid_losses",
    "gated_gradient_config",
    "gated_gradient_explorer",
    "gated_gradient_rnn",
    "bar_image",
    "pooling_config",
    "pooling_explorer",
    "pooling_maps",
]


# -- chapter 2: activation functions ---------------------------------------------------------

ACTIVATION_FAMILY = ("sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "gelu", "swish")
_TAKES_ALPHA = ("leaky_relu", "prelu", "elu")


def saturation_mask(dphi: np.ndarray, threshold: float) -> np.ndarray:
    """True where the derivative is small, ``|phi'(z)| < threshold`` (the unit saturates)."""
    return np.abs(dphi) < threshold


def activation_values(name: str, z, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    """``(phi(z), phi'(z))`` from `nnkit.functional`, with `alpha` where the function has one."""
    from nnkit import functional as F

    if name == "prelu":
        return F.prelu(z, alpha), F.prelu_grad(z, alpha)
    f, df = F.ACTIVATIONS[name]
    kwargs = {"alpha": alpha} if name in _TAKES_ALPHA else {}
    return f(z, **kwargs), df(z, **kwargs)


def activation_explorer(names: Sequence[str] = ACTIVATION_FAMILY, *, initial: str = "tanh",
                        z_max: float = 6.0, alpha: float = 0.1, threshold: float = 0.05
                        ) -> JSExplorer:
    """The activation `names` with continuous controls for the input range [-r, r], alpha
    (Leaky ReLU, PReLU with a fixed slope, ELU) and the saturation threshold.

    Left: ``phi(z)``; right: ``phi'(z)``; grey bands where ``|phi'(z)| < threshold``, the
    inputs for which almost no gradient flows back.
    """
    from nnkit.functional import ACTIVATIONS

    unknown = [n for n in names if n not in ACTIVATIONS and n != "prelu"]
    if unknown:
        raise KeyError(f"unknown activations {unknown}; known: "
                       f"{', '.join(sorted([*ACTIVATIONS, 'prelu']))}")

    def render(fig, *, activation, range, alpha, threshold):  # noqa: A002 (the control's name)
        z = np.linspace(-range, range, 401)
        phi, dphi = activation_values(activation, z, alpha)
        flat = saturation_mask(dphi, threshold)
        ax_f, ax_df = fig.subplots(1, 2)
        for ax, y, color in ((ax_f, phi, "#0072B2"), (ax_df, dphi, "#D55E00")):
            ax.fill_between(z, 0, 1, where=flat, transform=ax.get_xaxis_transform(),
                            color="0.85", linewidth=0)
            ax.plot(z, y, color=color)
            ax.set_xlabel("z")
        for level in (-threshold, threshold):
            ax_df.axhline(level, color="0.4", linewidth=0.8, linestyle=":")
        ax_f.set_title(f"{activation}: saturated on {flat.mean():.0%}", fontsize="medium")
        ax_df.set_title(f"derivative; grey: |φ'| < {threshold:g}", fontsize="medium")

    return JSExplorer(
        "activation",
        [Select("activation", "activation", list(names), initial),
         Range("range", "input range ±", 1.0, 20.0, 0.1, z_max, digits=1),
         Range("alpha", "α (Leaky ReLU, PReLU, ELU)", 0.0, 2.0, 0.01, alpha),
         Range("threshold", "saturation threshold on |φ′|", 0.001, 0.5, 0.001, threshold,
               digits=3)],
        {"points": 401},
        title="Activation function, derivative and saturation",
        description="Grey bands: inputs where the derivative is below the threshold.",
        python_render=render,
    )


# -- chapter 1: a single neuron ---------------------------------------------------------------


def neuron_explorer(*, angle: float = 30.0, norm: float = 1.5, bias: float = 0.0,
                    lim: float = 2.0) -> JSExplorer:
    """A neuron ``a = phi(w . x + b)`` on the plane; w = norm (cos t, sin t), t in degrees.

    Colour shows the output: for ReLU zero (white) on one side of the boundary line
    ``w . x + b = 0`` and growing linearly on the side w points into.
    """
    def render(fig, *, angle, norm, bias, activation):
        from nnkit import Dense

        from nnkit.book.architecture import activation_layer

        t = np.deg2rad(angle)
        layer = Dense(2, 1, rng=np.random.default_rng(0))
        layer.weight.value[:] = norm * np.array([[np.cos(t), np.sin(t)]])
        layer.bias.value[:] = bias
        g = np.linspace(-lim, lim, 161)
        X = np.stack(np.meshgrid(g, g[::-1]), -1).reshape(-1, 2)  # (161^2, 2)
        a = activation_layer(activation).forward(layer.forward(X)).reshape(161, 161)
        ax = fig.subplots()
        ax.imshow(a, extent=(-lim, lim, -lim, lim), cmap="Blues")
        ax.set_title(f"w = ({norm * np.cos(t):.2f}, {norm * np.sin(t):.2f}), b = {bias:g}")

    return JSExplorer(
        "neuron",
        [Range("angle", "angle of w (°)", 0.0, 360.0, 1.0, angle, digits=0),
         Range("norm", "length of w", 0.2, 3.0, 0.05, norm),
         Range("bias", "bias b", -2.0, 2.0, 0.05, bias),
         Select("activation", "activation", ["relu", "sigmoid", "tanh"], "relu")],
        {"lim": lim, "pixels": 160, "vmax": 4},
        title="A single neuron",
        description="Orange line: the boundary w·x + b = 0; the black stroke is w, pointing to "
                    "the side where w·x + b > 0.",
        python_render=render,
    )


# -- chapter 3: squared error and cross-entropy on a sigmoid output ---------------------------------


def sigmoid_losses(z, y: float) -> dict[str, np.ndarray]:
    """Per-point losses of a sigmoid output p = sigma(z) against target y, and d loss / dz.

    Computed with nnkit's losses, one point at a time: ``MSELoss`` on p halved (the book's
    1/2 convention) and ``BCEWithLogitsLoss`` on z, their gradients from ``backward()``.
    """
    from nnkit import functional as F
    from nnkit.losses import BCEWithLogitsLoss, MSELoss

    out = {k: [] for k in ("mse", "bce", "dmse", "dbce")}
    mse, bce = MSELoss(reduction="sum"), BCEWithLogitsLoss(reduction="sum")
    for zi in np.asarray(z, float).ravel():
        p = F.sigmoid(np.array([[zi]]))
        out["mse"].append(0.5 * mse(p, np.array([[y]])))
        out["dmse"].append(0.5 * mse.backward()[0, 0] * F.sigmoid_grad(zi))
        out["bce"].append(bce(np.array([[zi]]), np.array([[y]])))
        out["dbce"].append(bce.backward()[0, 0])
    return {k: np.array(v) for k, v in out.items()}


def loss_explorer(*, target: float = 1.0, z_max: float = 8.0) -> JSExplorer:
    """Squared error and cross-entropy of a sigmoid output as the target moves in [0, 1]."""
    def render(fig, *, target, scale):
        z = np.linspace(-z_max, z_max, 201)
        L = sigmoid_losses(z, target)
        axes = fig.subplots(1, 2)
        for ax, (a, b) in zip(axes, (("mse", "bce"), ("dmse", "dbce"))):
            ax.plot(z, np.abs(L[a]), label="MSE (with 1/2)")
            ax.plot(z, np.abs(L[b]), "--", label="BCE")
            ax.set_yscale(scale)
        axes[1].legend()

    return JSExplorer(
        "losses",
        [Range("target", "target y", 0.0, 1.0, 0.01, target),
         Select("scale", "vertical scale", ["linear", "log"], "linear")],
        {"zmax": z_max, "points": 401},
        title="Squared error and cross-entropy for a sigmoid output",
        description="The first panel shows the loss, the second the size of its gradient with "
                    "respect to z.",
        python_render=render,
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


def learning_rate_explorer(*, lr: float = 0.1, curvatures: tuple[float, float] = (1.0, 10.0),
                           theta0: tuple[float, float] = (-4.0, 1.5), steps: int = 60
                           ) -> JSExplorer:
    """Gradient descent on ``f(theta) = (a theta_1^2 + b theta_2^2) / 2``.

    Continuous learning rate, momentum and steep curvature b. Plain gradient descent
    converges iff ``lr < 2 / b``; the slow direction converges at rate ``|1 - lr a|``.
    Left: the path over the contour lines; right: the loss per step on a log scale.
    """
    a = curvatures[0]

    def render(fig, *, lr, momentum, curvature):
        path = gradient_descent_path(np.diag([a, curvature]), theta0, lr, steps,
                                     momentum=momentum)
        ax_path, ax_loss = fig.subplots(1, 2)
        ax_path.plot(path[:, 0], path[:, 1], "o-", markersize=2)
        losses = 0.5 * (a * path[:, 0] ** 2 + curvature * path[:, 1] ** 2)
        ax_loss.semilogy(np.maximum(losses, 1e-12))
        ax_loss.set_title(f"lr = {lr:g}, momentum = {momentum:g}")

    return JSExplorer(
        "learning_rate",
        [Range("lr", "learning rate", 0.001, 0.25, 0.001, lr, digits=3),
         Range("momentum", "momentum", 0.0, 0.95, 0.01, 0.0),
         Range("curvature", "curvature b", 2.0, 20.0, 0.5, curvatures[1], digits=1)],
        {"curvatures": list(curvatures), "theta0": list(theta0), "steps": steps},
        title="Learning rate on an ill-conditioned quadratic",
        description=f"f(θ) = ({a:g} θ₁² + b θ₂²)/2 from θ₀ = {tuple(theta0)}; plain gradient "
                    "descent diverges for lr > 2/b.",
        python_render=render,
    )


# -- chapter 8: PAC bounds -----------------------------------------------------------------------


def pac_bounds_explorer(*, d_vc: int = 6, delta: float = 0.05, eps=(0.005, 0.5),
                        eps_mark: float = 0.08) -> JSExplorer:
    """Sample sizes of the Blumer et al. and Anthony-Biggs bounds against epsilon, with a
    slider for the VC dimension (every integer from 1 to 500) and a logarithmic one for delta."""
    from nnkit.theory import vc_sample_size_anthony_biggs, vc_sample_size_blumer

    def render(fig, *, d_vc, log_delta):
        d, dl = int(round(d_vc)), 10 ** log_delta
        e = np.geomspace(*eps, 60)
        ax = fig.subplots()
        ax.loglog(e, [vc_sample_size_blumer(d, x, dl) for x in e], label="Blumer et al.")
        ax.loglog(e, [vc_sample_size_anthony_biggs(d, x, dl) for x in e], label="Anthony & Biggs")
        ax.legend()

    return JSExplorer(
        "pac_bounds",
        [Range("d_vc", "VC dimension", 1, 500, 1, d_vc, digits=0),
         Range("log_delta", "δ", -8.0, -0.3, 0.01, float(np.log10(delta)), digits=3,
               show="pow10")],
        {"eps": list(eps), "eps_mark": eps_mark},
        title="PAC sample sizes",
        description="Sample size against accuracy ε for the two named bounds; the dashed line "
                    "has the shape of the lower bound, without its constant.",
        python_render=render,
    )


# -- chapter 7: gradient through time with a fixed forget gate ------------------------------------


def gated_gradient_config(*, n_hidden: int = 32, seed: int = 5, input_seed: int = 4,
                          max_steps: int = 200) -> dict:
    """The stored recurrence shared by the page and `gated_gradient_rnn`.

    The weights of ``nnkit.RNN(2, n_hidden, rng=np.random.default_rng(seed))`` (chapter 7's
    network): ``W`` is its recurrent matrix rescaled to spectral radius 1, ``U`` its input
    matrix, ``b`` the sum of its two biases; ``x`` is the input sequence
    ``0.1 * default_rng(input_seed).standard_normal((max_steps, 2))``, whose first 60 steps are
    the chapter's ``x_small[0]``. Numbers are rounded to 6 decimals (the page stores them as
    text); ``radius`` is the spectral radius of the rounded ``W``, so that
    ``W * (rho / radius)`` has spectral radius rho on both sides.
    """
    from nnkit import RNN
    from nnkit.theory import scale_spectral_radius

    layer = RNN(2, n_hidden, rng=np.random.default_rng(seed))
    W = np.round(scale_spectral_radius(layer.weight_hh.value, 1.0), 6)  # (h, h)
    x = 0.1 * np.random.default_rng(input_seed).standard_normal((max_steps, 2))  # (T, 2)
    return {"W": W.tolist(), "radius": float(np.max(np.abs(np.linalg.eigvals(W)))),
            "U": np.round(layer.weight_ih.value, 6).tolist(),
            "b": np.round(layer.bias_ih.value + layer.bias_hh.value, 6).tolist(),
            "x": np.round(x, 6).tolist(), "max_steps": max_steps}


def gated_gradient_rnn(rho: float, config: dict | None = None):
    """The `nnkit.RNN` the page computes with: the stored weights, W at spectral radius `rho`."""
    from nnkit import RNN

    cfg = gated_gradient_config() if config is None else config
    W = np.asarray(cfg["W"])
    layer = RNN(len(cfg["U"][0]), W.shape[0], rng=np.random.default_rng(0))
    layer.weight_hh.value[...] = W * (rho / cfg["radius"])  # (h, h)
    layer.weight_ih.value[...] = cfg["U"]
    layer.bias_ih.value[...] = cfg["b"]
    layer.bias_hh.value[...] = 0.0
    return layer


def gated_gradient_explorer(*, rho: float = 0.8, f: float = 0.9, steps: int = 60,
                            config: dict | None = None) -> JSExplorer:
    """``||dL/dh_{T-k}||`` against k for ``h_t = f h_{t-1} + (1 - f) tanh(W h_{t-1} + U x_t + b)``
    (`nnkit.theory.fixed_gate_grad_norms`), with the vanilla network (f = 0) for comparison.

    Continuous controls for the spectral radius of W, for 1 - f on a logarithmic scale (from 1,
    the vanilla network, down to 0.001) and for the sequence length T.
    """
    from nnkit.theory import fixed_gate_grad_norms

    cfg = gated_gradient_config() if config is None else config

    def render(fig, *, rho, log_one_minus_f, steps):
        T, fg = int(round(steps)), 1 - 10 ** log_one_minus_f
        net, x = gated_gradient_rnn(rho, cfg), np.asarray(cfg["x"])[:T]
        k, vanilla = fixed_gate_grad_norms(net, x, 0.0)
        gated = fixed_gate_grad_norms(net, x, fg)[1]
        ax = fig.subplots()
        ax.semilogy(k, np.clip(vanilla, 1e-14, 1e8), color="0.5", ls="--",
                    label="vanilla RNN ($f = 0$)")
        ax.semilogy(k, np.clip(gated, 1e-14, 1e8), color="#0072B2", lw=2,
                    label=f"gated, $f = {fg:.3f}$, $i = 1 - f$")
        ax.axhline(1.0, color="#009E73", lw=0.8)
        ax.set_ylim(1e-12, 1e6)
        ax.set(xlabel=r"distance in time $k$", ylabel=r"$\| \partial L / \partial h_{T-k} \|$",
               title=rf"$\rho(W) = {rho:.2f}$, $T = {T}$")
        ax.legend(loc="lower left")

    return JSExplorer(
        "gated_gradient",
        [Range("rho", "spectral radius ρ(W)", 0.1, 3.0, 0.01, rho),
         Range("log_one_minus_f", "1 − f", -3.0, 0.0, 0.01, round(float(np.log10(1 - f)), 2),
               digits=3, show="pow10"),
         Range("steps", "sequence length T", 10, cfg["max_steps"], 1, steps, digits=0)],
        cfg,
        title="Gradient through time: spectral radius and forget gate",
        description="Gradient norm against distance in time for a 32-unit tanh recurrence with "
                    "fixed gates (forget gate f, input gate 1 − f); the dashed curve is the "
                    "vanilla network, f = 0.",
        python_render=render,
    )


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
    (default p). Uses `nnkit.book.diagrams_grid.conv2d_valid` and ``pool2d``.

    Shapes: (size, size), (size - 1, size - 1), ((size - 1 - p) // stride + 1, same).
    """
    from nnkit.book.diagrams_grid import conv2d_valid, pool2d

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
