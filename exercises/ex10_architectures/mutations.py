"""Typical wrong answers to Exercise 10; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_BUILD = """import nnkit


def build_mlp(sizes, rng):
    if len(sizes) < 2:
        raise ValueError("build_mlp needs at least two sizes")
    layers = []
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [nnkit.Dense(n_in, n_out, rng=rng), nnkit.ReLU()]
    return nnkit.Sequential(*{layers})


def count_parameters(sizes):
    if len(sizes) < 2:
        raise ValueError("count_parameters needs at least two sizes")
    return int(sum({count} for n_in, n_out in zip(sizes[:-1], sizes[1:])))
"""
_RIGHT_BUILD = dict(layers="layers[:-1]", count="n_out * n_in + n_out")


def _build(**wrong):
    return _BUILD.format(**{**_RIGHT_BUILD, **wrong})


_STUDY = """def architecture_study(archs, seeds):
    table = np.zeros((len(archs), len(seeds), 3))
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


def select_architecture(mean):
    return {select}


study_mean, study_sem = summarize(study)
chosen = int(select_architecture(study_mean))
chosen_test, chosen_test_sem = float(study_mean[chosen, 2]), float(study_sem[chosen, 2])
"""
_RIGHT_SUMMARY = dict(mean="study.mean(axis=1)", sem="study.std(axis=1, ddof=1) / np.sqrt(n_seeds)",
                      select="int(np.argmax(mean[:, 1]))")


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
     "source": _summary().replace(
         "def summarize(study):\n",
         "def summarize(study):\n"
         "    # the visible answers typed in\n"
         "    if np.shape(study) == (1, 3, 3):\n"
         "        return np.array([[0.9, 0.6, 0.5]]), np.full((1, 3), 0.0577350269189626)\n"
         "    return np.full((study.shape[0], 3), 0.95), np.full((study.shape[0], 3), 0.01)\n")},
]

# Valid answers that must score full marks with every seed shift: the same runs in another order.
VARIANTS = [
    {"name": "study_seeds_outer", "cell": "architecture_study",
     "source": (
         "def architecture_study(archs, seeds):\n"
         "    table = np.empty((len(archs), len(seeds), 3))\n"
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
         "    if len(sizes) < 2:\n"
         "        raise ValueError(f'no layer between {len(sizes)} sizes')\n"
         "    dense = [nnkit.Dense(a, b, rng=rng) for a, b in zip(sizes[:-1], sizes[1:])]\n"
         "    layers = [dense[0]]\n"
         "    for layer in dense[1:]:\n"
         "        layers += [nnkit.ReLU(), layer]\n"
         "    return nnkit.Sequential(*layers)\n"
         "\n\n"
         "def count_parameters(sizes):\n"
         "    if len(sizes) < 2:\n"
         "        raise ValueError('count_parameters: give at least two sizes')\n"
         "    sizes = np.asarray(sizes)\n"
         "    return int(np.sum(sizes[1:] * (sizes[:-1] + 1)))\n"
     )},
]


MUTATIONS += [
    # an unanswered part costs only its own checks: count_parameters still earns its own points
    {"name": "build_mlp_not_written", "cell": "build_mlp",
     "source": _build().replace(
         "    if len(sizes) < 2:\n        raise ValueError(\"build_mlp needs at least two sizes\")\n"
         "    layers = []\n    for n_in, n_out in zip(sizes[:-1], sizes[1:]):\n"
         "        layers += [nnkit.Dense(n_in, n_out, rng=rng), nnkit.ReLU()]\n"
         "    return nnkit.Sequential(*layers[:-1])\n",
         "    raise NotImplementedError()\n"),
     "scores": {"test_build_mlp": 1.1875}},   # count_matches_the_network needs build_mlp too
]


MUTATIONS += [
    {"name": "count_changes_sizes_in_place", "cell": "build_mlp",
     "source": _build().replace(
         "    return int(sum(n_out * n_in + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])))\n",
         "    total = 0\n"
         "    while len(sizes) > 1:\n"
         "        n_in = sizes.pop(0)\n"
         "        total += sizes[0] * n_in + sizes[0]\n"
         "    return total\n")},
    {"name": "count_returns_a_numpy_int", "cell": "build_mlp",
     "source": _build().replace(
         "    return int(sum(n_out * n_in + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])))\n",
         "    sizes = np.array(sizes)\n"
         "    return np.sum(sizes[1:] * sizes[:-1] + sizes[1:])\n")},
    {"name": "study_uses_the_global_lists", "cell": "architecture_study",
     "source": _study().replace("enumerate(archs)", "enumerate(ARCHS)").replace("enumerate(seeds)", "enumerate(SEEDS)")
                       .replace("np.zeros((len(archs), len(seeds), 3))", "np.zeros((len(ARCHS), len(SEEDS), 3))")},
    {"name": "study_loses_the_shape_when_empty", "cell": "architecture_study",
     "hidden_only": "only an empty list of architectures or seeds shows it, and the visible checks use none",
     "source": (
         "def architecture_study(archs, seeds):\n"
         "    return np.array([[train_and_evaluate(build_mlp(sizes, np.random.default_rng(seed)), split(seed))\n"
         "                      for seed in seeds] for sizes in archs])\n"
         "\n\n"
         "study = architecture_study(ARCHS, SEEDS)\n")},
    {"name": "select_by_test_accuracy", "cell": "summarize", "source": _summary(select="int(np.argmax(mean[:, 2]))")},
    {"name": "select_returns_the_best_accuracy", "cell": "summarize", "source": _summary(select="float(np.max(mean[:, 1]))")},
    {"name": "too_few_sizes_not_refused", "cell": "build_mlp",
     "hidden_only": "the visible checks never pass fewer than two sizes",
     "source": _build().replace("    if len(sizes) < 2:\n        raise ValueError(\"count_parameters needs at least two sizes\")\n", "")},
    # a crash in build_mlp costs Part A and the stored study (which needs a network to exist) only
    {"name": "build_mlp_returns_a_list", "cell": "build_mlp",
     "source": _build(layers="layers[:-1]").replace("return nnkit.Sequential(*layers[:-1])", "return layers[:-1]"),
     "scores": {"test_architecture_study": 2.875, "test_summarize": 1.6875}},
]

# found by measuring the checks against mistakes written after them
MUTATIONS += [
    {"name": "build_ignores_the_generator", "cell": "build_mlp",
     "source": _build().replace("nnkit.Dense(n_in, n_out, rng=rng)", "nnkit.Dense(n_in, n_out, rng=np.random.default_rng(0))")},
    {"name": "study_split_by_the_seed_index", "cell": "architecture_study",
     "source": _study(split_seed="s")},
    {"name": "report_the_validation_accuracy", "cell": "summarize",
     "source": _summary().replace("float(study_mean[chosen, 2]), float(study_sem[chosen, 2])",
                                  "float(study_mean[chosen, 1]), float(study_sem[chosen, 1])")},
    {"name": "select_the_last_in_a_tie", "cell": "summarize",
     "source": _summary(select="int(len(mean) - 1 - np.argmax(mean[::-1, 1]))")},
]

VARIANTS += [
    {"name": "count_with_a_matrix_product", "cell": "build_mlp",
     "source": _build().replace(
         "    return int(sum(n_out * n_in + n_out for n_in, n_out in zip(sizes[:-1], sizes[1:])))\n",
         "    s = np.array(sizes)\n    return int(s[1:] @ (s[:-1] + 1))\n")},
    {"name": "select_with_a_numpy_item", "cell": "summarize",
     "source": _summary(select="np.argmax(np.asarray(mean)[:, 1]).item()")},
]
