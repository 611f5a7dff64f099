"""Losses: hand-computed values, gradients by central differences, PyTorch conventions, errors."""

import math

import numpy as np
import pytest

from nnkit.core import BackwardBeforeForwardError, NNKitError, NonFiniteError, ShapeError
from nnkit.gradcheck import numerical_gradient
from nnkit.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, MSELoss


def _grad_check(loss, pred, target):
    value = loss(pred, target)
    assert isinstance(value, float)
    analytic = loss.backward()
    numeric = numerical_gradient(lambda p: loss(p, target), pred.copy())
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-9)


# -- hand-computed values ------------------------------------------------------------------------
def test_mse_by_hand():
    pred = np.array([[1.0, 2.0], [3.0, 4.0]])
    target = np.array([[0.0, 2.0], [5.0, 4.0]])
    loss = MSELoss()
    # squared errors 1, 0, 4, 0 -> mean over all 4 elements = 5/4
    assert loss(pred, target) == pytest.approx(1.25)
    # dL/dpred = 2 (pred - target) / 4
    np.testing.assert_allclose(loss.backward(), [[0.5, 0.0], [-1.0, 0.0]])
    assert MSELoss(reduction="sum")(pred, target) == pytest.approx(5.0)


def test_bce_by_hand():
    p = np.array([0.9, 0.2])
    y = np.array([1.0, 0.0])
    loss = BCELoss()
    # -(log 0.9 + log 0.8) / 2
    assert loss(p, y) == pytest.approx(-(math.log(0.9) + math.log(0.8)) / 2)
    # (p - y) / (p (1 - p)) / 2 = [-0.1 / 0.09, 0.2 / 0.16] / 2
    np.testing.assert_allclose(loss.backward(), [-0.1 / 0.09 / 2, 0.2 / 0.16 / 2])


def test_bce_clamps_log_at_minus_100_like_pytorch():
    loss = BCELoss()
    # p = 0 for a positive example: log 0 = -inf is clamped to -100
    assert loss(np.array([0.0, 1.0]), np.array([1.0, 1.0])) == pytest.approx(50.0)
    g = loss.backward()  # (0 - 1) / max(0, 1e-12) / 2
    np.testing.assert_allclose(g, [-1 / 1e-12 / 2, 0.0])
    assert np.all(np.isfinite(g))


def test_bce_with_logits_by_hand_and_stable():
    z = np.array([0.0, 2.0])
    y = np.array([1.0, 0.0])
    loss = BCEWithLogitsLoss()
    # -log sigmoid(0) = log 2; -log(1 - sigmoid(2)) = log(1 + e^2)
    assert loss(z, y) == pytest.approx((math.log(2) + math.log1p(math.exp(2))) / 2)
    np.testing.assert_allclose(loss.backward(), [(0.5 - 1) / 2, (1 / (1 + math.exp(-2))) / 2])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        assert loss(np.array([1000.0, -1000.0]), np.array([0.0, 1.0])) == pytest.approx(1000.0)
        assert loss(np.array([1000.0, -1000.0]), np.array([1.0, 0.0])) == pytest.approx(0.0)


def test_bce_with_logits_equals_bce_of_sigmoid(rng):
    z, y = rng.normal(size=(5, 2)), rng.integers(0, 2, size=(5, 2)).astype(float)
    p = 1 / (1 + np.exp(-z))
    assert BCEWithLogitsLoss()(z, y) == pytest.approx(BCELoss()(p, y), rel=1e-12)


def test_cross_entropy_by_hand():
    z = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    y = np.array([2, 0])
    loss = CrossEntropyLoss()
    lse0 = math.log(math.e + math.e**2 + math.e**3)
    expected = ((lse0 - 3.0) + math.log(3.0)) / 2
    assert loss(z, y) == pytest.approx(expected)
    s0 = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    np.testing.assert_allclose(loss.backward(),
                               [(s0 - [0, 0, 1]) / 2, (np.full(3, 1 / 3) - [1, 0, 0]) / 2])


def test_cross_entropy_one_hot_equals_integer_labels(rng):
    z = rng.normal(size=(6, 4)) * 3
    y = rng.integers(0, 4, size=6)
    a, b = CrossEntropyLoss(), CrossEntropyLoss()
    assert a(z, y) == pytest.approx(b(z, np.eye(4)[y]), rel=1e-13)
    np.testing.assert_allclose(a.backward(), b.backward(), atol=1e-15)


def test_cross_entropy_large_logits_are_stable():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        value = CrossEntropyLoss()(np.array([[1000.0, 0.0], [0.0, 1000.0]]), np.array([0, 0]))
    assert value == pytest.approx(500.0)


# -- gradients by central differences ------------------------------------------------------------
@pytest.mark.parametrize("shape", [(5,), (4, 3), (2, 3, 2)])
def test_gradients_elementwise_losses(shape, rng):
    pred = rng.normal(size=shape)
    target = rng.normal(size=shape)
    _grad_check(MSELoss(), pred, target)
    _grad_check(MSELoss(reduction="sum"), pred, target)
    _grad_check(BCEWithLogitsLoss(), pred, rng.uniform(size=shape))
    _grad_check(BCELoss(), rng.uniform(0.05, 0.95, size=shape), rng.uniform(size=shape))


@pytest.mark.parametrize("n,C", [(1, 2), (5, 3), (8, 10)])
def test_gradients_cross_entropy(n, C, rng):
    z = rng.normal(size=(n, C))
    _grad_check(CrossEntropyLoss(), z, rng.integers(0, C, size=n))
    soft = rng.uniform(size=(n, C))
    _grad_check(CrossEntropyLoss(), z, soft / soft.sum(1, keepdims=True))
    _grad_check(CrossEntropyLoss(), z, soft)  # not normalized: still the exact gradient


# -- dtypes and errors ------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss])
def test_float32_gradient_stays_float32(make, rng):
    pred = rng.uniform(0.1, 0.9, size=(4, 3)).astype(np.float32)
    target = rng.integers(0, 3, size=4) if make is CrossEntropyLoss else np.ones((4, 3))
    value = make()(pred, target)
    assert isinstance(value, float)
    loss = make()
    loss(pred, target)
    assert loss.backward().dtype == np.float32


@pytest.mark.parametrize("make", [MSELoss, BCELoss, BCEWithLogitsLoss, CrossEntropyLoss])
def test_backward_before_forward(make):
    with pytest.raises(BackwardBeforeForwardError, match=make.__name__):
        make().backward()


def test_shape_and_value_errors():
    with pytest.raises(ShapeError, match=r"MSELoss.*\(4, 1\).*\(4,\).*reshape"):
        MSELoss()(np.ones((4, 1)), np.ones(4))
    with pytest.raises(NonFiniteError, match="MSELoss.*prediction.*NaN"):
        MSELoss()(np.array([1.0, np.nan]), np.ones(2))
    with pytest.raises(NonFiniteError, match="target"):
        MSELoss()(np.ones(2), np.array([1.0, np.inf]))
    with pytest.raises(NNKitError, match="BCEWithLogitsLoss"):
        BCELoss()(np.array([1.5, 0.5]), np.ones(2))
    with pytest.raises(NNKitError, match="in \\[0, 1\\]"):
        BCELoss()(np.array([0.5, 0.5]), np.array([2.0, 0.0]))
    ce = CrossEntropyLoss()
    with pytest.raises(NNKitError, match="label 3 is out of range for 3 classes"):
        ce(np.zeros((2, 3)), np.array([0, 3]))
    with pytest.raises(NNKitError, match="out of range"):
        ce(np.zeros((2, 3)), np.array([-1, 0]))
    with pytest.raises(NNKitError, match="non-integer value 0.5"):
        ce(np.zeros((2, 3)), np.array([0.5, 1.0]))
    assert ce(np.zeros((2, 3)), np.array([0.0, 2.0])) == pytest.approx(math.log(3))
    with pytest.raises(ShapeError, match=r"\(n, C\)"):
        ce(np.zeros(3), np.array([0]))
    with pytest.raises(ShapeError, match=r"\(2,\).*\(2, 3\).*\(3,\)"):
        ce(np.zeros((2, 3)), np.array([0, 1, 2]))
    with pytest.raises(NNKitError, match="reduction"):
        MSELoss(reduction="none")


def test_backward_returns_a_fresh_array():
    loss = MSELoss()
    loss(np.ones(3), np.zeros(3))
    g = loss.backward()
    g[...] = 0
    np.testing.assert_allclose(loss.backward(), 2 / 3)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # NumPy's, before our error
@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")
def test_every_loss_names_a_non_finite_prediction_or_target(bad):
    from nnkit.losses import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss

    pred2, y2 = np.array([[0.2, 0.7], [0.4, 0.1]]), np.array([[0.0, 1.0], [1.0, 0.0]])
    cases = [(MSELoss(), pred2, y2), (BCELoss(), pred2, y2), (BCEWithLogitsLoss(), pred2, y2),
             (CrossEntropyLoss(), pred2, y2)]
    for loss, pred, target in cases:
        p = pred.copy()
        p[0, 1] = bad  # the label's column, so the value itself is not finite
        if not (isinstance(loss, BCELoss) and np.isinf(bad)):  # BCE rejects p > 1 first
            with pytest.raises(NonFiniteError, match=f"{type(loss).__name__}.*prediction"):
                loss(p, target)
        t = target.copy()
        t[0, 1] = bad
        with pytest.raises((NonFiniteError, NNKitError), match=f"{type(loss).__name__}"):
            loss(pred, t)
    with pytest.raises(NonFiniteError, match="CrossEntropyLoss.*prediction"):
        CrossEntropyLoss()(np.array([[np.nan, 1.0]]), np.array([0]))
