"""Gradient checking: the central-difference helper and check_gradients' report."""


import numpy as np
import pytest

from nnkit.activations import ReLU, Sigmoid, Tanh
from nnkit.core import NNKitError
from nnkit.gradcheck import check_gradients, numerical_gradient, relative_error
from nnkit.layers import BatchNorm, Dense, Sequential
from nnkit.losses import CrossEntropyLoss, MSELoss


def test_numerical_gradient_of_known_functions(rng):
    x = rng.normal(size=(3, 4))
    np.testing.assert_allclose(numerical_gradient(lambda v: np.sum(v**3), x), 3 * x**2, rtol=1e-8)
    A = rng.normal(size=(4, 4))
    v = rng.normal(size=4)
    np.testing.assert_allclose(numerical_gradient(lambda u: u @ A @ u, v), (A + A.T) @ v, rtol=1e-7)


def test_numerical_gradient_restores_x_exactly_and_handles_other_dtypes(rng):
    x = rng.normal(size=5)
    before = x.copy()
    numerical_gradient(lambda v: np.sum(np.sin(v)), x)
    np.testing.assert_array_equal(x, before)
    g = numerical_gradient(lambda v: np.sum(v**2), np.arange(4))  # ints: a float64 copy
    np.testing.assert_allclose(g, 2 * np.arange(4), atol=1e-6)
    x32 = np.ones(3, dtype=np.float32)
    assert numerical_gradient(lambda v: np.sum(v), x32).dtype == np.float64
    assert x32.dtype == np.float32


def test_relative_error():
    np.testing.assert_allclose(relative_error([1.0, 0.0], [1.1, 0.0]), [0.1 / 2.1, 0.0])


def _mlp(rng, dtype=np.float64, cls=Dense):
    return Sequential(Dense(5, 7, rng=rng, dtype=dtype), Tanh(), cls(7, 6, rng=rng, dtype=dtype),
                      ReLU(), Dense(6, 3, rng=rng, dtype=dtype))


def _data(rng, n=8):
    return rng.normal(size=(n, 5)), rng.integers(0, 3, size=n)


def test_correct_model_passes_with_tiny_errors(rng):
    X, y = _data(rng)
    report = check_gradients(_mlp(rng), CrossEntropyLoss(), X, y)
    assert report.ok and bool(report)
    assert [r.name for r in report.rows] == ["0.weight", "0.bias", "2.weight", "2.bias",
                                             "4.weight", "4.bias"]
    assert all(r.n_checked == np.prod(r.shape) for r in report.rows)
    assert report.max_rel_error < 1e-6
    text = str(report)
    assert "0.weight" in text and "OK" in text and "max rel err" in text
    assert "<table>" in report._repr_html_()


class ScaledWeightGrad(Dense):
    """A planted bug: the weight gradient is 2 % too large."""

    def backward(self, grad):
        before = self.weight.grad.copy()
        dx = super().backward(grad)
        self.weight.grad[...] = before + 1.02 * (self.weight.grad - before)
        return dx


class TransposedWeightGrad(Dense):
    """A planted bug: dW computed as x.T @ delta (the transpose), for a square layer."""

    def backward(self, grad):
        x = self._x
        dx = grad @ self.weight.value
        self.weight.grad += x.T @ grad  # should be grad.T @ x
        self.bias.grad += grad.sum(0)
        return dx


class SquareNet:
    @staticmethod
    def build(rng, cls):
        return Sequential(Dense(5, 6, rng=rng), Sigmoid(), cls(6, 6, rng=rng), Tanh(),
                          Dense(6, 3, rng=rng))


@pytest.mark.parametrize("cls", [ScaledWeightGrad, TransposedWeightGrad])
def test_planted_bug_is_named(cls, rng):
    X, y = _data(rng)
    report = check_gradients(SquareNet.build(rng, cls), CrossEntropyLoss(), X, y)
    assert not report.ok
    assert report.worst == "2.weight"
    failing = [r.name for r in report.rows if not r.ok]
    assert "2.weight" in failing and "2.bias" not in failing and "4.weight" not in failing
    assert "FAILED" in str(report) and "'2.weight'" in str(report)


def test_float32_model_is_checked_in_float64_and_restored_exactly(rng):
    model = _mlp(rng, dtype=np.float32)
    X, y = _data(rng)
    model.backward(np.ones_like(model(X)))  # some non-zero gradients that must survive
    before = [(p.value, p.value.copy(), p.grad, p.grad.copy()) for p in model.parameters()]
    report = check_gradients(model, CrossEntropyLoss(), X, y)
    # with h = 1e-6 a float32 forward could not resolve the differences at all
    assert report.ok, str(report)
    for p, (v, v_copy, g, g_copy) in zip(model.parameters(), before):
        assert p.value is v and p.grad is g
        assert p.value.dtype == p.grad.dtype == np.float32
        np.testing.assert_array_equal(p.value, v_copy)
        np.testing.assert_array_equal(p.grad, g_copy)


def test_frozen_parameters_are_skipped_and_sampling(rng):
    model = _mlp(rng)
    model.freeze(0)
    X, y = _data(rng)
    report = check_gradients(model, CrossEntropyLoss(), X, y, n_samples=10,
                             rng=np.random.default_rng(0))
    assert report.ok
    rows = {r.name: r for r in report.rows}
    assert rows["0.weight"].frozen and rows["0.weight"].n_checked == 0
    assert 1 <= rows["2.bias"].n_checked <= 6 and "frozen" in str(report)
    assert sum(r.n_checked for r in report.rows) <= 16


def test_batchnorm_and_mse_model(rng):
    model = Sequential(Dense(4, 5, rng=rng), BatchNorm(5), Tanh(), Dense(5, 2, rng=rng))
    model(rng.normal(size=(10, 4)), training=True)  # non-trivial running statistics
    report = check_gradients(model, MSELoss(), rng.normal(size=(6, 4)), rng.normal(size=(6, 2)))
    assert report.ok, str(report)


def test_errors(rng):
    with pytest.raises(NNKitError, match="Layer"):
        check_gradients(lambda x: x, MSELoss(), np.ones((1, 1)), np.ones((1, 1)))
    with pytest.raises(NNKitError, match="no parameters"):
        check_gradients(Sequential(ReLU()), MSELoss(), np.ones((1, 1)), np.ones((1, 1)))
    with pytest.raises(NNKitError, match="n_samples"):
        check_gradients(_mlp(rng), CrossEntropyLoss(), *_data(rng), n_samples=0)


def test_medium_mlp_100_sampled_parameters():
    """Sampling checks ~100 entries (its speed is measured by benchmarks/bench_import_gradcheck.py)."""
    rng = np.random.default_rng(0)
    model = Sequential(Dense(784, 256, rng=rng), ReLU(), Dense(256, 128, rng=rng), ReLU(),
                       Dense(128, 10, rng=rng))
    X, y = rng.normal(size=(64, 784)), rng.integers(0, 10, size=64)
    report = check_gradients(model, CrossEntropyLoss(), X, y, n_samples=100, rng=rng)
    assert report.ok, str(report)
    assert 100 <= sum(r.n_checked for r in report.rows) <= 112


def test_numerical_gradient_restores_the_entry_when_f_raises():
    x = np.array([1.0, 2.0, 3.0])
    calls = []

    def f(v):
        calls.append(v.copy())
        if len(calls) == 4:  # second entry, perturbed upwards
            raise RuntimeError("boom")
        return float(np.sum(v ** 2))

    with pytest.raises(RuntimeError, match="boom"):
        numerical_gradient(f, x)
    np.testing.assert_array_equal(x, [1.0, 2.0, 3.0])
