"""The explorers whose picture is a formula, computed in the page with continuous controls.

Each returns a `nnkit.book.explorers.jsexplorer.JSExplorer`; its `python_render` draws the same
picture with nnkit (``.live()`` in a kernel):

- `activation_explorer` (chapter 2): an activation, its derivative and where it saturates.
- `neuron_explorer` (chapter 1): a single neuron's output over the plane.
- `loss_explorer` (chapter 3): squared error and cross-entropy on a sigmoid output.
- `learning_rate_explorer` (chapter 4): gradient descent on an ill-conditioned quadratic.
- `pac_bounds_explorer` (chapter 8): the sample sizes of the VC bounds.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from nnkit.book.explorers.jsexplorer import JSExplorer, Range, Select

__all__ = [
    "activation_explorer",
    "activation_values",
    "gradient_descent_path",
    "learning_rate_explorer",
    "loss_explorer",
    "neuron_explorer",
    "pac_bounds_explorer",
    "saturation_mask",
    "sigmoid_losses",
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

        from nnkit.book.explorers.architecture import activation_layer

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
