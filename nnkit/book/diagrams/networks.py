"""Diagrams of neurons and networks drawn at build time from nnkit layers.

The pictures follow the book's notation: a `Dense` layer has weight W of shape (n_out, n_in)
and computes ``z = W a + b``; layer l's quantities carry the superscript (l).

- `neuron_diagram`: one neuron, inputs, weights, sum, bias and activation (chapter 1).
- `network_diagram`: a `Sequential` of Dense layers drawn as columns of units (chapter 1),
  optionally with the units a `Dropout` mask removed (`dropout_diagram`, chapter 6).
- `layer_table`: each Dense layer's weight shape and parameter count (chapter 1).

Same conventions as every diagram (`nnkit.book.diagrams.drawing`: SVG, alt text, legible at
phone width).
"""

from __future__ import annotations

import numpy as np

from nnkit.book.diagrams.drawing import (BLUE, FILL, INK, ORANGE, Diagram, arrow, box, canvas,
                                         fmt, line, node, text)

__all__ = ["dropout_diagram", "dropout_masks", "layer_table", "network_diagram", "neuron_diagram"]

# -- a single neuron ---------------------------------------------------------------------------


def neuron_diagram(dense, activation: str = "\u03c6") -> Diagram:
    """One neuron read from `dense`, an `nnkit.Dense` with one output unit.

    Inputs x_1..x_n on the left, each edge labelled with its weight W_1j (the one row of W,
    shape (1, n)), the sum node with the bias b, then the activation and the output a.
    """
    W = np.asarray(dense.weight.value)  # (1, n)
    if W.shape[0] != 1:
        raise ValueError(f"neuron_diagram: expects a Dense layer with one output unit (W of "
                         f"shape (1, n_in)), got W of shape {W.shape}.")
    n = W.shape[1]
    b = float(dense.bias.value[0]) if dense.bias is not None else 0.0
    height = max(2.4, 0.62 * n + 0.9)
    fig, ax = canvas(5.0, height)
    ys = np.linspace(height - 0.55, 0.55, n) if n > 1 else np.array([height / 2])
    sx, sy, ax_x, out_x = 2.75, height / 2, 3.85, 4.75
    for j, y in enumerate(ys):
        node(ax, 0.35, y, 0.24, f"$x_{{{j + 1}}}$", fill=FILL["input"])
        arrow(ax, (0.35, y), (sx, sy), shrink=(0.26, 0.34))
        t = 0.42  # label the weight near the input, where the edges are far apart
        lx, ly = 0.35 + t * (sx - 0.35), y + t * (sy - y)
        text(ax, lx, ly + 0.16, f"$W_{{1{j + 1}}}$ = {fmt(W[0, j])}", size=10, color=BLUE,
             bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})
    node(ax, sx, sy, 0.32, r"$\Sigma$", fill=FILL["hidden"], size=13)
    text(ax, sx, sy + 0.78, f"bias b = {fmt(b)}", size=10, color=BLUE)
    arrow(ax, (sx, sy + 0.62), (sx, sy), shrink=(0.0, 0.34), color=BLUE)
    text(ax, sx, sy - 0.62, "$z = Wx + b$", size=11)
    box(ax, ax_x, sy, 0.6, 0.5, activation if activation.startswith("$") else activation,
        fill=FILL["hidden"], size=12)
    arrow(ax, (sx, sy), (ax_x, sy), shrink=(0.33, 0.31))
    text(ax, (sx + ax_x) / 2, sy + 0.15, "z", size=11)
    arrow(ax, (ax_x, sy), (out_x, sy), shrink=(0.31, 0.0))
    text(ax, out_x - 0.12, sy + 0.2, "$a$", size=12)
    text(ax, ax_x, sy - 0.5, "a = \u03c6(z)", size=11)
    weights = ", ".join(fmt(w) for w in W[0])
    alt = (f"A single neuron with {n} inputs x_1 to x_{n}. Each input is multiplied by its "
           f"weight (W = [{weights}], shape (1, {n})), the products are summed with the bias "
           f"b = {fmt(b)} into z = Wx + b, and the activation gives the output a = phi(z).")
    return Diagram(fig, alt)


# -- networks -----------------------------------------------------------------------------------


def _layers(model) -> list[dict]:
    """The Dense layers of a Sequential with the activation and dropout after each."""
    from nnkit.layers import Dense, Dropout

    layers: list[dict] = []
    for layer in model:
        if isinstance(layer, Dense):
            layers.append({"dense": layer, "act": None, "dropout": None})
        elif not layers:
            raise ValueError(f"network_diagram: the model must start with a Dense layer, "
                             f"found {type(layer).__name__} first.")
        elif isinstance(layer, Dropout):
            layers[-1]["dropout"] = layer
        else:
            layers[-1]["act"] = type(layer).__name__
    if not layers:
        raise ValueError("network_diagram: the model has no Dense layer to draw.")
    return layers


def layer_table(model) -> list[tuple[str, tuple[int, int], int, int]]:
    """Per Dense layer: (name, W shape (n_out, n_in), weights, biases)."""
    rows = []
    for k, entry in enumerate(_layers(model), 1):
        d = entry["dense"]
        W = d.weight.value.shape
        rows.append((f"layer {k}", W, int(np.prod(W)), 0 if d.bias is None else d.n_out))
    return rows


def _shown_units(n: int, max_units: int) -> list[int | None]:
    """Indices of the units drawn (None marks the gap of an elided column)."""
    if n <= max_units:
        return list(range(n))
    head = (max_units - 1) // 2
    return list(range(head)) + [None] + list(range(n - (max_units - 1 - head), n))


def _check_widths(model) -> tuple[list[dict], list[int]]:
    layers = _layers(model)
    widths = [layers[0]["dense"].n_in] + [e["dense"].n_out for e in layers]
    for prev, e in zip(widths, layers):
        if e["dense"].n_in != prev:
            raise ValueError(f"network_diagram: a Dense layer takes {e['dense'].n_in} inputs "
                             f"but the layer before it has {prev} units.")
    return layers, widths


def _draw_network(ax, model, x0: float, width: float, base: float, *, max_units: int,
                  masks, unit_h: float = 0.42, r: float = 0.14, margin: float = 0.3):
    """Columns of units and their connections in [x0, x0 + width], bottom at `base`.

    Returns the drawing's height and the columns' x positions. Dropped units (False in masks[c]) are crossed out and
    their edges dotted.
    """
    layers, widths = _check_widths(model)
    L = len(widths)
    masks = list(masks) if masks is not None else [None] * L
    shown = [_shown_units(n, max_units) for n in widths]
    net_h = max(len(s) for s in shown) * unit_h
    xs = np.linspace(x0 + margin + r, x0 + width - margin - r, L)
    pos = []
    for units in shown:
        ys = base + net_h / 2 + (np.arange(len(units))[::-1] - (len(units) - 1) / 2) * unit_h
        pos.append(list(zip(units, ys)))
    alive = [[(u is None) or masks[c] is None or bool(masks[c][u]) for u, _ in pos[c]]
             for c in range(L)]
    for c in range(L - 1):
        for (u, y0), a0 in zip(pos[c], alive[c]):
            for (v, y1), a1 in zip(pos[c + 1], alive[c + 1]):
                if u is None or v is None:
                    continue
                on = a0 and a1
                line(ax, (xs[c], y0), (xs[c + 1], y1), color="#8A8A8A" if on else "#E2E2E2",
                     lw=0.5 if on else 0.4, ls="-" if on else ":")
    for c, units in enumerate(pos):
        role = "input" if c == 0 else "output" if c == L - 1 else "hidden"
        for (u, y), on in zip(units, alive[c]):
            if u is None:
                text(ax, xs[c], y, "\u22ee", size=12)
                continue
            node(ax, xs[c], y, r, fill=FILL[role] if on else "#F4F4F4",
                 edge=INK if on else "#BBBBBB", dashed=not on)
            if not on:
                text(ax, xs[c], y, "\u00d7", size=12, color=ORANGE)
    return net_h, xs


def network_diagram(model, *, max_units: int = 7, masks=None, title: str | None = None,
                    width: float = 5.0) -> Diagram:
    """Draw a `Sequential` of Dense layers (activations and Dropout in between) as columns.

    Columns wider than `max_units` show their first and last units around a gap marked with
    the true width. Under each column: its role and width, the activation, and the shape of
    W^(l) (n_out, n_in) with the layer's parameter count. `masks[l]` (a boolean vector over
    the units of column l, or None) greys out and crosses the dropped units and their edges.
    """
    layers, widths = _check_widths(model)
    L = len(widths)
    rows = max(len(_shown_units(n, max_units)) for n in widths)
    net_h = rows * 0.42
    height = net_h + 1.55 + (0.35 if title else 0.0)
    fig, ax = canvas(width, height)
    base = 1.3
    _, xs = _draw_network(ax, model, 0.0, width, base, max_units=max_units, masks=masks)
    for c in range(L):
        name = "input" if c == 0 else "output" if c == L - 1 else f"hidden {c}"
        text(ax, xs[c], 0.95, f"{name}\n{widths[c]}", size=10, linespacing=1.1)
        if c > 0:
            e = layers[c - 1]
            act = e["act"] or "linear"
            p = widths[c] * widths[c - 1] + (widths[c] if e["dense"].bias is not None else 0)
            text(ax, xs[c], 0.42, f"{act}\n{p:,} par.", size=10, color=BLUE, linespacing=1.1)
    for c in range(1, L):
        text(ax, (xs[c - 1] + xs[c]) / 2, base + net_h + 0.12,
             f"$W^{{({c})}}$ {widths[c]}\u00d7{widths[c - 1]}", size=10, color=BLUE)
    total = sum(r[2] + r[3] for r in layer_table(model))
    if title:
        text(ax, width / 2, height - 0.2, title, size=11, weight="bold")
    desc = "-".join(str(w) for w in widths)
    per_layer = "; ".join(
        f"W^({k}) {W[0]}x{W[1]} and {nb} biases, {nw + nb} parameters"
        for k, (_, W, nw, nb) in enumerate(layer_table(model), 1))
    alt = (f"A {desc} network drawn as {L} columns of units: the input layer of {widths[0]}, "
           + (f"{L - 2} hidden layers, " if L > 2 else "")
           + f"and the output layer of {widths[-1]}; every unit of a layer connects to every "
           f"unit of the next. {per_layer}. {total:,} parameters in total.")
    if masks is not None and any(m is not None for m in masks):
        dropped = sum(int((~np.asarray(m, bool)).sum()) for m in masks if m is not None)
        alt += f" Dropout has removed {dropped} hidden units (crossed out) and their edges."
    return Diagram(fig, alt)


def dropout_masks(model, x) -> list:
    """One training-mode forward pass; the masks per column (None for the input and for
    layers without dropout), read from each `Dropout` layer's `.mask`. Each `Dropout` draws
    its mask from its own generator (``Dropout(p, rng=...)``)."""
    model.forward(np.asarray(x, float).reshape(1, -1), training=True)
    return [None] + [None if e["dropout"] is None else np.asarray(e["dropout"].mask)[0]
                     for e in _layers(model)]


def dropout_diagram(model, x, *, samples: int = 2) -> Diagram:
    """The network at inference, then `samples` forward passes in training mode, side by side.

    Each pass runs ``model.forward(x, training=True)`` and reads the mask of every
    `Dropout` layer (its `.mask`, True = kept) to cross out the dropped units and dot their
    edges. `x` is one sample (shape (n_in,) or (1, n_in)).
    """
    from nnkit.layers import Dropout

    layers, widths = _check_widths(model)
    if not any(isinstance(e["dropout"], Dropout) for e in layers):
        raise ValueError("dropout_diagram: the model has no Dropout layer.")
    panels = [None] + [dropout_masks(model, x) for _ in range(samples)]
    width = 5.0
    w = width / len(panels)
    max_units = 7
    rows = max(len(_shown_units(n, max_units)) for n in widths)
    unit_h = 0.3
    height = rows * unit_h + 0.75
    fig, ax = canvas(width, height)
    counts = []
    for k, masks in enumerate(panels):
        _draw_network(ax, model, k * w, w, 0.3, max_units=max_units, masks=masks, unit_h=unit_h,
                      r=0.09, margin=0.12)
        title = "inference" if masks is None else f"training pass {k}"
        text(ax, k * w + w / 2, height - 0.2, title, size=10)
        if masks is not None:
            n = sum(int((~m).sum()) for m in masks if m is not None)
            counts.append(n)
            text(ax, k * w + w / 2, 0.12, f"{n} dropped", size=10, color=ORANGE)
    desc = "-".join(str(v) for v in widths)
    ps = sorted({e["dropout"].p for e in layers if e["dropout"] is not None})
    alt = (f"The same {desc} network {samples + 1} times side by side. Left, at inference, every unit "
           f"and connection is present. The other {samples} copies are training passes with "
           f"dropout (p = {', '.join(f'{p:g}' for p in ps)}): the units its random masks "
           f"dropped are crossed out and their connections dotted; "
           + ", ".join(f"pass {k} dropped {n} hidden units" for k, n in enumerate(counts, 1))
           + ". Each pass trains a different thinned network.")
    return Diagram(fig, alt)
