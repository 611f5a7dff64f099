"""Synthetic sequence tasks for recurrent networks (chapter 7), drawn from a Generator.

- `adding_problem`: add the two marked numbers of a long sequence (a long-range
  dependency: the answer depends on two steps that can be far from the end).
- `copy_task`: remember a string of symbols over a delay, then write it back.
- `noisy_sine`: predict the next value of noisy sine waves.

Every function takes ``rng: np.random.Generator`` as a required keyword; nothing
touches NumPy's global random state. Sequences are batch first, ``(n, T, d)``.
"""

from __future__ import annotations

import numpy as np

from .core import NNKitError, require_rng

__all__ = ["adding_problem", "copy_task", "noisy_sine", "ADDING_BASELINE_MSE"]

#: MSE of always predicting 1, the mean of the target: Var(U1 + U2) = 2/12 for U ~ U(0, 1).
ADDING_BASELINE_MSE = 1.0 / 6.0


def _check(who: str, rng, **sizes) -> None:
    require_rng(rng, who)
    for key, (value, low) in sizes.items():
        if int(value) != value or value < low:
            raise NNKitError(f"{who}: {key} must be an integer >= {low}, got {value!r}.")


def adding_problem(n: int, T: int, *, rng: np.random.Generator, dtype=np.float64):
    """The adding problem (Hochreiter and Schmidhuber, 1997; Le et al., 2015).

    Each sequence has two channels: ``x[:, t, 0] ~ U(0, 1)`` and a marker channel
    ``x[:, t, 1]`` that is 1 at exactly two steps, one drawn in the first half
    ``[0, T//2)`` and one in the second half ``[T//2, T)``, 0 elsewhere. The target is the
    sum of the two marked values, ``y = sum_t x[:, t, 0] * x[:, t, 1]``, in [0, 2].
    Predicting the mean (1) gives MSE 1/6 (`ADDING_BASELINE_MSE`): a model that does not
    carry information from the first marker to the end stays at about that value.

    Shapes
    ------
    x (n, T, 2), y (n, 1).
    """
    _check("adding_problem", rng, n=(n, 1), T=(T, 2))
    n, T = int(n), int(T)
    values = rng.uniform(0.0, 1.0, size=(n, T))  # (n, T)
    first = rng.integers(0, T // 2, size=n)  # (n,) in [0, T//2)
    second = rng.integers(T // 2, T, size=n)  # (n,) in [T//2, T)
    markers = np.zeros((n, T))
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=2).astype(dtype)  # (n, T, 2)
    y = (values[rows, first] + values[rows, second])[:, None].astype(dtype)  # (n, 1)
    return x, y


def copy_task(n: int, T: int, n_symbols: int, delay: int, *, rng: np.random.Generator,
              dtype=np.float64):
    """The copy (memory) task (Hochreiter and Schmidhuber, 1997; Arjovsky et al., 2016).

    Tokens: 0 is blank, ``1..n_symbols`` are data symbols, ``n_symbols + 1`` is the
    delimiter ("now write it back"). Each input sequence has length ``L = 2T + delay``:
    T random data symbols, then ``delay - 1`` blanks, the delimiter, then T blanks. The
    target is blank for the first ``T + delay`` steps and then the T data symbols in
    order, so the network must remember them for ``T + delay`` steps. Guessing a uniform
    symbol for the last T steps (and blank before) gives the baseline cross-entropy
    ``T ln(n_symbols) / L`` per step.

    Returns ``(x, y)``: one-hot inputs and integer targets (for `CrossEntropyLoss`).

    Shapes
    ------
    x (n, 2T + delay, n_symbols + 2) one-hot; y (n, 2T + delay) integers in [0, n_symbols].
    """
    _check("copy_task", rng, n=(n, 1), T=(T, 1), n_symbols=(n_symbols, 1), delay=(delay, 1))
    n, T, K, delay = int(n), int(T), int(n_symbols), int(delay)
    L = 2 * T + delay
    data = rng.integers(1, K + 1, size=(n, T))  # (n, T) symbols 1..K
    tokens = np.zeros((n, L), dtype=np.int64)  # (n, L)
    tokens[:, :T] = data
    tokens[:, T + delay - 1] = K + 1  # the delimiter
    y = np.zeros((n, L), dtype=np.int64)  # (n, L)
    y[:, T + delay:] = data
    x = np.eye(K + 2, dtype=dtype)[tokens]  # (n, L, K+2)
    return x, y


def noisy_sine(n: int, T: int, *, noise: float = 0.1, rng: np.random.Generator,
               freq_range: tuple[float, float] = (0.02, 0.1), dtype=np.float64):
    """Noisy sine waves for next-step prediction.

    Each sequence is ``s_t = sin(2 pi f t + p) + noise * e_t``, ``t = 0, ..., T``, with its
    own frequency ``f ~ U(freq_range)`` (cycles per step), phase ``p ~ U(0, 2 pi)`` and
    ``e_t ~ N(0, 1)``. Inputs are ``s_0..s_{T-1}`` and targets ``s_1..s_T`` (the next
    observed value), so the best possible MSE is about ``noise**2``.

    Shapes
    ------
    x (n, T, 1), y (n, T, 1).
    """
    _check("noisy_sine", rng, n=(n, 1), T=(T, 1))
    if noise < 0:
        raise NNKitError(f"noisy_sine: noise must be >= 0, got {noise}.")
    n, T = int(n), int(T)
    f = rng.uniform(*freq_range, size=(n, 1))  # (n, 1)
    phase = rng.uniform(0.0, 2 * np.pi, size=(n, 1))  # (n, 1)
    t = np.arange(T + 1)  # (T+1,)
    s = np.sin(2 * np.pi * f * t + phase) + noise * rng.standard_normal((n, T + 1))  # (n, T+1)
    x = s[:, :-1, None].astype(dtype)  # (n, T, 1)
    y = s[:, 1:, None].astype(dtype)  # (n, T, 1)
    return x, y
