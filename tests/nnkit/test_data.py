"""Data sets: shapes, determinism under a Generator, splits, Iris offline, preprocessing."""

import socket

import numpy as np
import pytest

from nnkit import data
from nnkit.core import NNKitError

MAKERS = [
    (data.make_xor, dict(noise=0.1), 2),
    (data.make_moons, dict(noise=0.1), 2),
    (data.make_circles, dict(noise=0.05, factor=0.5), 2),
    (data.make_spirals, dict(n_classes=3, noise=0.05), 3),
    (data.make_blobs, dict(centers=4, std=0.5), 4),
]


@pytest.mark.parametrize("make,kw,n_classes", MAKERS)
def test_classification_sets(make, kw, n_classes):
    X, y = make(101, rng=np.random.default_rng(3), **kw)
    assert X.shape == (101, 2) and X.dtype == np.float64
    assert y.shape == (101,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=n_classes)
    assert len(counts) == n_classes and counts.max() - counts.min() <= 1   # balanced
    X2, y2 = make(101, rng=np.random.default_rng(3), **kw)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(101, rng=np.random.default_rng(4), **kw)
    assert not np.array_equal(X, X3)


@pytest.mark.parametrize("make,kw,_", MAKERS)
def test_rng_required(make, kw, _):
    with pytest.raises(NNKitError, match="rng"):
        make(10, **kw)
    with pytest.raises(NNKitError, match="rng"):
        make(10, rng=0, **kw)


def test_xor_labels_follow_the_corners():
    X, y = data.make_xor(400, noise=0.0, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(y, (np.sign(X[:, 0]) != np.sign(X[:, 1])).astype(int))


def test_circles_radii_without_noise():
    X, y = data.make_circles(50, noise=0.0, factor=0.3, rng=np.random.default_rng(0))
    r = np.hypot(X[:, 0], X[:, 1])
    np.testing.assert_allclose(r[y == 0], 1.0)
    np.testing.assert_allclose(r[y == 1], 0.3)


def test_regression_1d():
    X, y = data.make_regression_1d(50, noise=0.0, rng=np.random.default_rng(0))
    assert X.shape == (50, 1) and y.shape == (50, 1)
    assert np.all(np.diff(X[:, 0]) >= 0) and X.min() >= -1 and X.max() < 1
    np.testing.assert_allclose(y, np.sin(np.pi * X))
    _, y2 = data.make_regression_1d(50, noise=0.0, rng=np.random.default_rng(0), fn=np.square)
    np.testing.assert_allclose(y2, X ** 2)


def test_sinusoids_fourier_amplitudes():
    X, y = data.make_sinusoids(128, freqs=(2, 10), amps=(1.0, 0.25), rng=np.random.default_rng(0))
    assert X.shape == (128, 1) and y.shape == (128, 1)
    amp = 2 * np.abs(np.fft.rfft(y[:, 0])) / 128
    np.testing.assert_allclose(amp[[2, 10]], [1.0, 0.25], atol=1e-12)
    assert np.all(np.delete(amp, [2, 10]) < 1e-12)


def test_load_iris_offline(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("load_iris tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    X, y, features, classes = data.load_iris()
    assert X.shape == (150, 4) and X.dtype == np.float64
    assert y.shape == (150,) and np.issubdtype(y.dtype, np.integer)
    np.testing.assert_array_equal(np.bincount(y), [50, 50, 50])
    assert features == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert classes == ["setosa", "versicolor", "virginica"]
    np.testing.assert_allclose(X[0], [5.1, 3.5, 1.4, 0.2])
    # well-known facts of the data: setosa petals are short; overall feature means
    assert X[y == 0, 2].max() < X[y != 0, 2].min()
    np.testing.assert_allclose(X.mean(axis=0), [5.8433, 3.0573, 3.7580, 1.1993], atol=1e-3)


def test_train_val_test_split_stratified_and_disjoint():
    X, y, _, _ = data.load_iris()
    Xtr, Xva, Xte, ytr, yva, yte = data.train_val_test_split(
        X, y, val=0.2, test=0.2, rng=np.random.default_rng(0))
    assert (len(ytr), len(yva), len(yte)) == (90, 30, 30)
    for part in (ytr, yva, yte):
        counts = np.bincount(part, minlength=3)
        assert counts.max() == counts.min()                   # 10/10/10 and 30/30/30
    rows = {tuple(r) for r in np.concatenate([Xtr, Xva, Xte])}
    assert len(np.concatenate([Xtr, Xva, Xte])) == 150
    assert rows == {tuple(r) for r in X}
    again = data.train_val_test_split(X, y, val=0.2, test=0.2, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(again[0], Xtr)
    assert not np.all(np.diff(ytr) >= 0)                      # shuffled, not sorted by class


def test_train_test_split_unstratified_sizes():
    X = np.arange(40.0).reshape(20, 2)
    y = np.arange(20)
    Xtr, Xte, ytr, yte = data.train_test_split(X, y, test=0.25, rng=np.random.default_rng(1),
                                               stratify=False)
    assert Xtr.shape == (15, 2) and Xte.shape == (5, 2)
    np.testing.assert_array_equal(Xtr[:, 0] / 2, ytr)          # rows stay paired
    assert sorted(np.concatenate([ytr, yte])) == list(range(20))


def test_split_errors():
    X, y = np.zeros((10, 2)), np.zeros(10, dtype=int)
    with pytest.raises(NNKitError, match="val \\+ test"):
        data.train_val_test_split(X, y, val=0.5, test=0.5, rng=np.random.default_rng(0))
    with pytest.raises(NNKitError, match="same number of rows"):
        data.train_test_split(X, y[:5], rng=np.random.default_rng(0))
    with pytest.raises(NNKitError, match="rng"):
        data.train_test_split(X, y)


def test_kfold_partitions():
    folds = data.kfold(23, 5, rng=np.random.default_rng(0))
    assert len(folds) == 5
    val = np.concatenate([v for _, v in folds])
    np.testing.assert_array_equal(np.sort(val), np.arange(23))
    for tr, va in folds:
        assert len(np.intersect1d(tr, va)) == 0 and len(tr) + len(va) == 23
        assert len(va) in (4, 5)
    y = np.repeat([0, 1, 2], [10, 10, 10])
    for _, va in data.kfold(30, 5, rng=np.random.default_rng(0), y=y):
        np.testing.assert_array_equal(np.bincount(y[va]), [2, 2, 2])


def test_standardizer_fit_on_train_only():
    rng = np.random.default_rng(0)
    X_train = rng.normal(3.0, 2.0, size=(100, 3))
    X_train[:, 2] = 7.0                                       # a constant feature
    X_test = rng.normal(3.0, 2.0, size=(20, 3))
    s = data.Standardizer().fit(X_train)
    Z = s.transform(X_train)
    np.testing.assert_allclose(Z[:, :2].mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1.0)
    np.testing.assert_array_equal(Z[:, 2], 0.0)
    np.testing.assert_allclose(s.transform(X_test), (X_test - s.mean_) / s.scale_)
    np.testing.assert_allclose(s.inverse_transform(s.transform(X_test)), X_test)
    np.testing.assert_allclose(data.Standardizer().fit_transform(X_train), Z)
    assert s.transform(X_test.astype(np.float32)).dtype == np.float32
    with pytest.raises(NNKitError, match="fit"):
        data.Standardizer().transform(X_test)
    with pytest.raises(NNKitError, match=r"\(n, 3\)"):
        s.transform(X_test[:, :2])


def test_one_hot():
    Y = data.one_hot(np.array([2, 0, 1]), 4)
    np.testing.assert_array_equal(Y, [[0, 0, 1, 0], [1, 0, 0, 0], [0, 1, 0, 0]])
    assert data.one_hot(np.array([1, 1])).shape == (2, 2)
    with pytest.raises(NNKitError, match="0..2"):
        data.one_hot(np.array([0, 3]), 3)
    with pytest.raises(NNKitError, match="integer"):
        data.one_hot(np.array([0.5]))
