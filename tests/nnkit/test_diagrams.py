"""Tests of the structure diagrams (the nnkit.book.diagrams package): drawn from nnkit objects,
numbers equal to nnkit's, alt text, legible at phone width, and every book module importable on
its own (import cycles are tested for the whole of nnkit in test_package_layout.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nnkit import Dense, Dropout, ReLU, Sequential, Sigmoid, Tanh
from nnkit.book import diagrams as D
from nnkit.book.diagrams import convolution as C
from nnkit.book.diagrams import drawing
from nnkit.losses import BCELoss
from nnkit.rnn_cells import GRUCell, LSTMCell, RNNCell

pytest.importorskip("matplotlib")


def _texts(diagram) -> list[str]:
    return [t.get_text() for t in diagram.figure.findobj(drawing._is_visible_text)]


def _all_diagrams():
    rng = np.random.default_rng(0)
    mlp = Sequential(Dense(4, 20, rng=rng), ReLU(), Dense(20, 30, rng=rng), ReLU(),
                     Dense(30, 25, rng=rng), ReLU(), Dense(25, 3, rng=rng))
    drop = Sequential(Dense(4, 6, rng=rng), ReLU(), Dropout(0.5, rng=rng), Dense(6, 2, rng=rng))
    chain = Sequential(Dense(1, 1, rng=rng), Tanh(), Dense(1, 1, rng=rng), Sigmoid())
    return {
        "neuron": D.neuron_diagram(Dense(3, 1, rng=rng)),
        "mlp": D.network_diagram(mlp),
        "dropout": D.dropout_diagram(drop, np.ones(4)),
        "graph": D.computation_graph_diagram(chain, 1.5, 1.0, BCELoss()),
        "rnn": D.unrolled_rnn_diagram(RNNCell(3, 4, rng=rng), rng.standard_normal((4, 3))),
        "lstm": D.lstm_cell_diagram(LSTMCell(3, 4, rng=rng)),
        "gru": D.gru_cell_diagram(GRUCell(3, 4, rng=rng)),
        "shatter": D.shattering_diagram([[0, 0], [1, 0], [0, 1]]),
        "shatter_xor": D.shattering_diagram([[0, 0], [1, 1], [1, 0], [0, 1]]),
        "conv": C.conv_pool_diagram(rng.integers(0, 4, (6, 6)), np.eye(3)),
    }


@pytest.fixture(scope="module")
def diagrams():
    return _all_diagrams()


def test_every_diagram_is_svg_with_alt_text_and_legible_on_a_phone(diagrams):
    for name, d in diagrams.items():
        svg = d.svg()
        assert svg.lstrip().startswith("<?xml") and "<svg" in svg, name
        assert "<text" in svg, f"{name}: text should stay text in the SVG"
        assert len(d.alt) > 80 and "$" not in d.alt and "\\" not in d.alt, (name, d.alt)
        assert d.figure.get_size_inches()[0] <= drawing.MAX_WIDTH, name
        # about 360 px of content on a 390 px phone: no label under 10 px
        assert d.min_font_px(360) >= 9.9, (name, d.min_font_px(360))
        assert d.svg() == svg, f"{name}: the SVG must be deterministic"


def test_the_mlp_diagram_counts_the_parameters_of_the_sequential(diagrams):
    rng = np.random.default_rng(1)
    net = Sequential(Dense(4, 20, rng=rng), ReLU(), Dense(20, 30, rng=rng), ReLU(),
                     Dense(30, 25, rng=rng), ReLU(), Dense(25, 3, rng=rng))
    d = D.network_diagram(net)
    total = sum(p.value.size for _, p in net.named_parameters())
    assert f"{total:,} parameters in total" in d.alt
    texts = " ".join(_texts(d))
    for l, (n_out, n_in) in enumerate([(20, 4), (30, 20), (25, 30), (3, 25)], 1):
        assert f"$W^{{({l})}}$ {n_out}\u00d7{n_in}" in texts  # W of shape (n_out, n_in)
        assert f"{n_out * n_in + n_out:,} par." in texts
    assert "input\n4" in texts and "output\n3" in texts and "hidden 2\n30" in texts


def test_network_diagram_rejects_a_model_without_dense_layers():
    with pytest.raises(ValueError, match="start with a Dense layer"):
        D.network_diagram(Sequential(ReLU(), Dense(2, 2, rng=np.random.default_rng(0))))


def test_the_neuron_diagram_shows_the_layer_weights():
    layer = Dense(3, 1, rng=np.random.default_rng(2))
    texts = " ".join(_texts(D.neuron_diagram(layer)))
    for j, w in enumerate(layer.weight.value[0], 1):
        assert f"$W_{{1{j}}}$ = {drawing.fmt(w)}" in texts
    assert drawing.fmt(layer.bias.value[0]) in texts
    with pytest.raises(ValueError, match="one output unit"):
        D.neuron_diagram(Dense(3, 2, rng=np.random.default_rng(0)))


def test_dropout_diagram_crosses_out_exactly_the_dropped_units():
    rng = np.random.default_rng(3)

    def make(seed):
        masks = np.random.default_rng(seed)
        return Sequential(Dense(4, 6, rng=np.random.default_rng(3)), ReLU(), Dropout(0.5, rng=masks),
                          Dense(6, 6, rng=np.random.default_rng(5)), ReLU(), Dropout(0.5, rng=masks),
                          Dense(6, 2, rng=np.random.default_rng(6)))

    net = make(4)
    d = D.dropout_diagram(net, np.ones(4), samples=2)
    replay = make(4)
    dropped = []
    for _ in range(2):
        replay.forward(np.ones((1, 4)), training=True)
        dropped.append(sum(int((~layer.mask).sum()) for layer in replay if isinstance(layer, Dropout)))
    texts = _texts(d)
    assert texts.count("\u00d7") == sum(dropped)  # one cross per dropped unit
    for k, n in enumerate(dropped, 1):
        assert f"{n} dropped" in texts and f"pass {k} dropped {n} hidden units" in d.alt
    masks = D.dropout_masks(net, np.ones(4))
    assert masks[0] is None and masks[-1] is None and masks[1].shape == (6,)
    full = D.network_diagram(net, masks=masks)
    assert _texts(full).count("\u00d7") == int(sum((~m).sum() for m in masks if m is not None))
    with pytest.raises(ValueError, match="no Dropout"):
        D.dropout_diagram(Sequential(Dense(2, 2, rng=rng)), np.ones(2))


def test_the_computation_graph_shows_nnkits_forward_values_and_gradients():
    rng = np.random.default_rng(5)
    net = Sequential(Dense(1, 1, rng=rng), Tanh(), Dense(1, 1, rng=rng), Sigmoid())
    d = D.computation_graph_diagram(net, 0.7, 0.0, BCELoss())
    texts = " ".join(_texts(d))
    # recompute by hand: z1 = w1 x + b1, a1 = tanh z1, z2 = w2 a1 + b2, p = sigmoid z2
    w1, b1 = net[0].weight.value[0, 0], net[0].bias.value[0]
    w2, b2 = net[2].weight.value[0, 0], net[2].bias.value[0]
    z1 = w1 * 0.7 + b1
    a1 = np.tanh(z1)
    z2 = w2 * a1 + b2
    p = 1 / (1 + np.exp(-z2))
    delta2 = p - 0.0  # dl/dz2 for sigmoid + BCE
    delta1 = delta2 * w2 * (1 - a1 ** 2)
    for v in (z1, a1, z2, p):
        assert drawing.fmt(v) in texts
    for g in (delta2, delta1, delta2 * a1, delta1 * 0.7):
        assert drawing.fmt(g) in texts
    with pytest.raises(ValueError, match="one unit per layer"):
        D.computation_graph_diagram(Sequential(Dense(2, 1, rng=rng)), 1.0, 1.0, BCELoss())


def test_the_unrolled_rnn_labels_each_step_with_its_jacobian_norm():
    rng = np.random.default_rng(6)
    cell = RNNCell(2, 3, rng=rng)
    xs = rng.standard_normal((3, 2))
    d = D.unrolled_rnn_diagram(cell, xs)
    hs, Js = D.rnn_jacobians(cell, xs)
    # the Jacobian is dh_t/dh_{t-1}: compare with finite differences of one step
    eps = 1e-6
    h_prev = hs[1]
    num = np.empty((3, 3))
    for j in range(3):
        e = np.zeros(3)
        e[j] = eps
        (hp,), _ = cell.step_forward(xs[1][None], ((h_prev + e)[None],))
        (hm,), _ = cell.step_forward(xs[1][None], ((h_prev - e)[None],))
        num[:, j] = (hp[0] - hm[0]) / (2 * eps)
    np.testing.assert_allclose(Js[1], num, atol=1e-8)
    texts = _texts(d)
    for J in Js:
        assert drawing.fmt(np.linalg.norm(J, 2)) in texts
    with pytest.raises(TypeError, match="RNNCell"):
        D.unrolled_rnn_diagram(LSTMCell(2, 3, rng=rng), xs)


def test_gated_cells_show_their_gates_and_weight_shapes(diagrams):
    lstm, gru = " ".join(_texts(diagrams["lstm"])), " ".join(_texts(diagrams["gru"]))
    for gate in "fgio":
        assert gate in _texts(diagrams["lstm"])
    for gate in "run":
        assert gate in _texts(diagrams["gru"])
    assert "16\u00d73" in lstm and "16\u00d74" in lstm  # 4 gates x 4 units, 3 inputs
    assert "12\u00d73" in gru and "12\u00d74" in gru
    with pytest.raises(TypeError, match="GRUCell"):
        D.gru_cell_diagram(LSTMCell(2, 3, rng=np.random.default_rng(0)))


def test_shattering_marks_the_labellings_no_line_realizes():
    three = D.shattering_diagram([[0, 0], [1, 0], [0, 1]])
    xor = D.shattering_diagram([[0, 0], [1, 1], [1, 0], [0, 1]])
    assert not any("none" in t for t in _texts(three)) and "shattered" in three.alt
    assert sum("none" in t for t in _texts(xor)) == 2 and "not shattered" in xor.alt
    with pytest.raises(ValueError, match="1 to 4 points"):
        D.shattering_diagram(np.zeros((5, 2)))


def test_conv_pool_diagram_numbers_are_the_convolution_and_pooling():
    X = np.arange(36.0).reshape(6, 6) % 5
    K = np.array([[1.0, 0, -1], [2, 0, -2], [1, 0, -1]])
    A = C.conv2d_valid(X, K)
    by_hand = sum(K[u, v] * X[1 + u, 2 + v] for u in range(3) for v in range(3))
    assert A[1, 2] == by_hand
    d = C.conv_pool_diagram(X, K, at=(1, 2))
    assert f"= {by_hand:g}".replace("-", "\u2212") in " ".join(_texts(d))
    np.testing.assert_array_equal(C.pool2d(A, 2), [[A[:2, :2].max(), A[:2, 2:].max()],
                                                   [A[2:, :2].max(), A[2:, 2:].max()]])
    with pytest.raises(ValueError, match="outside"):
        C.conv_pool_diagram(X, K, at=(4, 0))


def test_pool2d_with_a_stride_and_windows_that_do_not_fit():
    A = np.arange(49.0).reshape(7, 7)
    # side by side (stride p): the last row and column fill no window and are dropped
    np.testing.assert_array_equal(C.pool2d(A, 3), [[A[:3, :3].max(), A[:3, 3:6].max()],
                                                   [A[3:6, :3].max(), A[3:6, 3:6].max()]])
    over = C.pool2d(A, 2, np.mean, stride=1)
    assert over.shape == (6, 6) and over[4, 5] == A[4:6, 5:7].mean()
    assert C.pool2d(A, 2, stride=3).tolist() == [[A[:2, :2].max(), A[:2, 3:5].max()],
                                                 [A[3:5, :2].max(), A[3:5, 3:5].max()]]
    with pytest.raises(ValueError, match="at least 1"):
        C.pool2d(A, 2, stride=0)


def test_too_wide_a_canvas_is_refused():
    with pytest.raises(ValueError, match="illegible on a phone"):
        drawing.canvas(8.0, 3.0)


# -- every module of the book package imports on its own ---------------------------------------

BOOK = Path(D.__file__).parent.parent
BOOK_MODULES = sorted(".".join(p.relative_to(BOOK.parent.parent).with_suffix("").parts)
                      .removesuffix(".__init__") for p in BOOK.rglob("*.py"))


def test_the_book_modules_are_found_in_their_subpackages():
    assert {"nnkit.book.viz", "nnkit.book.diagrams", "nnkit.book.diagrams.convolution",
            "nnkit.book.explorers", "nnkit.book.explorers.jsexplorer"} <= set(BOOK_MODULES)


@pytest.mark.parametrize("module", BOOK_MODULES)
def test_each_book_module_imports_on_its_own(module):
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, capture_output=True)


def test_a_diagram_saved_again_under_the_book_style_stays_unlaid_and_warns_nothing():
    """savefig restores a figure's layout engine after saving; a figure that had none got
    the book style's constrained layout back, and from its second save on (SVG for the page,
    then PNG) matplotlib warned "There are no gridspecs with layoutgrids" into the page."""
    import warnings

    from nnkit.book.style import book_style

    with book_style():
        for name, diagram in _all_diagrams().items():
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                first = diagram.svg()
                diagram._repr_png_()
                again = diagram.svg()
            assert first == again, f"{name}: the second SVG differs from the first"
            assert diagram.figure.get_layout_engine().__class__.__name__ == \
                "PlaceHolderLayoutEngine", name


def test_an_explorer_frame_laid_out_by_hand_keeps_no_layout_across_saves():
    import warnings

    from nnkit.book.style import book_style
    from nnkit.book.explorers.controls import Slider
    from nnkit.book.widgets import Explorer

    def render(fig, a):
        ax = fig.add_axes((0.1, 0.1, 0.8, 0.8))
        ax.plot([0, 1], [0, a])

    explorer = Explorer(render, {"a": Slider([1.0, 2.0])}, title="A line", layout="none")
    with book_style(), warnings.catch_warnings():
        warnings.simplefilter("error")
        fig = explorer.figure(a=1.0)
        for fmt in ("png", "svg"):
            fig.savefig(__import__("io").BytesIO(), format=fmt)
    assert fig.get_layout_engine().__class__.__name__ == "PlaceHolderLayoutEngine"
