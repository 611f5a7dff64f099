"""The counter-based generator and the network of chapter 5's initialization explorer
(nnkit.book.explorers.initialization). That the page's JavaScript computes the same numbers is
checked in tests/book/test_explorers_browser.py; here: the generator is what its docstring says,
its numbers are standard normal, and the network is the one the chapter describes.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from nnkit.book.explorers import initialization as I

N = 1 << 20  # a million numbers: the moment checks below have room of about 5 standard errors


def _hash_reference(x: int) -> int:
    """lowbias32 with Python integers, masked by hand (independent of NumPy's wrapping)."""
    m = 0xFFFFFFFF
    x &= m
    x ^= x >> 16
    x = (x * 0x7FEB352D) & m
    x ^= x >> 15
    x = (x * 0x846CA68B) & m
    x ^= x >> 16
    return x


def test_hash32_is_lowbias32_and_a_bijection():
    xs = [0, 1, 2, 3, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
          *np.random.default_rng(0).integers(0, 2**32, 200).tolist()]
    assert I.hash32(np.array(xs, dtype=np.uint64)).tolist() == [_hash_reference(x) for x in xs]
    assert int(I.hash32(7)) == _hash_reference(7) and np.shape(I.hash32(7)) == ()
    block = I.hash32(np.arange(N, dtype=np.uint32))
    assert np.unique(block).size == N  # no two counters share a value


def test_counter_normal_is_a_pure_function_of_seed_stream_and_position():
    state = np.random.get_state()[1].copy()
    a = I.counter_normal(5, 3, (1000,))
    assert np.array_equal(I.counter_normal(5, 3, (7,)), a[:7])           # a prefix, odd length too
    assert np.array_equal(I.counter_normal(5, 3, (10, 100)).ravel(), I.counter_normal(5, 3, (1000,)))
    assert np.array_equal(I.counter_normal(5, 3, (1000,)), a)            # no state between calls
    assert not np.array_equal(I.counter_normal(5, 4, (1000,)), a)
    assert not np.array_equal(I.counter_normal(6, 3, (1000,)), a)
    assert np.array_equal(np.random.get_state()[1], state)               # global state untouched
    u = I.counter_uniform(5, 3, 4)
    r, angle = np.sqrt(-2 * np.log(u[0])), 2 * np.pi * u[1]              # Box-Muller, as documented
    np.testing.assert_allclose(a[:2], [r * np.cos(angle), r * np.sin(angle)], rtol=1e-15)


def test_counter_uniform_is_uniform_on_the_open_interval():
    u = I.counter_uniform(5, 1, N)
    assert 0 < u.min() and u.max() < 1
    assert stats.kstest(u, "uniform").statistic < 1.63 / np.sqrt(N)       # the 1% critical value
    counts = np.bincount((u * 256).astype(int), minlength=256)            # chi-square on 256 cells
    assert stats.chisquare(counts).pvalue > 0.001


@pytest.mark.parametrize("seed, stream", [(5, 0), (5, 1), (5, 30), (0, 0), (2**32 - 1, 7)])
def test_counter_normal_is_standard_normal(seed, stream):
    z = I.counter_normal(seed, stream, (N,))
    se = 1 / np.sqrt(N)
    assert abs(z.mean()) < 5 * se
    assert abs(z.var() - 1) < 5 * np.sqrt(2) * se
    assert abs(stats.skew(z)) < 5 * np.sqrt(6) * se
    assert abs(stats.kurtosis(z)) < 5 * np.sqrt(24) * se
    assert stats.kstest(z, "norm").statistic < 1.63 / np.sqrt(N)
    tail = np.mean(np.abs(z) > 3)                                         # 0.0027 for N(0, 1)
    assert abs(tail - 2 * stats.norm.sf(3)) < 5 * np.sqrt(0.0027 / N)


def test_counter_normal_numbers_are_uncorrelated():
    limit = 5 / np.sqrt(N)
    z = I.counter_normal(5, 1, (N,))
    pairs = z.reshape(-1, 2)                                              # cos and sin of one pair
    assert abs(np.corrcoef(pairs[:, 0], pairs[:, 1])[0, 1]) < limit * np.sqrt(2)
    assert abs(np.corrcoef(z[:-1], z[1:])[0, 1]) < limit                  # neighbours
    assert abs(np.corrcoef(z[:-100], z[100:])[0, 1]) < limit              # one row of a 100-wide W apart
    other = I.counter_normal(5, 2, (N,))                                  # the next layer's stream
    assert abs(np.corrcoef(z, other)[0, 1]) < limit
    assert abs(np.corrcoef(z**2, other**2)[0, 1]) < 2 * limit


def test_counter_normal_refuses_bad_seeds_and_streams():
    with pytest.raises(ValueError, match="seed and stream"):
        I.counter_normal(-1, 0, (3,))
    with pytest.raises(ValueError, match="seed and stream"):
        I.counter_normal(0, 2**32, (3,))


def test_init_network_has_the_documented_weights():
    cfg = I.init_config()
    net1, net2 = I.init_network(1.0, "tanh", 3, cfg), I.init_network(2.5, "tanh", 3, cfg)
    dense = [layer for layer in net1 if hasattr(layer, "weight")]
    assert len(dense) == 3 and all(layer.bias is None for layer in dense)
    W1 = dense[0].weight.value
    np.testing.assert_allclose(W1, I.counter_normal(cfg["seed"], 1, (100, 100)) / 10, rtol=1e-15)
    assert abs(W1.var() * 100 - 1) < 0.05                                 # Var W = gain^2 / n_in
    for a, b in zip(net1.parameters(), net2.parameters()):                # one Z serves every gain
        np.testing.assert_allclose(b.value, 2.5 * a.value, rtol=1e-15)
    X = I.init_inputs(cfg)
    assert X.shape == (cfg["samples"], cfg["n_in"])
    np.testing.assert_array_equal(X, I.counter_normal(cfg["seed"], 0, X.shape))
    outs = I.init_layer_outputs(1.0, "ReLU", 4, cfg)
    assert len(outs) == 4 and all(o.shape == (cfg["samples"], cfg["width"]) for o in outs)
    assert all(o.min() == 0 for o in outs)


def test_init_network_names_bad_arguments():
    with pytest.raises(KeyError, match="tanh, ReLU, sigmoid, linear"):
        I.init_network(1.0, "softsign", 3)
    with pytest.raises(ValueError, match="depth must be 1 to 30"):
        I.init_network(1.0, "tanh", 31)


def test_the_histogram_keeps_every_value_in_range():
    cfg = I.init_config()
    for act in I.INIT_ACTIVATIONS:
        for gain in (0.1, 4.0):
            a = I.init_layer_outputs(gain, act, 30, cfg)[-1]
            counts, edges = I.init_histogram(a, act, cfg)
            kept = np.sum(a > 0) if act == "ReLU" else a.size              # ReLU: the positive ones
            assert counts.sum() == kept and len(edges) == cfg["bins"] + 1, (act, gain)


def test_shown_layers():
    assert I.shown_layers(20) == [1, 10, 20]
    assert I.shown_layers(3) == [1, 3]
    assert I.shown_layers(2) == [1, 2]
    assert I.shown_layers(7) == [1, 3, 7]


@pytest.mark.parametrize("activation", I.INIT_ACTIVATIONS)
def test_the_python_picture_draws_at_the_ends_of_the_controls(activation):
    from matplotlib.figure import Figure

    ex = I.initialization_explorer()
    for gain, depth in ((0.1, 30.0), (4.0, 30.0), (1.0, 2.0)):  # depth arrives as a float from .live()
        fig = Figure()
        with np.errstate(all="raise"):
            ex.python_render(fig, gain=gain, activation=activation, depth=depth)
        hist, std = fig.axes
        assert len(std.lines[0].get_xdata()) == int(depth)
        assert np.all(np.isfinite(std.lines[0].get_ydata()))
