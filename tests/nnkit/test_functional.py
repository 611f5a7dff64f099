"""nnkit.functional: values, derivatives (central differences), stability, dtypes, import cost."""

import math
import subprocess
import sys
import warnings

import numpy as np
import pytest

from nnkit import functional as F
from nnkit.gradcheck import numerical_gradient

PAIRS = [
    ("identity", F.identity, F.identity_grad),
    ("sigmoid", F.sigmoid, F.sigmoid_grad),
    ("tanh", F.tanh, F.tanh_grad),
    ("relu", F.relu, F.relu_grad),
    ("leaky_relu", F.leaky_relu, F.leaky_relu_grad),
    ("leaky_relu_0.2", lambda z: F.leaky_relu(z, 0.2), lambda z: F.leaky_relu_grad(z, 0.2)),
    ("prelu", lambda z: F.prelu(z, 0.3), lambda z: F.prelu_grad(z, 0.3)),
    ("elu", F.elu, F.elu_grad),
    ("elu_0.5", lambda z: F.elu(z, 0.5), lambda z: F.elu_grad(z, 0.5)),
    ("gelu", F.gelu, F.gelu_grad),
    ("swish", F.swish, F.swish_grad),
]


def _away_from_kinks(rng, shape):
    """Random z with |z| >= 0.05, so finite differences never straddle ReLU's kink."""
    z = rng.normal(scale=2.0, size=shape)
    return np.where(np.abs(z) < 0.05, 0.5, z)


@pytest.mark.parametrize("name,f,df", PAIRS, ids=[p[0] for p in PAIRS])
def test_derivative_matches_central_differences(name, f, df, rng):
    z = _away_from_kinks(rng, (4, 5))
    dout = rng.normal(size=z.shape)
    num = numerical_gradient(lambda v: np.sum(f(v) * dout), z)
    np.testing.assert_allclose(df(z) * dout, num, rtol=1e-6, atol=1e-8)


def test_prelu_grad_alpha_matches_central_differences(rng):
    z = _away_from_kinks(rng, (3, 4))
    alpha = np.array([0.2])
    num = numerical_gradient(lambda a: np.sum(F.prelu(z, a)), alpha)
    np.testing.assert_allclose(F.prelu_grad_alpha(z).sum(), num[0], rtol=1e-7)


def test_hand_values():
    z = np.array([-2.0, 0.0, 3.0])
    np.testing.assert_allclose(F.sigmoid(z), 1 / (1 + np.exp(-z)))
    np.testing.assert_allclose(F.relu(z), [0.0, 0.0, 3.0])
    np.testing.assert_allclose(F.leaky_relu(z), [-0.02, 0.0, 3.0])
    np.testing.assert_allclose(F.elu(z), [math.exp(-2) - 1, 0.0, 3.0])
    np.testing.assert_allclose(F.step(z), [0.0, 1.0, 1.0])  # H(0) = 1
    np.testing.assert_array_equal(F.step_grad(z), 0.0)
    np.testing.assert_array_equal(F.relu_grad(z), [0.0, 0.0, 1.0])  # 0 at the kink, as PyTorch
    # GELU(z) = z Phi(z) with Phi from math.erf
    expected = [v * 0.5 * (1 + math.erf(v / math.sqrt(2))) for v in z]
    np.testing.assert_allclose(F.gelu(z), expected, rtol=1e-12)
    np.testing.assert_allclose(F.swish(z), z / (1 + np.exp(-z)))
    assert F.silu is F.swish and F.silu_grad is F.swish_grad


def test_tanh_is_a_rescaled_sigmoid(rng):
    z = rng.normal(size=50)
    np.testing.assert_allclose(F.tanh(z), 2 * F.sigmoid(2 * z) - 1, atol=1e-12)


def test_softmax_logsumexp_log_softmax(rng):
    z = rng.normal(size=(3, 4))
    e = np.exp(z)
    np.testing.assert_allclose(F.softmax(z), e / e.sum(1, keepdims=True))
    np.testing.assert_allclose(F.softmax(z, axis=0), e / e.sum(0, keepdims=True))
    np.testing.assert_allclose(F.logsumexp(z), np.log(e.sum(1)))
    assert F.logsumexp(z, axis=0, keepdims=True).shape == (1, 4)
    np.testing.assert_allclose(F.log_softmax(z), np.log(F.softmax(z)))


@pytest.mark.parametrize("name", sorted(F.ACTIVATIONS))
def test_no_overflow_for_large_inputs(name):
    f, df = F.ACTIVATIONS[name]
    z = np.array([-1e300, -1e4, -800.0, -50.0, 0.0, 50.0, 800.0, 1e4, 1e300])
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        a, d = f(z), df(z)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(d)), (a, d)


def test_stable_values_at_extremes():
    big = np.array([-1000.0, 1000.0])
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        np.testing.assert_allclose(F.sigmoid(big), [0.0, 1.0])
        np.testing.assert_allclose(F.softmax(np.array([1000.0, 1000.0, -1000.0])), [0.5, 0.5, 0.0])
        np.testing.assert_allclose(F.logsumexp(np.array([1000.0, 1000.0])), 1000 + math.log(2))
        np.testing.assert_allclose(F.log_softmax(np.array([0.0, -2000.0])), [0.0, -2000.0])
        assert F.logsumexp(np.array([-np.inf, -np.inf])) == -np.inf
    assert F.sigmoid(np.array([-40.0]))[0] > 0  # computed as e/(1+e), not 1 - something


@pytest.mark.parametrize("name", sorted(F.ACTIVATIONS))
def test_float32_stays_float32(name):
    f, df = F.ACTIVATIONS[name]
    z = np.linspace(-3, 3, 7, dtype=np.float32)
    assert f(z).dtype == np.float32 and df(z).dtype == np.float32


def test_float32_softmax_family_and_ints():
    z = np.ones((2, 3), dtype=np.float32)
    assert F.softmax(z).dtype == F.log_softmax(z).dtype == F.logsumexp(z).dtype == np.float32
    assert F.prelu(z, 0.25).dtype == F.prelu_grad(z, 0.25).dtype == np.float32
    assert F.relu(np.array([1, -2])).dtype == np.float64  # integers become float64
    with pytest.raises(TypeError, match="dtype"):
        F.relu(np.array(["a"]))


def test_functions_do_not_modify_their_input(rng):
    z = rng.normal(size=(3, 3))
    before = z.copy()
    for f, df in F.ACTIVATIONS.values():
        f(z), df(z)
    F.softmax(z), F.log_softmax(z), F.logsumexp(z)
    np.testing.assert_array_equal(z, before)


def test_import_loads_no_heavy_library():
    """`import nnkit` and this half's modules load no plotting/widget/progress/scipy library.

    (The 150 ms import budget is measured by benchmarks/bench_import_gradcheck.py.)"""
    code = (
        "import sys, nnkit; "
        "import nnkit.core, nnkit.functional, nnkit.activations, nnkit.layers, nnkit.losses, "
        "nnkit.init, nnkit.gradcheck; "
        "print([m for m in ('matplotlib', 'ipywidgets', 'tqdm', 'scipy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


@pytest.mark.parametrize("name", sorted(F.ACTIVATIONS))
def test_activations_accept_python_scalars(name):
    """A float or a 0-d array gives a NumPy scalar equal to the one-element array's value."""
    f, df = F.ACTIVATIONS[name]
    for z in (-3.0, 0.5, 2.0):
        for fn in (f, df):
            out = fn(z)
            assert np.ndim(out) == 0, (name, fn.__name__, out)
            assert out == fn(np.array([z]))[0]


def test_softmax_family_accepts_scalars():
    assert F.softmax(3.0) == 1.0
    assert F.log_softmax(3.0) == 0.0
    assert F.logsumexp(np.float32(3.0)) == np.float32(3.0)
