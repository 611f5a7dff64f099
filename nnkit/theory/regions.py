"""Two probes of what ReLU networks compute: linear regions and spectral bias (chapter 8).

- `linear_regions`: a ReLU network is piecewise linear; on each region of input space
  where the on/off pattern of its units is fixed it is one affine map. We count the
  distinct patterns on a dense 2-D grid and return a region map for plotting.
- `spectral_bias_history`: trained by gradient descent on a sum of sinusoids, a small
  MLP fits the low frequencies first (Rahaman et al., "On the spectral bias of neural
  networks", ICML 2019); `fourier_amplitudes` measures the fit at chosen frequencies.

Reached as ``nnkit.theory.<name>``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from nnkit.core import NNKitError, ShapeError, as_float_array, require_rng

__all__ = [
    "LinearRegions", "linear_regions", "random_relu_net", "fourier_amplitudes",
    "SpectralBiasHistory", "spectral_bias_history",
]


class LinearRegions(NamedTuple):
    """What `linear_regions` returns (a tuple: ``count, region_map, patterns = ...``).

    count : int
        Number of distinct activation patterns seen on the grid.
    region_map : (resolution, resolution) int array
        Region id of each grid point; row i is ``y = ys[i]``, column j is ``x = xs[j]``
        (draw with ``plt.imshow(region_map, origin="lower", extent=(*xlim, *ylim))``).
    patterns : (count, n_units) bool array
        The activation pattern (unit on = True) of each region id, over all ReLU units.
    """

    count: int
    region_map: np.ndarray
    patterns: np.ndarray


def linear_regions(model, xlim=(-1.0, 1.0), ylim=(-1.0, 1.0),
                   resolution: int = 200) -> LinearRegions:
    """Count the linear regions of a ReLU network on a 2-D input grid.

    `model` is a `Sequential` of `Dense` layers and `ReLU` (or `LeakyReLU`) activations
    taking 2 inputs. Each grid point gets the pattern ``[z > 0]`` of every ReLU unit's
    pre-activation z; points with the same pattern lie in the same region (for a fixed
    pattern the network is affine, and the set of inputs having it is convex). Regions
    smaller than the grid spacing can be missed, so the count is a lower bound that grows
    with `resolution` to the number of regions meeting the window.

    Shapes
    ------
    grid (resolution^2, 2) -> region_map (resolution, resolution); patterns (count, n_units).
    """
    from nnkit.activations import LeakyReLU, ReLU

    resolution = int(resolution)
    if resolution < 2:
        raise NNKitError(f"linear_regions: resolution must be >= 2, got {resolution}.")
    xs = np.linspace(*xlim, resolution)
    ys = np.linspace(*ylim, resolution)
    gx, gy = np.meshgrid(xs, ys)  # (res, res) each; row i is ys[i]
    a = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (res^2, 2)
    layers = list(model) if hasattr(model, "__iter__") else [model]
    a = layers[0].check_input(a) if layers else a  # checked (and cast) once, at the boundary
    bits = []
    for layer in layers:
        a = layer.forward(a, training=False)
        if isinstance(layer, (ReLU, LeakyReLU)):
            bits.append(a > 0)  # (res^2, width): on where the pre-activation is positive
    if not bits:
        return LinearRegions(1, np.zeros((resolution, resolution), dtype=np.int64),
                             np.zeros((1, 0), dtype=bool))
    all_bits = np.concatenate(bits, axis=1)  # (res^2, n_units)
    packed = np.ascontiguousarray(np.packbits(all_bits, axis=1))  # (res^2, ceil(n_units/8))
    keys = packed.view(np.dtype((np.void, packed.shape[1]))).ravel()  # one bytes key per point
    _, first, ids = np.unique(keys, return_index=True, return_inverse=True)
    patterns = all_bits[first]  # (count, n_units)
    return LinearRegions(len(first), ids.reshape(resolution, resolution), patterns)


def random_relu_net(widths, rng: np.random.Generator, *, dtype=np.float64):
    """A `Sequential` of Dense layers with ReLU between them, e.g. ``widths=[2, 16, 16, 1]``.

    Weights and biases use the Dense default (uniform ±1/sqrt(n_in), as PyTorch), so the
    biases are not zero and the first layer's lines do not all pass through the origin.
    """
    from nnkit.activations import ReLU
    from nnkit.layers import Dense, Sequential

    widths = [int(w) for w in widths]
    if len(widths) < 2 or min(widths) < 1:
        raise NNKitError(f"random_relu_net: widths needs >= 2 positive sizes, got {widths}.")
    require_rng(rng, "random_relu_net")
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(Dense(n_in, n_out, rng=rng, dtype=dtype))
        if i < len(widths) - 2:
            layers.append(ReLU())
    return Sequential(*layers)


def fourier_amplitudes(f_values, freqs) -> np.ndarray:
    """Amplitude of each frequency in samples of a function on one period of a uniform grid.

    With ``f_values[j] = f(j / N)``, ``j = 0..N-1`` (one period, endpoint excluded) and an
    integer frequency k (cycles per period)::

        A_k = | (2 / N) sum_j f_j exp(-2 pi i k j / N) |      (A_0 = |mean f|)

    so ``f(x) = a sin(2 pi k x + p)`` gives ``A_k = |a|`` exactly for 0 < k < N/2.

    Shapes
    ------
    f_values (N,) or (n_curves, N) -> (n_freqs,) or (n_curves, n_freqs).
    """
    f = as_float_array(f_values, "fourier_amplitudes", "f_values", dtype=np.float64)
    if f.ndim not in (1, 2):
        raise ShapeError(
            f"fourier_amplitudes: expected f_values (N,) or (n_curves, N), got {f.shape}."
        )
    N = f.shape[-1]
    k = np.asarray(freqs, dtype=np.float64).reshape(-1)  # (n_freqs,)
    if np.any(k < 0) or np.any(k >= N / 2):
        raise NNKitError(
            f"fourier_amplitudes: frequencies must be in [0, N/2) = [0, {N / 2}) for N = {N} "
            f"samples (Nyquist), got {k.tolist()}."
        )
    j = np.arange(N)
    basis = np.exp(-2j * np.pi * np.outer(j, k) / N)  # (N, n_freqs)
    scale = np.where(k == 0, 1.0, 2.0) / N  # (n_freqs,)
    return np.abs(f @ basis) * scale  # (..., n_freqs)


@dataclass
class SpectralBiasHistory:
    """What `spectral_bias_history` returns.

    steps : (K,) int array -- training steps at which the fit was measured;
    freqs : (n_freqs,) -- the frequencies of the target;
    amplitudes : (K, n_freqs) -- fitted amplitude at each frequency at each recorded step;
    target_amplitudes : (n_freqs,);
    relative : (K, n_freqs) -- amplitudes / target_amplitudes (1 = learned);
    x, y : (N,) -- the grid and the target; final_fit : (N,) -- the model at the end.
    """

    steps: np.ndarray
    freqs: np.ndarray
    amplitudes: np.ndarray
    target_amplitudes: np.ndarray
    relative: np.ndarray
    x: np.ndarray
    y: np.ndarray
    final_fit: np.ndarray


def spectral_bias_history(freqs=(1, 3, 5, 7), target_amplitudes=None, *,
                          rng: np.random.Generator, n_points: int = 128, hidden: int = 64,
                          depth: int = 3, steps: int = 2000, lr: float = 1e-3,
                          record_every: int = 20) -> SpectralBiasHistory:
    """Train a small ReLU MLP on a sum of sinusoids and record the fit's spectrum.

    Target on the grid ``x_j = j / n_points`` of [0, 1) (`nnkit.data.make_sinusoids`)::

        y(x) = sum_k A_k sin(2 pi k x)      (A_k = 1 for every k by default)

    The MLP ``1 -> hidden (x depth ReLU layers) -> 1`` is trained full batch with Adam on
    the MSE; every `record_every` steps, `fourier_amplitudes` of its output at `freqs`
    is recorded. Low frequencies reach their target amplitude first. About two seconds
    with the defaults.
    """
    from nnkit.data import make_sinusoids
    from nnkit.losses import MSELoss
    from nnkit.optim import Adam

    require_rng(rng, "spectral_bias_history")
    freqs = np.asarray(freqs, dtype=np.float64).reshape(-1)
    A = np.ones_like(freqs) if target_amplitudes is None else np.asarray(target_amplitudes, float)
    if A.shape != freqs.shape:
        raise ShapeError(
            f"spectral_bias_history: {len(freqs)} frequencies but {A.size} target amplitudes."
        )
    X, Y = make_sinusoids(n_points, freqs=freqs, amps=A, rng=rng)  # (N, 1) each, x_j = j/N
    x, y = X[:, 0], Y[:, 0]  # (N,)
    model = random_relu_net([1] + [hidden] * depth + [1], rng)
    loss, opt = MSELoss(), Adam(model.named_parameters(), lr=lr)
    recorded_steps, amps = [], []
    for step in range(steps + 1):
        pred = model.forward(X)  # (N, 1)
        if step % record_every == 0 or step == steps:
            recorded_steps.append(step)
            amps.append(fourier_amplitudes(pred[:, 0], freqs))
        if step == steps:
            break
        loss(pred, Y)
        opt.zero_grad()
        model.backward(loss.backward())
        opt.step()
    amps = np.array(amps)  # (K, n_freqs)
    return SpectralBiasHistory(np.array(recorded_steps), freqs, amps, A, amps / A, x, y,
                               pred[:, 0].copy())
