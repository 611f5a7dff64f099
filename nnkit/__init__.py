"""nnkit: the NumPy neural-network kit that goes with the book.

Names follow PyTorch where PyTorch has one (`Dense` is the book's name for
`torch.nn.Linear`). Everything is imported lazily, so `import nnkit` stays fast
and plotting or widget libraries load only when a chapter asks for them.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "Parameter": "core",
    "Layer": "core",
    "NNKitError": "core",
    "ShapeError": "core",
    "BackwardBeforeForwardError": "core",
    "NonFiniteError": "core",
    "RNGError": "core",
    # layers
    "Dense": "layers",
    "Dropout": "layers",
    "BatchNorm": "layers",
    "Sequential": "layers",
    # activation layers
    "Identity": "activations",
    "Step": "activations",
    "Sigmoid": "activations",
    "Tanh": "activations",
    "ReLU": "activations",
    "LeakyReLU": "activations",
    "PReLU": "activations",
    "ELU": "activations",
    "GELU": "activations",
    "Swish": "activations",
    "SiLU": "activations",
    "Softmax": "activations",
    # losses
    "MSELoss": "losses",
    "BCELoss": "losses",
    "BCEWithLogitsLoss": "losses",
    "CrossEntropyLoss": "losses",
    # optimizers
    "SGD": "optim",
    "RMSProp": "optim",
    "Adam": "optim",
    "AdamW": "optim",
    "AdaGrad": "optim",
    # gradient checking
    "check_gradients": "gradcheck",
    "numerical_gradient": "gradcheck",
    # training
    "fit": "train",
    "batches": "train",
    "EarlyStopping": "train",
    "History": "train",
    "PrintLogs": "callbacks",
    "ProgressBar": "callbacks",
    "predict_classes": "train",
    "clip_grad_norm_": "optim",
    "clip_grad_value_": "optim",
    "TrainingDivergedError": "train",
    # recurrent layers
    "RNN": "rnn",
    "GatedRNN": "rnn",
    "LSTM": "rnn",
    "GRU": "rnn",
    "SequenceRegressor": "rnn",
    "RNNCell": "rnn_cells",
    "LSTMCell": "rnn_cells",
    "GRUCell": "rnn_cells",
}

# The layout (see CONTRIBUTING.md): the core modules below depend on numpy only;
# `theory` builds on the core; `book` (plots, explorers) builds on both; `checks` (the
# contract with the autograder) depends on nothing else in nnkit.
_SUBMODULES = {
    "activations", "book", "callbacks", "checks", "core", "data", "functional", "gradcheck", "init",
    "layers", "losses", "optim", "regularization", "rnn", "rnn_cells", "schedules", "sequences",
    "theory", "train",
}

__all__ = sorted(_EXPORTS) + sorted(_SUBMODULES)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"nnkit.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value
        return value
    if name in _SUBMODULES:
        module = importlib.import_module(f"nnkit.{name}")
        globals()[name] = module
        return module
    raise AttributeError(f"module 'nnkit' has no attribute {name!r}")


def __dir__():
    return __all__
