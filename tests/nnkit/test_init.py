"""Initializers: shapes, dtypes, PyTorch's scales and fans, the Generator requirement."""

import functools
import math

import numpy as np
import pytest

from nnkit import init
from nnkit.core import NNKitError

RANDOM = [init.uniform, init.normal, init.xavier_uniform, init.xavier_normal,
          init.kaiming_uniform, init.kaiming_normal]


@pytest.mark.parametrize("fn", RANDOM + [init.zeros, init.ones, init.constant])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_shape_and_dtype(fn, dtype, rng):
    w = fn((7, 5), rng, dtype)
    assert w.shape == (7, 5) and w.dtype == dtype


@pytest.mark.parametrize("fn", RANDOM)
def test_random_initializers_require_a_generator(fn):
    with pytest.raises(TypeError, match="np.random.Generator"):
        fn((3, 3), None)
    with pytest.raises(TypeError, match="default_rng"):
        fn((3, 3), 0)


def test_reproducible_with_the_same_seed():
    a = init.xavier_normal((4, 4), np.random.default_rng(9))
    b = init.xavier_normal((4, 4), np.random.default_rng(9))
    np.testing.assert_array_equal(a, b)


def test_constant_family_and_partial(rng):
    np.testing.assert_array_equal(init.zeros((2, 3), rng), 0.0)
    np.testing.assert_array_equal(init.ones((2, 3)), 1.0)
    np.testing.assert_array_equal(init.constant((2,), None, value=0.1), [0.1, 0.1])
    f = functools.partial(init.constant, value=3.0)
    np.testing.assert_array_equal(f((2, 2), rng, np.float32), 3.0)
    g = functools.partial(init.uniform, low=-0.5, high=0.5)
    w = g((1000,), rng)
    assert w.min() >= -0.5 and w.max() < 0.5 and w.min() < -0.45


def test_fans_follow_pytorch():
    assert init.compute_fans((30, 20)) == (20, 30)  # (n_out, n_in)
    assert init.compute_fans((8, 4, 3, 3)) == (36, 72)  # receptive field 3x3
    with pytest.raises(NNKitError, match="at least 2 dimensions"):
        init.compute_fans((5,))


def test_gains_follow_pytorch():
    assert init.calculate_gain("linear") == 1.0
    assert init.calculate_gain("sigmoid") == 1.0
    assert init.calculate_gain("tanh") == pytest.approx(5 / 3)
    assert init.calculate_gain("relu") == pytest.approx(math.sqrt(2))
    assert init.calculate_gain("leaky_relu") == pytest.approx(math.sqrt(2 / (1 + 0.01**2)))
    assert init.calculate_gain("leaky_relu", 0.2) == pytest.approx(math.sqrt(2 / 1.04))
    with pytest.raises(NNKitError, match="unknown nonlinearity"):
        init.calculate_gain("softplus")


# Expected standard deviations for a (n_out, n_in) = (300, 400) weight.
N_OUT, N_IN = 300, 400
CASES = [
    (init.xavier_uniform, {}, math.sqrt(2 / (N_IN + N_OUT))),
    (init.xavier_normal, {}, math.sqrt(2 / (N_IN + N_OUT))),
    (init.xavier_normal, {"gain": 2.0}, 2 * math.sqrt(2 / (N_IN + N_OUT))),
    (init.kaiming_uniform, {}, math.sqrt(2 / N_IN)),
    (init.he_normal, {}, math.sqrt(2 / N_IN)),
    (init.kaiming_normal, {"mode": "fan_out"}, math.sqrt(2 / N_OUT)),
    (init.kaiming_normal, {"nonlinearity": "tanh"}, 5 / 3 / math.sqrt(N_IN)),
    (init.normal, {"std": 0.3}, 0.3),
]


@pytest.mark.parametrize("fn,kw,std", CASES)
def test_scale(fn, kw, std, rng):
    w = fn((N_OUT, N_IN), rng, **kw)
    # 120,000 draws: the sample std is within about 0.4 % (3 sigma) of the true one
    assert abs(w.std() / std - 1) < 0.01
    assert abs(w.mean()) < 4 * std / math.sqrt(w.size)


def test_uniform_bounds(rng):
    w = init.xavier_uniform((N_OUT, N_IN), rng)
    bound = math.sqrt(6 / (N_IN + N_OUT))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    w = init.kaiming_uniform((N_OUT, N_IN), rng)
    bound = math.sqrt(6 / N_IN)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound


def test_get_by_name():
    assert init.get("he_normal") is init.kaiming_normal
    assert init.get("glorot_uniform") is init.xavier_uniform
    assert init.get(init.zeros) is init.zeros
    with pytest.raises(NNKitError, match="unknown initializer"):
        init.get("he")
    with pytest.raises(NNKitError, match="mode"):
        init.kaiming_normal((2, 2), np.random.default_rng(), mode="fan_avg")
