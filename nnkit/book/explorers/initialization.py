"""The initialization explorer of chapter 5: activations of a deep network as the initial
weight scale, the depth and the activation change, computed in the page.

A network of `depth` layers of width 100 without biases gets weights
``W = gain / sqrt(n_in) * Z`` (so ``Var W = gain^2 / n_in``) and a batch of standard normal
inputs. The page shows the histograms of three layers (the first, the middle, the last) and
the standard deviation of every layer's activations.

Where the random numbers come from. Storing 20 x 100 x 100 weights in the page would cost
megabytes, so neither side stores them: both draw them from a tiny *counter-based* generator,
`counter_normal`, written identically here in NumPy and in ``assets/explorers.js``
(``counterNormal``). Number ``t`` of stream ``s`` under a seed is a pure function of
``(seed, s, t)``: an integer hash of the counter gives uniforms, and Box-Muller turns each pair
of uniforms into two standard normal numbers. The configuration in the page holds only the
seed. Inputs are stream 0 and the weights Z of layer l stream l; one draw of Z serves every
gain. `init_network` builds the very same network as an nnkit `Sequential`, and a test checks
that the page's numbers equal nnkit's (tests/book/test_explorers_browser.py).

This generator is for pictures, not for science: it is a hash of a counter, with 32 random
bits per uniform, checked only for the first moments and a Kolmogorov-Smirnov distance
(tests/nnkit/test_widgets.py). Everything else in nnkit draws from `np.random.Generator`.
"""

from __future__ import annotations

import numpy as np

from nnkit.book.explorers.jsexplorer import JSExplorer, Range, Select

__all__ = ["INIT_ACTIVATIONS", "counter_normal", "counter_uniform", "hash32", "init_config",
           "init_histogram", "init_inputs", "init_layer_outputs", "init_network",
           "initialization_explorer", "shown_layers"]

INIT_ACTIVATIONS = ("tanh", "ReLU", "sigmoid", "linear")
_LOG_VIEW = ("ReLU", "linear")  # histogram log10 of the size: it spans many decades


# -- the counter-based generator --------------------------------------------------------------


def hash32(x) -> np.ndarray:
    """The "lowbias32" integer hash of unsigned 32-bit integers, elementwise (uint32 -> uint32).

    ``x ^= x >> 16; x *= 0x7feb352d; x ^= x >> 15; x *= 0x846ca68b; x ^= x >> 16``, all modulo
    2**32. It is a bijection of the 32-bit integers that spreads every input bit over the
    output. The page's ``hash32`` computes the same with ``Math.imul`` and ``>>>``.
    """
    shape = np.shape(x)
    x = np.atleast_1d(np.array(x, dtype=np.uint64) & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    x ^= x >> np.uint32(16)
    x *= np.uint32(0x7FEB352D)
    x ^= x >> np.uint32(15)
    x *= np.uint32(0x846CA68B)
    x ^= x >> np.uint32(16)
    return x.reshape(shape)  # arrays wrap modulo 2**32 silently (0-d scalars would warn)


def _key(seed: int, stream: int) -> np.uint32:
    if not (0 <= int(seed) < 2**32 and 0 <= int(stream) < 2**32):
        raise ValueError(f"counter_normal: seed and stream must be integers in [0, 2**32), got "
                         f"seed={seed}, stream={stream}.")
    return hash32((int(hash32(np.uint32(seed))) + int(stream)) % 2**32)


def counter_uniform(seed: int, stream: int, count: int) -> np.ndarray:
    """Uniform numbers number 0 to count - 1 of `stream` under `seed`, in (0, 1).

    Number i is ``(hash32(key ^ hash32(i)) + 0.5) / 2**32`` with
    ``key = hash32(hash32(seed) + stream)``: 32 random bits, never exactly 0 or 1.

    Shapes: -> (count,)
    """
    if count >= 2**32:
        raise ValueError(f"counter_uniform: at most 2**32 numbers per stream, asked for {count}.")
    i = np.arange(count, dtype=np.uint32)
    return (hash32(_key(seed, stream) ^ hash32(i)).astype(np.float64) + 0.5) / 2.0**32


def counter_normal(seed: int, stream: int, shape) -> np.ndarray:
    """Standard normal numbers of `stream` under `seed`, filled row by row into `shape`.

    A pure function of (seed, stream, position): no state, and the same numbers as the page's
    ``counterNormal``. Numbers 2p and 2p + 1 come from Box-Muller on the uniforms u = number 2p
    and v = number 2p + 1 of `counter_uniform`: ``sqrt(-2 ln u) cos(2 pi v)`` and
    ``sqrt(-2 ln u) sin(2 pi v)``.

    Shapes: -> shape
    """
    count = int(np.prod(shape, dtype=np.int64))
    u = counter_uniform(seed, stream, count + count % 2).reshape(-1, 2)  # (pairs, 2)
    r, angle = np.sqrt(-2 * np.log(u[:, 0])), 2 * np.pi * u[:, 1]
    z = np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1).ravel()[:count]
    return z.reshape(shape)


# -- the network ------------------------------------------------------------------------------


def init_config(*, seed: int = 5, width: int = 100, n_in: int = 100, samples: int = 100,
                max_depth: int = 30, bins: int = 40) -> dict:
    """The settings the page and nnkit share (the page's JSON holds exactly this).

    Histogram ranges: tanh outputs on [-1, 1], sigmoid outputs on [0, 1], and for ReLU and
    linear the base-10 logarithm of the output's size on [-12, 8].
    """
    return {"seed": seed, "width": width, "n_in": n_in, "samples": samples,
            "max_depth": max_depth, "bins": bins,
            "ranges": {"tanh": [-1.0, 1.0], "sigmoid": [0.0, 1.0], "ReLU": [-12.0, 8.0],
                       "linear": [-12.0, 8.0]}}


def init_inputs(config: dict | None = None) -> np.ndarray:
    """The standard normal input batch (stream 0). Shapes: -> (samples, n_in)"""
    cfg = init_config() if config is None else config
    return counter_normal(cfg["seed"], 0, (cfg["samples"], cfg["n_in"]))


def init_network(gain: float, activation: str, depth: int, config: dict | None = None):
    """The nnkit `Sequential` the page computes: `depth` times Dense (no bias) then the activation.

    Layer l (1-based) has ``W = gain / sqrt(n_in) * Z`` with Z = `counter_normal` stream l,
    of shape (width, n_in).
    """
    from nnkit import Dense, Sequential
    from nnkit.activations import Identity, ReLU, Sigmoid, Tanh

    cfg = init_config() if config is None else config
    layers = {"tanh": Tanh, "ReLU": ReLU, "sigmoid": Sigmoid, "linear": Identity}
    if activation not in layers:
        raise KeyError(f"init_network: unknown activation {activation!r}; choose one of "
                       f"{', '.join(INIT_ACTIVATIONS)}.")
    depth = int(depth)
    if not 1 <= depth <= cfg["max_depth"]:
        raise ValueError(f"init_network: depth must be 1 to {cfg['max_depth']}, got {depth}.")
    net = []
    for l in range(1, depth + 1):
        n_in = cfg["n_in"] if l == 1 else cfg["width"]
        W = gain / np.sqrt(n_in) * counter_normal(cfg["seed"], l, (cfg["width"], n_in))

        def weights(shape, rng, dtype, W=W):  # an nnkit initializer returning the drawn W
            return W.astype(dtype)

        net += [Dense(n_in, cfg["width"], bias=False, init=weights,
                      rng=np.random.default_rng(0)),  # (samples, width)
                layers[activation]()]
    return Sequential(*net)


def init_layer_outputs(gain: float, activation: str, depth: int,
                       config: dict | None = None) -> list[np.ndarray]:
    """Each layer's activations for the input batch, computed by nnkit (`depth` arrays
    of shape (samples, width))."""
    cfg = init_config() if config is None else config
    return init_network(gain, activation, depth, cfg).activations(init_inputs(cfg))[1::2]


def shown_layers(depth: int) -> list[int]:
    """The layers histogrammed: the first, the middle (depth // 2) and the last, 1-based."""
    depth = int(depth)
    return list(dict.fromkeys([1, max(1, depth // 2), depth]))


def histogram_values(a: np.ndarray, activation: str) -> np.ndarray:
    """What the histogram counts: the outputs (tanh, sigmoid), log10 of the positive outputs
    (ReLU) or log10 |a| (linear)."""
    a = np.asarray(a, float).ravel()
    if activation == "ReLU":
        return np.log10(a[a > 0])
    if activation == "linear":
        with np.errstate(divide="ignore"):
            return np.log10(np.abs(a))
    return a


def init_histogram(a: np.ndarray, activation: str, config: dict | None = None
                   ) -> tuple[np.ndarray, np.ndarray]:
    """``(counts, edges)`` of a layer's activations as the page draws them: `histogram_values`
    clipped to the activation's range (values beyond fall into the end bins), then
    `np.histogram` with the config's bins."""
    cfg = init_config() if config is None else config
    lo, hi = cfg["ranges"][activation]
    v = np.clip(histogram_values(a, activation), lo, hi)
    return np.histogram(v, bins=cfg["bins"], range=(lo, hi))


def saturated_share(a: np.ndarray, activation: str) -> float | None:
    """Share of the outputs where the unit is saturated: |a| > 0.99 for tanh, a < 0.01 or
    a > 0.99 for sigmoid; None for the activations that do not saturate."""
    a = np.asarray(a, float)
    if activation == "tanh":
        return float(np.mean(np.abs(a) > 0.99))
    if activation == "sigmoid":
        return float(np.mean((a < 0.01) | (a > 0.99)))
    return None


# -- the explorer -------------------------------------------------------------------------------

_COLORS = ("#0072B2", "#E69F00", "#D55E00")
_DASHES = ("-", "--", ":")


def initialization_explorer(*, gain: float = 1.0, activation: str = "tanh", depth: int = 20,
                            config: dict | None = None) -> JSExplorer:
    """Continuous gain (the weights' std times sqrt(n_in)), the activation and the depth.

    First panel: histograms of the first, middle and last layer's activations (percent of all
    units per bin); second panel: the standard deviation of every layer's activations on a log scale.
    """
    cfg = init_config() if config is None else config

    def render(fig, *, gain, activation, depth):
        depth = int(round(depth))
        outs = init_layer_outputs(gain, activation, depth, cfg)
        stds = np.maximum([a.std() for a in outs], 1e-300)
        shown = shown_layers(depth)
        ax_h, ax_s = fig.subplots(1, 2)
        total = cfg["samples"] * cfg["width"]
        for k, l in enumerate(shown):
            counts, edges = init_histogram(outs[l - 1], activation, cfg)
            ax_h.stairs(100 * counts / total, edges, color=_COLORS[k], linestyle=_DASHES[k],
                        linewidth=1.8, label=f"layer {l}")
        ax_h.legend(fontsize="small")
        ax_h.set_ylim(0, None)
        ax_h.set_xlabel({"ReLU": "log10 of positive outputs",
                         "linear": "log10 |output|"}.get(activation, f"{activation} output"))
        ax_h.set_title("% of units per bin", fontsize="medium")
        ax_s.semilogy(np.arange(1, depth + 1), stds, color=_COLORS[0])
        for k, l in enumerate(shown):
            ax_s.plot(l, stds[l - 1], "o", color=_COLORS[k])
        lo, hi = 10.0 ** np.floor(np.log10(stds.min())), 10.0 ** np.ceil(np.log10(stds.max()))
        if hi / lo < 100:  # as the page: at least the decades from 0.1 to 10
            lo, hi = min(lo, 0.1), max(hi, 10.0)
        ax_s.set_ylim(lo, hi)
        ax_s.set_xlim(0.5, depth + 0.5)
        ax_h.set_xlim(*cfg["ranges"][activation])
        ax_s.set_xlabel("layer")
        ax_s.set_title(f"std per layer; {activation}, gain {gain:g}", fontsize="medium")

    return JSExplorer(
        "init_scale",
        [Range("gain", "gain (std × √n_in)", 0.1, 4.0, 0.01, gain),
         Select("activation", "activation", list(INIT_ACTIVATIONS), activation),
         Range("depth", "layers", 2, cfg["max_depth"], 1, depth, digits=0)],
        cfg,
        title="Activations per layer as the initial scale moves",
        description=f"A network of width {cfg['width']} without biases, weights ~ "
                    f"N(0, gain² / {cfg['n_in']}), {cfg['samples']} standard normal inputs. "
                    "First panel: histograms of the first, middle and last layer (for ReLU and linear, "
                    "of the base-10 logarithm of the output's size; values beyond the axis are "
                    "counted in its end bins); second panel: the standard deviation of each layer's "
                    "activations.",
        python_render=render,
    )
