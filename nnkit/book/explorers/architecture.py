"""The network-architecture visualizer of chapter 1.

The reader picks the number of hidden layers, the width of each and the activation, and sees
the network drawn, its parameter count per layer and in total, and what it computes on the
plane: the output (whose sign is the decision) or its linear regions, one colour per
activation pattern.

The weights are fixed draws: `architecture_config` stores standard normal numbers Z for the
largest network allowed, and a chosen network takes the top-left block of each, scaled like
He initialization, ``W = Z[:n_out, :n_in] sqrt(2 / n_in)`` and ``b = bscale Zb[:n_out]``.
The page's JavaScript (`explorers.js`, ``architectureLayers``) and `architecture_network`,
which builds the same network as an nnkit `Sequential`, do exactly this, so the browser's
picture is nnkit's network (a test checks the outputs agree).
"""

from __future__ import annotations

import numpy as np

from nnkit.book.explorers.jsexplorer import JSExplorer, Range, Select

__all__ = ["ARCH_ACTIVATIONS", "activation_layer", "architecture_config", "architecture_explorer",
           "architecture_network"]

ARCH_ACTIVATIONS = ("relu", "leaky_relu", "tanh", "sigmoid", "elu", "gelu", "swish")


def activation_layer(name: str, alpha: float = 0.01):
    """The nnkit layer of an activation name (``"relu"`` -> `nnkit.ReLU()`, ...)."""
    from nnkit import activations as A

    layers = {"relu": A.ReLU, "tanh": A.Tanh, "sigmoid": A.Sigmoid, "gelu": A.GELU,
              "swish": A.Swish, "identity": A.Identity}
    if name == "leaky_relu":
        return A.LeakyReLU(alpha)
    if name == "elu":
        return A.ELU(alpha)
    if name not in layers:
        raise KeyError(f"unknown activation {name!r}; choose one of "
                       f"{', '.join(sorted([*layers, 'leaky_relu', 'elu']))}.")
    return layers[name]()


def architecture_config(*, max_depth: int = 4, max_width: int = 16, seed: int = 5,
                        lim: float = 2.0, pixels: int = 120, bscale: float = 0.5,
                        alpha: float = 0.01) -> dict:
    """The stored draws and settings shared by the page and `architecture_network`.

    ``Z[l]`` is (max_width, n_in of layer l) for the hidden layers and ``Z[-1]`` (1, max_width)
    for the output layer; ``Zb`` likewise; all from ``np.random.default_rng(seed)``. Numbers
    are rounded to 6 decimals (they are stored in the page as text); both sides use the rounded
    values. The default seed 5 was picked among the first ten because its default networks'
    decision boundaries cross the square (with seed 0 the 2-8-8-1 ReLU output is negative
    everywhere on it, which shows no decision at all).
    """
    rng = np.random.default_rng(seed)
    Z = [rng.standard_normal((max_width, 2 if l == 0 else max_width)) for l in range(max_depth)]
    Z.append(rng.standard_normal((1, max_width)))
    Zb = [rng.standard_normal(max_width) for _ in range(max_depth)] + [rng.standard_normal(1)]
    return {"n_in": 2, "n_out": 1, "max_depth": max_depth, "max_width": max_width, "lim": lim,
            "pixels": pixels, "bscale": bscale, "alpha": alpha,
            "Z": [np.round(z, 6).tolist() for z in Z], "Zb": [np.round(z, 6).tolist() for z in Zb]}


def architecture_network(widths, activation: str = "relu", config: dict | None = None):
    """The nnkit `Sequential` the page draws for hidden `widths` and `activation`."""
    from nnkit import Dense, Sequential

    cfg = architecture_config() if config is None else config
    widths = [int(w) for w in widths]
    if len(widths) > cfg["max_depth"] or any(not 1 <= w <= cfg["max_width"] for w in widths):
        raise ValueError(f"architecture_network: at most {cfg['max_depth']} hidden layers of "
                         f"1 to {cfg['max_width']} units, got {widths}.")
    sizes = [cfg["n_in"], *widths, cfg["n_out"]]
    layers = []
    for l in range(len(sizes) - 1):
        n_in, n_out = sizes[l], sizes[l + 1]
        last = l == len(sizes) - 2
        Z = np.asarray(cfg["Z"][-1 if last else l])
        Zb = np.asarray(cfg["Zb"][-1 if last else l])
        dense = Dense(n_in, n_out, rng=np.random.default_rng(0))
        dense.weight.value[:] = Z[:n_out, :n_in] * np.sqrt(2.0 / n_in)  # (n_out, n_in)
        dense.bias.value[:] = cfg["bscale"] * Zb[:n_out]
        layers.append(dense)
        if not last:
            layers.append(activation_layer(activation, cfg["alpha"]))
    return Sequential(*layers)


def architecture_explorer(*, depth: int = 2, widths=(8, 8, 8, 8), activation: str = "relu",
                          config: dict | None = None) -> JSExplorer:
    """The visualizer: sliders for the depth and each hidden width, the activation, the view."""
    cfg = architecture_config() if config is None else config
    D, Wmax = cfg["max_depth"], cfg["max_width"]
    widths = list(widths) + [widths[-1]] * (D - len(widths))

    def render(fig, *, depth, activation, view, **width_values):
        from nnkit.theory import linear_regions

        from nnkit.book.diagrams.networks import layer_table

        chosen = [int(round(width_values[f"width{l}"])) for l in range(1, int(round(depth)) + 1)]
        net = architecture_network(chosen, activation, cfg)
        lim, n = cfg["lim"], cfg["pixels"]
        count, ids, _ = linear_regions(net, (-lim, lim), (-lim, lim), n)
        g = (np.arange(n) + 0.5) * 2 * lim / n - lim
        X = np.stack(np.meshgrid(g, g[::-1]), -1).reshape(-1, 2)
        out = net.forward(X).reshape(n, n)
        total = sum(r[2] + r[3] for r in layer_table(net))
        ax = fig.subplots()
        if view == "regions":
            ax.imshow(np.asarray(ids)[::-1] % 20, cmap="tab20", extent=(-lim, lim, -lim, lim))
        else:
            s = np.abs(out).max() or 1.0
            ax.imshow(out, cmap="RdBu", vmin=-s, vmax=s, extent=(-lim, lim, -lim, lim))
        sizes = "-".join(str(v) for v in [2, *chosen, 1])
        ax.set_title(f"{sizes} {activation}: {total} parameters, {count} regions")

    controls = [Range("depth", "hidden layers", 0, D, 1, depth, digits=0)]
    controls += [Range(f"width{l}", f"width {l}", 1, Wmax, 1, widths[l - 1], digits=0)
                 for l in range(1, D + 1)]
    controls += [Select("activation", "activation", list(ARCH_ACTIVATIONS), activation),
                 Select("view", "show", ["output", "regions"], "output")]
    return JSExplorer(
        "architecture", controls, cfg,
        title="Network architecture: structure, parameters and what it computes",
        description="A network from the plane to one output, with fixed random weights. The "
                    "drawing shows at most 9 units per layer (* marks a wider one); the map shows "
                    "its output on the square, whose sign is the decision (black line: output "
                    "0), or its activation patterns, one colour each.",
        python_render=render,
        extra_html='<p class="nnkit-js-params" style="margin:0.3em 0;font-family:monospace;'
                   'font-size:0.9em"></p>',
    )
