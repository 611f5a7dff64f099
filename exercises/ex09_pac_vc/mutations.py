"""Typical wrong answers to Exercise 9; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_BOUNDS = '''EPSILONS = [0.2, 0.1, 0.05, 0.02]


def finite_class_n(H_size, epsilon, delta):
    return {ceil}({finite})


def blumer_n(d_vc, epsilon, delta):
    return {ceil}({blumer})


def anthony_biggs_n(d_vc, epsilon, delta):
    return {ceil}({ab})


n_table = np.array([[blumer_n(6, eps, 0.05), anthony_biggs_n(6, eps, 0.05)] for eps in EPSILONS])
'''
_RIGHT_BOUNDS = dict(
    ceil="math.ceil",
    finite="(math.log(H_size) + math.log(1.0 / delta)) / epsilon",
    blumer="max(4.0 / epsilon * math.log2(2.0 / delta), 8.0 * d_vc / epsilon * math.log2(13.0 / epsilon))",
    ab="4.0 / epsilon * (d_vc * math.log2(12.0 / epsilon) + math.log2(2.0 / delta))",
)


def _bounds(**wrong):
    return _BOUNDS.format(**{**_RIGHT_BOUNDS, **wrong})


_PERCEPTRON = '''def perceptron_converges(X, y, max_epochs=1000):
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(max_epochs):
        mistakes = 0
        for x_i, y_i in zip(X, y):
            if {mistake}:
                w = w + y_i * x_i
                b = {b}
                mistakes += 1
        if mistakes == 0:
            return True
    return False
'''
_RIGHT_PERCEPTRON = dict(mistake="y_i * (x_i @ w + b) <= 0", b="b + y_i")


def _perceptron(**wrong):
    return _PERCEPTRON.format(**{**_RIGHT_PERCEPTRON, **wrong})


MUTATIONS = [
    {"name": "anthony_biggs_natural_log", "cell": "bounds",
     "source": _bounds(ab="4.0 / epsilon * (d_vc * math.log(12.0 / epsilon) + math.log(2.0 / delta))")},
    {"name": "blumer_natural_log", "cell": "bounds",
     "source": _bounds(blumer="max(4.0 / epsilon * math.log(2.0 / delta), 8.0 * d_vc / epsilon * math.log(13.0 / epsilon))")},
    {"name": "blumer_sum_instead_of_max", "cell": "bounds",
     "source": _bounds(blumer="4.0 / epsilon * math.log2(2.0 / delta) + 8.0 * d_vc / epsilon * math.log2(13.0 / epsilon)")},
    {"name": "finite_delta_and_epsilon_swapped", "cell": "bounds",
     "source": _bounds(finite="(math.log(H_size) + math.log(1.0 / epsilon)) / delta")},
    {"name": "finite_log_of_delta_not_one_over_delta", "cell": "bounds",
     "source": _bounds(finite="abs(math.log(H_size) + math.log(delta)) / epsilon")},
    {"name": "rounded_down", "cell": "bounds",
     "source": _bounds(ceil="int")},
    {"name": "rounded_to_nearest", "cell": "bounds",
     "source": _bounds(ceil="round")},
    {"name": "perceptron_strict_mistake_test", "cell": "perceptron_converges",
     "source": _perceptron(mistake="y_i * (x_i @ w + b) < 0")},
    {"name": "perceptron_without_bias", "cell": "perceptron_converges",
     "source": _perceptron(b="b")},
    {"name": "shattered_if_any_labelling_works", "cell": "shatter_search",
     "source": (
         "def shatter_search(X, max_epochs=1000):\n"
         "    n = X.shape[0]\n"
         "    failures = [lab for lab in itertools.product((-1, 1), repeat=n)\n"
         "                if not perceptron_converges(X, np.array(lab), max_epochs)]\n"
         "    failures = np.array(failures, dtype=int).reshape(len(failures), n)\n"
         "    return len(failures) < 2 ** n, failures\n"
         "\n\n"
         "three_shattered, _ = shatter_search(THREE_POINTS)\n"
         "four_shattered, four_failures = shatter_search(FOUR_POINTS)\n"
     )},
    {"name": "labels_zero_and_one", "cell": "shatter_search",
     "source": (
         "def shatter_search(X, max_epochs=1000):\n"
         "    n = X.shape[0]\n"
         "    failures = [lab for lab in itertools.product((0, 1), repeat=n)\n"
         "                if not perceptron_converges(X, np.array(lab), max_epochs)]\n"
         "    failures = np.array(failures, dtype=int).reshape(len(failures), n)\n"
         "    return len(failures) == 0, failures\n"
         "\n\n"
         "three_shattered, _ = shatter_search(THREE_POINTS)\n"
         "four_shattered, four_failures = shatter_search(FOUR_POINTS)\n"
     )},
    {"name": "perceptron_not_written", "cell": "perceptron_converges",     # one bug costs one part
     "source": "def perceptron_converges(X, y, max_epochs=1000):\n    raise NotImplementedError()\n",
     "scores": {"test_perceptron_converges": 0, "test_shatter_search": 2.75}},   # all but the stored results
    {"name": "rounded_up_by_adding_one", "cell": "bounds",     # wrong when the bound is an integer already
     "source": _bounds(ceil="1 + int")},
    {"name": "bounds_return_numpy_floats", "cell": "bounds",
     "source": _bounds(ceil="np.ceil")},
    {"name": "perceptron_one_epoch_more", "cell": "perceptron_converges",
     "source": _PERCEPTRON.replace("range(max_epochs)", "range(max_epochs + 1)").format(**_RIGHT_PERCEPTRON)},
    {"name": "no_failures_of_shape_0", "cell": "shatter_search",     # np.array([]) has shape (0,), not (0, n)
     "source": (
         "def shatter_search(X, max_epochs=1000):\n"
         "    n = X.shape[0]\n"
         "    failures = np.array([lab for lab in itertools.product((-1, 1), repeat=n)\n"
         "                         if not perceptron_converges(X, np.array(lab), max_epochs)], dtype=int)\n"
         "    return len(failures) == 0, failures\n"
         "\n\n"
         "three_shattered, _ = shatter_search(THREE_POINTS)\n"
         "four_shattered, four_failures = shatter_search(FOUR_POINTS)\n"
     ), "hidden_only": "the visible point sets all have failures or are not checked for them"},
    {"name": "n_table_columns_swapped", "cell": "bounds",
     "source": _bounds().replace("[[blumer_n(6, eps, 0.05), anthony_biggs_n(6, eps, 0.05)]",
                                 "[[anthony_biggs_n(6, eps, 0.05), blumer_n(6, eps, 0.05)]")},
    {"name": "perceptron_stops_after_the_first_epoch", "cell": "perceptron_converges",
     "source": _PERCEPTRON.replace("        if mistakes == 0:\n            return True\n",
                                   "        return mistakes == 0\n").format(**_RIGHT_PERCEPTRON)},
    {"name": "shatter_uses_the_notebook_points", "cell": "shatter_search",     # ignores its argument X
     "source": (
         "def shatter_search(X, max_epochs=1000):\n"
         "    X = FOUR_POINTS if len(X) == 4 else THREE_POINTS\n"
         "    n = X.shape[0]\n"
         "    failures = [lab for lab in itertools.product((-1, 1), repeat=n)\n"
         "                if not perceptron_converges(X, np.array(lab), max_epochs)]\n"
         "    failures = np.array(failures, dtype=int).reshape(len(failures), n)\n"
         "    return len(failures) == 0, failures\n"
         "\n\n"
         "three_shattered, _ = shatter_search(THREE_POINTS)\n"
         "four_shattered, four_failures = shatter_search(FOUR_POINTS)\n"
     )},
    {"name": "hardcode", "cell": "bounds",
     "source": (
         "# the visible answers typed in\n"
         "EPSILONS = [0.2, 0.1, 0.05, 0.02]\n"
         "\n\n"
         "def finite_class_n(H_size, epsilon, delta):\n"
         "    return 100 if H_size == 1000 else 169\n"
         "\n\n"
         "def blumer_n(d_vc, epsilon, delta):\n"
         "    return {1: 88, 0: 16}.get(d_vc, 4407)\n"
         "\n\n"
         "def anthony_biggs_n(d_vc, epsilon, delta):\n"
         "    return 2435\n"
         "\n\n"
         "n_table = np.array([[1446, 816], [3371, 1871], [7702, 4222], [22427, 12139]])\n"
     )},
]

# valid answers written differently: each must score full marks
VARIANTS = [
    {"name": "perceptron_with_indices_and_in_place_updates", "cell": "perceptron_converges",
     "source": (
         "def perceptron_converges(X, y, max_epochs=1000):\n"
         "    w = np.zeros(X.shape[1])\n"
         "    b = 0.0\n"
         "    for epoch in range(max_epochs):\n"
         "        clean = True\n"
         "        for i in range(X.shape[0]):\n"
         "            if y[i] * (np.dot(w, X[i]) + b) <= 0:\n"
         "                w += y[i] * X[i]\n"
         "                b += y[i]\n"
         "                clean = False\n"
         "        if clean:\n"
         "            return True\n"
         "    return False\n"
     )},
    {"name": "bounds_with_the_log_of_a_quotient", "cell": "bounds",
     "source": _bounds(finite="math.log(H_size / delta) / epsilon")},
]
