"""Activation layers: gradients by central differences, caches, errors, dtypes."""

import numpy as np
import pytest

from nnkit import functional as F
from nnkit.activations import (
    ELU, GELU, Identity, LeakyReLU, PReLU, ReLU, Sigmoid, SiLU, Softmax, Step, Swish, Tanh,
)
from nnkit.core import BackwardBeforeForwardError, NNKitError, ShapeError

SMOOTH = [Identity, Sigmoid, Tanh, GELU, Swish, lambda: ELU(0.7), lambda: LeakyReLU(0.1),
          ReLU, lambda: Softmax(), lambda: Softmax(dim=0)]
IDS = ["Identity", "Sigmoid", "Tanh", "GELU", "Swish", "ELU", "LeakyReLU", "ReLU", "Softmax",
       "Softmax0"]


def _x(rng, shape):
    x = rng.normal(scale=2.0, size=shape)
    return np.where(np.abs(x) < 0.05, 0.5, x)  # keep finite differences off ReLU's kink


@pytest.mark.parametrize("make", SMOOTH, ids=IDS)
@pytest.mark.parametrize("shape", [(5, 3), (2, 3, 4)])
def test_backward_matches_central_differences(make, shape, rng, layer_gradcheck):
    layer_gradcheck(make(), _x(rng, shape), rng)


@pytest.mark.parametrize("num_parameters,shape", [(1, (4, 3)), (3, (4, 3)), (3, (2, 3, 5))])
def test_prelu_gradients_for_input_and_slope(num_parameters, shape, rng, layer_gradcheck):
    layer = PReLU(num_parameters, init=0.2)
    layer.weight.value[...] = rng.uniform(0.05, 0.5, size=num_parameters)
    layer_gradcheck(layer, _x(rng, shape), rng)
    assert [n for n, _ in layer.named_parameters()] == ["weight"]


def test_prelu_matches_functional_and_errors(rng):
    x = _x(rng, (4, 3))
    layer = PReLU(3)
    np.testing.assert_allclose(layer(x), F.prelu(x, 0.25))
    with pytest.raises(ShapeError, match=r"\(n, 3, \.\.\.\)"):
        layer(np.ones((4, 5)))
    with pytest.raises(NNKitError):
        PReLU(0)


def test_step_forward_and_zero_backward(rng):
    layer = Step()
    x = np.array([[-1.0, 0.0, 2.0]])
    np.testing.assert_array_equal(layer(x), [[0.0, 1.0, 1.0]])
    np.testing.assert_array_equal(layer.backward(np.ones((1, 3))), 0.0)


def test_softmax_backward_is_the_jacobian_vector_product(rng):
    z = rng.normal(size=4)
    s = F.softmax(z)
    J = np.diag(s) - np.outer(s, s)  # d s_i / d z_j
    g = rng.normal(size=4)
    layer = Softmax()
    layer(z[None])
    np.testing.assert_allclose(layer.backward(g[None])[0], J.T @ g, atol=1e-12)


@pytest.mark.parametrize("make", [Identity, Step, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU,
                                  GELU, Swish, Softmax])
def test_errors_backward_before_forward_and_bad_grad_shape(make):
    layer = make()
    with pytest.raises(BackwardBeforeForwardError, match=type(layer).__name__):
        layer.backward(np.ones((2, 3)))
    layer(np.ones((2, 3)))
    with pytest.raises(ShapeError, match=r"\(2, 3\).*\(3, 2\)"):
        layer.backward(np.ones((3, 2)))


@pytest.mark.parametrize("make", [Identity, Sigmoid, Tanh, ReLU, LeakyReLU, PReLU, ELU, GELU,
                                  Swish, Softmax])
def test_float32_in_float32_out(make, rng):
    layer = make(dtype=np.float32) if make is PReLU else make()
    x = rng.normal(size=(3, 4)).astype(np.float32)
    out = layer(x)
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == np.float32 and dx.dtype == np.float32
    for p in layer.parameters():
        assert p.value.dtype == p.grad.dtype == np.float32


def test_bad_dtype_is_rejected_with_the_layer_name():
    with pytest.raises(NNKitError, match="ReLU.*complex"):
        ReLU()(np.ones(3, dtype=complex))
    np.testing.assert_array_equal(ReLU()(np.array([[-1, 2]])), [[0.0, 2.0]])  # ints are cast


def test_forward_does_not_modify_input_and_silu_alias(rng):
    x = rng.normal(size=(3, 3))
    before = x.copy()
    for layer in (Sigmoid(), Tanh(), ReLU(), Softmax(), Swish(), GELU()):
        layer.backward(np.ones_like(layer(x)))
    np.testing.assert_array_equal(x, before)
    assert SiLU is Swish
