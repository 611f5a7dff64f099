"""Shared helpers for the nnkit tests: a seeded Generator and a layer gradient checker.

The layer check follows llm.c's reference tests: for a random upstream gradient `dout`,
backward must return the gradient of ``sum(forward(x) * dout)``, which we estimate by
central differences in float64.
"""

from __future__ import annotations

import numpy as np
import pytest

from nnkit.gradcheck import numerical_gradient


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def assert_layer_gradients(layer, x, rng, *, training=False, atol=1e-7, rtol=1e-6,
                           forward_kwargs=None):
    """Check `layer.backward` (input and every parameter) against central differences.

    Returns the analytic input gradient. Deterministic layers only (Dropout's mask would
    be redrawn on each forward: test it with a fixed mask instead).
    """
    kw = dict(forward_kwargs or {})
    x = np.array(x, dtype=np.float64)
    out = layer.forward(x, training=training, **kw)
    dout = rng.normal(size=out.shape)
    for p in layer.parameters():
        p.zero_grad()
    dx = layer.backward(dout)
    analytic = {name: p.grad.copy() for name, p in layer.named_parameters()}

    def objective(_):
        return float(np.sum(layer.forward(x, training=training, **kw) * dout))

    np.testing.assert_allclose(dx, numerical_gradient(objective, x), rtol=rtol, atol=atol,
                               err_msg=f"{type(layer).__name__}: input gradient")
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(analytic[name], numerical_gradient(objective, p.value),
                                   rtol=rtol, atol=atol,
                                   err_msg=f"{type(layer).__name__}: gradient of {name}")
    return dx


@pytest.fixture
def layer_gradcheck():
    """The `assert_layer_gradients` helper, as a fixture (test modules need no conftest import)."""
    return assert_layer_gradients
