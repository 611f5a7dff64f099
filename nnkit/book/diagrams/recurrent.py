"""Diagrams of recurrent networks (chapter 7), drawn from nnkit cells.

- `unrolled_rnn_diagram`: an `RNNCell` unrolled over a sequence, each step's Jacobian
  J_t = dh_t/dh_{t-1} = diag(phi'(a_t)) W_hh on its edge with its spectral norm, and the
  norm of their product, the factor that carries a gradient from the last step to the first.
- `lstm_cell_diagram`, `gru_cell_diagram`: one step of an `LSTMCell` / `GRUCell` with its
  gates, the cell state's path, and the weight shapes read from the cell.

Same conventions as `nnkit.book.diagrams` (SVG, alt text, legible at phone width).
"""

from __future__ import annotations

import numpy as np

from nnkit.book.diagrams.drawing import (BLUE, FILL, GREEN, GREY, ORANGE, Diagram, arrow, box,
                                         canvas, fmt, node, text)

__all__ = ["gru_cell_diagram", "lstm_cell_diagram", "rnn_jacobians", "unrolled_rnn_diagram"]


def rnn_jacobians(cell, xs, h0=None):
    """Run `cell` (an `nnkit.RNNCell`) on one sequence; return hidden states and Jacobians.

    Returns ``(hs, Js)``: hs (T + 1, h) with hs[0] = h0, and Js (T, h, h) with
    ``Js[t-1] = dh_t/dh_{t-1} = diag(phi'(a_t)) W_hh``.

    Shapes: xs (T, d), h0 (h,).
    """
    xs = np.asarray(xs, float)
    H = cell.n_hidden
    h = np.zeros((1, H)) if h0 is None else np.asarray(h0, float).reshape(1, H)
    hs, Js = [h[0]], []
    W_hh = cell.weight_hh.value  # (h, h)
    for x in xs:
        (h,), _ = cell.step_forward(x.reshape(1, -1), (h,))
        dphi = 1 - h[0] ** 2 if cell.nonlinearity == "tanh" else (h[0] > 0).astype(float)
        Js.append(dphi[:, None] * W_hh)  # (h, h)
        hs.append(h[0])
    return np.array(hs), np.array(Js)


def unrolled_rnn_diagram(cell, xs, h0=None) -> Diagram:
    """The cell unrolled over the T steps of `xs` (T <= 5), with the chain of Jacobians.

    The product's norm is the spectral norm of ``J_T ... J_1 = dh_T/dh_0``.
    """
    from nnkit.rnn_cells import RNNCell

    if not isinstance(cell, RNNCell):
        raise TypeError(f"unrolled_rnn_diagram draws an nnkit.RNNCell, got {type(cell).__name__}.")
    xs = np.asarray(xs, float)
    T = len(xs)
    if not 1 <= T <= 5:
        raise ValueError(f"unrolled_rnn_diagram: draw 1 to 5 steps (phone width), got {T}.")
    hs, Js = rnn_jacobians(cell, xs, h0)
    norms = [float(np.linalg.norm(J, 2)) for J in Js]
    prod = np.eye(cell.n_hidden)
    for J in Js:
        prod = J @ prod  # J_T ... J_1 = dh_T/dh_0
    prod_norm = float(np.linalg.norm(prod, 2))
    fig, ax = canvas(5.0, 3.3)
    xs_pos = np.linspace(1.15, 4.55, T) if T > 1 else np.array([2.8])
    y_h, y_x = 2.2, 1.05
    node(ax, 0.35, y_h, 0.27, "$h_0$", fill=FILL["input"], size=11)
    prev = 0.35
    for t, cx in enumerate(xs_pos, 1):
        box(ax, cx, y_h, 0.62, 0.5, f"$h_{t}$", fill=FILL["hidden"], size=12)
        node(ax, cx, y_x, 0.24, f"$x_{t}$", fill=FILL["input"], size=11)
        arrow(ax, (cx, y_x), (cx, y_h), shrink=(0.25, 0.26))
        arrow(ax, (prev, y_h), (cx, y_h), shrink=(0.29 if t == 1 else 0.32, 0.32), color=ORANGE,
              lw=1.4)
        mid = (prev + cx) / 2
        text(ax, mid, y_h + 0.42, f"$J_{t}$", size=11, color=ORANGE)
        text(ax, mid, y_h + 0.72, fmt(norms[t - 1]), size=10, color=ORANGE)
        prev = cx
    text(ax, xs_pos[0] - 0.12, y_x + 0.55, "$U$", size=11, color=BLUE, ha="right")
    H, d = cell.weight_ih.value.shape
    # (no prime in mathtext: with text kept as text, browsers draw its glyph badly)
    text(ax, 2.5, 3.12, "orange: Jacobians $J_t = \\partial h_t/\\partial h_{t-1}$, norms above",
         size=10, color=ORANGE)
    text(ax, 2.5, 0.45, f"$\\|\\partial h_{T}/\\partial h_0\\| = \\|J_{T}\\cdots J_1\\|$ "
         f"= {prod_norm:.2g}", size=11)
    text(ax, 2.5, 0.12, f"$U$ (weight_ih) {H}\u00d7{d}, $W$ (weight_hh) {H}\u00d7{H}, "
         f"{cell.nonlinearity}", size=10, color=GREY)
    alt = (f"A recurrent network unrolled over {T} steps: hidden states h_1 to h_{T} in a row, "
           f"each receiving its input x_t from below through U ({H}x{d}) and the previous "
           f"state from the left through W ({H}x{H}). Each horizontal edge carries the "
           f"Jacobian J_t = diag(phi'(a_t)) W, with spectral norms "
           + ", ".join(fmt(n) for n in norms)
           + f". The norm of the product J_{T} ... J_1, which scales a gradient sent from step "
           f"{T} back to the initial state h_0, is {prod_norm:.2g}.")
    return Diagram(fig, alt.replace("\u2212", "-"))


def _op(ax, x, y, s, r=0.17):
    node(ax, x, y, r, s, fill="white", size=11)


def _gate(ax, x, y, name, fn, color):
    box(ax, x, y, 0.5, 0.42, "", fill=color)
    text(ax, x, y + 0.02, fn, size=10)
    text(ax, x - 0.34, y + 0.2, name, size=11, color=BLUE, weight="bold")


def _shapes(cell) -> tuple[int, int, int]:
    G = cell.n_gates
    GH, d = cell.weight_ih.value.shape
    return G, GH // G, d


def lstm_cell_diagram(cell) -> Diagram:
    """One step of `cell` (an `nnkit.LSTMCell`): gates i, f, g, o and the cell state's path."""
    from nnkit.rnn_cells import LSTMCell

    if not isinstance(cell, LSTMCell):
        raise TypeError(f"lstm_cell_diagram draws an nnkit.LSTMCell, got {type(cell).__name__}.")
    G, H, d = _shapes(cell)
    fig, ax = canvas(5.0, 3.6)
    y_c, y_g, y_bus = 2.85, 1.55, 0.75
    sig, tnh = FILL["hidden"], FILL["output"]
    # the cell state: c_{t-1} -> x f -> + i*g -> c_t
    text(ax, 0.28, y_c, "$c_{t-1}$", size=11)
    arrow(ax, (0.55, y_c), (4.5, y_c), color=GREEN, lw=2.0)
    text(ax, 4.72, y_c, "$c_t$", size=11)
    _op(ax, 1.4, y_c, "\u00d7")
    _op(ax, 2.6, y_c, "+")
    # the bus [h_{t-1}, x_t] feeding the four gates
    text(ax, 0.28, y_bus, "$h_{t-1}$", size=11)
    arrow(ax, (0.55, y_bus), (0.95, y_bus), style="-")
    text(ax, 0.95, 0.18, "$x_t$", size=11)
    arrow(ax, (0.95, 0.35), (0.95, y_bus), style="-")
    arrow(ax, (0.95, y_bus), (3.6, y_bus), style="-")
    gates = [("f", 1.4, r"$\sigma$", sig), ("i", 2.05, r"$\sigma$", sig),
             ("g", 2.75, "tanh", tnh), ("o", 3.6, r"$\sigma$", sig)]
    for name, gx, fn, color in gates:
        arrow(ax, (gx, y_bus), (gx, y_g), shrink=(0.0, 0.21))
        _gate(ax, gx, y_g, name, fn, color)
    arrow(ax, (1.4, y_g), (1.4, y_c), shrink=(0.21, 0.17))  # f -> x
    _op(ax, 2.6, 2.2, "\u00d7")  # i * g
    arrow(ax, (2.05, y_g), (2.6, 2.2), shrink=(0.21, 0.17))
    arrow(ax, (2.75, y_g), (2.6, 2.2), shrink=(0.21, 0.17))
    arrow(ax, (2.6, 2.2), (2.6, y_c), shrink=(0.17, 0.17))
    # output: h_t = o * tanh(c_t)
    box(ax, 4.1, 2.2, 0.5, 0.34, "tanh", fill=tnh, size=10)
    arrow(ax, (4.1, y_c), (4.1, 2.2), shrink=(0.0, 0.17))
    _op(ax, 4.1, y_g, "\u00d7")
    arrow(ax, (4.1, 2.2), (4.1, y_g), shrink=(0.17, 0.17))
    arrow(ax, (3.6, y_g), (4.1, y_g), shrink=(0.25, 0.17))
    arrow(ax, (4.1, y_g), (4.1, y_bus), shrink=(0.17, 0.0))
    arrow(ax, (4.1, y_bus), (4.6, y_bus))
    text(ax, 4.78, y_bus, "$h_t$", size=11)
    text(ax, 2.5, 3.38, f"LSTM, gates i, f, g, o: $U$ {G * H}\u00d7{d}, $W$ {G * H}\u00d7{H}",
         size=10, color=GREY)
    alt = (f"One step of an LSTM cell with {H} hidden units and {d} inputs. The previous hidden "
           "state h_{t-1} and the input x_t feed four gates: forget f, input i and output o "
           "(sigmoids) and the candidate g (tanh); their input weights U are stacked in "
           f"weight_ih ({G * H}x{d}) and their state weights W in weight_hh ({G * H}x{H}). Along the top runs the cell state: c_{{t-1}} "
           "is multiplied by f, then i times g is added, giving c_t = f c_{t-1} + i g. The "
           "output is h_t = o tanh(c_t).")
    return Diagram(fig, alt)


def gru_cell_diagram(cell) -> Diagram:
    """One step of `cell` (an `nnkit.GRUCell`): gates r, z, the candidate n, and the blend."""
    from nnkit.rnn_cells import GRUCell

    if not isinstance(cell, GRUCell):
        raise TypeError(f"gru_cell_diagram draws an nnkit.GRUCell, got {type(cell).__name__}.")
    G, H, d = _shapes(cell)
    fig, ax = canvas(5.0, 3.6)
    y_h, y_g, y_bus = 2.85, 1.55, 0.75
    sig, tnh = FILL["hidden"], FILL["output"]
    text(ax, 0.28, y_h, "$h_{t-1}$", size=11)
    arrow(ax, (0.55, y_h), (4.5, y_h), color=GREEN, lw=2.0)
    text(ax, 4.72, y_h, "$h_t$", size=11)
    _op(ax, 2.0, y_h, "\u00d7")  # z * h_{t-1}
    _op(ax, 3.6, y_h, "+")
    arrow(ax, (0.7, y_h), (0.7, y_bus), style="-")  # h_{t-1} down to the bus
    text(ax, 0.95, 0.18, "$x_t$", size=11)
    arrow(ax, (0.95, 0.35), (0.95, y_bus), style="-")
    arrow(ax, (0.7, y_bus), (3.0, y_bus), style="-")
    for name, gx, fn, color in [("r", 1.3, r"$\sigma$", sig), ("u", 2.0, r"$\sigma$", sig),
                                ("n", 3.0, "tanh", tnh)]:
        arrow(ax, (gx, y_bus), (gx, y_g), shrink=(0.0, 0.21))
        _gate(ax, gx, y_g, name, fn, color)
    # r enters the candidate below the gate boxes: n = tanh(W_in x + b_in + r (W_hn h + b_hn))
    y_r = y_g - 0.42
    arrow(ax, (1.3, y_g - 0.21), (1.3, y_r), style="-", color=GREY)
    arrow(ax, (1.3, y_r), (2.85, y_r), style="-", color=GREY)
    arrow(ax, (2.85, y_r), (2.85, y_g - 0.21), color=GREY)
    text(ax, 3.35, y_r, "$r\\odot(W_n h+b_n)$", size=10, color=GREY, ha="left")
    arrow(ax, (2.0, y_g), (2.0, y_h), shrink=(0.21, 0.17))  # z -> x on the top line
    _op(ax, 2.6, 2.2, "1\u2212", r=0.19)
    arrow(ax, (2.0, y_g), (2.6, 2.2), shrink=(0.21, 0.19))
    _op(ax, 3.6, 2.2, "\u00d7")
    arrow(ax, (2.6, 2.2), (3.6, 2.2), shrink=(0.19, 0.17))
    arrow(ax, (3.0, y_g), (3.6, 2.2), shrink=(0.21, 0.17))
    arrow(ax, (3.6, 2.2), (3.6, y_h), shrink=(0.17, 0.17))
    text(ax, 2.5, 3.38, f"GRU, gates r, u (z), n: $U$ {G * H}\u00d7{d}, $W$ {G * H}\u00d7{H}",
         size=10, color=GREY)
    alt = (f"One step of a GRU cell with {H} hidden units and {d} inputs. The previous state "
           "h_{t-1} and the input x_t feed the reset gate r and the update gate u (nnkit's z), "
           "both sigmoids, and the candidate n (tanh), in which r scales the recurrent term "
           f"W_n h + b_n; the input weights U are stacked in weight_ih ({G * H}x{d}) and the "
           f"state weights W in weight_hh ({G * H}x{H}). Along the top, the new state blends "
           "old and new: h_t = u h_{t-1} + (1 - u) n.")
    return Diagram(fig, alt)

