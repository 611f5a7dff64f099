"""Dense, Dropout, BatchNorm and Sequential: gradients, PyTorch conventions, errors, dtypes."""

import math

import numpy as np
import pytest

from nnkit import init
from nnkit.activations import ReLU, Sigmoid, Tanh
from nnkit.core import Layer, BackwardBeforeForwardError, NNKitError, NonFiniteError, RNGError, ShapeError
from nnkit.layers import BatchNorm, Dense, Dropout, Sequential
from nnkit.losses import CrossEntropyLoss


# -- Dense -----------------------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(5, 4), (4,), (2, 3, 4)])
def test_dense_gradients(bias, shape, rng, layer_gradcheck):
    layer = Dense(4, 3, bias=bias, rng=rng)
    dx = layer_gradcheck(layer, rng.normal(size=shape), rng)
    assert dx.shape == shape
    assert layer(np.zeros(shape)).shape == shape[:-1] + (3,)


def test_dense_computes_x_wT_plus_b(rng):
    layer = Dense(3, 2, rng=rng)
    x = rng.normal(size=(4, 3))
    W, b = layer.weight.value, layer.bias.value
    assert W.shape == (2, 3) and b.shape == (2,)
    expected = np.array([[sum(x[n, i] * W[j, i] for i in range(3)) + b[j] for j in range(2)]
                         for n in range(4)])
    np.testing.assert_allclose(layer(x), expected)


def test_dense_default_init_is_pytorch_uniform():
    rng = np.random.default_rng(0)
    layer = Dense(400, 300, rng=rng)
    bound = 1 / math.sqrt(400)
    for p in (layer.weight.value, layer.bias.value):
        assert np.all(np.abs(p) <= bound)
        assert np.abs(p).max() > 0.95 * bound  # really spread over the whole interval
    # variance of U(-a, a) is a^2 / 3
    assert abs(layer.weight.value.var() / (bound**2 / 3) - 1) < 0.02


def test_dense_init_by_callable_name_and_seed():
    a = Dense(50, 40, init="he_normal", rng=np.random.default_rng(3))
    b = Dense(50, 40, init=init.kaiming_normal, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(a.weight.value, b.weight.value)
    np.testing.assert_array_equal(a.bias.value, 0.0)  # zeros when an init is given
    assert abs(a.weight.value.std() / math.sqrt(2 / 50) - 1) < 0.1
    with pytest.raises(NNKitError, match="unknown initializer"):
        Dense(2, 2, init="nope", rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        Dense(2, 2, rng=42)
    with pytest.raises(RNGError, match=r"Dense draws random numbers.*default_rng\(seed\)"):
        Dense(2, 2)  # one rule for everything that draws: rng is required


def test_dense_accumulates_gradients(rng):
    layer = Dense(3, 2, rng=rng)
    x, g = rng.normal(size=(4, 3)), rng.normal(size=(4, 2))
    layer(x)
    layer.backward(g)
    once = layer.weight.grad.copy(), layer.bias.grad.copy()
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * once[0])
    np.testing.assert_allclose(layer.bias.grad, 2 * once[1])


def test_dense_input_checks(rng):
    layer = Dense(3, 2, rng=rng)
    with pytest.raises(ShapeError, match=r"Dense.*\(n, 3\).*\(4, 5\)"):
        layer(np.ones((4, 5)))
    with pytest.raises(ShapeError, match="transpose"):
        layer(np.ones((3, 7)))
    with pytest.raises(NNKitError, match="dtype complex"):
        layer(np.ones((2, 3), dtype=complex))
    with pytest.raises(NNKitError, match="dtype object"):
        layer(np.array([[1, "a", None]], dtype=object))
    with pytest.raises(NonFiniteError, match=r"1 NaN and 1 infinite.*\(0, 1\)"):
        layer(np.array([[0.0, np.nan, np.inf]]))
    with pytest.raises(NonFiniteError, match="Dense.*1 NaN and 0 infinite"):
        layer(np.array([[-np.inf, 1.0, 2.0], [0.0, 0.0, np.nan]])[1:])
    with pytest.raises(NonFiniteError, match="0 NaN and 1 infinite"):
        layer(np.array([[-np.inf, 1.0, 2.0]]))
    big = np.full((2, 3), 3e38, dtype=np.float32)  # finite, but its sum overflows
    Dense(3, 2, rng=rng, dtype=np.float32)(big)  # no error and (pytest config) no warning
    out = layer(np.array([[1, 2, 3]]))  # ints are cast to the layer's dtype
    assert out.dtype == np.float64
    with pytest.raises(BackwardBeforeForwardError, match="Dense"):
        Dense(3, 2, rng=rng).backward(np.ones((1, 2)))
    with pytest.raises(ShapeError, match="backward"):
        layer.backward(np.ones((2, 2)))


def test_dense_float32_end_to_end(rng):
    layer = Dense(5, 4, rng=rng, dtype=np.float32)
    out = layer(rng.normal(size=(3, 5)))  # float64 input is cast to the layer's dtype
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == np.float32
    assert layer.weight.value.dtype == layer.weight.grad.dtype == np.float32


# -- Dropout -----------------------------------------------------------------------------------
def test_dropout_inference_is_identity_and_training_scales(rng):
    x = rng.normal(size=(50, 40))
    layer = Dropout(0.3, rng=rng)
    assert layer(x) is x
    np.testing.assert_array_equal(layer.backward(x), x)
    out = layer(x, training=True)
    keep = layer.mask
    assert keep.dtype == bool and keep.shape == x.shape
    np.testing.assert_allclose(out, np.where(keep, x / 0.7, 0.0))
    g = rng.normal(size=x.shape)
    np.testing.assert_allclose(layer.backward(g), np.where(keep, g / 0.7, 0.0))
    assert 0.6 < keep.mean() < 0.8


def test_dropout_backward_is_the_gradient_for_a_fixed_mask(rng):
    x = rng.normal(size=(6, 4))
    layer = Dropout(0.5, rng=np.random.default_rng(7))
    out = layer(x, training=True)
    g = rng.normal(size=out.shape)
    dx = layer.backward(g)
    h = 1e-6  # same mask again by re-seeding, so the layer is a fixed linear map here
    for idx in [(0, 0), (3, 2), (5, 3)]:
        e = np.zeros_like(x)
        e[idx] = h
        layer.rng = np.random.default_rng(7)
        fp = np.sum(layer(x + e, training=True) * g)
        layer.rng = np.random.default_rng(7)
        fm = np.sum(layer(x - e, training=True) * g)
        assert abs((fp - fm) / (2 * h) - dx[idx]) < 1e-7


def test_dropout_rng_rules_and_edge_probabilities(rng):
    x = np.ones((4, 4))
    with pytest.raises(RNGError, match="Dropout.*Generator"):
        Dropout(0.5)
    a = Dropout(0.5, rng=np.random.default_rng(1))(x, training=True)
    b = Dropout(0.5, rng=np.random.default_rng(1))(x, training=True)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(Dropout(1.0, rng=rng)(x, training=True), 0.0)
    layer = Dropout(0.0, rng=rng)
    np.testing.assert_array_equal(layer(x, training=True), x)
    assert layer.mask.all() and layer.mask.shape == x.shape
    with pytest.raises(NNKitError, match="probability of dropping"):
        Dropout(1.5, rng=rng)
    with pytest.raises(BackwardBeforeForwardError):
        Dropout(rng=rng).backward(x)
    x32 = x.astype(np.float32)
    layer = Dropout(0.5, rng=rng)
    assert layer(x32, training=True).dtype == np.float32
    assert layer.backward(x32).dtype == np.float32


# -- BatchNorm ----------------------------------------------------------------------------------
@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_gradients(training, rng, layer_gradcheck):
    layer = BatchNorm(3)
    layer.weight.value[...] = rng.normal(size=3)
    layer.bias.value[...] = rng.normal(size=3)
    layer.running_mean[...] = rng.normal(size=3)
    layer.running_var[...] = rng.uniform(0.5, 2, size=3)
    layer_gradcheck(layer, rng.normal(size=(6, 3)) * 2 + 1, rng, training=training)


def test_batchnorm_running_statistics_follow_pytorch(rng):
    layer = BatchNorm(2, momentum=0.1)
    x1 = np.array([[1.0, 2.0], [3.0, 6.0], [5.0, 4.0], [7.0, 0.0]])
    out = layer(x1, training=True)
    # batch mean [4, 3]; biased var [5, 5]; unbiased var = 5 * 4/3 = 20/3
    np.testing.assert_allclose(layer.running_mean, 0.9 * 0 + 0.1 * np.array([4.0, 3.0]))
    np.testing.assert_allclose(layer.running_var, 0.9 * 1 + 0.1 * np.array([20 / 3, 20 / 3]))
    # the output is normalized with the *biased* variance
    np.testing.assert_allclose(out, (x1 - [4.0, 3.0]) / np.sqrt(5.0 + 1e-5))
    # inference uses the running statistics
    x2 = np.array([[1.0, 1.0]])
    np.testing.assert_allclose(layer(x2),
                               (x2 - layer.running_mean) / np.sqrt(layer.running_var + 1e-5))
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]


def test_batchnorm_errors_and_float32(rng):
    layer = BatchNorm(3)
    with pytest.raises(ShapeError, match=r"\(n, 3\).*\(4, 2\)"):
        layer(np.ones((4, 2)))
    with pytest.raises(ShapeError, match="at least 2 samples"):
        layer(np.ones((1, 3)), training=True)
    with pytest.raises(BackwardBeforeForwardError):
        BatchNorm(3).backward(np.ones((2, 3)))
    bn = BatchNorm(3, dtype=np.float32)
    out = bn(rng.normal(size=(5, 3)), training=True)
    dx = bn.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == bn.running_var.dtype == bn.weight.grad.dtype == np.float32


# -- Sequential -----------------------------------------------------------------------------------
def _mlp(rng, dtype=np.float64):
    return Sequential(Dense(4, 8, rng=rng, dtype=dtype), ReLU(), Dense(8, 8, rng=rng, dtype=dtype),
                      Tanh(), Dense(8, 3, rng=rng, dtype=dtype))


def test_sequential_names_container_and_gradients(rng, layer_gradcheck):
    model = _mlp(rng)
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias"]
    assert len(model) == 5 and isinstance(model[1], ReLU) and list(model)[4] is model[4]
    assert len(model.parameters()) == 6
    assert model[2].name == "Sequential[2] (Dense 8->8)"
    part = model[1:3]
    assert len(part) == 2 and part[1] is model[2]
    assert model[2].name == "Sequential[2] (Dense 8->8)"  # slicing does not rename the layers
    layer_gradcheck(model, rng.normal(size=(5, 4)), rng)


def test_sequential_nested_names(rng):
    model = Sequential(Sequential(Dense(2, 2, rng=rng), ReLU()), Dense(2, 1, rng=rng))
    assert [n for n, _ in model.named_parameters()] == ["0.0.weight", "0.0.bias", "1.weight",
                                                        "1.bias"]


def test_sequential_errors_name_the_layer(rng):
    model = Sequential(Dense(4, 8, rng=rng), ReLU(), Dense(16, 3, rng=rng))
    with pytest.raises(ShapeError, match=r"Sequential\[2\] \(Dense 16->3\).*\(n, 16\).*\(5, 8\)"):
        model(np.ones((5, 4)))
    with pytest.raises(NNKitError, match="not a Layer"):
        Sequential(Dense(2, 2, rng=rng), np.tanh)


def test_sequential_activations_and_dropout_rng(rng):
    model = Sequential(Dense(4, 6, rng=rng), ReLU(), Dropout(0.5, rng=rng), Dense(6, 2, rng=rng))
    x = rng.normal(size=(3, 4))
    acts = model.activations(x)
    assert [a.shape for a in acts] == [(3, 6), (3, 6), (3, 6), (3, 2)]
    np.testing.assert_allclose(acts[-1], model(x))
    assert np.all(acts[1] >= 0)
    model[2].rng = np.random.default_rng(5)
    a = model(x, training=True)
    model[2].rng = np.random.default_rng(5)
    b = model(x, training=True)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, model(x, training=True))  # the generator moved on


def test_freeze_and_unfreeze(rng):
    model = _mlp(rng)
    model.freeze(0)
    assert [p.requires_grad for p in model.parameters()] == [False, False] + [True] * 4
    x = rng.normal(size=(5, 4))
    model.backward(np.ones_like(model(x)))
    np.testing.assert_array_equal(model[0].weight.grad, 0.0)  # frozen: not computed
    assert np.any(model[2].weight.grad != 0)
    model.unfreeze()
    assert all(p.requires_grad for p in model.parameters())
    model.freeze()
    assert not any(p.requires_grad for p in model.parameters())
    with pytest.raises(NNKitError, match="not a layer index"):
        model.freeze(9)


def test_sequential_float32_end_to_end(rng):
    model = Sequential(Dense(4, 8, rng=rng, dtype=np.float32), BatchNorm(8, dtype=np.float32),
                       ReLU(), Dropout(0.2, rng=rng), Dense(8, 3, rng=rng, dtype=np.float32), Sigmoid())
    out = model(rng.normal(size=(6, 4)), training=True)
    dx = model.backward(np.ones_like(out))
    assert out.dtype == dx.dtype == np.float32
    for name, p in model.named_parameters():
        assert p.value.dtype == p.grad.dtype == np.float32, name


def test_training_step_learns(rng):
    """A few plain gradient steps lower the loss of a small classifier (sanity of the pieces)."""
    X = rng.normal(size=(64, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = _mlp(rng)
    loss = CrossEntropyLoss()
    first = None
    for _ in range(60):
        value = loss(model(X), y)
        first = value if first is None else first
        model.zero_grad()
        model.backward(loss.backward())
        for p in model.parameters():
            p.value -= 0.5 * p.grad
    assert value < 0.5 * first


def test_backward_without_input_gradient_gives_the_same_parameter_gradients(rng):
    model = _mlp(rng)
    x = rng.normal(size=(5, 4))
    g = rng.normal(size=(5, 3))
    model(x)
    dx = model.backward(g)
    full = [p.grad.copy() for p in model.parameters()]
    model.zero_grad()
    model(x)
    model.needs_input_grad = False  # the input is data: the first layer may skip dL/dx
    assert model[0].needs_input_grad is False and model[2].needs_input_grad is True
    assert model.backward(g) is None
    for a, b in zip(full, model.parameters()):
        np.testing.assert_array_equal(a, b.grad)
    assert dx.shape == x.shape
    model.needs_input_grad = True
    model(x)
    np.testing.assert_allclose(model.backward(g), dx)


# -- the one walk over children -----------------------------------------------------------------
class _Block(Layer):
    """A user-defined layer holding sub-layers as attributes (a Sequential and a Dense)."""

    def __init__(self, rng):
        self.body = Sequential(Dense(3, 4, rng=rng), ReLU())
        self.head = Dense(4, 2, rng=rng)
        self.tied = self.head  # the same layer twice: its parameters count once

    def forward(self, x, *, training=False):
        return self.head.forward(self.body.forward(x, training=training), training=training)

    def backward(self, grad):
        return self.body.backward(self.head.backward(grad))


def test_children_walk_attributes_and_parameters_count_once(rng):
    block = _Block(rng)
    assert [n for n, _ in block.children()] == ["body", "head", "tied"]
    assert [n for n, _ in block.named_parameters()] == [
        "body.0.weight", "body.0.bias", "head.weight", "head.bias"]
    kinds = [type(m).__name__ for m in block.modules()]
    assert kinds == ["_Block", "Sequential", "Dense", "ReLU", "Dense"]
    from nnkit.optim import Adam
    assert len(Adam(block).params) == 4


def test_a_list_of_layers_is_refused_with_the_fix(rng):
    class Listed(Layer):
        def __init__(self):
            self.blocks = [Dense(2, 2, rng=rng), ReLU()]

    with pytest.raises(NNKitError, match=r"Listed.blocks is a list of layers.*Sequential"):
        Listed().parameters()

    class Named(Layer):
        def __init__(self):
            self._parts = {"a": Dense(2, 2, rng=rng)}

    with pytest.raises(NNKitError, match=r"Named._parts is a dict of layers.*Sequential"):
        list(Named().modules())


def test_sequential_still_names_the_layer_whose_input_does_not_fit(rng):
    model = Sequential(Dense(4, 8, rng=rng), ReLU(), Dense(16, 3, rng=rng))
    with pytest.raises(ShapeError, match=r"Sequential\[2\] \(Dense 16->3\)"):
        model(np.ones((5, 4)))  # found without checking every layer on every call
    from nnkit import SGD, MSELoss, fit
    with pytest.raises(ShapeError, match=r"Sequential\[2\] \(Dense 16->3\)"):
        fit(model, MSELoss(), SGD(model.parameters(), lr=0.1), np.ones((5, 4)), np.ones((5, 3)),
            epochs=1, shuffle=False)
