"""Typical wrong answers to Exercise 4; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_NUMGRAD = """def numerical_gradient(f, theta, delta=1e-5):
    theta = np.asarray(theta, dtype=float)
    grad = np.zeros_like(theta)
    for i in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus.flat[i] += delta
        minus.flat[i] -= delta
        grad.flat[i] = {estimate}
    return grad
"""

_FIXED = """class FixedTanhDense(TanhDense):
    def backward(self, dA):
        dZ = {dZ}
        dX = dZ @ self.W
        dW = dZ.T @ self.X
        db = {db}
        return dX, dW, db
"""

MUTATIONS = [
    {
        "name": "forward_difference",
        "cell": "numerical_gradient",
        "source": _NUMGRAD.format(estimate="(f(plus) - f(theta)) / delta"),
    },
    {
        "name": "divides_by_h_not_2h",
        "cell": "numerical_gradient",
        "source": _NUMGRAD.format(estimate="(f(plus) - f(minus)) / delta"),
    },
    {
        "name": "perturbs_theta_in_place",
        "cell": "numerical_gradient",
        "source": (
            "def numerical_gradient(f, theta, delta=1e-5):\n"
            "    grad = np.zeros_like(theta)\n"
            "    for i in range(theta.size):\n"
            "        theta.flat[i] += delta\n"
            "        f_plus = f(theta)\n"
            "        theta.flat[i] -= 2 * delta\n"
            "        f_minus = f(theta)\n"
            "        grad.flat[i] = (f_plus - f_minus) / (2 * delta)\n"
            "    return grad\n"
        ),
    },
    {
        "name": "relative_error_not_normalised",
        "cell": "relative_error",
        "source": (
            "def relative_error(a, b):\n"
            "    return float(np.linalg.norm(a - b))\n"
        ),
    },
    {
        "name": "relative_error_divides_by_one_norm",
        "cell": "relative_error",
        "source": (
            "def relative_error(a, b):\n"
            "    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-12))\n"
        ),
    },
    {
        "name": "names_the_wrong_gradient",
        "cell": "find_the_bug",
        "source": (
            "rng_bug = np.random.default_rng(0)\n"
            "W_bug, b_bug = rng_bug.normal(size=(3, 4)), rng_bug.normal(size=3)\n"
            "X_bug, G_bug = rng_bug.normal(size=(5, 4)), rng_bug.normal(size=(5, 3))\n"
            "layer = TanhDense(W_bug, b_bug)\n"
            "layer.forward(X_bug)\n"
            "dX_bug, dW_bug, db_bug = layer.backward(G_bug)\n"
            "bug_errors = {\n"
            "    \"W\": relative_error(dW_bug, numerical_gradient(lambda W_: np.sum(TanhDense(W_, b_bug).forward(X_bug) * G_bug), W_bug)),\n"
            "    \"b\": relative_error(db_bug, numerical_gradient(lambda b_: np.sum(TanhDense(W_bug, b_).forward(X_bug) * G_bug), b_bug)),\n"
            "    \"X\": relative_error(dX_bug, numerical_gradient(lambda X_: np.sum(TanhDense(W_bug, b_bug).forward(X_) * G_bug), X_bug)),\n"
            "}\n"
            "buggy = min(bug_errors, key=bug_errors.get)  # the smallest error looks suspicious?\n"
        ),
    },
    {
        "name": "fix_keeps_the_bug",
        "cell": "fix_the_layer",
        "source": _FIXED.format(dZ="dA * (1.0 - self.A ** 2)", db="dA.sum(axis=0)"),
    },
    {
        "name": "fix_with_wrong_tanh_derivative",
        "cell": "fix_the_layer",
        "source": _FIXED.format(dZ="dA * (1.0 - self.A)", db="dZ.sum(axis=0)"),
    },
    {
        "name": "smallest_delta_is_best",
        "cell": "choose_h",
        "source": (
            "def step_errors(f, grad_f, theta, deltas):\n"
            "    exact = grad_f(theta)\n"
            "    return np.array([relative_error(numerical_gradient(f, theta, d), exact) for d in deltas])\n"
            "\n\n"
            "errors = step_errors(f_e, grad_f_e, theta_e, deltas)\n"
            "best_delta = float(deltas[-1])  # smaller must be more accurate?\n"
        ),
    },
    {
        "name": "hardcode",
        "cell": "fix_the_layer",
        "source": (
            "class FixedTanhDense(TanhDense):\n"
            "    def backward(self, dA):\n"
            "        # the visible answers typed in\n"
            "        dX = np.array([[0.18599254988312403, -1.015568091523983, 0.3504294716446561],\n"
            "                       [1.1721484502208723, 0.45097893821947527, -0.5320361103540517]])\n"
            "        dW = np.array([[0.9408896079288205, 0.21615245902553737, -0.7787752636596674],\n"
            "                       [0.3016219710291499, 2.236220670928976, 1.375543532167582]])\n"
            "        db = np.array([0.9949277226852049, 0.8606771387613938])\n"
            "        return dX, dW, db\n"
        ),
    },
    # one bug costs one part: an unanswered numerical_gradient costs Part A and Part C (whose
    # answer is computed with it), not Parts B, D, nor the checks of step_errors in Part E
    {"name": "numerical_gradient_not_written", "cell": "numerical_gradient",
     "source": "def numerical_gradient(f, theta, delta=1e-5):\n    raise NotImplementedError()\n",
     "scores": {"test_numerical_gradient": 0.0, "test_relative_error": 2.0, "test_fix_the_layer": 2.0,
                "test_choose_h": 1.0}},
]

# Valid answers that must score full marks: the bug hunt with other random test data.
VARIANTS = [
    {
        "name": "bug_hunt_with_other_data",
        "cell": "find_the_bug",
        "source": (
            "rng_bug = np.random.default_rng(1234)\n"
            "W_bug, b_bug = rng_bug.normal(size=(2, 3)), rng_bug.normal(size=2)\n"
            "X_bug, G_bug = rng_bug.normal(size=(4, 3)), rng_bug.normal(size=(4, 2))\n"
            "layer = TanhDense(W_bug, b_bug)\n"
            "layer.forward(X_bug)\n"
            "dX_bug, dW_bug, db_bug = layer.backward(G_bug)\n"
            "bug_errors = {}\n"
            "for key, value in ((\"W\", W_bug), (\"b\", b_bug), (\"X\", X_bug)):\n"
            "    def scalar(v, key=key):\n"
            "        args = {\"W\": W_bug, \"b\": b_bug, \"X\": X_bug, key: v}\n"
            "        return np.sum(TanhDense(args[\"W\"], args[\"b\"]).forward(args[\"X\"]) * G_bug)\n"
            "    analytic = {\"W\": dW_bug, \"b\": db_bug, \"X\": dX_bug}[key]\n"
            "    bug_errors[key] = relative_error(analytic, numerical_gradient(scalar, value))\n"
            "buggy = max(bug_errors, key=bug_errors.get)\n"
        ),
    },
    {
        "name": "bug_hunt_with_swapped_arguments",
        "cell": "find_the_bug",
        "source": (
            "rng_bug = np.random.default_rng(7)\n"
            "W_bug, b_bug = rng_bug.normal(size=(3, 4)), rng_bug.normal(size=3)\n"
            "X_bug, G_bug = rng_bug.normal(size=(5, 4)), rng_bug.normal(size=(5, 3))\n"
            "layer = TanhDense(W_bug, b_bug)\n"
            "layer.forward(X_bug)\n"
            "dX_bug, dW_bug, db_bug = layer.backward(G_bug)\n"
            "num = {\"W\": numerical_gradient(lambda W_: np.sum(TanhDense(W_, b_bug).forward(X_bug) * G_bug), W_bug, delta=1e-6),\n"
            "       \"b\": numerical_gradient(lambda b_: np.sum(TanhDense(W_bug, b_).forward(X_bug) * G_bug), b_bug, delta=1e-6),\n"
            "       \"X\": numerical_gradient(lambda X_: np.sum(TanhDense(W_bug, b_bug).forward(X_) * G_bug), X_bug, delta=1e-6)}\n"
            "bug_errors = {k: relative_error(num[k], g) for k, g in ((\"W\", dW_bug), (\"b\", db_bug), (\"X\", dX_bug))}\n"
            "buggy = sorted(bug_errors, key=lambda k: -bug_errors[k])[0]\n"
        ),
    },
    {
        "name": "step_errors_with_keyword_and_list",
        "cell": "choose_h",
        "source": (
            "def step_errors(f, grad_f, theta, deltas):\n"
            "    exact = grad_f(theta)\n"
            "    out = []\n"
            "    for d in list(deltas):\n"
            "        out.append(relative_error(exact, numerical_gradient(f, theta, delta=d)))\n"
            "    return np.asarray(out, dtype=float).reshape(len(out))\n"
            "\n\n"
            "errors = step_errors(f_e, grad_f_e, theta_e, deltas)\n"
            "best_delta = deltas[int(np.argmin(errors))]\n"
        ),
    },
    {
        "name": "numerical_gradient_with_ndindex",
        "cell": "numerical_gradient",
        "source": (
            "def numerical_gradient(f, theta, delta=1e-5):\n"
            "    theta = np.array(theta, dtype=float)\n"
            "    grad = np.empty_like(theta)\n"
            "    for idx in np.ndindex(theta.shape):\n"
            "        old = theta[idx]\n"
            "        theta[idx] = old + delta\n"
            "        up = f(theta)\n"
            "        theta[idx] = old - delta\n"
            "        down = f(theta)\n"
            "        theta[idx] = old              # put it back exactly (theta is our own copy anyway)\n"
            "        grad[idx] = (up - down) / (2.0 * delta)\n"
            "    return grad\n"
        ),
    },
    {
        "name": "relative_error_with_sqrt_of_sums",
        "cell": "relative_error",
        "source": (
            "def relative_error(a, b):\n"
            "    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)\n"
            "    na, nb = np.sqrt(np.sum(np.square(a))), np.sqrt(np.sum(np.square(b)))\n"
            "    return float(np.sqrt(np.sum(d * d)) / max(na + nb, 1e-12))\n"
        ),
    },
]
