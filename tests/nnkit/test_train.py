"""The training loop: batches, fit on small problems, reproducibility, callbacks, divergence."""

import numpy as np
import pytest

from nnkit import (BatchNorm, BCEWithLogitsLoss, CrossEntropyLoss, Dense, Dropout, MSELoss,
                   ReLU, Sequential, Tanh)
from nnkit import data
from nnkit.core import NNKitError
from nnkit.optim import SGD, Adam
from nnkit.regularization import L2
from nnkit.schedules import StepLR
from nnkit.callbacks import PrintLogs, ProgressBar
from nnkit.train import (EarlyStopping, TrainingDivergedError, accuracy, batches, evaluate, fit,
                         predict)


def mlp(sizes, rng, act=ReLU, **extra):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Dense(a, b, rng=rng))
        if i < len(sizes) - 2:
            layers.append(act())
    return Sequential(*layers)


def param_copy(model):
    return {n: p.value.copy() for n, p in model.named_parameters()}


# -- batches -------------------------------------------------------------------------------
def test_batches_cover_every_sample_once_per_epoch():
    X = np.arange(23.0)[:, None]                               # (23, 1), row i holds i
    y = np.arange(23)
    rng = np.random.default_rng(0)
    orders = []
    for _ in range(2):
        seen = []
        sizes = []
        for Xb, yb in batches(X, y, 5, rng=rng):
            np.testing.assert_array_equal(Xb[:, 0], yb)        # rows stay paired
            seen.extend(yb.tolist())
            sizes.append(len(yb))
        assert sorted(seen) == list(range(23))
        assert sizes == [5, 5, 5, 5, 3]
        orders.append(seen)
    assert orders[0] != orders[1] and orders[0] != list(range(23))   # reshuffled each epoch


def test_batches_drop_last_and_no_shuffle():
    X, y = np.zeros((10, 2)), np.arange(10)
    assert [len(yb) for _, yb in batches(X, y, 4, rng=np.random.default_rng(0), drop_last=True)] == [4, 4]
    assert [yb.tolist() for _, yb in batches(X, y, 4, shuffle=False)] == [
        [0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    with pytest.raises(NNKitError, match="rng"):
        list(batches(X, y, 4))
    with pytest.raises(NNKitError, match="batch_size"):
        list(batches(X, y, 0, shuffle=False))


# -- fit on small problems -------------------------------------------------------------------
def test_fit_solves_xor():
    rng = np.random.default_rng(0)
    X, y = data.make_xor(200, noise=0.15, rng=rng)
    model = mlp([2, 8, 1], rng, act=Tanh)
    hist = fit(model, BCEWithLogitsLoss(), Adam(model.parameters(), lr=0.05), X,
               y[:, None].astype(float), epochs=40, batch_size=16, rng=rng,
               metrics=("loss", "accuracy"))
    assert hist["accuracy"][-1] >= 0.97
    assert hist["loss"][-1] < 0.2 * hist["loss"][0]
    assert accuracy(predict(model, X), y, threshold=0.0) >= 0.97


def test_fit_moons_with_validation_and_schedule():
    rng = np.random.default_rng(1)
    X, y = data.make_moons(300, noise=0.1, rng=rng)
    Xtr, Xva, ytr, yva = data.train_test_split(X, y, test=0.3, rng=rng)
    model = mlp([2, 16, 16, 2], rng)
    opt = Adam(model.parameters(), lr=0.02)
    hist = fit(model, CrossEntropyLoss(), opt, Xtr, ytr, epochs=40, batch_size=32, rng=rng,
               validation_data=(Xva, yva), metrics=("loss", "accuracy"),
               callbacks=[StepLR(opt, step_size=20, gamma=0.5)])  # a scheduler is a callback
    assert set(hist) == {"loss", "lr", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 40 for v in hist.values()) and hist.epochs == list(range(40))
    assert hist["val_accuracy"][-1] >= 0.95
    assert hist["lr"][:21:10] == pytest.approx([0.02, 0.02, 0.01])
    result = evaluate(model, CrossEntropyLoss(), Xva, yva)
    assert result["loss"] == pytest.approx(hist["val_loss"][-1])
    assert result["accuracy"] == pytest.approx(hist["val_accuracy"][-1])


def run_with_dropout(seed):
    rng = np.random.default_rng(seed)
    X, y = data.make_moons(120, noise=0.2, rng=rng)
    model = Sequential(Dense(2, 16, rng=rng), ReLU(), Dropout(0.3, rng=rng), Dense(16, 2, rng=rng))
    hist = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1, momentum=0.9), X, y,
               epochs=5, batch_size=16, rng=rng, metrics=("loss", "accuracy"))
    return hist, param_copy(model)


def test_same_seed_same_history():
    (h1, p1), (h2, p2), (h3, _) = run_with_dropout(7), run_with_dropout(7), run_with_dropout(8)
    assert dict(h1) == dict(h2)
    for name in p1:
        np.testing.assert_array_equal(p1[name], p2[name])
    assert h1["loss"] != h3["loss"]


def test_regularizer_shrinks_weights():
    norms = []
    for lam in (0.0, 0.05):
        rng = np.random.default_rng(2)
        X, y = data.make_moons(100, noise=0.1, rng=rng)
        model = mlp([2, 16, 2], rng)
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=20,
            rng=rng, regularizer=L2(lam) if lam else None)
        norms.append(sum(np.sum(p.value ** 2) for n, p in model.named_parameters()
                         if n.endswith("weight")))
    assert norms[1] < 0.8 * norms[0]


def test_clip_norm_is_applied_and_frozen_layers_stay():
    rng = np.random.default_rng(3)
    X, y = data.make_blobs(64, centers=3, rng=rng)
    model = mlp([2, 8, 3], rng)
    model.freeze(0)
    before = param_copy(model)
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=1.0), X, y, epochs=3,
        batch_size=16, rng=rng, clip_norm=1e-9)
    after = param_copy(model)
    np.testing.assert_array_equal(after["0.weight"], before["0.weight"])     # frozen
    change = np.abs(after["2.weight"] - before["2.weight"]).max()
    assert 0 < change <= 12 * 1e-9                                             # 12 steps
    model.unfreeze()


# -- callbacks -------------------------------------------------------------------------------
def test_plain_function_callback_can_stop():
    rng = np.random.default_rng(0)
    X, y = data.make_xor(40, rng=rng)
    model = mlp([2, 4, 2], rng)
    seen = []

    def stop_at_two(epoch, logs, model):
        seen.append((epoch, sorted(logs)))
        return epoch == 2

    hist = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=10,
               rng=rng, callbacks=[stop_at_two])
    assert len(hist["loss"]) == 3 and hist.stopped_epoch == 2
    assert seen[0] == (0, ["loss", "lr"])


def test_early_stopping_restores_best_weights():
    # validation labels are the training labels flipped: validation loss gets worse as the
    # model learns, so the best epoch is an early one and training stops `patience` later
    rng = np.random.default_rng(4)
    X, y = data.make_blobs(80, centers=np.array([[-2.0, 0.0], [2.0, 0.0]]), std=0.5, rng=rng)
    model = Sequential(Dense(2, 8, rng=rng), BatchNorm(8), ReLU(), Dense(8, 2, rng=rng))
    snapshots = []

    def record(epoch, logs, model):
        snapshots.append((param_copy(model), model[1].running_mean.copy()))

    stopper = EarlyStopping(patience=3)
    hist = fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=50,
               batch_size=16, rng=rng, validation_data=(X, 1 - y), callbacks=[record, stopper])
    best = int(np.argmin(hist["val_loss"]))
    assert stopper.best_epoch == best
    assert len(hist["val_loss"]) == best + 1 + 3 and hist.stopped_epoch == best + 3
    assert stopper.best == pytest.approx(hist["val_loss"][best])
    best_params, best_running_mean = snapshots[best]
    for name, value in model.named_parameters():
        np.testing.assert_array_equal(value.value, best_params[name], err_msg=name)
    # (the bias before BatchNorm gets zero gradient, so check that the others moved)
    assert not np.array_equal(snapshots[-1][0]["3.weight"], best_params["3.weight"])
    assert not np.array_equal(snapshots[-1][1], best_running_mean)
    np.testing.assert_array_equal(model[1].running_mean, best_running_mean)


def test_early_stopping_needs_the_monitored_value():
    rng = np.random.default_rng(0)
    X, y = data.make_xor(20, rng=rng)
    model = mlp([2, 3, 2], rng)
    with pytest.raises(NNKitError, match="val_loss"):
        fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=2,
            rng=rng, callbacks=[EarlyStopping(patience=2)])


# -- divergence ----------------------------------------------------------------------------
def test_huge_lr_names_the_step_and_parameter():
    rng = np.random.default_rng(0)
    X, y = data.make_regression_1d(32, noise=0.1, rng=rng)
    model = Sequential(Dense(1, 4, rng=rng), Tanh(), Dense(4, 1, rng=rng))
    with pytest.raises(TrainingDivergedError) as info:
        fit(model, MSELoss(), SGD(model.parameters(), lr=1e308), X * 100, y * 100, epochs=3,
            batch_size=8, rng=rng)
    err = info.value
    assert (err.epoch, err.batch) == (0, 0)
    assert err.parameter in {"0.weight", "0.bias", "2.weight", "2.bias"}
    assert f"'{err.parameter}'" in str(err) and "epoch 0, batch 0" in str(err)
    assert "learning rate" in str(err)
    assert model.needs_input_grad is True  # restored after the error too


def test_large_lr_diverges_with_a_clear_error():
    rng = np.random.default_rng(0)
    X, y = data.make_regression_1d(64, noise=0.1, rng=rng)
    model = mlp([1, 16, 1], rng)
    with pytest.raises(TrainingDivergedError, match=r"epoch \d+, batch \d+") as info:
        fit(model, MSELoss(), SGD(model.parameters(), lr=10.0), X * 10, y, epochs=50,
            batch_size=8, rng=rng)
    assert info.value.epoch < 50


def test_fit_argument_errors():
    rng = np.random.default_rng(0)
    X, y = data.make_xor(20, rng=rng)
    model = mlp([2, 3, 2], rng)
    opt = SGD(model.parameters(), lr=0.1)
    with pytest.raises(NNKitError, match="rng"):
        fit(model, CrossEntropyLoss(), opt, X, y, epochs=1)
    with pytest.raises(NNKitError, match="same number of rows"):
        fit(model, CrossEntropyLoss(), opt, X, y[:5], epochs=1, rng=rng)
    with pytest.raises(NNKitError, match="metric"):
        fit(model, CrossEntropyLoss(), opt, X, y, epochs=1, rng=rng, metrics=("f1",))
    with pytest.raises(NNKitError, match="NaN"):
        fit(model, CrossEntropyLoss(), opt, np.full_like(X, np.nan), y, epochs=1, rng=rng)


def test_progress_bar_runs(capsys):
    pytest.importorskip("tqdm", reason="the progress bar needs tqdm")
    rng = np.random.default_rng(0)
    X, y = data.make_xor(20, rng=rng)
    model = mlp([2, 3, 2], rng)
    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=2, rng=rng,
        callbacks=[ProgressBar(2), PrintLogs(2)])
    captured = capsys.readouterr()
    assert "epoch 2/2" in captured.out and "fit" in captured.err


# -- helpers ---------------------------------------------------------------------------------
def test_accuracy_helper():
    logits = np.array([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0], [1.0, 2.0, 0.0], [0.0, 1.0, 0.5]])
    assert accuracy(logits, np.array([0, 2, 1, 2])) == 0.75
    assert accuracy(logits, data.one_hot(np.array([0, 2, 1, 2]), 3)) == 0.75
    probs = np.array([[0.9], [0.2], [0.6]])
    assert accuracy(probs, np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert accuracy(np.array([-1.0, 2.0]), np.array([[0.0], [1.0]]), threshold=0.0) == 1.0


def test_evaluate_in_chunks_equals_one_pass():
    rng = np.random.default_rng(5)
    X, y = data.make_spirals(50, noise=0.1, rng=rng)
    model = mlp([2, 8, 2], rng)
    one = evaluate(model, CrossEntropyLoss(), X, y)
    chunked = evaluate(model, CrossEntropyLoss(), X, y, batch_size=7)
    assert chunked["loss"] == pytest.approx(one["loss"])
    assert chunked["accuracy"] == pytest.approx(one["accuracy"])
    np.testing.assert_allclose(predict(model, X, batch_size=7), predict(model, X))


def test_fit_skips_the_data_gradient_and_restores_the_flag():
    rng = np.random.default_rng(0)
    X, y = data.make_xor(32, rng=rng)
    model = mlp([2, 4, 2], rng)
    seen = []

    def spy(epoch, logs, model):
        seen.append((model[0].needs_input_grad, model[2].needs_input_grad))

    fit(model, CrossEntropyLoss(), SGD(model.parameters(), lr=0.1), X, y, epochs=2, rng=rng,
        callbacks=[spy])
    assert seen == [(False, True)] * 2  # only the first layer, whose input is the data
    assert model.needs_input_grad is True  # put back after training
    model(X)
    assert model.backward(np.ones((32, 2))).shape == X.shape
