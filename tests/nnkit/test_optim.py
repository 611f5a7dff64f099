"""Optimizers against steps worked out by hand (PyTorch's equations), dtype and freezing."""

import math

import numpy as np
import pytest

from nnkit.core import Layer, NNKitError, Parameter
from nnkit.optim import SGD, AdaGrad, Adam, AdamW, RMSProp, clip_grad_norm_, clip_grad_value_


def run(opt_cls, w0, grads, **kw):
    """Apply `opt_cls` to one parameter starting at w0 with the given gradient sequence."""
    p = Parameter(np.array(w0, dtype=np.float64))
    opt = opt_cls([p], **kw)
    values = []
    for g in grads:
        p.grad[...] = g
        opt.step()
        values.append(p.value.copy())
    return values, opt, p


# -- SGD ---------------------------------------------------------------------------------
def test_sgd_plain_step():
    (w1, w2), _, _ = run(SGD, [1.0, -2.0], [[0.5, 1.0], [1.0, -1.0]], lr=0.1)
    np.testing.assert_allclose(w1, [1.0 - 0.05, -2.0 - 0.1])
    np.testing.assert_allclose(w2, [0.95 - 0.1, -2.1 + 0.1])


def test_sgd_momentum_torch_form_and_book_form():
    # torch: v1 = g1 = 1, w1 = 1 - 0.1*1 = 0.9; v2 = 0.9*1 + 2 = 2.9, w2 = 0.9 - 0.29 = 0.61
    (w1, w2, w3), opt, p = run(SGD, [1.0], [[1.0], [2.0], [-1.0]], lr=0.1, momentum=0.9)
    np.testing.assert_allclose(w1, [0.9])
    np.testing.assert_allclose(w2, [0.61])
    # v3 = 0.9*2.9 - 1 = 1.61, w3 = 0.61 - 0.161
    np.testing.assert_allclose(w3, [0.449])
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"], [1.61])
    # the book's v <- gamma v + eta g, w <- w - v gives the same trajectory (v_book = eta v)
    w, v = 1.0, 0.0
    for g, expected in zip([1.0, 2.0, -1.0], [w1, w2, w3]):
        v = 0.9 * v + 0.1 * g
        w -= v
        np.testing.assert_allclose([w], expected)


def test_sgd_nesterov_with_weight_decay():
    # g1 = 1 + 0.5*2 = 2; v1 = 2; d1 = 2 + 0.9*2 = 3.8; w1 = 2 - 0.1*3.8 = 1.62
    # g2 = 0 + 0.5*1.62 = 0.81; v2 = 0.9*2 + 0.81 = 2.61; d2 = 0.81 + 0.9*2.61 = 3.159
    # w2 = 1.62 - 0.3159 = 1.3041
    (w1, w2), _, _ = run(SGD, [2.0], [[1.0], [0.0]], lr=0.1, momentum=0.9, nesterov=True,
                         weight_decay=0.5)
    np.testing.assert_allclose(w1, [1.62])
    np.testing.assert_allclose(w2, [1.3041])


def test_sgd_dampening_not_applied_on_first_step():
    # v1 = g1 = 1 (no dampening yet), w1 = 0.9; v2 = 0.5*1 + (1-0.5)*1 = 1, w2 = 0.8
    (w1, w2), _, _ = run(SGD, [1.0], [[1.0], [1.0]], lr=0.1, momentum=0.5, dampening=0.5)
    np.testing.assert_allclose(w1, [0.9])
    np.testing.assert_allclose(w2, [0.8])


def test_sgd_nesterov_needs_momentum():
    with pytest.raises(NNKitError, match="nesterov"):
        SGD([Parameter(np.zeros(2))], lr=0.1, nesterov=True)


# -- RMSProp -------------------------------------------------------------------------------
def test_rmsprop_two_steps_eps_outside_sqrt():
    lr, alpha, eps = 0.01, 0.9, 1e-8
    (w1, w2), opt, p = run(RMSProp, [1.0, 1.0], [[2.0, 0.0], [-1.0, 3.0]], lr=lr, alpha=alpha,
                           eps=eps)
    s1 = np.array([0.1 * 4.0, 0.0])
    expect1 = np.array([1.0, 1.0]) - lr * np.array([2.0, 0.0]) / (np.sqrt(s1) + eps)
    np.testing.assert_allclose(w1, expect1)
    s2 = 0.9 * s1 + 0.1 * np.array([1.0, 9.0])
    expect2 = expect1 - lr * np.array([-1.0, 3.0]) / (np.sqrt(s2) + eps)
    np.testing.assert_allclose(w2, expect2)
    np.testing.assert_allclose(opt.state[p]["square_avg"], s2)
    # first step moves each coordinate by lr / sqrt(1 - alpha) in the gradient's direction
    np.testing.assert_allclose(1.0 - w1[0], lr / math.sqrt(0.1), rtol=1e-7)


def test_rmsprop_momentum_and_weight_decay():
    lr, alpha, mu, wd = 0.01, 0.99, 0.9, 0.1
    (w1, w2), _, _ = run(RMSProp, [1.0], [[1.0], [1.0]], lr=lr, alpha=alpha, momentum=mu,
                         weight_decay=wd)
    g1 = 1.0 + wd * 1.0
    s1 = 0.01 * g1 ** 2
    b1 = g1 / (math.sqrt(s1) + 1e-8)
    x1 = 1.0 - lr * b1
    np.testing.assert_allclose(w1, [x1])
    g2 = 1.0 + wd * x1
    s2 = alpha * s1 + 0.01 * g2 ** 2
    b2 = mu * b1 + g2 / (math.sqrt(s2) + 1e-8)
    np.testing.assert_allclose(w2, [x1 - lr * b2])


# -- Adam / AdamW ----------------------------------------------------------------------------
def adam_by_hand(w, grads, lr, b1, b2, eps, wd=0.0, decoupled=False):
    m = v = 0.0
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            w = w * (1 - lr * wd)
        else:
            g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat = m / (1 - b1 ** t)
        v_hat = v / (1 - b2 ** t)
        w = w - lr * m_hat / (math.sqrt(v_hat) + eps)
        out.append(w)
    return out


def test_adam_first_step_is_lr_times_sign():
    # bias correction makes m_hat = g and v_hat = g^2 at t = 1: the step is lr * g/(|g|+eps)
    (w1,), _, _ = run(Adam, [0.5, 0.5, 0.5], [[3.0, -0.01, 0.0]], lr=0.1)
    np.testing.assert_allclose(w1, [0.4, 0.6, 0.5], rtol=1e-6)


def test_adam_three_steps_bias_correction():
    grads = [2.0, -1.0, 0.5]
    values, opt, p = run(Adam, [1.0], [[g] for g in grads], lr=0.01, betas=(0.9, 0.999),
                         eps=1e-8)
    expected = adam_by_hand(1.0, grads, 0.01, 0.9, 0.999, 1e-8)
    np.testing.assert_allclose(np.concatenate(values), expected, rtol=1e-12)
    assert opt.state[p]["step"] == 3
    # m after three steps, written out: 0.9*(0.9*0.2 - 0.1) + 0.05
    np.testing.assert_allclose(opt.state[p]["exp_avg"], [0.9 * (0.9 * 0.2 - 0.1) + 0.05])


def test_adam_eps_sits_after_bias_correction():
    # with a large eps its position is visible: sqrt(v_hat) + eps, not sqrt(v) + eps
    (w1,), _, _ = run(Adam, [0.0], [[1.0]], lr=1.0, betas=(0.5, 0.75), eps=1.0)
    np.testing.assert_allclose(w1, [-0.5])          # m_hat = 1, v_hat = 1: 1/(1+1)


def test_adam_coupled_weight_decay():
    grads = [1.0, 1.0]
    values, _, _ = run(Adam, [2.0], [[g] for g in grads], lr=0.1, weight_decay=0.5,
                       betas=(0.8, 0.9), eps=1e-6)
    expected = adam_by_hand(2.0, grads, 0.1, 0.8, 0.9, 1e-6, wd=0.5)
    np.testing.assert_allclose(np.concatenate(values), expected, rtol=1e-12)


def test_adamw_decoupled_weight_decay():
    grads = [1.0, -2.0, 0.25]
    values, _, _ = run(AdamW, [2.0], [[g] for g in grads], lr=0.1, weight_decay=0.5)
    expected = adam_by_hand(2.0, grads, 0.1, 0.9, 0.999, 1e-8, wd=0.5, decoupled=True)
    np.testing.assert_allclose(np.concatenate(values), expected, rtol=1e-12)
    # zero gradient: only the decay acts, w <- w (1 - lr wd)
    (w1,), _, _ = run(AdamW, [2.0], [[0.0]], lr=0.1, weight_decay=0.5)
    np.testing.assert_allclose(w1, [2.0 * 0.95])


# -- AdaGrad -----------------------------------------------------------------------------
def test_adagrad_two_steps():
    (w1, w2), opt, p = run(AdaGrad, [1.0, -1.0], [[3.0, 4.0], [4.0, -3.0]], lr=0.5, eps=0.0)
    np.testing.assert_allclose(w1, [0.5, -1.5])                  # g / |g| = sign at step 1
    np.testing.assert_allclose(w2, [0.5 - 0.5 * 4 / 5, -1.5 + 0.5 * 3 / 5])
    np.testing.assert_allclose(opt.state[p]["sum"], [25.0, 25.0])


def test_adagrad_weight_decay_and_eps():
    (w1,), _, _ = run(AdaGrad, [2.0], [[1.0]], lr=0.1, eps=1.0, weight_decay=1.0)
    np.testing.assert_allclose(w1, [2.0 - 0.1 * 3.0 / (3.0 + 1.0)])   # g = 1 + 1*2 = 3


# -- general behaviour -------------------------------------------------------------------
ALL = [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    (SGD, dict(lr=0.1, momentum=0.5, dampening=0.1)),
    (RMSProp, dict(momentum=0.9, weight_decay=0.1)),
    (Adam, dict(weight_decay=0.1)),
    (AdamW, {}),
    (AdaGrad, dict(weight_decay=0.1)),
]


@pytest.mark.parametrize("cls,kw", ALL)
def test_float32_stays_float32(cls, kw):
    rng = np.random.default_rng(0)
    p = Parameter(rng.normal(size=(4, 3)).astype(np.float32))
    q = Parameter(rng.normal(size=(4, 3)))                       # float64 reference
    q.value[...] = p.value
    opt32, opt64 = cls([p], **kw), cls([q], **kw)
    for _ in range(3):
        g = rng.normal(size=(4, 3))
        p.grad[...] = g
        q.grad[...] = g
        opt32.step()
        opt64.step()
    assert p.value.dtype == np.float32 and p.grad.dtype == np.float32
    for key, buf in opt32.state[p].items():
        if isinstance(buf, np.ndarray):
            assert buf.dtype == np.float32, key
    np.testing.assert_allclose(p.value, q.value, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("cls,kw", ALL)
def test_frozen_parameters_untouched(cls, kw):
    a = Parameter(np.ones(3))
    b = Parameter(np.ones(3), requires_grad=False)
    opt = cls([a, b], **kw)
    a.grad[...] = b.grad[...] = 1.0
    opt.step()
    np.testing.assert_array_equal(b.value, np.ones(3))
    assert b not in opt.state
    assert np.all(a.value < 1.0)
    b.requires_grad = True                 # unfreezing works without a new optimizer
    opt.step()
    assert np.all(b.value < 1.0)


def test_updates_are_in_place():
    p = Parameter(np.ones(5))
    value = p.value
    opt = Adam([p], lr=0.1)
    p.grad[...] = 1.0
    opt.step()
    opt.step()
    assert p.value is value
    buf = opt.state[p]["exp_avg"]
    opt.step()
    assert opt.state[p]["exp_avg"] is buf


def test_zero_grad_and_lr_attribute():
    p = Parameter(np.ones(2))
    opt = SGD([p], lr=0.5)
    p.grad[...] = 2.0
    opt.lr = 0.25                          # what a schedule does
    opt.step()
    np.testing.assert_allclose(p.value, [0.5, 0.5])
    opt.zero_grad()
    np.testing.assert_array_equal(p.grad, [0.0, 0.0])
    assert opt.initial_lr == 0.5


class TwoParams(Layer):
    def __init__(self):
        self.weight = Parameter(np.ones((2, 2)))
        self.bias = Parameter(np.zeros(2))


def test_accepts_layer_named_pairs_and_dedupes_shared():
    model = TwoParams()
    for params in (model, list(model.named_parameters()), model.parameters()):
        opt = SGD(params, lr=0.1)
        assert opt.params == [model.weight, model.bias]
    assert SGD(model, lr=0.1).names == ["weight", "bias"]
    shared = Parameter(np.ones(2))
    assert len(SGD([shared, shared], lr=0.1).params) == 1


@pytest.mark.parametrize("make,match", [
    (lambda p: SGD(p, lr=0.0), "lr"),
    (lambda p: SGD(p, lr=-1e-3), "lr"),
    (lambda p: Adam(p, betas=(0.9, 1.0)), r"betas\[1\]"),
    (lambda p: Adam(p, betas=(-0.1, 0.9)), r"betas\[0\]"),
    (lambda p: AdamW(p, betas=0.9), "pair"),
    (lambda p: RMSProp(p, alpha=1.5), "alpha"),
    (lambda p: AdaGrad(p, weight_decay=-1), "weight_decay"),
    (lambda p: SGD([], lr=0.1), "empty"),
    (lambda p: SGD([np.ones(3)], lr=0.1), "Parameter"),
])
def test_bad_hyperparameters(make, match):
    with pytest.raises(NNKitError, match=match):
        make([Parameter(np.ones(2))])


# -- clipping ------------------------------------------------------------------------------
def test_clip_grad_norm_rescales_jointly():
    a, b = Parameter(np.zeros(2)), Parameter(np.zeros(1))
    a.grad[...] = [3.0, 0.0]
    b.grad[...] = [4.0]
    total = clip_grad_norm_([a, b], max_norm=1.0)
    assert total == pytest.approx(5.0)
    np.testing.assert_allclose(a.grad, [3.0 / (5 + 1e-6), 0.0])
    np.testing.assert_allclose(b.grad, [4.0 / (5 + 1e-6)])
    assert math.hypot(a.grad[0], b.grad[0]) == pytest.approx(1.0, rel=1e-6)
    # below the threshold nothing changes
    total = clip_grad_norm_([a, b], max_norm=10.0)
    assert total == pytest.approx(1.0, rel=1e-6)
    np.testing.assert_allclose(b.grad, [4.0 / (5 + 1e-6)])


def test_clip_grad_norm_inf_and_skips_frozen():
    a = Parameter(np.zeros(3))
    frozen = Parameter(np.zeros(1), requires_grad=False)
    a.grad[...] = [1.0, -4.0, 2.0]
    frozen.grad[...] = 100.0
    assert clip_grad_norm_([a, frozen], 2.0, norm_type=math.inf) == pytest.approx(4.0)
    np.testing.assert_allclose(a.grad, np.array([1.0, -4.0, 2.0]) * 2.0 / (4.0 + 1e-6))
    np.testing.assert_array_equal(frozen.grad, [100.0])


def test_clip_grad_value():
    a = Parameter(np.zeros(4, dtype=np.float32))
    a.grad[...] = [-3.0, -0.5, 0.5, 3.0]
    clip_grad_value_([a], 1.0)
    np.testing.assert_array_equal(a.grad, [-1.0, -0.5, 0.5, 1.0])
    assert a.grad.dtype == np.float32
    with pytest.raises(NNKitError, match="clip_value"):
        clip_grad_value_([a], 0.0)
