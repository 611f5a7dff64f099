"""The computation graph of chapter 3, drawn from an nnkit network's forward and backward.

`computation_graph_diagram`: every forward value and every derivative backpropagation sends
back, on the edges of a network with one unit per layer. Same conventions as
`nnkit.book.diagrams` (SVG, alt text, legible at phone width).
"""

from __future__ import annotations

import numpy as np

from nnkit.book.diagrams.drawing import (BLUE, FILL, GREY, INK, ORANGE, Diagram, arrow, canvas,
                                         fmt, node, text)

__all__ = ["computation_graph_diagram"]


def computation_graph_diagram(model, x: float, y: float, loss) -> Diagram:
    """The computation graph of a network with one unit per layer, forward and backward.

    `model` is a `Sequential` like ``Dense(1, 1), Tanh(), Dense(1, 1), Sigmoid()``; `loss` an
    nnkit loss (for example `BCELoss()`). The graph runs top to bottom: x, z^(1), a^(1), ...,
    the loss. Right of each edge, in blue, the value computed forward; left of it, in orange,
    the derivative of the loss that backpropagation sends up that edge (delta^(l) = dl/dz^(l)
    on the edges leaving z^(l)). The parameters enter from the left with their values and
    gradients. Every number comes from the nnkit layers' own forward and backward.
    """
    from nnkit.layers import Dense

    layers = list(model)
    if any(isinstance(m, Dense) and (m.n_in, m.n_out) != (1, 1) for m in layers):
        raise ValueError("computation_graph_diagram draws networks with one unit per layer "
                         "(Dense(1, 1)), so that every value is one number.")
    values = [np.array([[float(x)]])]
    for layer in layers:
        values.append(layer.forward(values[-1], training=False))
    ell = loss(values[-1], np.array([[float(y)]]))
    grads = [loss.backward()]
    for layer in reversed(layers):
        grads.append(layer.backward(grads[-1]))
    grads = grads[::-1]  # grads[k] = dl/d values[k]
    names, k_dense = ["$x$"], 0
    for layer in layers:
        if isinstance(layer, Dense):
            k_dense += 1
            names.append(f"$z^{{({k_dense})}}$")
        else:
            names.append(f"$a^{{({k_dense})}}$" if layer is not layers[-1] else r"$\hat y$")
    n = len(values)
    step = 0.95
    height = step * n + 0.9
    fig, ax = canvas(5.0, height)
    cx = 3.0
    kd = 0
    ys = [height - 0.45 - step * k for k in range(n + 1)]
    for k in range(n):
        node(ax, cx, ys[k], 0.25, names[k], fill=FILL["input" if k == 0 else "hidden"], size=12)
        op_y = (ys[k] + ys[k + 1]) / 2
        arrow(ax, (cx, ys[k]), (cx, ys[k + 1]), shrink=(0.27, 0.27))
        v, g = float(values[k].ravel()[0]), float(grads[k].ravel()[0])
        text(ax, cx + 0.15, op_y + 0.12, fmt(v), size=10, color=BLUE, ha="left")
        text(ax, cx - 0.15, op_y + 0.12, f"\u2191 {fmt(g)}", size=10, color=ORANGE, ha="right")
        if k < len(layers):
            layer = layers[k]
            if isinstance(layer, Dense):
                kd += 1
                op = f"$W^{{({kd})}}\\,\\cdot + b^{{({kd})}}$"
                w, b = float(layer.weight.value[0, 0]), float(layer.bias.value[0])
                gw, gb = float(layer.weight.grad[0, 0]), float(layer.bias.grad[0])
                text(ax, 0.1, op_y - 0.14,
                     f"$W^{{({kd})}}$ = {fmt(w)}  \u2191 {fmt(gw)}\n"
                     f"$b^{{({kd})}}$ = {fmt(b)}  \u2191 {fmt(gb)}",
                     size=10, ha="left", linespacing=1.25)
                arrow(ax, (1.85, op_y - 0.14), (cx - 0.05, op_y - 0.14), color=GREY, lw=0.8)
            else:
                op = type(layer).__name__.lower()
            text(ax, cx + 0.15, op_y - 0.16, op, size=10, ha="left")
    text(ax, cx, ys[n], f"loss \u2113 = {fmt(ell)}", size=11,
         bbox={"facecolor": FILL["output"], "edgecolor": INK, "boxstyle": "round"})
    text(ax, cx + 1.15, ys[n], f"y = {y:g}", size=10)
    text(ax, 4.95, height - 0.2, "forward value", size=10, color=BLUE, ha="right")
    text(ax, 0.05, height - 0.2, "\u2191 d\u2113/d(value)", size=10, color=ORANGE, ha="left")
    chain = ", ".join(f"{names[k].strip('$')} = {fmt(float(values[k].ravel()[0]))} "
                      f"(dl/d = {fmt(float(grads[k].ravel()[0]))})" for k in range(n))
    alt = (f"Computation graph of a {len(layers)}-layer chain with one unit per layer, drawn "
           f"top to bottom. Forward values and the loss derivatives backpropagation sends back "
           f"along each edge: {chain}. Loss {type(loss).__name__} = {fmt(ell)} for target "
           f"y = {y:g}.").replace("\\", "").replace("{", "").replace("}", "")
    return Diagram(fig, alt)
