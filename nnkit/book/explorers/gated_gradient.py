"""The gated-gradient explorer of chapter 7, computed in the page.

Gradient norm against distance in time for chapter 7's 32-unit tanh recurrence, rescaled to a
chosen spectral radius, with a forget gate held at a fixed value (`nnkit.theory.
fixed_gate_grad_norms`), next to the vanilla network. The page stores the network's weights and
inputs (six decimals) and recomputes the norms in ``assets/explorers.js``; `gated_gradient_rnn`
rebuilds the same network in nnkit for ``.live()`` and for the test that the two agree.
"""

from __future__ import annotations

import numpy as np

from nnkit.book.explorers.jsexplorer import JSExplorer, Range

__all__ = ["gated_gradient_config", "gated_gradient_explorer", "gated_gradient_rnn"]


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
