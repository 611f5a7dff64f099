"""Typical wrong answers to Exercise 2; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_DERIVATIVES = """def sigmoid_prime(z):
{sigmoid}


def tanh_prime(z):
    {tanh}


def relu_prime(z):
    return (np.asarray(z) {relu_cmp} 0).astype(float)
"""
_RIGHT_DERIVATIVES = dict(sigmoid="    s = sigmoid(z)\n    return s * (1.0 - s)",
                          tanh="return 1.0 - np.tanh(z) ** 2", relu_cmp=">")


def _derivatives(**wrong):
    return _DERIVATIVES.format(**{**_RIGHT_DERIVATIVES, **wrong})


MUTATIONS = [
    {
        "name": "sigmoid_overflows",
        "cell": "sigmoid",
        "source": (
            "def sigmoid(z):\n"
            "    return 1.0 / (1.0 + np.exp(-z))\n"
        ),
    },
    {"name": "sigmoid_prime_applied_to_z", "cell": "derivatives",
     "source": _derivatives(sigmoid="    return z * (1.0 - z)")},
    {"name": "tanh_prime_without_square", "cell": "derivatives",
     "source": _derivatives(tanh="return 1.0 - np.tanh(z)")},
    {"name": "relu_prime_one_at_zero", "cell": "derivatives", "source": _derivatives(relu_cmp=">=")},
    {
        "name": "leaky_prime_zero_for_negatives",
        "cell": "leaky_relu",
        "source": (
            "def leaky_relu(z, alpha=0.01):\n"
            "    return np.where(z > 0, z, alpha * z)\n"
            "\n\n"
            "def leaky_relu_prime(z, alpha=0.01):\n"
            "    return np.where(z > 0, 1.0, 0.0)\n"
        ),
    },
    {
        "name": "leaky_relu_ignores_alpha",
        "cell": "leaky_relu",
        "source": (
            "def leaky_relu(z, alpha=0.01):\n"
            "    return np.where(z > 0, z, 0.01 * z)\n"
            "\n\n"
            "def leaky_relu_prime(z, alpha=0.01):\n"
            "    return np.where(z > 0, 1.0, 0.01)\n"
        ),
    },
    {
        "name": "saturation_coarse_grid",
        "cell": "saturation_point",
        "source": (
            "def saturation_point(dphi, threshold, z_max=50.0):\n"
            "    # a grid search in steps of 0.01 instead of bisection\n"
            "    for z in np.arange(0.0, z_max, 0.01):\n"
            "        if dphi(z) < threshold:\n"
            "            return float(z)\n"
            "    return np.inf\n"
        ),
    },
    {
        "name": "saturation_bisection_wrong_branch",
        "cell": "saturation_point",
        "source": (
            "def saturation_point(dphi, threshold, z_max=50.0):\n"
            "    if dphi(z_max) >= threshold:\n"
            "        return np.inf\n"
            "    lo, hi = 0.0, float(z_max)\n"
            "    while hi - lo > 1e-12:\n"
            "        mid = (lo + hi) / 2\n"
            "        if dphi(mid) < threshold:\n"
            "            lo = mid\n"
            "        else:\n"
            "            hi = mid\n"
            "    return float((lo + hi) / 2)\n"
        ),
    },
    {
        "name": "saturates_first_wrong",
        "cell": "saturation_answers",
        "source": (
            "z_sat_sigmoid = saturation_point(sigmoid_prime, 0.01)\n"
            "z_sat_tanh = saturation_point(tanh_prime, 0.01)\n"
            "saturates_first = \"sigmoid\"  # tanh'(0) is larger, so it must last longer?\n"
        ),
    },
    {
        "name": "hardcode",
        "cell": "activation_curves",
        "source": (
            "# the visible answers typed in\n"
            "def activation_curves(z):\n"
            "    curves = np.zeros((4, 2, len(z)))\n"
            "    if len(z) == 3:\n"
            "        curves[:, 0, 1] = [0.5, 0.0, 0.0, 0.0]\n"
            "        curves[3, :, 0] = [-0.01, 0.01]\n"
            "    return curves\n"
            "\n\n"
            "def saturated_fraction(curves, threshold):\n"
            "    return np.full(4, 0.6)\n"
            "\n\n"
            "curves = activation_curves(Z_GRID)\n"
            "fractions = saturated_fraction(curves, 0.01)\n"
        ),
    },
]

_CURVES = '''def activation_curves(z):
    pairs = [(sigmoid, sigmoid_prime), (np.tanh, tanh_prime), (lambda u: np.maximum(u, 0.0), relu_prime),
             (lambda u: leaky_relu(u, {alpha}), lambda u: leaky_relu_prime(u, {alpha}))]
    return np.array([{pair} for f, df in pairs])


def saturated_fraction(curves, threshold):
    return {fraction}


curves = activation_curves(Z_GRID)
fractions = saturated_fraction(curves, 0.01)
'''
_RIGHT_CURVES = dict(alpha="0.01", pair="[np.asarray(f(z), dtype=float), np.asarray(df(z), dtype=float)]",
                     fraction="np.mean(np.abs(curves[:, 1]) < threshold, axis=1)")


def _curves(**wrong):
    return _CURVES.format(**{**_RIGHT_CURVES, **wrong})


MUTATIONS += [
    {"name": "curves_value_and_derivative_swapped", "cell": "activation_curves",
     "source": _curves(pair="[np.asarray(df(z), dtype=float), np.asarray(f(z), dtype=float)]")},
    {"name": "curves_leaky_alpha_wrong", "cell": "activation_curves", "source": _curves(alpha="0.1")},
    {"name": "fraction_counts_instead_of_fraction", "cell": "activation_curves",
     "source": _curves(fraction="np.sum(np.abs(curves[:, 1]) < threshold, axis=1)")},
    {"name": "fraction_without_absolute_value", "cell": "activation_curves",
     "source": _curves(fraction="np.mean(curves[:, 1] < threshold, axis=1)")},
    {"name": "fraction_above_threshold", "cell": "activation_curves",
     "source": _curves(fraction="np.mean(np.abs(curves[:, 1]) > threshold, axis=1)")},
    {"name": "fraction_of_the_values", "cell": "activation_curves",
     "source": _curves(fraction="np.mean(np.abs(curves[:, 0]) < threshold, axis=1)")},
    # an unanswered part costs only its own checks: sigmoid' and ReLU' still earn theirs
    {"name": "tanh_prime_not_written", "cell": "derivatives",
     "source": _derivatives(tanh="raise NotImplementedError()"),
     "scores": {"test_derivatives": 2.0}},
]
