"""Property tests (hypothesis): invariants that must hold for every input, not just examples."""

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from nnkit import functional as F
from nnkit.activations import Softmax
from nnkit.layers import BatchNorm, Dense, Dropout, Sequential
from nnkit.losses import CrossEntropyLoss

FAST = settings(max_examples=40, deadline=None)
finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
shapes = st.tuples(st.integers(1, 6), st.integers(1, 7))


@FAST
@given(arrays(np.float64, shapes, elements=finite), finite)
def test_softmax_sums_to_one_and_is_shift_invariant(z, c):
    s = F.softmax(z)
    assert np.all(s >= 0) and np.all(s <= 1)
    np.testing.assert_allclose(s.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(F.softmax(z + c), s, atol=1e-9)
    np.testing.assert_allclose(Softmax()(z), s)
    # log_softmax is the log of softmax and logsumexp bounds the max
    lse = F.logsumexp(z)
    assert np.all(lse >= z.max(axis=-1) - 1e-9)
    assert np.all(lse <= z.max(axis=-1) + math.log(z.shape[-1]) + 1e-9)
    np.testing.assert_allclose(np.exp(F.log_softmax(z)), s, atol=1e-12)


@FAST
@given(arrays(np.float64, shapes, elements=finite))
def test_cross_entropy_is_nonnegative_and_gradient_rows_sum_to_zero(z):
    y = np.argmax(z, axis=1)
    loss = CrossEntropyLoss()
    assert loss(z, y) >= 0
    np.testing.assert_allclose(loss.backward().sum(axis=1), 0.0, atol=1e-12)


@FAST
@given(p=st.floats(0.0, 0.9), seed=st.integers(0, 2**32 - 1))
def test_dropout_preserves_the_expectation(p, seed):
    rng = np.random.default_rng(seed)
    N = 20_000
    x = rng.uniform(0.5, 1.5, size=(100, N // 100))
    out = Dropout(p, rng=rng)(x, training=True)
    # out_i = x_i k_i / (1 - p), k_i ~ Bernoulli(1 - p): E[out_i] = x_i and
    # Var[mean(out)] = sum(x_i^2) p / ((1 - p) N^2); allow 5 standard deviations
    sd = math.sqrt(np.sum(x**2) * p / (1 - p)) / N
    assert abs(out.mean() - x.mean()) <= 5 * sd + 1e-12


@FAST
@given(n=st.integers(2, 40), d=st.integers(1, 6), seed=st.integers(0, 2**32 - 1),
       scale=st.floats(0.1, 100.0), shift=st.floats(-100.0, 100.0))
def test_batchnorm_training_output_is_standardized_per_feature(n, d, seed, scale, shift):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) * scale + shift
    var = x.var(axis=0)
    assume(np.all(var >= 1e-3 * scale**2))  # a nearly constant column has nothing to standardize
    out = BatchNorm(d)(x, training=True)
    np.testing.assert_allclose(out.mean(axis=0), 0.0, atol=1e-9)
    # the output variance is var / (var + eps), i.e. 1 up to eps / var
    np.testing.assert_allclose(out.var(axis=0), var / (var + 1e-5), rtol=1e-9)
    assert np.all(np.abs(out.var(axis=0) - 1) <= 1e-5 / var + 1e-9)


@FAST
@given(lead=st.lists(st.integers(1, 4), min_size=0, max_size=2), n_in=st.integers(1, 6),
       n_out=st.integers(1, 6), seed=st.integers(0, 1000))
def test_dense_shapes(lead, n_in, n_out, seed):
    rng = np.random.default_rng(seed)
    layer = Dense(n_in, n_out, rng=rng)
    x = rng.normal(size=tuple(lead) + (n_in,))
    out = layer(x)
    assert out.shape == tuple(lead) + (n_out,)
    dx = layer.backward(np.ones_like(out))
    assert dx.shape == x.shape
    assert layer.weight.grad.shape == (n_out, n_in) and layer.bias.grad.shape == (n_out,)


@FAST
@given(widths=st.lists(st.integers(1, 5), min_size=2, max_size=5), n=st.integers(1, 4))
def test_sequential_of_dense_is_affine(widths, n):
    """Without non-linearities a stack collapses to one affine map (chapter 1's demonstration)."""
    rng = np.random.default_rng(0)
    model = Sequential(*[Dense(a, b, rng=rng) for a, b in zip(widths, widths[1:])])
    x, y = rng.normal(size=(n, widths[0])), rng.normal(size=(n, widths[0]))
    # affine maps preserve affine combinations: f(t x + (1-t) y) = t f(x) + (1-t) f(y)
    t = 0.3
    np.testing.assert_allclose(model(t * x + (1 - t) * y), t * model(x) + (1 - t) * model(y),
                               atol=1e-12)
