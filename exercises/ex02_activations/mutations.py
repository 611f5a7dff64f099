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
            "    if len(z) == 3:\n"
            "        return np.array([[[0.2689414213699951, 0.5, 0.8807970779778823], [0.19661193324148185, 0.25, 0.10499358540350652]],\n"
            "                         [[-0.7615941559557649, 0.0, 0.9640275800758169], [0.41997434161402614, 1.0, 0.07065082485316443]],\n"
            "                         [[0.0, 0.0, 2.0], [0.0, 0.0, 1.0]], [[-0.01, 0.0, 2.0], [0.01, 0.01, 1.0]]])\n"
            "    return np.zeros((4, 2, len(z)))\n"
            "\n\n"
            "def saturated_fraction(curves, threshold):\n"
            "    return np.array([0.4, 0.0, 0.4, 0.2])\n"
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
    # one bug costs one part: an unanswered sigmoid costs Part A (and Part E, whose numbers are
    # computed through it), never the parts that are tested with stand-ins or references
    {"name": "sigmoid_not_written", "cell": "sigmoid",
     "source": "def sigmoid(z):\n    raise NotImplementedError()\n",
     "scores": {"test_sigmoid": 0.0, "test_derivatives": 3.0, "test_leaky_relu": 2.0,
                "test_saturation_point": 2.0, "test_activation_curves": 2.625}},
]

# Correct answers written another way, one per convention the instructions accept: each must
# score full marks (tests/exercises/test_quality.py).
VARIANTS = [
    {"name": "sigmoid_with_masks", "cell": "sigmoid",
     "source": ("def sigmoid(z):\n"
                "    z = np.asarray(z, dtype=float)\n"
                "    out = np.empty_like(z)\n"
                "    pos = z >= 0\n"
                "    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))\n"
                "    ez = np.exp(z[~pos])\n"
                "    out[~pos] = ez / (1.0 + ez)\n"
                "    return out\n")},
    {"name": "derivatives_written_out", "cell": "derivatives",
     "source": ("def sigmoid_prime(z):\n"
                "    e = np.exp(-np.abs(np.asarray(z, dtype=float)))   # the same number, without sigmoid\n"
                "    return e / (1.0 + e) ** 2\n\n\n"
                "def tanh_prime(z):\n"
                "    return 1.0 / np.cosh(z) ** 2 if np.all(np.abs(z) < 300) else 1.0 - np.tanh(z) ** 2\n\n\n"
                "def relu_prime(z):\n"
                "    return np.heaviside(np.asarray(z, dtype=float), 0.0)\n")},
    {"name": "leaky_relu_with_maximum", "cell": "leaky_relu",
     "source": ("def leaky_relu(z, alpha=0.01):\n"
                "    z = np.asarray(z, dtype=float)\n"
                "    return np.maximum(z, alpha * z)   # alpha <= 1\n\n\n"
                "def leaky_relu_prime(z, alpha=0.01):\n"
                "    z = np.asarray(z, dtype=float)\n"
                "    slope = np.full(z.shape, float(alpha))\n"
                "    slope[z > 0] = 1.0\n"
                "    return slope\n")},
    {"name": "saturation_for_loop_math_inf", "cell": "saturation_point",
     "source": ("import math\n\n\n"
                "def saturation_point(dphi, threshold, z_max=50.0):\n"
                "    if not dphi(z_max) < threshold:\n"
                "        return math.inf\n"
                "    lo, hi = 0.0, z_max\n"
                "    for _ in range(200):\n"
                "        if hi - lo <= 1e-12:\n"
                "            break\n"
                "        mid = 0.5 * (lo + hi)\n"
                "        lo, hi = (lo, mid) if dphi(mid) < threshold else (mid, hi)\n"
                "    return 0.5 * (lo + hi)\n")},
    {"name": "curves_from_formulas", "cell": "activation_curves",
     "source": ("def activation_curves(z):\n"
                "    z = np.asarray(z, dtype=float)\n"
                "    s = 0.5 * (1.0 + np.tanh(z / 2.0))\n"
                "    t = np.tanh(z)\n"
                "    rows = [(s, s * (1 - s)), (t, 1 - t ** 2), (np.maximum(z, 0.0), (z > 0) * 1.0),\n"
                "            (np.where(z > 0, z, 0.01 * z), np.where(z > 0, 1.0, 0.01))]\n"
                "    return np.stack([np.stack(pair) for pair in rows])\n\n\n"
                "def saturated_fraction(curves, threshold):\n"
                "    m = curves.shape[-1]\n"
                "    return np.count_nonzero(np.abs(curves[:, 1, :]) < threshold, axis=-1) / m\n\n\n"
                "curves = activation_curves(Z_GRID)\n"
                "fractions = saturated_fraction(curves, 0.01)\n")},
]
