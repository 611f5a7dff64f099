"""Tests for nnkit.rnn: cells, sequence layers, BPTT (full and truncated), analysis helpers."""

from __future__ import annotations

import importlib.util
import math

import numpy as np
import pytest

from nnkit import BackwardBeforeForwardError, NNKitError, RNGError, ShapeError, rnn, theory
from nnkit.gradcheck import numerical_gradient

N, D, H = 2, 3, 4

LAYERS = {
    "rnn_tanh": lambda rng, **kw: rnn.RNN(D, H, rng=rng, **kw),
    "rnn_relu": lambda rng, **kw: rnn.RNN(D, H, "relu", rng=rng, **kw),
    "gated": lambda rng, **kw: rnn.GatedRNN(D, H, rng=rng, **kw),
    "lstm": lambda rng, **kw: rnn.LSTM(D, H, rng=rng, **kw),
    "gru": lambda rng, **kw: rnn.GRU(D, H, rng=rng, **kw),
}


def _state(layer, rng):
    """A random initial state in the layer's public form."""
    if isinstance(layer, rnn.LSTM):
        return rng.normal(size=(N, H)), rng.normal(size=(N, H))
    return rng.normal(size=(N, H))


def _state_dot(state, d_state) -> float:
    if isinstance(state, tuple):
        return sum(float(np.sum(a * b)) for a, b in zip(state, d_state))
    return float(np.sum(state * d_state))


def _state_leaves(layer, state0, analytic: dict, leaves: dict) -> None:
    """Add the initial state (h0, and c0 for the LSTM) and its gradient to the checked leaves."""
    if isinstance(layer, rnn.LSTM):
        analytic.update(h0=layer.initial_state_grad[0], c0=layer.initial_state_grad[1])
        leaves.update(h0=state0[0], c0=state0[1])
    else:
        analytic["h0"], leaves["h0"] = layer.initial_state_grad, state0


def _max_rel(a, b) -> float:
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)))


def _check_all(layer, objective, analytic: dict, leaves: dict, tol=1e-6):
    """Central differences of `objective()` w.r.t. every leaf array vs the analytic gradient."""
    for name, p in layer.named_parameters():
        num = numerical_gradient(lambda _: objective(), p.value)
        assert _max_rel(p.grad, num) < tol, f"{type(layer).__name__}.{name}"
    for name, arr in leaves.items():
        num = numerical_gradient(lambda _: objective(), arr)
        assert _max_rel(analytic[name], num) < tol, f"{type(layer).__name__} d{name}"


# -- gradient checks: full BPTT ------------------------------------------------------------


@pytest.mark.parametrize("kind", sorted(LAYERS))
@pytest.mark.parametrize("T", [1, 2, 5])
@pytest.mark.parametrize("return_sequences", [True, False])
def test_bptt_matches_central_differences(kind, T, return_sequences):
    rng = np.random.default_rng(10 + T)
    layer = LAYERS[kind](rng, return_sequences=return_sequences)
    x = rng.normal(size=(N, T, D))
    state0 = _state(layer, rng)
    layer.initial_state = state0
    dout = rng.normal(size=(N, T, H) if return_sequences else (N, H))

    def objective():
        return float(np.sum(layer(x) * dout))

    out = layer(x)
    assert out.shape == dout.shape
    dx = layer.backward(dout)
    analytic, leaves = {"x": dx}, {"x": x}
    _state_leaves(layer, state0, analytic, leaves)
    _check_all(layer, objective, analytic, leaves)


@pytest.mark.parametrize("cls", [rnn.RNNCell, rnn.GatedCell, rnn.LSTMCell, rnn.GRUCell])
def test_cell_one_step_backward(cls):
    rng = np.random.default_rng(1)
    cell = cls(D, H, rng=rng)
    x = rng.normal(size=(N, D))
    lstm = cls is rnn.LSTMCell
    state = (rng.normal(size=(N, H)), rng.normal(size=(N, H))) if lstm else (rng.normal(size=(N, H)),)
    dstate = tuple(rng.normal(size=(N, H)) for _ in state)

    # the step API: dL/d(h, c) of the new state -> dL/dx, dL/d(previous state)
    def objective():
        return _state_dot(cell.step_forward(x, state)[0], dstate)

    _, cache = cell.step_forward(x, state)
    dx, dprev = cell.step_backward(dstate, cache)
    analytic = {"x": dx, **{f"s{i}": d for i, d in enumerate(dprev)}}
    leaves = {"x": x, **{f"s{i}": s_ for i, s_ in enumerate(state)}}
    _check_all(cell, objective, analytic, leaves)

    # the Layer contract: forward(x) from initial_state returns h; backward(dh) returns dx
    cell.zero_grad()
    cell.initial_state = state if lstm else state[0]
    dh = dstate[0]

    def layer_objective():
        return float(np.sum(cell(x) * dh))

    h = cell(x)
    np.testing.assert_array_equal(h, cell.final_state[0] if lstm else cell.final_state)
    dx = cell.backward(dh)
    analytic = {"x": dx}
    leaves = {"x": x}
    grads = cell.initial_state_grad if lstm else (cell.initial_state_grad,)
    analytic.update({f"s{i}": d for i, d in enumerate(grads)})
    leaves.update({f"s{i}": s_ for i, s_ in enumerate(state)})
    _check_all(cell, layer_objective, analytic, leaves)


# -- truncated BPTT ------------------------------------------------------------------------


def _truncated_objective(layer, x, state0, dout, k):
    """L_k = sum_s <dout_s, h_s> with h_s recomputed over the k steps s-k+1..s from a
    constant state (the state after step s-k, computed with the unperturbed model), or from
    the initial state when the window reaches the start."""
    T = x.shape[1]
    starts = {}
    for s in range(T):
        a = s - k + 1
        if a > 0:
            layer.initial_state = state0
            layer(x[:, :a])
            st = layer.final_state
            starts[s] = tuple(np.copy(v) for v in st) if isinstance(st, tuple) else np.copy(st)

    def objective():
        total = 0.0
        for s in range(T):
            a = max(s - k + 1, 0)
            layer.initial_state = starts.get(s, state0)
            out = layer(x[:, a:s + 1])
            total += float(np.sum(out[:, -1] * dout[:, s]))
        layer.initial_state = state0
        return total

    return objective


@pytest.mark.parametrize("kind", ["rnn_tanh", "gated", "lstm", "gru"])
@pytest.mark.parametrize("k", [1, 2, 3])
def test_truncated_bptt_is_the_gradient_of_the_truncated_objective(kind, k):
    rng = np.random.default_rng(20 + k)
    T = 5
    layer = LAYERS[kind](rng, truncate=k)
    x = rng.normal(size=(N, T, D))
    state0 = _state(layer, rng)
    dout = rng.normal(size=(N, T, H))
    objective = _truncated_objective(layer, x, state0, dout, k)
    layer.initial_state = state0
    layer(x)
    dx = layer.backward(dout)
    analytic, leaves = {"x": dx}, {"x": x}
    _state_leaves(layer, state0, analytic, leaves)
    _check_all(layer, objective, analytic, leaves)


def test_truncation_changes_the_gradient_and_long_truncation_is_full_bptt():
    rng = np.random.default_rng(3)
    x, dout = rng.normal(size=(N, 6, D)), rng.normal(size=(N, 6, H))
    grads = {}
    for k in (None, 2, 6, 50):
        layer = rnn.RNN(D, H, rng=np.random.default_rng(0), truncate=k)
        layer(x)
        dx = layer.backward(dout)
        grads[k] = (dx, layer.weight_hh.grad.copy())
    for k in (6, 50):
        np.testing.assert_allclose(grads[k][0], grads[None][0], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(grads[k][1], grads[None][1], rtol=1e-12, atol=1e-15)
    assert not np.allclose(grads[2][1], grads[None][1])
    # the last step's input gradient only sees outputs within 2 steps: unchanged by truncation
    np.testing.assert_allclose(grads[2][0][:, -1], grads[None][0][:, -1], rtol=1e-12)


# -- hand-worked case ----------------------------------------------------------------------


def test_scalar_rnn_two_steps_by_hand():
    w_ih, w_hh, b_ih, b_hh = 0.5, -0.8, 0.1, 0.2
    x1, x2, h0 = 1.0, -2.0, 0.3
    layer = rnn.RNN(1, 1, rng=np.random.default_rng(0))
    for p, v in zip(layer.parameters(), (w_ih, w_hh, b_ih, b_hh)):
        p.value[...] = v
    # forward by hand: h_t = tanh(w_ih x_t + b_ih + w_hh h_{t-1} + b_hh)
    h1 = math.tanh(w_ih * x1 + b_ih + w_hh * h0 + b_hh)
    h2 = math.tanh(w_ih * x2 + b_ih + w_hh * h1 + b_hh)
    layer.initial_state = np.array([[h0]])
    out = layer(np.array([[[x1], [x2]]]))
    np.testing.assert_allclose(out.ravel(), [h1, h2], rtol=1e-14)
    assert layer.final_state.item() == pytest.approx(h2, rel=1e-14)
    # backward by hand for L = h2: delta_t = dL/dh_t * (1 - h_t^2)
    delta2 = 1 - h2**2
    dh1 = delta2 * w_hh
    delta1 = dh1 * (1 - h1**2)
    layer.backward(np.array([[[0.0], [1.0]]]))  # dL/dh_1 = 0 from outside, dL/dh_2 = 1
    assert layer.weight_hh.grad.item() == pytest.approx(delta2 * h1 + delta1 * h0, rel=1e-13)
    assert layer.weight_ih.grad.item() == pytest.approx(delta2 * x2 + delta1 * x1, rel=1e-13)
    assert layer.bias_hh.grad.item() == pytest.approx(delta2 + delta1, rel=1e-13)
    assert layer.initial_state_grad.item() == pytest.approx(delta1 * w_hh, rel=1e-13)


def test_gated_cell_equation_by_hand():
    cell = rnn.GatedCell(1, 1, rng=np.random.default_rng(0))
    cell.weight_ih.value[:, 0] = [0.5, -1.0, 2.0]  # i, f, g rows
    cell.weight_hh.value[:, 0] = [0.1, 0.2, 0.3]
    cell.bias_ih.value[:] = [0.0, 1.0, 0.0]
    cell.bias_hh.value[:] = 0.0
    x, h = 0.4, -0.5

    def sig(a):
        return 1 / (1 + math.exp(-a))

    i = sig(0.5 * x + 0.1 * h)
    f = sig(-1.0 * x + 1.0 + 0.2 * h)
    g = math.tanh(2.0 * x + 0.3 * h)
    cell.initial_state = np.array([[h]])
    assert cell(np.array([[x]])).item() == pytest.approx(f * h + i * g, rel=1e-14)


# -- parameters, dtype, errors -------------------------------------------------------------


@pytest.mark.parametrize("cls,G", [(rnn.RNN, 1), (rnn.GatedRNN, 3), (rnn.LSTM, 4), (rnn.GRU, 3)])
def test_pytorch_names_shapes_and_default_init(cls, G):
    layer = cls(5, 7, rng=np.random.default_rng(0))
    shapes = {name: p.shape for name, p in layer.named_parameters()}
    assert shapes == {"weight_ih": (G * 7, 5), "weight_hh": (G * 7, 7),
                      "bias_ih": (G * 7,), "bias_hh": (G * 7,)}
    bound = 1 / math.sqrt(7)
    for p in layer.parameters():
        assert np.all(np.abs(p.value) <= bound)
    assert np.std(layer.weight_hh.value) > 0.5 * bound / math.sqrt(3)  # not all zeros


def test_float32_stays_float32():
    rng = np.random.default_rng(0)
    layer = rnn.LSTM(D, H, rng=rng, dtype=np.float32)
    out = layer(rng.normal(size=(N, 4, D)))
    hT, cT = layer.final_state
    dx = layer.backward(np.ones_like(out))
    assert out.dtype == hT.dtype == cT.dtype == dx.dtype == np.float32
    assert all(p.grad.dtype == np.float32 for p in layer.parameters())


def test_clear_errors():
    rng = np.random.default_rng(0)
    layer = rnn.RNN(D, H, rng=rng)
    with pytest.raises(BackwardBeforeForwardError):
        layer.backward(np.zeros((N, 2, H)))
    with pytest.raises(ShapeError, match=r"RNN.*\(n, T, 3\).*\(2, 3\)"):
        layer(np.zeros((2, 3)))
    with pytest.raises(ShapeError, match=r"RNN.*\(n, T, 3\).*\(2, 3\)"):
        layer.check_input(np.zeros((2, 3)))
    layer.initial_state = np.zeros((N, H + 1))
    with pytest.raises(ShapeError, match="initial_state"):
        layer(np.zeros((N, 2, D)))
    layer.initial_state = None
    layer(np.zeros((N, 2, D)))
    with pytest.raises(ShapeError, match=r"gradient of shape \(2, 2, 4\)"):
        layer.backward(np.zeros((N, 3, H)))
    with pytest.raises(RNGError, match="RNNCell.*Generator"):
        rnn.RNN(D, H)
    with pytest.raises(NNKitError, match="truncate"):
        rnn.RNN(D, H, truncate=0, rng=rng)
    with pytest.raises(NNKitError, match="nonlinearity"):
        rnn.RNN(D, H, "sigmoid", rng=rng)
    with pytest.raises(TypeError, match="Generator"):
        rnn.GRU(D, H, rng=0)


def test_optimizers_and_clipping_work_on_rnn_parameters():
    from nnkit import optim

    rng = np.random.default_rng(0)
    model = rnn.SequenceRegressor("gru", 2, 8, 1, rng=rng)
    before = {n: p.value.copy() for n, p in model.named_parameters()}
    opt = optim.Adam(model.named_parameters(), lr=1e-2)
    x, y = rng.normal(size=(4, 5, 2)), rng.normal(size=(4, 1))
    opt.zero_grad()
    model.backward(100 * (model(x) - y))
    total = optim.clip_grad_norm_(model.parameters(), 0.5)
    assert total > 0.5
    clipped = math.sqrt(sum(float(np.sum(p.grad**2)) for p in model.parameters()))
    assert clipped == pytest.approx(0.5, rel=1e-6)
    opt.step()
    assert all(not np.array_equal(before[n], p.value) for n, p in model.named_parameters())


@pytest.mark.parametrize("cell", ["rnn", "gated", "lstm", "gru"])
def test_sequence_regressor_gradients(cell):
    from nnkit.gradcheck import check_gradients
    from nnkit.losses import MSELoss

    rng = np.random.default_rng(4)
    model = rnn.SequenceRegressor(cell, 2, 3, 2, rng=rng)
    x, y = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 2))
    report = check_gradients(model, MSELoss(), x, y)
    assert report.ok, str(report)


# -- analysis helpers ----------------------------------------------------------------------


def test_step_jacobians_of_vanilla_rnn_are_diag_phi_prime_times_W():
    rng = np.random.default_rng(5)
    layer = rnn.RNN(D, H, rng=rng)
    x = rng.normal(size=(N, 4, D))
    J = theory.step_jacobians(layer, x)
    out = layer(x)
    expected = (1 - out**2)[..., None] * layer.weight_hh.value  # (n, T, h, h)
    np.testing.assert_allclose(J, expected, rtol=1e-12, atol=1e-15)
    assert theory.step_jacobians(layer, x[1]).shape == (4, H, H)


@pytest.mark.parametrize("kind", ["gated", "lstm", "gru"])
def test_step_jacobians_match_finite_differences(kind):
    rng = np.random.default_rng(6)
    layer = LAYERS[kind](rng)
    x = rng.normal(size=(5, D))  # one sample, T = 5
    J = theory.step_jacobians(layer, x)
    cell = layer._cell
    is_lstm = isinstance(layer, rnn.LSTM)
    # rebuild state_{t-1} (with c for the LSTM) by stepping the cell, then differentiate one step
    state = cell.zero_state(1)
    for t in range(5):
        s_prev = np.concatenate(state, axis=1)[0]  # (S,)

        def step(s, t=t):
            st = (s[None, :H], s[None, H:]) if is_lstm else (s[None],)
            new, _ = cell.step_forward(x[None, t], st)
            return np.concatenate(new, axis=1)[0]

        S = s_prev.size
        num = np.stack([numerical_gradient(lambda s, a=a: step(s)[a], s_prev.copy())
                        for a in range(S)])  # (S, S)
        np.testing.assert_allclose(J[t], num, rtol=1e-6, atol=1e-9)
        state, _ = cell.step_forward(x[None, t], state)


def test_grad_norm_vs_distance_is_the_jacobian_product_and_leaves_grads_alone():
    rng = np.random.default_rng(7)
    layer = rnn.RNN(D, H, rng=rng, truncate=2)
    layer.weight_hh.grad[...] = 1.0
    x = rng.normal(size=(1, 6, D))
    dist, norms = theory.grad_norm_vs_distance(layer, x)
    assert list(dist) == list(range(7)) and norms[0] == pytest.approx(1.0)
    J = theory.step_jacobians(layer, x[0])
    g = np.full(H, 1 / math.sqrt(H))
    for k in range(1, 7):
        g = g @ J[6 - k]  # dL/dh_{T-1-k}
        assert norms[k] == pytest.approx(np.linalg.norm(g), rel=1e-10)
    assert np.all(layer.weight_hh.grad == 1.0) and layer.truncate == 2


def test_small_spectral_radius_vanishes_large_explodes():
    rng = np.random.default_rng(8)
    x = 0.1 * rng.normal(size=(4, 30, D))
    finals = {}
    for rho in (0.5, 2.0):
        layer = rnn.RNN(D, 16, rng=np.random.default_rng(1))
        layer.weight_hh.value[...] = theory.scale_spectral_radius(layer.weight_hh.value, rho)
        assert np.max(np.abs(np.linalg.eigvals(layer.weight_hh.value))) == pytest.approx(rho)
        finals[rho] = theory.grad_norm_vs_distance(layer, x)[1][-1]
    assert finals[0.5] < 1e-6 < 1e-2 < finals[2.0]


def test_jacobian_product_singular_values():
    rng = np.random.default_rng(9)
    J = rng.normal(size=(4, 3, 3))
    sv = theory.jacobian_product_singular_values(J)
    assert sv.shape == (4, 3)
    np.testing.assert_allclose(sv[0], np.linalg.svd(J[3], compute_uv=False))
    np.testing.assert_allclose(sv[3], np.linalg.svd(J[3] @ J[2] @ J[1] @ J[0], compute_uv=False))
    with pytest.raises(ShapeError, match="x\\[0\\]"):
        theory.jacobian_product_singular_values(rng.normal(size=(2, 4, 3, 3)))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_fixed_gate_grad_norms_at_f0_is_the_vanilla_layer(nonlinearity):
    rng = np.random.default_rng(10)
    layer = rnn.RNN(D, H, nonlinearity, rng=rng)
    x = rng.normal(size=(N, 7, D))
    for xs in (x, x[1]):
        dist, norms = theory.fixed_gate_grad_norms(layer, xs, 0.0)
        want_dist, want = theory.grad_norm_vs_distance(layer, xs)
        assert list(dist) == list(want_dist)
        np.testing.assert_allclose(norms, want, rtol=1e-12)
    h0 = rng.normal(size=(N, H))  # a given initial state, as for grad_norm_vs_distance
    np.testing.assert_allclose(theory.fixed_gate_grad_norms(layer, x, 0.0, h0)[1],
                               theory.grad_norm_vs_distance(layer, x, h0)[1], rtol=1e-12)


def test_fixed_gate_grad_norms_is_the_product_of_finite_difference_jacobians():
    """Each step's Jacobian, diag(f) + diag((1 - f) tanh'(a)) W, checked numerically."""
    rng = np.random.default_rng(11)
    layer = rnn.RNN(D, H, rng=rng)
    W, U = layer.weight_hh.value, layer.weight_ih.value
    b = layer.bias_ih.value + layer.bias_hh.value
    x = rng.normal(size=(5, D))
    for f in (0.3, rng.uniform(0, 1, H)):  # one gate for all units, or one per unit
        step = lambda h, t, f=f: f * h + (1 - f) * np.tanh(W @ h + U @ x[t] + b)
        hs = [np.zeros(H)]
        for t in range(5):
            hs.append(step(hs[-1], t))
        g, want = np.full(H, 1 / math.sqrt(H)), [1.0]
        for t in reversed(range(5)):
            J = np.stack([numerical_gradient(lambda h, a=a, t=t: step(h, t)[a], hs[t].copy())
                          for a in range(H)])  # (H, H): row a is d h_{t+1}[a] / d h_t
            g = g @ J
            want.append(np.linalg.norm(g))
        np.testing.assert_allclose(theory.fixed_gate_grad_norms(layer, x, f)[1], want, rtol=1e-6)


def test_fixed_gate_grad_norms_near_one_keep_the_gradient_and_refuse_bad_input():
    rng = np.random.default_rng(12)
    layer = rnn.RNN(D, 16, rng=rng)
    layer.weight_hh.value[...] = theory.scale_spectral_radius(layer.weight_hh.value, 0.5)
    x = 0.1 * rng.normal(size=(40, D))
    vanilla = theory.fixed_gate_grad_norms(layer, x, 0.0)[1]
    gated = theory.fixed_gate_grad_norms(layer, x, 0.999)[1]
    assert vanilla[-1] < 1e-8 and 0.9 < gated[-1] <= 1.0 + 1e-12
    with pytest.raises(NNKitError, match="vanilla nnkit.RNN"):
        theory.fixed_gate_grad_norms(rnn.LSTM(D, H, rng=rng), x, 0.5)
    with pytest.raises(NNKitError, match=r"f must be a number in \[0, 1\]"):
        theory.fixed_gate_grad_norms(layer, x, 1.5)
    with pytest.raises(ShapeError, match="x must be"):
        theory.fixed_gate_grad_norms(layer, x[:, :1], 0.5)


# -- optional: against PyTorch -------------------------------------------------------------

HAS_TORCH = importlib.util.find_spec("torch") is not None


@pytest.mark.skipif(not HAS_TORCH, reason="PyTorch is not installed in this environment; the "
                    "comparison with torch.nn.RNN/LSTM/GRU needs `pip install torch`")
@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_same_outputs_and_gradients_as_pytorch(kind):
    import torch

    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    tm = getattr(torch.nn, kind)(D, H, batch_first=True).double()
    layer = getattr(rnn, kind)(D, H, rng=rng)
    rnn.load_torch_state_dict(layer, tm.state_dict())
    x, dout = rng.normal(size=(N, 5, D)), rng.normal(size=(N, 5, H))
    xt = torch.tensor(x, requires_grad=True)
    out_t, _ = tm(xt)
    (out_t * torch.tensor(dout)).sum().backward()
    out = layer(x)
    dx = layer.backward(dout)
    np.testing.assert_allclose(out, out_t.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-10, atol=1e-12)
    torch_params = dict(tm.named_parameters())
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad, torch_params[name + "_l0"].grad.numpy(),
                                   rtol=1e-10, atol=1e-12)


# -- composing: Sequential and carried state ------------------------------------------------


@pytest.mark.parametrize("kind", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_compose_in_sequential(kind):
    from nnkit import Dense, MSELoss, Sequential, Tanh
    from nnkit.gradcheck import check_gradients

    rng = np.random.default_rng(11)
    model = Sequential(getattr(rnn, kind)(2, 4, rng=rng), Tanh(),
                       getattr(rnn, kind)(4, 3, rng=rng, return_sequences=False),
                       Dense(3, 1, rng=rng))
    x, y = rng.normal(size=(3, 5, 2)), rng.normal(size=(3, 1))
    assert model(x).shape == (3, 1)
    report = check_gradients(model, MSELoss(), x, y)
    assert report.ok, str(report)
    assert [n for n, _ in model.named_parameters()][:2] == ["0.weight_ih", "0.weight_hh"]


def test_sequence_regressor_is_the_sequential_of_its_parts():
    from nnkit import Sequential

    rng = np.random.default_rng(12)
    model = rnn.SequenceRegressor("lstm", 2, 4, 1, rng=rng)
    same = Sequential(model.rnn, model.head)
    x = rng.normal(size=(3, 6, 2))
    np.testing.assert_array_equal(model(x), same(x))


@pytest.mark.parametrize("kind", sorted(LAYERS))
def test_carrying_the_final_state_over_chunks_equals_one_pass(kind):
    rng = np.random.default_rng(13)
    layer = LAYERS[kind](rng)
    x = rng.normal(size=(N, 7, D))
    whole = layer(x)
    layer.initial_state = None
    first = layer(x[:, :3])
    layer.initial_state = layer.final_state
    second = layer(x[:, 3:])
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), whole, rtol=1e-13)
