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
]

_HIST = """def activation_histograms(scheme, activation, seed, edges, depth=10, width=256, n=500):
    rng = np.random.default_rng(seed)
    A = rng.standard_normal((n, width))
    weights_rng = {weights_rng}
    weights = [init_weights(scheme, width, width, weights_rng) for _ in range(depth)]
    phi = {phi}
    rows = []
    for W in weights:
        A = {A}
        counts, _ = np.histogram(A, bins=edges)
        rows.append({fraction})
    return np.array(rows, dtype=float)


histograms = {{}}
for scheme in SCHEMES:
    histograms[(scheme, "tanh")] = activation_histograms(scheme, "tanh", 0, TANH_EDGES)
    histograms[(scheme, "relu")] = activation_histograms(scheme, "relu", 0, RELU_EDGES)
"""
_RIGHT_HIST = dict(weights_rng="rng", phi='np.tanh if activation == "tanh" else (lambda z: np.maximum(z, 0.0))',
                   A="phi(A @ W.T)", fraction="counts / A.size")


def _hist(**wrong):
    return _HIST.format(**{**_RIGHT_HIST, **wrong})


MUTATIONS += [
    {"name": "hist_counts_not_fractions", "cell": "activation_histograms", "source": _hist(fraction="counts")},
    {"name": "hist_of_preactivations", "cell": "activation_histograms", "source": _hist(A="A @ W.T")},
    {"name": "hist_ignores_the_activation", "cell": "activation_histograms",
     "source": _hist(phi="lambda z: np.maximum(z, 0.0)")},
    {"name": "hist_fresh_generator_for_the_weights", "cell": "activation_histograms",
     "source": _hist(weights_rng="np.random.default_rng(seed)")},
    {"name": "hist_normalised_by_the_layer_width", "cell": "activation_histograms",
     "source": _hist(fraction="counts / A.shape[1]")},
    {"name": "hardcode", "cell": "activation_histograms",
     "source": (
         "# the visible answers typed in\n"
         "def activation_histograms(scheme, activation, seed, edges, depth=10, width=256, n=500):\n"
         "    if len(edges) == 5:\n"
         "        return np.array([[0.275, 0.3, 0.225, 0.2], [0.1, 0.45, 0.375, 0.075], [0.05, 0.525, 0.425, 0.0]])\n"
         "    out = np.zeros((depth, len(edges) - 1))\n"
         "    out[:, 0] = 1.0\n"
         "    return out\n"
         "\n\n"
         "histograms = {}\n"
         "for scheme in SCHEMES:\n"
         "    histograms[(scheme, 'tanh')] = activation_histograms(scheme, 'tanh', 0, TANH_EDGES)\n"
         "    histograms[(scheme, 'relu')] = activation_histograms(scheme, 'relu', 0, RELU_EDGES)\n"
     )},
]

# Valid answers that must score full marks with every seed: the same draws written otherwise.
VARIANTS = [
    {"name": "normal_as_scaled_standard_normal", "cell": "init_weights",
     "source": (
         "def init_weights(scheme, n_in, n_out, rng):\n"
         "    std = {'xavier': np.sqrt(2.0 / (n_in + n_out)), 'he': np.sqrt(2.0 / n_in)}\n"
         "    if scheme == 'zeros':\n"
         "        return np.zeros((n_out, n_in))\n"
         "    if scheme in std:\n"
         "        return std[scheme] * rng.standard_normal((n_out, n_in))\n"
         "    if scheme == 'uniform':\n"
         "        return rng.uniform(-1.0, 1.0, size=(n_out, n_in))\n"
         "    raise ValueError(scheme)\n"
     )},
    {"name": "experiment_inputs_from_normal", "cell": "init_experiment",
     "source": (
         "def init_experiment(scheme, activation, seed, depth=10, width=256, n=500):\n"
         "    rng = np.random.default_rng(seed)\n"
         "    X = rng.normal(0.0, 1.0, size=(n, width))\n"
         "    return forward_stats(X, [init_weights(scheme, width, width, rng) for _ in range(depth)], activation)\n"
         "\n\n"
         "results = {}\n"
         "for scheme in SCHEMES:\n"
         "    for activation in ('relu', 'tanh'):\n"
         "        results[(scheme, activation)] = init_experiment(scheme, activation, seed=0)\n"
     )},
    {"name": "histograms_with_ravel", "cell": "activation_histograms",
     "source": _hist(fraction="counts / len(A.ravel())")},
]


MUTATIONS += [
    # a scheme left out costs only its own checks
    {"name": "uniform_scheme_missing", "cell": "init_weights",
     "source": (
         "def init_weights(scheme, n_in, n_out, rng):\n"
         "    shape = (n_out, n_in)\n"
         "    if scheme == \"zeros\":\n"
         "        return np.zeros(shape)\n"
         "    if scheme == \"xavier\":\n"
         "        return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=shape)\n"
         "    if scheme == \"he\":\n"
         "        return rng.normal(0.0, np.sqrt(2.0 / n_in), size=shape)\n"
         "    raise ValueError(f\"unknown scheme {scheme!r}\")\n"
     ),
     "scores": {"test_init_weights": 2.25}},
    # one bug costs one part: an unanswered init_weights costs Part A and the answers computed with it
    # (results, histograms), never forward_stats, the checks of init_experiment and
    # activation_histograms (stand-ins and references), nor the diagnosis strings
    {"name": "init_weights_not_written", "cell": "init_weights",
     "source": "def init_weights(scheme, n_in, n_out, rng):\n    raise NotImplementedError()\n",
     "scores": {"test_init_weights": 0.0, "test_forward_stats": 3.0, "test_init_experiment": 1.625,
                "test_diagnosis": 1.75, "test_activation_histograms": 1.375}},
]
