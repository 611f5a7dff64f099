"""L1/L2 penalties (values, gradients by central differences), soft threshold, prox step."""

import numpy as np
import pytest

from nnkit import BatchNorm, Dense, ReLU, Sequential
from nnkit.core import NNKitError, Parameter
from nnkit.gradcheck import numerical_gradient
from nnkit.optim import SGD
from nnkit.regularization import (L1, L2, l1_penalty, l2_penalty, penalized_parameters,
                                  proximal_l1_step, soft_threshold)


def small_model(rng):
    return Sequential(Dense(3, 4, rng=rng), BatchNorm(4), ReLU(), Dense(4, 2, rng=rng))


def test_weights_only_by_default(rng):
    model = small_model(rng)
    assert [n for n, _ in penalized_parameters(model)] == ["0.weight", "3.weight"]
    assert [n for n, _ in penalized_parameters(model, include_bias=True)] == [
        "0.weight", "0.bias", "3.weight", "3.bias"]     # BatchNorm's gamma/beta never


def test_l2_value_by_hand():
    w = Parameter(np.array([[1.0, -2.0], [0.0, 3.0]]))
    b = Parameter(np.array([10.0, 10.0]))
    pairs = [("weight", w), ("bias", b)]
    assert L2(0.1).value(pairs) == pytest.approx(0.05 * 14.0)
    assert L2(0.1, include_bias=True).value(pairs) == pytest.approx(0.05 * 214.0)
    assert l2_penalty(pairs, 0.1) == pytest.approx(0.7)


def test_l1_value_by_hand():
    pairs = [("w", Parameter(np.array([1.0, -2.0, 0.0]))), ("bias", Parameter(np.array([5.0])))]
    assert L1(0.5).value(pairs) == pytest.approx(1.5)
    assert l1_penalty(pairs, 0.5, include_bias=True) == pytest.approx(4.0)


@pytest.mark.parametrize("cls", [L2, L1])
def test_gradient_matches_central_differences(cls, rng):
    model = small_model(rng)
    reg = cls(0.3)
    for p in model.parameters():
        p.zero_grad()
    reg.add_grad(model)
    for name, p in model.named_parameters():
        numeric = numerical_gradient(lambda _: reg.value(model), p.value)
        np.testing.assert_allclose(p.grad, numeric, rtol=1e-6, atol=1e-8, err_msg=name)
    # biases and BatchNorm untouched, weights got a non-zero gradient
    named = dict(model.named_parameters())
    assert np.all(named["0.bias"].grad == 0) and np.all(named["1.weight"].grad == 0)
    assert np.any(named["0.weight"].grad != 0)


def test_l1_subgradient_is_zero_at_zero_and_accumulates():
    p = Parameter(np.array([-2.0, 0.0, 3.0]))
    p.grad[...] = 1.0
    L1(0.5).add_grad([p])
    np.testing.assert_array_equal(p.grad, [0.5, 1.0, 1.5])


def test_l2_add_grad_float32_and_frozen():
    p = Parameter(np.array([1.0, -2.0], dtype=np.float32))
    frozen = Parameter(np.array([1.0, 1.0]), requires_grad=False)
    L2(0.5).add_grad([p, frozen])
    assert p.grad.dtype == np.float32
    np.testing.assert_allclose(p.grad, [0.5, -1.0])
    np.testing.assert_array_equal(frozen.grad, [0.0, 0.0])


def test_soft_threshold_exact():
    w = np.array([-3.0, -0.5, 0.0, 0.2, 0.5, 2.5])
    out = soft_threshold(w, 0.5)
    np.testing.assert_array_equal(out, [-2.5, 0.0, 0.0, 0.0, 0.0, 2.0])
    assert not np.any(np.signbit(out[out == 0]))              # no -0.0
    with pytest.raises(NNKitError, match="threshold"):
        soft_threshold(w, -1.0)


def test_proximal_step_in_place_makes_exact_zeros():
    p = Parameter(np.array([0.05, -0.3, 1.0, -0.1]))
    bias = Parameter(np.array([0.01]))
    value = p.value
    proximal_l1_step([("weight", p), ("bias", bias)], lr=0.1, lam=1.0)     # threshold 0.1
    assert p.value is value
    np.testing.assert_allclose(p.value, [0.0, -0.2, 0.9, 0.0])
    assert p.value[0] == 0.0 and p.value[3] == 0.0
    np.testing.assert_array_equal(bias.value, [0.01])                     # bias skipped


def test_proximal_gradient_selects_relevant_features(rng):
    # y depends on features 0 and 1 only; ISTA drives the 6 irrelevant weights exactly to 0,
    # while subgradient steps leave them small but non-zero
    n, d = 200, 8
    X = rng.normal(size=(n, d))
    y = X[:, 0] * 2.0 - X[:, 1] + 0.05 * rng.normal(size=n)
    lam, lr = 0.1, 0.05
    w_prox = Parameter(np.zeros(d))
    w_sub = Parameter(np.zeros(d))
    opt_prox, opt_sub = SGD([w_prox], lr=lr), SGD([w_sub], lr=lr)
    for _ in range(300):
        for w, opt in ((w_prox, opt_prox), (w_sub, opt_sub)):
            w.grad[...] = X.T @ (X @ w.value - y) / n                    # MSE/2 gradient
            if w is w_sub:
                L1(lam).add_grad([w])
            opt.step()
        proximal_l1_step([w_prox], lr=lr, lam=lam)
    assert np.all(w_prox.value[2:] == 0.0)
    assert abs(w_prox.value[0] - 2.0) < 0.2 and abs(w_prox.value[1] + 1.0) < 0.2
    assert np.count_nonzero(w_sub.value[2:]) > 0


def test_bad_lambda():
    with pytest.raises(NNKitError, match="lam"):
        L2(-0.1)
