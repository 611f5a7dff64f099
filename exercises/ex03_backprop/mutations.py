"""Typical wrong answers to Exercise 3; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_BACKWARD = """def backward(dY_hat, cache, params):
    X, Z1, A1 = cache
    dZ2 = dY_hat
    dW2 = {dW2}
    db2 = {db2}
    dA1 = dZ2 @ params["W2"]
    dZ1 = {dZ1}
    dW1 = {dW1}
    db1 = {db1}
    return {{"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}}
"""
_RIGHT = dict(dW2="dZ2.T @ A1", db2="dZ2.sum(axis=0)", dZ1="dA1 * (Z1 > 0)",
              dW1="dZ1.T @ X", db1="dZ1.sum(axis=0)")


def _backward(**wrong):
    return _BACKWARD.format(**{**_RIGHT, **wrong})


MUTATIONS = [
    {
        "name": "by_hand_sign_flip",
        "cell": "backprop_by_hand",
        "source": (
            "# delta2 = 2 (y - y_hat): the sign of every gradient flipped\n"
            "y_hat = np.array([1.5])\n"
            "loss = 0.25\n"
            "delta2 = np.array([1.0])\n"
            "dW2 = np.array([[0.0, 2.0]])\n"
            "db2 = np.array([1.0])\n"
            "delta1 = np.array([0.0, 0.5])\n"
            "dW1 = np.array([[0.0, 0.0], [1.0, 0.5]])\n"
            "db1 = np.array([0.0, 0.5])\n"
        ),
    },
    {
        "name": "by_hand_ignores_relu_derivative",
        "cell": "backprop_by_hand",
        "source": (
            "y_hat = np.array([1.5])\n"
            "loss = 0.25\n"
            "delta2 = np.array([-1.0])\n"
            "dW2 = np.array([[0.0, -2.0]])\n"
            "db2 = np.array([-1.0])\n"
            "delta1 = np.array([-1.0, -0.5])\n"
            "dW1 = np.array([[-2.0, -1.0], [-1.0, -0.5]])\n"
            "db1 = np.array([-1.0, -0.5])\n"
        ),
    },
    {
        "name": "mse_grad_missing_1_over_n",
        "cell": "mse_grad",
        "source": (
            "def mse_grad(Y_hat, Y):\n"
            "    return 2.0 * (Y_hat - Y)\n"
        ),
    },
    {
        "name": "mse_grad_divides_by_batch_only",
        "cell": "mse_grad",
        "source": (
            "def mse_grad(Y_hat, Y):\n"
            "    return 2.0 * (Y_hat - Y) / Y_hat.shape[0]\n"
        ),
    },
    {
        "name": "mse_grad_sign_flip",
        "cell": "mse_grad",
        "source": (
            "def mse_grad(Y_hat, Y):\n"
            "    return 2.0 * (Y - Y_hat) / Y_hat.size\n"
        ),
    },
    {
        "name": "transposed_weight_gradients",
        "cell": "backward",
        "source": _backward(dW2="A1.T @ dZ2", dW1="X.T @ dZ1"),
    },
    {
        "name": "bias_gradient_not_summed",
        "cell": "backward",
        "source": _backward(db2="dZ2[0]", db1="dZ1[0]"),
    },
    {
        "name": "bias_gradient_averaged_again",
        "cell": "backward",
        "source": _backward(db2="dZ2.mean(axis=0)", db1="dZ1.mean(axis=0)"),
    },
    {
        "name": "no_relu_derivative",
        "cell": "backward",
        "source": _backward(dZ1="dA1"),
    },
    {
        "name": "relu_derivative_of_the_wrong_array",
        "cell": "backward",
        "source": _backward(dZ1="dA1 * (dA1 > 0)"),
    },
    {   # one bug costs one part: Part C's checks draw dL/dY_hat themselves, mse_grad is not needed
        "name": "mse_grad_not_written",
        "cell": "mse_grad",
        "source": "def mse_grad(Y_hat, Y):\n    raise NotImplementedError()\n",
        "scores": {"test_mse_grad": 0, "test_backward": 5.0},
    },
    {
        "name": "mse_grad_in_place",     # Y_hat -= Y changes the caller's predictions
        "cell": "mse_grad",
        "source": "def mse_grad(Y_hat, Y):\n    Y_hat -= Y\n    return 2.0 * Y_hat / Y_hat.size\n",
    },
    {
        "name": "backward_clips_the_cached_z1",   # changes the cache in place
        "cell": "backward",
        "source": _backward(dZ1="dA1 * (np.maximum(Z1, 0.0, out=Z1) > 0)"),
    },
    {
        "name": "relu_derivative_one_at_zero",     # ReLU'(0) is 0 in this notebook
        "cell": "backward",
        "source": _backward(dZ1="dA1 * (Z1 >= 0)"),
    },
    {
        "name": "hardcode",
        "cell": "mse_grad",
        "source": (
            "def mse_grad(Y_hat, Y):\n"
            "    # the visible answer typed in\n"
            "    if Y_hat.shape == (2, 2):\n"
            "        return np.array([[0.5, 0.0], [-0.5, -1.0]])\n"
            "    return np.zeros_like(Y_hat)\n"
        ),
    },
]


# valid answers written differently: each must score full marks
VARIANTS = [
    {"name": "backward_with_einsum_and_where", "cell": "backward",
     "source": _backward(dW2="np.einsum('nk,nh->kh', dZ2, A1)", dZ1="np.where(Z1 > 0, dA1, 0.0)",
                         dW1="np.einsum('nh,nd->hd', dZ1, X)")},
]
