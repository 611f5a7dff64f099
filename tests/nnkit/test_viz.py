"""Tests of nnkit.book.viz: every helper draws, labels its axes and returns what it drew on.

Figures are created with matplotlib.figure.Figure (no pyplot state) except where a test
checks the ``ax=None`` path; those close their figures.
"""

from __future__ import annotations

import numpy as np
import pytest

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is not installed")
matplotlib.use("Agg")

from matplotlib.figure import Figure

from nnkit.book import viz
from nnkit.activations import ReLU, Sigmoid
from nnkit.callbacks import History
from nnkit.core import NNKitError
from nnkit.layers import Dense, Sequential


@pytest.fixture
def ax():
    return Figure().subplots()


def assert_labelled(ax):
    assert ax.get_xlabel().strip() and ax.get_ylabel().strip()


def linear_model(w, b, *, sigmoid=False):
    """A 2-input, 1-output Dense layer with given weights (optionally followed by a sigmoid)."""
    dense = Dense(2, 1, rng=np.random.default_rng(0))
    dense.weight.value[...] = np.array([w])
    dense.bias.value[...] = b
    return Sequential(dense, Sigmoid()) if sigmoid else Sequential(dense)


# -- style -------------------------------------------------------------------------------------


def test_book_style_is_opaque_white_and_scoped():
    rc = viz.book_rc()
    assert rc["figure.facecolor"] == rc["savefig.facecolor"] == "white"
    assert rc["savefig.transparent"] is False
    before = dict(matplotlib.rcParams)
    with viz.book_style():
        assert matplotlib.rcParams["figure.constrained_layout.use"] is True
    assert matplotlib.rcParams["figure.facecolor"] == before["figure.facecolor"]
    with matplotlib.rc_context():
        viz.use_book_style()
        assert matplotlib.rcParams["axes.prop_cycle"].by_key()["color"][0] == viz.BOOK_COLORS[0]


# -- functions --------------------------------------------------------------------------------


def test_plot_function_and_derivative_by_name_and_by_pair(ax):
    out = viz.plot_function_and_derivative("sigmoid", ax=ax)
    assert out is ax
    assert_labelled(ax)
    assert len(ax.lines) >= 2
    ax2 = Figure().subplots()
    viz.plot_function_and_derivative((np.tanh, lambda z: 1 - np.tanh(z) ** 2), ax=ax2,
                                     z=np.linspace(-2, 2, 5), label="tanh")
    np.testing.assert_allclose(ax2.lines[0].get_ydata(), np.tanh(np.linspace(-2, 2, 5)))
    with pytest.raises(KeyError, match="unknown activation"):
        viz.plot_function_and_derivative("nope", ax=ax2)


# -- classifiers ------------------------------------------------------------------------------


def test_predict_classes_reads_outputs_as_the_caller_says():
    X = np.array([[-1.0, 0.0], [1.0, 0.0], [0.2, 0.0]])
    assert viz.predict_classes(linear_model([1.0, 0.0], 0.0), X, output="logit").tolist() == [0, 1, 1]
    assert viz.predict_classes(linear_model([1.0, 0.0], 0.0, sigmoid=True), X,
                               output="probability").tolist() == [0, 1, 1]
    # the same values give different classes depending on what they are: nothing is guessed
    small = linear_model([0.1, 0.0], 0.5)  # values 0.4, 0.6, 0.52
    assert viz.predict_classes(small, X, output="probability").tolist() == [0, 1, 1]
    assert viz.predict_classes(small, X, output="logit").tolist() == [1, 1, 1]
    three = lambda x: np.column_stack([x[:, 0], -x[:, 0], np.zeros(len(x))])
    assert viz.predict_classes(three, X, output="logit").tolist() == [1, 0, 0]
    with pytest.raises(TypeError, match="output"):
        viz.predict_classes(small, X)  # the caller must say
    with pytest.raises(NNKitError, match="'logit' or 'probability'"):
        viz.predict_classes(small, X, output="auto")


@pytest.mark.parametrize("k", [1, 3])
def test_decision_boundary(ax, k):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(40, 2))
    y = (X[:, 0] > 0).astype(int) if k == 1 else rng.integers(0, 3, size=40)
    model = Sequential(Dense(2, 8, rng=rng), ReLU(), Dense(8, k, rng=rng))
    out = viz.decision_boundary(model, X, y, ax=ax, resolution=30, output="logit")
    assert out is ax
    assert_labelled(ax)
    assert len(ax.collections) >= 2  # shaded classes + scattered points
    assert ax.get_legend() is not None


# -- curves -----------------------------------------------------------------------------------


def test_loss_curves_from_history_and_dict(ax):
    history = History({"loss": [1.0, 0.5, 0.25], "val_loss": [1.1, 0.7, 0.6],
                       "lr": [0.1, 0.1, 0.1], "accuracy": [0.5, 0.7, 0.9]})
    out = viz.loss_curves(history, ax=ax, log=True)
    assert out is ax and ax.get_yscale() == "log"
    assert [line.get_label() for line in ax.lines] == ["loss", "val_loss"]
    assert ax.get_ylabel() == "loss"
    assert_labelled(ax)
    ax2 = Figure().subplots()
    viz.loss_curves({"lr=0.1": [3, 2, 1], "lr=0.01": [3, 2.9, 2.8]}, ax=ax2)
    assert len(ax2.lines) == 2 and list(ax2.lines[0].get_xdata()) == [1, 2, 3]
    assert_labelled(ax2)
    with pytest.raises(KeyError, match="available"):
        viz.loss_curves(history, ax=ax2, keys=["nope"])


def test_activation_histograms():
    rng = np.random.default_rng(0)
    acts = [rng.normal(size=(50, 10)) for _ in range(3)]
    fig = viz.activation_histograms(acts, fig=Figure(), bins=10, titles=["a", "b", "c"])
    assert len(fig.axes) == 3
    assert [a.get_title() for a in fig.axes] == ["a", "b", "c"]
    assert fig.axes[0].get_ylabel() == "count"
    assert all(a.get_xlabel() for a in fig.axes)
    # all-zero activations (dead layer) still plot
    viz.activation_histograms([np.zeros(5)], fig=Figure())


# -- geometry ---------------------------------------------------------------------------------


def test_region_map(ax):
    ids = np.array([[7, 7, 3], [7, 3, 3], [9, 9, 3]])
    out = viz.region_map(ids, (-1, 1, -1, 1), ax=ax)
    assert out is ax
    assert ax.get_title() == "3 linear regions"
    assert_labelled(ax)
    assert ax.images[0].get_extent() == [-1, 1, -1, 1]


def test_trajectory_on_contours_vectorized_and_pointwise(ax):
    path = np.array([[-2.0, 1.0], [-1.0, 0.5], [0.0, 0.0]])
    rosen = lambda t: (1 - t[0]) ** 2 + 100 * (t[1] - t[0] ** 2) ** 2
    out = viz.trajectory_on_contours(rosen, path, ax=ax, resolution=30, minimum=(1, 1))
    assert out is ax
    assert_labelled(ax)
    np.testing.assert_allclose(ax.lines[0].get_xydata(), path)
    A = np.diag([1.0, 10.0])
    quad = lambda t: 0.5 * t @ A @ t  # only works on one point
    ax2 = Figure().subplots()
    viz.trajectory_on_contours(quad, {"GD": path, "momentum": path * 0.5}, ax=ax2,
                               resolution=20, log_levels=False)
    assert [t.get_text() for t in ax2.get_legend().get_texts()] == ["GD", "momentum"]


# -- matrices ---------------------------------------------------------------------------------


def test_heatmap_annotates_every_cell(ax):
    M = np.array([[1.0, -0.5], [-0.5, 1.0], [0.2, 0.0]])
    out = viz.heatmap(M, ["a", "b", "c"], ax=ax, col_labels=["x", "y"], vmin=-1, vmax=1)
    assert out is ax
    assert_labelled(ax)
    assert sorted(t.get_text() for t in ax.texts) == sorted(["1.00", "-0.50", "-0.50", "1.00", "0.20", "0.00"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    with pytest.raises(ValueError, match="2-D"):
        viz.heatmap(np.zeros(3), ax=ax)


def test_confusion_matrix_plot(ax):
    cm = np.array([[5, 1], [0, 4]])
    out = viz.confusion_matrix_plot(cm, ["cat", "dog"], ax=ax, normalize=True)
    assert out is ax
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("predicted class", "true class")
    assert "0.83" in [t.get_text() for t in ax.texts]


def test_ax_none_uses_a_new_pyplot_figure():
    import matplotlib.pyplot as plt

    try:
        ax = viz.heatmap(np.eye(2), annotate=False)
        assert ax.figure in [plt.figure(n) for n in plt.get_fignums()]
        assert_labelled(ax)
    finally:
        plt.close("all")
