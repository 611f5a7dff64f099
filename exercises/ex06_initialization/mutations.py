"""Typical wrong answers to Exercise 6; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_INIT = '''def init_weights(scheme, n_in, n_out, rng):
    shape = (n_out, n_in)
    if scheme == "zeros":
        return np.zeros(shape)
    if scheme == "xavier":
        return {xavier}
    if scheme == "he":
        return {he}
    if scheme == "uniform":
        return {uniform}
    raise ValueError(scheme)
'''
_RIGHT_INIT = dict(xavier="rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=shape)",
                   he="rng.normal(0.0, np.sqrt(2.0 / n_in), size=shape)",
                   uniform="rng.uniform(-1.0, 1.0, size=shape)")


def _init(**wrong):
    return _INIT.format(**{**_RIGHT_INIT, **wrong})


_STATS = '''def forward_stats(X, weights, activation):
    phi = np.tanh if activation == "tanh" else (lambda z: np.maximum(z, 0.0))
    A = X
    stats = []
    for {loop}:
        Z = A @ W.T
        A = {A}
        stats.append({row})
    return np.array(stats, dtype=float)
'''
_RIGHT_STATS = dict(loop="W in weights", A="phi(Z)", row="[A.mean(), A.std()]")


def _stats(**wrong):
    return _STATS.format(**{**_RIGHT_STATS, **wrong})


MUTATIONS = [
    {"name": "xavier_with_n_in_only", "cell": "init_weights",
     "source": _init(xavier="rng.normal(0.0, np.sqrt(1.0 / n_in), size=shape)")},
    {"name": "he_variance_1_over_n_in", "cell": "init_weights",
     "source": _init(he="rng.normal(0.0, np.sqrt(1.0 / n_in), size=shape)")},
    {"name": "he_with_fan_out", "cell": "init_weights",
     "source": _init(he="rng.normal(0.0, np.sqrt(2.0 / n_out), size=shape)")},
    {"name": "variance_passed_as_std", "cell": "init_weights",
     "source": _init(xavier="rng.normal(0.0, 2.0 / (n_in + n_out), size=shape)",
                     he="rng.normal(0.0, 2.0 / n_in, size=shape)")},
    {"name": "uniform_on_0_1", "cell": "init_weights",
     "source": _init(uniform="rng.uniform(0.0, 1.0, size=shape)")},
    {"name": "stats_of_preactivations", "cell": "forward_stats",
     "source": _stats(row="[Z.mean(), Z.std()]")},
    {"name": "stats_std_per_unit", "cell": "forward_stats",
     "source": _stats(row="[A.mean(), A.std(axis=0).mean()]")},
    {"name": "stats_last_layer_linear", "cell": "forward_stats",
     "source": _stats(loop="l, W in enumerate(weights)",
                      A="phi(Z) if l < len(weights) - 1 else Z")},
    {"name": "experiment_one_weight_for_every_layer", "cell": "init_experiment",
     "source": (
         "def init_experiment(scheme, activation, seed, depth=10, width=256, n=500):\n"
         "    rng = np.random.default_rng(seed)\n"
         "    X = rng.standard_normal((n, width))\n"
         "    W = init_weights(scheme, width, width, rng)\n"
         "    return forward_stats(X, [W] * depth, activation)\n"
         "\n\n"
         "results = {}\n"
         "for activation in ('tanh', 'relu'):\n"
         "    for scheme in SCHEMES:\n"
         "        results[(scheme, activation)] = init_experiment(scheme, activation, seed=0)\n"
     )},
    {"name": "diagnosis_xavier_and_he_swapped", "cell": "diagnosis",
     "source": (
         "dead_start = 'zeros'\n"
         "tanh_saturates = 'uniform'\n"
         "relu_vanishes = 'he'\n"
         "relu_explodes = 'uniform'\n"
         "relu_stable = 'xavier'\n"
     )},
    {"name": "hardcode", "cell": "init_experiment",
     "source": (
         "def init_experiment(scheme, activation, seed, depth=10, width=256, n=500):\n"
         "    return np.zeros((depth, 2))\n"
         "\n\n"
         "# the visible answers typed in\n"
         "results = {(s, a): np.zeros((10, 2)) for s in SCHEMES for a in ('tanh', 'relu')}\n"
         "results[('he', 'relu')][-1] = [0.6518118787525805, 1.0027064928406775]\n"
     )},
]
