"""nnkit against PyTorch itself, for the names the two share (skipped when torch is absent).

nnkit's own tests check every piece against central differences and hand-worked values; this
file checks the claim of the README that the conventions are PyTorch's: the same weights and
inputs give the same outputs, gradients, loss values and optimizer steps, in float64.
CI installs torch (the CPU build) so that these run there.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnkit
from nnkit import Parameter

torch = pytest.importorskip(
    "torch", reason="PyTorch is not installed; `pip install torch==2.13.0` runs these comparisons")

TOL = dict(rtol=1e-10, atol=1e-12)


def t(a, grad=False):
    return torch.tensor(np.asarray(a), dtype=torch.float64, requires_grad=grad)


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def test_dense_forward_and_backward(rng):
    dense = nnkit.Dense(5, 3, rng=rng)
    linear = torch.nn.Linear(5, 3).double()
    with torch.no_grad():
        linear.weight.copy_(t(dense.weight.value))
        linear.bias.copy_(t(dense.bias.value))
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    xt = t(x, grad=True)
    out_t = linear(xt)
    out_t.backward(t(dout))
    np.testing.assert_allclose(dense(x), out_t.detach().numpy(), **TOL)
    dx = dense.backward(dout)
    np.testing.assert_allclose(dx, xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(dense.weight.grad, linear.weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(dense.bias.grad, linear.bias.grad.numpy(), **TOL)


ACTIVATION_PAIRS = [
    (lambda: nnkit.Sigmoid(), lambda: torch.nn.Sigmoid()),
    (lambda: nnkit.Tanh(), lambda: torch.nn.Tanh()),
    (lambda: nnkit.ReLU(), lambda: torch.nn.ReLU()),
    (lambda: nnkit.LeakyReLU(0.01), lambda: torch.nn.LeakyReLU(0.01)),
    (lambda: nnkit.ELU(1.3), lambda: torch.nn.ELU(1.3)),
    (lambda: nnkit.GELU(), lambda: torch.nn.GELU()),
    (lambda: nnkit.SiLU(), lambda: torch.nn.SiLU()),
    (lambda: nnkit.Softmax(dim=-1), lambda: torch.nn.Softmax(dim=-1)),
]


@pytest.mark.parametrize("make_nn, make_torch", ACTIVATION_PAIRS,
                         ids=["sigmoid", "tanh", "relu", "leaky_relu", "elu", "gelu", "silu",
                              "softmax"])
def test_activation_layers(make_nn, make_torch, rng):
    x = rng.normal(scale=3.0, size=(6, 4))
    dout = rng.normal(size=(6, 4))
    layer, module = make_nn(), make_torch()
    xt = t(x, grad=True)
    out_t = module(xt)
    out_t.backward(t(dout))
    np.testing.assert_allclose(layer(x), out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), **TOL)


def test_prelu_learns_the_same_slope_gradient(rng):
    layer = nnkit.PReLU()
    module = torch.nn.PReLU().double()
    x, dout = rng.normal(size=(5, 3)), rng.normal(size=(5, 3))
    xt = t(x, grad=True)
    out_t = module(xt)
    out_t.backward(t(dout))
    np.testing.assert_allclose(layer(x), out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(layer.backward(dout), xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(layer.weight.grad, module.weight.grad.numpy(), **TOL)


def _loss_pair(nn_loss, torch_loss, pred, target, torch_target):
    pt = t(pred, grad=True)
    value_t = torch_loss(pt, torch_target)
    value_t.backward()
    assert nn_loss(pred, target) == pytest.approx(value_t.item(), rel=1e-12, abs=1e-14)
    np.testing.assert_allclose(nn_loss.backward(), pt.grad.numpy(), **TOL)


def test_losses(rng):
    logits = rng.normal(size=(6, 4))
    labels = rng.integers(0, 4, size=6)
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    y01 = rng.integers(0, 2, size=(6, 1)).astype(float)
    p01 = 1 / (1 + np.exp(-logits[:, :1]))
    _loss_pair(nnkit.MSELoss(), torch.nn.MSELoss(), logits, probs, t(probs))
    _loss_pair(nnkit.BCELoss(), torch.nn.BCELoss(), p01, y01, t(y01))
    _loss_pair(nnkit.BCEWithLogitsLoss(), torch.nn.BCEWithLogitsLoss(), logits[:, :1], y01, t(y01))
    _loss_pair(nnkit.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), logits, labels,
               torch.tensor(labels))
    _loss_pair(nnkit.CrossEntropyLoss(), torch.nn.CrossEntropyLoss(), logits, probs, t(probs))


def test_batchnorm_training_step_and_running_statistics(rng):
    bn = nnkit.BatchNorm(3, momentum=0.2)
    module = torch.nn.BatchNorm1d(3, momentum=0.2).double()
    with torch.no_grad():
        module.weight.copy_(t(rng.normal(size=3)))
        module.bias.copy_(t(rng.normal(size=3)))
    bn.weight.value[:] = module.weight.detach().numpy()
    bn.bias.value[:] = module.bias.detach().numpy()
    x, dout = rng.normal(2.0, 3.0, size=(8, 3)), rng.normal(size=(8, 3))
    xt = t(x, grad=True)
    module.train()
    out_t = module(xt)
    out_t.backward(t(dout))
    np.testing.assert_allclose(bn(x, training=True), out_t.detach().numpy(), **TOL)
    np.testing.assert_allclose(bn.backward(dout), xt.grad.numpy(), **TOL)
    np.testing.assert_allclose(bn.weight.grad, module.weight.grad.numpy(), **TOL)
    np.testing.assert_allclose(bn.running_mean, module.running_mean.numpy(), **TOL)
    np.testing.assert_allclose(bn.running_var, module.running_var.numpy(), **TOL)
    module.eval()
    x2 = rng.normal(size=(5, 3))
    np.testing.assert_allclose(bn(x2), module(t(x2)).detach().numpy(), **TOL)


OPTIMIZERS = [
    ("SGD", dict(lr=0.1), dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9), dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01),
     dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("RMSProp", dict(lr=0.01, alpha=0.9, eps=1e-8), dict(lr=0.01, alpha=0.9, eps=1e-8)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1),
     dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1), dict(lr=0.01, weight_decay=0.1)),
    ("AdaGrad", dict(lr=0.1), dict(lr=0.1)),
]
TORCH_NAMES = {"RMSProp": "RMSprop", "AdaGrad": "Adagrad"}


@pytest.mark.parametrize("name, nn_kwargs, torch_kwargs", OPTIMIZERS,
                         ids=[f"{o[0]}-{i}" for i, o in enumerate(OPTIMIZERS)])
def test_optimizer_steps(name, nn_kwargs, torch_kwargs, rng):
    w0 = rng.normal(size=(3, 4))
    grads = rng.normal(size=(6, 3, 4))
    p = Parameter(w0.copy())
    opt = getattr(nnkit.optim, name)([p], **nn_kwargs)
    wt = t(w0, grad=True)
    opt_t = getattr(torch.optim, TORCH_NAMES.get(name, name))([wt], **torch_kwargs)
    for g in grads:
        opt.zero_grad()
        p.grad += g
        opt.step()
        opt_t.zero_grad()
        wt.grad = t(g)
        opt_t.step()
        np.testing.assert_allclose(p.value, wt.detach().numpy(), **TOL)


def test_clip_grad_norm(rng):
    grads = [rng.normal(size=(3, 4)), rng.normal(size=5)]
    params = [Parameter(np.zeros_like(g)) for g in grads]
    for p, g in zip(params, grads):
        p.grad += g
    tensors = [t(np.zeros_like(g), grad=True) for g in grads]
    for x, g in zip(tensors, grads):
        x.grad = t(g)
    total = nnkit.optim.clip_grad_norm_(params, 1.5)
    total_t = torch.nn.utils.clip_grad_norm_(tensors, 1.5)
    assert total == pytest.approx(total_t.item(), rel=1e-12)
    for p, x in zip(params, tensors):
        np.testing.assert_allclose(p.grad, x.grad.numpy(), **TOL)
