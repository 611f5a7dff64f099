"""Tests for nnkit.theory: perceptron, shattering, PAC bounds, linear regions, spectral bias."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnkit import NNKitError, theory

XOR_X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
XOR_Y = np.array([0, 1, 1, 0])


# -- perceptron ------------------------------------------------------------------------------


@pytest.mark.parametrize("labels01", [False, True])
def test_perceptron_converges_on_separable_data(labels01):
    rng = np.random.default_rng(0)
    w_true, b_true = np.array([1.0, -2.0, 0.5]), 0.3
    X = rng.normal(size=(200, 3))
    margin = X @ w_true + b_true
    X, margin = X[np.abs(margin) > 0.3], margin[np.abs(margin) > 0.3]  # a clear margin
    y = np.where(margin > 0, 1, -1)
    res = theory.perceptron(X, (y + 1) // 2 if labels01 else y, max_epochs=1000, rng=rng,
                            shuffle=True)
    assert res.converged and res.history[-1] == 0
    assert res.epochs == len(res.history) and res.mistakes == sum(res.history) > 0
    assert np.array_equal(res.predict(X), y)
    # Novikoff: mistakes <= (R / gamma)^2 for the points extended with a 1
    Xa = np.hstack([X, np.ones((len(X), 1))])
    u = np.append(w_true, b_true) / np.linalg.norm(np.append(w_true, b_true))
    gamma, R = np.min(y * (Xa @ u)), np.max(np.linalg.norm(Xa, axis=1))
    assert res.mistakes <= (R / gamma) ** 2


def test_perceptron_reports_non_convergence_on_xor():
    res = theory.perceptron(XOR_X, XOR_Y, max_epochs=25)
    assert not res.converged
    assert res.epochs == 25 and all(m > 0 for m in res.history)


def test_perceptron_first_update_by_hand():
    # w = 0 misclassifies the first sample (y w.x = 0 <= 0): w = lr*y*x, b = lr*y
    res = theory.perceptron(np.array([[2.0, -1.0]]), np.array([-1]), lr=0.5)
    np.testing.assert_allclose(res.w, [-1.0, 0.5])
    assert res.b == -0.5 and res.converged and res.mistakes == 1 and res.epochs == 2


def test_perceptron_errors():
    with pytest.raises(NNKitError, match="labels"):
        theory.perceptron(XOR_X, [0, 1, 2, 1])
    with pytest.raises(TypeError, match="rng"):
        theory.perceptron(XOR_X, XOR_Y, shuffle=True)


# -- separability and shattering ------------------------------------------------------------


def test_three_points_in_general_position_are_shattered():
    pts = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    for method in ("lp", "perceptron"):
        res = theory.shatters(pts, method=method)
        assert res and res.shattered and res.realizable.all()
        assert res.labellings.shape == (8, 3) and len({tuple(r) for r in res.labellings}) == 8


def test_xor_four_points_are_not_shattered():
    res = theory.shatters(XOR_X)
    assert not res
    assert res.realizable.sum() == 14
    fails = {tuple(r) for r in res.failures}
    assert fails == {(-1, 1, 1, -1), (1, -1, -1, 1)}  # exactly the two XOR labellings
    assert not theory.is_linearly_separable(XOR_X, XOR_Y)


def test_collinear_points_are_not_shattered():
    res = theory.shatters([[0.0, 0.0], [1.0, 1.0], [2.0, 2.0]])
    assert not res
    assert {tuple(r) for r in res.failures} == {(1, -1, 1), (-1, 1, -1)}


def test_vc_dimension_of_halfspaces_matches_shattering_in_r3():
    assert theory.vc_dimension_halfspaces(3) == 4
    simplex = np.vstack([np.zeros(3), np.eye(3)])  # 4 points in general position in R^3
    assert theory.shatters(simplex)
    rng = np.random.default_rng(0)
    assert not theory.shatters(rng.normal(size=(5, 3)))  # d + 2 points: never (Radon)


# -- PAC bounds --------------------------------------------------------------------------------


def test_worked_example_perceptron_in_r5():
    d_vc, eps, delta = theory.vc_dimension_halfspaces(5), 0.08, 0.05
    assert d_vc == 6
    # by hand: 8*6/0.08 = 600, log2(13/0.08) = log2(162.5) = 7.34429...; 4/0.08*log2(40) = 266.1
    blumer = max(50 * math.log2(40), 600 * math.log2(162.5))
    assert theory.vc_sample_size_blumer(d_vc, eps, delta) == math.ceil(blumer) == 4407
    # by hand: 50 * (6 log2(150) + log2(40)) = 50 * (43.3734 + 5.3219)
    ab = 50 * (6 * math.log2(150) + math.log2(40))
    assert theory.vc_sample_size_anthony_biggs(d_vc, eps, delta) == math.ceil(ab) == 2435


def test_finite_class_bound_by_hand():
    expected = math.ceil((20 * math.log(2) + math.log(20)) / 0.1)  # 168.59 -> 169
    assert theory.finite_class_sample_size(2**20, 0.1, 0.05) == expected == 169
    assert theory.finite_class_sample_size(None, 0.1, 0.05, ln_H=20 * math.log(2)) == 169
    with pytest.raises(NNKitError, match="exactly one"):
        theory.finite_class_sample_size(10, 0.1, 0.05, ln_H=1.0)
    with pytest.raises(NNKitError, match="epsilon"):
        theory.vc_sample_size_blumer(3, 1.5, 0.05)


@pytest.mark.parametrize("bound", [theory.vc_sample_size_blumer,
                                   theory.vc_sample_size_anthony_biggs])
def test_epsilon_for_sample_size_inverts_the_bound(bound):
    for m in (500, 5000, 50000):
        eps = theory.epsilon_for_sample_size(bound, 6, m, 0.05)
        assert 0 < eps < 1
        assert bound(6, eps * (1 + 1e-9), 0.05) <= m < bound(6, eps * 0.999, 0.05)
    assert theory.epsilon_for_sample_size(bound, 6, 10, 0.05) == math.inf


def test_epsilon_for_sample_size_finite_class_closed_form_and_generic_callable():
    eps = theory.epsilon_for_sample_size(theory.finite_class_sample_size, math.log(1000), 200, 0.01)
    assert eps == pytest.approx((math.log(1000) + math.log(100)) / 200)

    def my_bound(c, e, d):
        return math.ceil(c / e)

    assert theory.epsilon_for_sample_size(my_bound, 3.0, 30, 0.1) == pytest.approx(0.1, rel=1e-9)


# -- linear regions and spectral bias -----------------------------------------------------------


def _net(W1, b1):
    from nnkit.activations import ReLU
    from nnkit.layers import Dense, Sequential

    W1, b1 = np.asarray(W1, float), np.asarray(b1, float)
    first = Dense(2, len(b1), rng=np.random.default_rng(0))
    first.weight.value[...], first.bias.value[...] = W1, b1
    return Sequential(first, ReLU(), Dense(len(b1), 1, rng=np.random.default_rng(1)))


def test_one_hidden_unit_makes_two_regions():
    count, region_map, patterns = theory.linear_regions(_net([[1.0, 1.0]], [0.2]), resolution=50)
    assert count == 2 and region_map.shape == (50, 50) and patterns.shape == (2, 1)
    xs = np.linspace(-1, 1, 50)
    on = (xs[None, :] + xs[:, None] + 0.2) > 0  # row = y, column = x
    assert np.array_equal(patterns[region_map][..., 0], on)


def test_hidden_units_through_the_window_count_regions():
    # two crossing lines -> 4 regions; three lines in general position -> 7 regions
    assert theory.linear_regions(_net([[1, 0], [0, 1]], [0, 0]), resolution=101).count == 4
    lines = theory.linear_regions(_net([[1, 0], [0, 1], [1, 1]], [0.1, -0.2, 0.4]),
                                  resolution=200)
    assert lines.count == 7
    # a line outside the window adds nothing
    assert theory.linear_regions(_net([[1, 0], [1, 0]], [0.0, 5.0]), resolution=50).count == 2


def test_random_relu_net_regions_are_more_than_units():
    net = theory.random_relu_net([2, 8, 8, 1], np.random.default_rng(0))
    res = theory.linear_regions(net, (-3, 3), (-3, 3), resolution=150)
    assert res.patterns.shape == (res.count, 16) and res.count > 8


def test_fourier_amplitudes_of_known_sinusoids():
    N = 64
    x = np.arange(N) / N
    f = 0.7 + 2.0 * np.sin(2 * np.pi * 3 * x + 0.4) - 0.5 * np.cos(2 * np.pi * 5 * x)
    np.testing.assert_allclose(theory.fourier_amplitudes(f, [0, 1, 3, 5]), [0.7, 0, 2.0, 0.5],
                               atol=1e-12)
    assert theory.fourier_amplitudes(np.stack([f, 2 * f]), [3]).shape == (2, 1)
    with pytest.raises(NNKitError, match="Nyquist"):
        theory.fourier_amplitudes(f, [40])


def test_spectral_bias_low_frequency_first():
    hist = theory.spectral_bias_history((1, 6), rng=np.random.default_rng(0), n_points=64,
                                        hidden=32, steps=400, record_every=20)
    assert hist.amplitudes.shape == (len(hist.steps), 2) and hist.steps[-1] == 400
    # the step at which each frequency first reaches half its amplitude
    reached = [hist.steps[np.argmax(hist.relative[:, j] > 0.5)]
               if np.any(hist.relative[:, j] > 0.5) else np.inf for j in range(2)]
    assert reached[0] < reached[1]
