"""Tests for nnkit.sequences: shapes, the defining properties of each task, and rng use."""

from __future__ import annotations

import numpy as np
import pytest

from nnkit import NNKitError, sequences


def test_adding_problem_markers_and_targets():
    x, y = sequences.adding_problem(500, 20, rng=np.random.default_rng(0))
    assert x.shape == (500, 20, 2) and y.shape == (500, 1)
    markers = x[:, :, 1]
    assert np.all(markers.sum(axis=1) == 2)
    assert np.all(markers[:, :10].sum(axis=1) == 1) and np.all(markers[:, 10:].sum(axis=1) == 1)
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * markers).sum(axis=1))
    assert np.all((x[:, :, 0] >= 0) & (x[:, :, 0] < 1))
    # predicting the mean 1 gives about the documented baseline 1/6
    assert np.mean((y - 1) ** 2) == pytest.approx(sequences.ADDING_BASELINE_MSE, rel=0.15)


def test_same_seed_same_data_and_rng_is_required():
    a = sequences.adding_problem(4, 6, rng=np.random.default_rng(3))
    b = sequences.adding_problem(4, 6, rng=np.random.default_rng(3))
    assert all(np.array_equal(u, v) for u, v in zip(a, b))
    with pytest.raises(TypeError):
        sequences.adding_problem(4, 6)
    with pytest.raises(TypeError, match="Generator"):
        sequences.noisy_sine(4, 6, rng=0)
    with pytest.raises(NNKitError, match="T"):
        sequences.adding_problem(4, 1, rng=np.random.default_rng(0))


def test_copy_task_layout():
    T, K, delay = 5, 4, 3
    x, y = sequences.copy_task(10, T, K, delay, rng=np.random.default_rng(1))
    L = 2 * T + delay
    assert x.shape == (10, L, K + 2) and y.shape == (10, L)
    tokens = x.argmax(axis=2)
    assert np.all(x.sum(axis=2) == 1)  # one-hot
    assert np.all((tokens[:, :T] >= 1) & (tokens[:, :T] <= K))
    assert np.all(tokens[:, T + delay - 1] == K + 1)  # the delimiter
    assert np.all(np.delete(tokens[:, T:], delay - 1, axis=1) == 0)  # blanks
    assert np.all(y[:, :T + delay] == 0)
    np.testing.assert_array_equal(y[:, T + delay:], tokens[:, :T])  # write back the symbols


def test_noisy_sine_is_shifted_by_one_step():
    x, y = sequences.noisy_sine(3, 50, noise=0.0, rng=np.random.default_rng(2))
    assert x.shape == y.shape == (3, 50, 1)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    assert np.all(np.abs(x) <= 1)
    xn, _ = sequences.noisy_sine(3, 50, noise=0.5, rng=np.random.default_rng(2))
    assert 0.2 < np.std(xn - x) < 0.8  # same waves (same draws first), plus noise
