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


_SWEEP = '''def dropout_sweep(p_values, X_train, y_train, X_val, y_val, seeds):
    table = np.zeros((len(seeds), len(p_values), 3))
    for s, seed in enumerate(seeds):
        for i, p_drop in enumerate(p_values):
            params = train_mlp(X_train, y_train, p_drop, {seed})
            train_acc, val_acc = accuracy(params, X_train, y_train), accuracy(params, X_val, y_val)
            table[s, i] = [train_acc, val_acc, {gap}]
    return table


def summarize(results):
    n_seeds = results.shape[0]
    return results.mean(axis=0), {sem}


results = dropout_sweep(P_VALUES, X_train, y_train, X_val, y_val, SEEDS)
sweep_mean, sweep_sem = summarize(results)
'''
_RIGHT_SWEEP = dict(seed="seed", gap="train_acc - val_acc",
                    sem="results.std(axis=0, ddof=1) / np.sqrt(n_seeds)")


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
    # draws from NumPy's unseeded global generator: its verdicts differ from run to run, so the
    # end-to-end test only requires that it never scores full marks (key "unseeded")
    {"name": "global_random_state", "cell": "dropout_forward", "unseeded": True,
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
    {"name": "sweep_one_seed_for_all", "cell": "dropout_sweep", "source": _sweep(seed="seeds[0]")},
    {"name": "sweep_gap_sign_flipped", "cell": "dropout_sweep", "source": _sweep(gap="val_acc - train_acc")},
    {"name": "sem_is_the_standard_deviation", "cell": "dropout_sweep",
     "source": _sweep(sem="results.std(axis=0, ddof=1)")},
    {"name": "sem_with_population_std", "cell": "dropout_sweep",
     "source": _sweep(sem="results.std(axis=0) / np.sqrt(n_seeds)")},
    {"name": "sem_divides_by_n", "cell": "dropout_sweep",
     "source": _sweep(sem="results.std(axis=0, ddof=1) / n_seeds")},
    {"name": "hardcode", "cell": "dropout_sweep",
     "source": _SWEEP.format(**_RIGHT_SWEEP).replace(
         "def summarize(results):\n",
         "def summarize(results):\n"
         "    # the visible answers typed in\n"
         "    if np.shape(results) == (3, 1, 3):\n"
         "        return np.array([[0.9, 0.6, 0.3]]), np.array([[0.0577350269189626, 0.0577350269189626, 0.1154700538379252]])\n"
         "    return np.mean(results, axis=0), np.full(np.shape(results)[1:], 0.01)\n")},
]

# Valid answers that must score full marks with every seed: other ways to draw the mask.
VARIANTS = [
    {"name": "mask_below_keep_probability", "cell": "dropout_forward",
     "source": _forward(keep="rng.random(x.shape) < 1.0 - p_drop")},
    {"name": "mask_from_binomial_draws", "cell": "dropout_forward",
     "source": _forward(keep="rng.binomial(1, 1.0 - p_drop, size=x.shape).astype(bool)")},
]
VARIANTS.append(
    {"name": "sweep_rates_outer_seeds_inner", "cell": "dropout_sweep",
     "source": (
         "def dropout_sweep(p_values, X_train, y_train, X_val, y_val, seeds):\n"
         "    table = np.empty((len(seeds), len(p_values), 3))\n"
         "    for i, p_drop in enumerate(p_values):\n"
         "        for s, seed in enumerate(seeds):\n"
         "            params = train_mlp(X_train, y_train, p_drop, seed)\n"
         "            accs = [accuracy(params, X_train, y_train), accuracy(params, X_val, y_val)]\n"
         "            table[s, i] = accs + [accs[0] - accs[1]]\n"
         "    return table\n"
         "\n\n"
         "def summarize(results):\n"
         "    return np.mean(results, axis=0), np.std(results, axis=0, ddof=1) / np.sqrt(len(results))\n"
         "\n\n"
         "results = dropout_sweep(P_VALUES, X_train, y_train, X_val, y_val, SEEDS)\n"
         "sweep_mean, sweep_sem = summarize(results)\n"
     )})

MUTATIONS += [
    {"name": "forward_changes_x_in_place", "cell": "dropout_forward",
     "source": (
         "def dropout_forward(x, p_drop, rng, training):\n"
         "    if not training:\n"
         "        return x, np.ones(x.shape, dtype=bool)\n"
         "    keep = rng.random(x.shape) >= p_drop\n"
         "    x *= keep / (1.0 - p_drop)\n"
         "    return x, keep\n"
     )},
    {"name": "inference_draws_a_mask", "cell": "dropout_forward",
     "source": (
         "def dropout_forward(x, p_drop, rng, training):\n"
         "    keep = rng.random(x.shape) >= p_drop\n"
         "    if not training:\n"
         "        return x, np.ones(x.shape, dtype=bool)\n"
         "    return x * keep / (1.0 - p_drop), keep\n"
     )},
    {"name": "one_mask_shared_by_all_rows", "cell": "dropout_forward",
     "source": _forward(keep="np.broadcast_to(rng.random(x.shape[-1:]) >= p_drop, x.shape)")},
    {"name": "backward_changes_dout_in_place", "cell": "dropout_backward",
     "source": (
         "def dropout_backward(dout, keep, p_drop):\n"
         "    dout *= keep\n"
         "    dout /= 1.0 - p_drop\n"
         "    return dout\n"
     )},
    {"name": "sweep_uses_the_global_lists", "cell": "dropout_sweep",
     "source": _SWEEP.replace("for s, seed in enumerate(seeds)", "for s, seed in enumerate(SEEDS)")
                     .replace("enumerate(p_values)", "enumerate(P_VALUES)")
                     .replace("np.zeros((len(seeds), len(p_values), 3))", "np.zeros((len(SEEDS), len(P_VALUES), 3))")
                     .format(**_RIGHT_SWEEP)},
    {"name": "sweep_empty_list_loses_the_shape", "cell": "dropout_sweep",
     "hidden_only": "only an empty list of rates or seeds shows it, and the visible checks use none",
     "source": _SWEEP.format(**_RIGHT_SWEEP).replace(
         "    table = np.zeros((len(seeds), len(p_values), 3))\n"
         "    for s, seed in enumerate(seeds):\n"
         "        for i, p_drop in enumerate(p_values):\n"
         "            params = train_mlp(X_train, y_train, p_drop, seed)\n"
         "            train_acc, val_acc = accuracy(params, X_train, y_train), accuracy(params, X_val, y_val)\n"
         "            table[s, i] = [train_acc, val_acc, train_acc - val_acc]\n"
         "    return table\n",
         "    rows = []\n"
         "    for seed in seeds:\n"
         "        row = []\n"
         "        for p_drop in p_values:\n"
         "            params = train_mlp(X_train, y_train, p_drop, seed)\n"
         "            train_acc, val_acc = accuracy(params, X_train, y_train), accuracy(params, X_val, y_val)\n"
         "            row.append([train_acc, val_acc, train_acc - val_acc])\n"
         "        rows.append(row)\n"
         "    return np.array(rows)\n")},
    # an unanswered Part A costs Part A and only the stored table of Part C (which needs a working
    # dropout to exist): Part B and the sweep's own checks keep their points
    {"name": "forward_not_written", "cell": "dropout_forward",
     "source": "def dropout_forward(x, p_drop, rng, training):\n    raise NotImplementedError()\n",
     "scores": {"test_dropout_forward": 0.0, "test_dropout_backward": 2.0, "test_dropout_sweep": 3.6875}},
    {"name": "backward_returns_nothing", "cell": "dropout_backward",
     "source": "def dropout_backward(dout, keep, p_drop):\n    dx = dout * keep / (1.0 - p_drop)\n",
     "scores": {"test_dropout_forward": 4.0, "test_dropout_backward": 0.0, "test_dropout_sweep": 3.6875}},
]

# found by measuring the checks against mistakes written after them
MUTATIONS += [
    {"name": "mask_from_a_fixed_seed", "cell": "dropout_forward",
     "source": _forward(keep="np.random.default_rng(0).random(x.shape) >= p_drop")},
    {"name": "forward_returns_the_drop_mask", "cell": "dropout_forward",
     "source": _forward().replace("    return x * keep / (1.0 - p_drop), keep\n", "    return x * keep / (1.0 - p_drop), ~keep\n")},
    {"name": "sweep_table_indexed_rates_first", "cell": "dropout_sweep",
     "source": _sweep().replace("table[s, i] = [", "table[i, s] = [")},
]

VARIANTS += [
    {"name": "forward_with_where_and_copy", "cell": "dropout_forward",
     "source": _forward(train_out="np.where(keep, x / (1.0 - p_drop), 0.0)")},
    {"name": "backward_with_where", "cell": "dropout_backward",
     "source": "def dropout_backward(dout, keep, p_drop):\n    return np.where(keep, dout, 0.0) / (1.0 - p_drop)\n"},
]
