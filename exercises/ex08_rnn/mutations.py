"""Typical wrong answers to Exercise 8; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_BACKWARD = '''def rnn_backward(dH, x, h0, H, W, U):
    n, T, _ = x.shape
    dW, dU, db = np.zeros_like(W), np.zeros_like(U), np.zeros(W.shape[0])
    dh_next = np.zeros_like(h0)
    for t in reversed(range(T)):
        dh = {dh}
        h_prev = H[:, t - 1] if t > 0 else h0
        delta = {delta}
        {dW}
        dU += delta.T @ x[:, t]
        db += delta.sum(axis=0)
        dh_next = {dh_next}
    return {{"W": dW, "U": dU, "b": db, "h0": dh_next}}
'''
_RIGHT = dict(dh="dH[:, t] + dh_next", delta="dh * (1.0 - H[:, t] ** 2)",
              dW="dW += delta.T @ h_prev", dh_next="delta @ W")


def _backward(**wrong):
    return _BACKWARD.format(**{**_RIGHT, **wrong})


_NORMS = '''def grad_norms(x, h0, W, U, b):
    H = rnn_forward(x, h0, W, U, b)
    n, T, h = H.shape
    dh = np.full((n, h), 1.0 / np.sqrt(h))
    norms = [np.linalg.norm(dh, axis=1).mean()]
    for t in range(T - 1, 0, -1):
        dh = {step}
        norms.append(np.linalg.norm(dh, axis=1).mean())
    return np.array(norms)


norm_ratios = np.array([grad_norms(x_seq, h0_seq, W_for(rho), U_seq, b_seq)[50] for rho in RHOS])
'''

_GATED = '''def gated_grad_norms(x, h0, W, U, b, f, i):
    n, T, _ = x.shape
    h = h0
    G = []
    for t in range(T):
        g = np.tanh(h @ W.T + x[:, t] @ U.T + b)
        h = f * h + i * g
        G.append(g)
    dh = np.full(h.shape, 1.0 / np.sqrt(h.shape[1]))
    norms = [np.linalg.norm(dh, axis=1).mean()]
    for t in range(T - 1, 0, -1):
        dh = {step}
        norms.append(np.linalg.norm(dh, axis=1).mean())
    return np.array(norms)


gated_at_50 = float(gated_grad_norms(x_seq, h0_seq, W_for(1.0), U_seq, b_seq, f=0.98, i=0.1)[50])
vanilla_at_50 = float(grad_norms(x_seq, h0_seq, W_for(1.0), U_seq, b_seq)[50])
'''

MUTATIONS = [
    {"name": "forward_without_tanh", "cell": "rnn_forward",
     "source": (
         "def rnn_forward(x, h0, W, U, b):\n"
         "    n, T, _ = x.shape\n"
         "    H = np.empty((n, T, W.shape[0]))\n"
         "    h = h0\n"
         "    for t in range(T):\n"
         "        h = h @ W.T + x[:, t] @ U.T + b\n"
         "        H[:, t] = h\n"
         "    return H\n"
     )},
    {"name": "bptt_missing_tanh_derivative", "cell": "rnn_backward",
     "source": _backward(delta="dh")},
    {"name": "bptt_tanh_derivative_of_previous_state", "cell": "rnn_backward",
     "source": _backward(delta="dh * (1.0 - h_prev ** 2)")},
    {"name": "bptt_gradient_not_accumulated_over_time", "cell": "rnn_backward",
     "source": _backward(dW="dW = delta.T @ h_prev")},
    {"name": "bptt_W_gradient_transposed", "cell": "rnn_backward",
     "source": _backward(dW="dW += h_prev.T @ delta")},
    {"name": "bptt_backward_through_W_transposed", "cell": "rnn_backward",
     "source": _backward(dh_next="delta @ W.T")},
    {"name": "bptt_ignores_direct_gradients", "cell": "rnn_backward",
     "source": _backward(dh="(dH[:, t] if t == T - 1 else 0.0) + dh_next")},
    {"name": "bptt_stops_before_the_initial_state", "cell": "rnn_backward",
     "source": _backward(dh_next="delta @ W if t > 0 else np.zeros_like(h0)")},
    {"name": "grad_norms_missing_tanh_derivative", "cell": "grad_norms",
     "source": _NORMS.format(step="dh @ W")},
    {"name": "gated_without_forget_path", "cell": "gated_grad_norms",
     "source": _GATED.format(step="(i * dh * (1.0 - G[t] ** 2)) @ W")},
    {"name": "gated_forget_gate_inside_the_product", "cell": "gated_grad_norms",
     "source": _GATED.format(step="((f + i * (1.0 - G[t] ** 2)) * dh) @ W")},
    {"name": "gated_candidate_path_without_i", "cell": "gated_grad_norms",
     "source": _GATED.format(step="f * dh + (dh * (1.0 - G[t] ** 2)) @ W")},
    {"name": "hardcode", "cell": "grad_norms",
     "source": (
         "def grad_norms(x, h0, W, U, b):\n"
         "    # the visible answers typed in\n"
         "    if x.shape == (2, 4, 2):\n"
         "        return np.array([1.0, 0.5702611568551269, 0.17733150276964302, 0.06821182179160687])\n"
         "    return 0.5 ** np.arange(x.shape[1])\n"
         "\n\n"
         "norm_ratios = np.array([0.5 ** 50] * 4)\n"
     )},
]

_FORWARD = """def rnn_forward(x, h0, W, U, b):
    n, T, _ = x.shape
    H = np.empty((n, T, W.shape[0]))
    h = h0
    for t in range(T):
        h = np.tanh(h @ W.T + x[:, t] @ U.T + b)
        H[:, t] = h
    return H
"""

MUTATIONS += [
    {"name": "forward_overwrites_h0", "cell": "rnn_forward",
     "source": _FORWARD.replace("    h = h0\n", "    h = h0\n").replace(
         "        h = np.tanh(h @ W.T + x[:, t] @ U.T + b)\n", "        h[...] = np.tanh(h @ W.T + x[:, t] @ U.T + b)\n")},
    {"name": "forward_stacks_a_list", "cell": "rnn_forward",
     "hidden_only": "only a sequence of no steps shows it, and the visible checks use none",
     "source": (
         "def rnn_forward(x, h0, W, U, b):\n"
         "    states, h = [], h0\n"
         "    for t in range(x.shape[1]):\n"
         "        h = np.tanh(h @ W.T + x[:, t] @ U.T + b)\n"
         "        states.append(h)\n"
         "    return np.stack(states, axis=1)\n"
     )},
    {"name": "bptt_wrong_keys", "cell": "rnn_backward",
     "source": _backward().replace('return {"W": dW, "U": dU, "b": db, "h0": dh_next}',
                                   'return {"dW": dW, "dU": dU, "db": db, "dh0": dh_next}')},
    {"name": "grad_norms_norm_of_the_whole_batch", "cell": "grad_norms",
     "source": _NORMS.format(step="(dh * (1.0 - H[:, t] ** 2)) @ W").replace(
         "np.linalg.norm(dh, axis=1).mean()", "np.linalg.norm(dh)")},
    {"name": "grad_norms_ignores_its_arguments", "cell": "grad_norms",
     "source": _NORMS.format(step="(dh * (1.0 - H[:, t] ** 2)) @ W").replace(
         "H = rnn_forward(x, h0, W, U, b)", "H = rnn_forward(x_seq, h0_seq, W, U_seq, b_seq)")},
    # an unanswered Part A costs Part A, and in later parts only the stored values that need it
    {"name": "forward_not_written", "cell": "rnn_forward",
     "source": "def rnn_forward(x, h0, W, U, b):\n    raise NotImplementedError()\n",
     "scores": {"test_rnn_forward": 0.0, "test_rnn_backward": 4.0, "test_grad_norms": 1.6875,
                "test_gated_grad_norms": 1.75}},
    {"name": "bptt_transposed_everything", "cell": "rnn_backward",
     "source": _backward(dW="dW += h_prev.T @ delta", dh_next="delta @ W.T"),
     "scores": {"test_rnn_forward": 2.0, "test_grad_norms": 2.0, "test_gated_grad_norms": 2.0}},
]

# found by measuring the checks against mistakes written after them
MUTATIONS += [
    {"name": "norm_ratios_at_distance_49", "cell": "grad_norms",
     "source": _NORMS.format(step="(dh * (1.0 - H[:, t] ** 2)) @ W").replace("b_seq)[50] for rho", "b_seq)[49] for rho")},
    {"name": "gated_backward_through_W_transposed", "cell": "gated_grad_norms",
     "source": _GATED.format(step="f * dh + (i * dh * (1.0 - G[t] ** 2)) @ W.T")},
    {"name": "gated_tanh_derivative_of_the_state", "cell": "gated_grad_norms",
     "source": _GATED.format(step="f * dh + (i * dh * (1.0 - G[t] ** 2)) @ W").replace("        G.append(g)\n", "        G.append(h)\n")},
    {"name": "forward_stores_the_previous_state", "cell": "rnn_forward",
     "source": _FORWARD.replace("        h = np.tanh(h @ W.T + x[:, t] @ U.T + b)\n        H[:, t] = h\n",
                                "        H[:, t] = h\n        h = np.tanh(h @ W.T + x[:, t] @ U.T + b)\n")},
]

# Valid answers written differently: each must score full marks (see tests/exercises/test_quality.py)
VARIANTS = [
    {"name": "forward_column_vector_form", "cell": "rnn_forward",
     "source": _FORWARD.replace("h = np.tanh(h @ W.T + x[:, t] @ U.T + b)",
                                "h = np.tanh((W @ h.T).T + np.einsum('hd,nd->nh', U, x[:, t]) + b)")},
    {"name": "forward_stacks_a_list_of_states", "cell": "rnn_forward",
     "source": (
         "def rnn_forward(x, h0, W, U, b):\n"
         "    states, h = [], h0\n"
         "    for t in range(x.shape[1]):\n"
         "        h = np.tanh(h @ W.T + x[:, t] @ U.T + b)\n"
         "        states.append(h)\n"
         "    if not states:\n"
         "        return np.zeros((x.shape[0], 0, W.shape[0]))\n"
         "    return np.stack(states, axis=1)\n"
     )},
    {"name": "bptt_with_einsum", "cell": "rnn_backward",
     "source": _backward(dW="dW += np.einsum('ni,nj->ij', delta, h_prev)")},
    {"name": "stored_values_as_numpy_floats", "cell": "gated_grad_norms",
     "source": _GATED.format(step="f * dh + (i * dh * (1.0 - G[t] ** 2)) @ W").replace(
         "float(gated_grad_norms(x_seq, h0_seq, W_for(1.0), U_seq, b_seq, f=0.98, i=0.1)[50])",
         "gated_grad_norms(x_seq, h0_seq, W_for(1.0), U_seq, b_seq, f=0.98, i=0.1)[50]").replace(
         "float(grad_norms(x_seq, h0_seq, W_for(1.0), U_seq, b_seq)[50])", "grad_norms(x_seq, h0_seq, W_for(1.0), U_seq, b_seq)[50]")},
]
