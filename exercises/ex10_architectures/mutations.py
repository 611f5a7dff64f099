"""Typical wrong answers to Exercise 10; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_BUILD = """import nnkit


def build_mlp(sizes, rng):
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nnkit.Dense(n_in, n_out, rng=rng), nnkit.ReLU()]
    return nnkit.Sequential(*{layers})


def count_parameters(sizes):
    return int(sum({count} for n_in, n_out in zip(sizes[:-1], sizes[1:])))
"""
_RIGHT_BUILD = dict(layers="layers[:-1]", count="n_out * n_in + n_out")


def _build(**wrong):
    return _BUILD.format(**{**_RIGHT_BUILD, **wrong})


_STUDY = """def architecture_study(archs, seeds):
    table = np.zeros((len(archs), len(seeds), 2))
    for a, sizes in enumerate(archs):
        for s, seed in enumerate(seeds):
            net = build_mlp(sizes, np.random.default_rng({init_seed}))
            table[a, s] = train_and_evaluate(net, split({split_seed}))
    return table


study = architecture_study(ARCHS, SEEDS)
"""
_RIGHT_STUDY = dict(init_seed="seed", split_seed="seed")


def _study(**wrong):
    return _STUDY.format(**{**_RIGHT_STUDY, **wrong})


_SUMMARY = """def summarize(study):
    n_seeds = study.shape[1]
    return {mean}, {sem}


study_mean, study_sem = summarize(study)
"""
_RIGHT_SUMMARY = dict(mean="study.mean(axis=1)", sem="study.std(axis=1, ddof=1) / np.sqrt(n_seeds)")


def _summary(**wrong):
    return _SUMMARY.format(**{**_RIGHT_SUMMARY, **wrong})


MUTATIONS = [
    {"name": "relu_on_the_output", "cell": "build_mlp", "source": _build(layers="layers")},
    {"name": "no_hidden_activation", "cell": "build_mlp",
     "source": _build(layers="[layer for layer in layers[:-1] if not isinstance(layer, nnkit.ReLU)]")},
    {"name": "count_without_biases", "cell": "build_mlp", "source": _build(count="n_out * n_in")},
    {"name": "count_one_bias_per_input", "cell": "build_mlp", "source": _build(count="n_out * n_in + n_in")},
    {"name": "study_one_split_for_every_seed", "cell": "architecture_study", "source": _study(split_seed="seeds[0]")},
    {"name": "study_same_weights_for_every_seed", "cell": "architecture_study", "source": _study(init_seed="0")},
    {"name": "summary_standard_deviation", "cell": "summarize",
     "source": _summary(sem="study.std(axis=1, ddof=1)")},
    {"name": "summary_over_the_architectures", "cell": "summarize",
     "source": _summary(mean="study.mean(axis=0)", sem="study.std(axis=0, ddof=1) / np.sqrt(study.shape[0])")},
    {"name": "hardcode", "cell": "summarize",
     "source": (
         "# the visible answers typed in\n"
         "def summarize(study):\n"
         "    if study.shape == (1, 3, 2):\n"
         "        return np.array([[0.9, 0.6]]), np.array([[0.0577350269189626, 0.0577350269189626]])\n"
         "    return np.full((study.shape[0], 2), 0.95), np.full((study.shape[0], 2), 0.01)\n"
         "\n\n"
         "study_mean, study_sem = summarize(study)\n"
     )},
]

# Valid answers that must score full marks with every seed shift: the same runs in another order.
VARIANTS = [
    {"name": "study_seeds_outer", "cell": "architecture_study",
     "source": (
         "def architecture_study(archs, seeds):\n"
         "    table = np.empty((len(archs), len(seeds), 2))\n"
         "    for s, seed in enumerate(seeds):\n"
         "        data = split(seed)\n"
         "        for a, sizes in enumerate(archs):\n"
         "            table[a, s] = train_and_evaluate(build_mlp(sizes, np.random.default_rng(seed)), data)\n"
         "    return table\n"
         "\n\n"
         "study = architecture_study(ARCHS, SEEDS)\n"
     )},
    {"name": "build_with_a_list_comprehension", "cell": "build_mlp",
     "source": (
         "import nnkit\n"
         "\n\n"
         "def build_mlp(sizes, rng):\n"
         "    dense = [nnkit.Dense(a, b, rng=rng) for a, b in zip(sizes[:-1], sizes[1:])]\n"
         "    layers = [dense[0]]\n"
         "    for layer in dense[1:]:\n"
         "        layers += [nnkit.ReLU(), layer]\n"
         "    return nnkit.Sequential(*layers)\n"
         "\n\n"
         "def count_parameters(sizes):\n"
         "    sizes = np.asarray(sizes)\n"
         "    return int(np.sum(sizes[1:] * (sizes[:-1] + 1)))\n"
     )},
]


MUTATIONS += [
    # an unanswered part costs only its own checks: count_parameters still earns its own points
    {"name": "build_mlp_not_written", "cell": "build_mlp",
     "source": _build().replace(
         "    layers = []\n    for n_in, n_out in zip(sizes[:-1], sizes[1:]):\n"
         "        layers += [nnkit.Dense(n_in, n_out, rng=rng), nnkit.ReLU()]\n"
         "    return nnkit.Sequential(*layers[:-1])\n",
         "    raise NotImplementedError()\n"),
     "scores": {"test_build_mlp": 1.25}},   # count_matches_the_network needs build_mlp too
]
