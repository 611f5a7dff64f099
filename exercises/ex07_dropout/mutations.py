"""Typical wrong answers to Exercise 7; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_FORWARD = '''def dropout_forward(x, p_drop, rng, training):
    if not training:
        return {eval_out}, np.ones(x.shape, dtype=bool)
    keep = {keep}
    return {train_out}, keep
'''
_RIGHT_FORWARD = dict(eval_out="x", keep="rng.random(x.shape) >= p_drop",
                      train_out="x * keep / (1.0 - p_drop)")


def _forward(**wrong):
    return _FORWARD.format(**{**_RIGHT_FORWARD, **wrong})


_SWEEP = '''def dropout_sweep(p_values, X_train, y_train, X_val, y_val, seed, epochs=1000):
    rows = []
    for i, p_drop in enumerate(p_values):
        params = train_mlp(X_train, y_train, p_drop, {seed}, epochs=epochs)
        train_acc, val_acc = accuracy(params, X_train, y_train), accuracy(params, X_val, y_val)
        rows.append([train_acc, val_acc, {gap}])
    return np.array(rows, dtype=float)


sweep = dropout_sweep(P_VALUES, X_train, y_train, X_val, y_val, seed=0)
smallest_gap_p = float(P_VALUES[int(np.argmin(sweep[:, 2]))])
'''
_RIGHT_SWEEP = dict(seed="seed", gap="train_acc - val_acc")


def _sweep(**wrong):
    return _SWEEP.format(**{**_RIGHT_SWEEP, **wrong})


MUTATIONS = [
    {"name": "forward_without_rescaling", "cell": "dropout_forward",
     "source": _forward(train_out="x * keep")},
    {"name": "dropout_active_at_inference", "cell": "dropout_forward",
     "source": (
         "def dropout_forward(x, p_drop, rng, training):\n"
         "    keep = rng.random(x.shape) >= p_drop\n"
         "    return x * keep / (1.0 - p_drop), keep\n"
     )},
    {"name": "keep_and_drop_probability_confused", "cell": "dropout_forward",
     "source": _forward(keep="rng.random(x.shape) < p_drop")},
    {"name": "rescaled_by_p_drop", "cell": "dropout_forward",
     "source": _forward(train_out="x * keep / max(p_drop, 1e-12)")},
    {"name": "non_inverted_dropout", "cell": "dropout_forward",
     "source": _forward(train_out="x * keep", eval_out="x * (1.0 - p_drop)")},
    {"name": "global_random_state", "cell": "dropout_forward",
     "source": _forward(keep="np.random.random(x.shape) >= p_drop")},
    {"name": "backward_ignores_the_mask", "cell": "dropout_backward",
     "source": (
         "def dropout_backward(dout, keep, p_drop):\n"
         "    return dout / (1.0 - p_drop)\n"
     )},
    {"name": "backward_without_rescaling", "cell": "dropout_backward",
     "source": (
         "def dropout_backward(dout, keep, p_drop):\n"
         "    return dout * keep\n"
     )},
    {"name": "sweep_networks_not_identical", "cell": "dropout_sweep",
     "source": _sweep(seed="seed + i")},
    {"name": "sweep_gap_sign_flipped", "cell": "dropout_sweep",
     "source": _sweep(gap="val_acc - train_acc")},
    {"name": "hardcode", "cell": "dropout_sweep",
     "source": (
         "def dropout_sweep(p_values, X_train, y_train, X_val, y_val, seed, epochs=1000):\n"
         "    # the visible answers typed in\n"
         "    acc = np.array([[0.975, 0.787], [0.95, 0.798], [0.925, 0.803], [0.925, 0.789]])\n"
         "    return np.column_stack([acc, acc[:, 0] - acc[:, 1]])[:len(p_values)]\n"
         "\n\n"
         "sweep = dropout_sweep(P_VALUES, X_train, y_train, X_val, y_val, seed=0)\n"
         "smallest_gap_p = 0.5\n"
     )},
]
