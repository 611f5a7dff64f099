"""The one Layer contract and the one randomness rule, checked over the whole package."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import numpy as np
import pytest

import nnkit
from nnkit.core import Layer, RNGError


def _layer_classes():
    seen = {}
    for info in pkgutil.walk_packages(nnkit.__path__, "nnkit."):
        if info.name.startswith(("nnkit.book", "nnkit.checks")):
            continue
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, Layer) and obj.__module__.startswith("nnkit"):
                seen[f"{obj.__module__}.{obj.__qualname__}"] = obj
    return seen


LAYERS = _layer_classes()


def test_the_walk_found_the_layers():
    assert {"nnkit.layers.Dense", "nnkit.rnn.LSTM", "nnkit.rnn_cells.GRUCell",
            "nnkit.activations.Softmax", "nnkit.rnn.SequenceRegressor"} <= set(LAYERS)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_every_layer_keeps_the_signatures(name):
    cls = LAYERS[name]
    forward = inspect.signature(cls.forward).parameters
    assert list(forward) == ["self", "x", "training"], f"{name}.forward{tuple(forward)}"
    assert forward["training"].kind is inspect.Parameter.KEYWORD_ONLY
    assert forward["training"].default is False
    backward = inspect.signature(cls.backward).parameters
    assert list(backward) == ["self", "grad"], f"{name}.backward{tuple(backward)}"
    assert not hasattr(cls, "uses_rng")


def _draws():
    """Every public function or constructor that draws, called without a generator."""
    from nnkit import data, init, rnn, rnn_cells, sequences, theory, train
    from nnkit.gradcheck import check_gradients
    from nnkit.layers import Dense, Dropout
    from nnkit.losses import MSELoss

    X, y = np.zeros((6, 2)), np.zeros(6)
    model = Dense(2, 1, rng=np.random.default_rng(0))
    return {
        "Dense": lambda: Dense(2, 3),
        "Dropout": lambda: Dropout(0.5),
        "RNN": lambda: rnn.RNN(2, 3),
        "LSTM": lambda: rnn.LSTM(2, 3),
        "GRUCell": lambda: rnn_cells.GRUCell(2, 3),
        "SequenceRegressor": lambda: rnn.SequenceRegressor("gru", 2, 3, 1),
        "init.he_normal": lambda: init.he_normal((2, 3)),
        "make_xor": lambda: data.make_xor(10),
        "make_moons": lambda: data.make_moons(10),
        "train_test_split": lambda: data.train_test_split(X, y),
        "kfold": lambda: data.kfold(6, 2),
        "adding_problem": lambda: sequences.adding_problem(4, 6),
        "batches": lambda: list(train.batches(X, y, 2)),
        "fit": lambda: train.fit(model, MSELoss(), nnkit.SGD(model.parameters(), lr=0.1), X,
                                 y[:, None], epochs=1),
        "check_gradients(n_samples)": lambda: check_gradients(model, MSELoss(), X, y[:, None],
                                                              n_samples=1),
        "random_relu_net": lambda: theory.random_relu_net([2, 3, 1]),
        "perceptron(shuffle)": lambda: theory.perceptron(X + [1, 0], np.r_[np.ones(3), -np.ones(3)],
                                                         shuffle=True),
    }


@pytest.mark.parametrize("name", sorted(_draws()))
def test_everything_that_draws_requires_a_generator(name):
    # RNGError (a TypeError) names the fix; a required `rng` argument gets Python's own
    # "missing ... argument: 'rng'" TypeError. Never a silent unseeded generator.
    with pytest.raises(TypeError, match=r"np\.random\.default_rng|argument: 'rng'") as info:
        _draws()[name]()
    assert isinstance(info.value, RNGError) or "rng" in str(info.value)
