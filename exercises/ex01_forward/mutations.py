"""Typical wrong answers to Exercise 1; each must fail at least one hidden check.

Format (see exercises/README.md): MUTATIONS is a list of dicts with "name", "cell" (the
grade_id of an answer cell) and "source" (the full replacement source of that cell). The
mutation named "hardcode" types in the visible answers: it passes the visible checks and must
fail the hidden ones.
"""

MUTATIONS = [
    {
        "name": "by_hand_forgot_bias",
        "cell": "forward_by_hand",
        "source": (
            "# z = W x, the biases left out (consistent otherwise)\n"
            "z1 = np.array([-1.0, 4.5, 0.0])\n"
            "a1 = np.array([0.0, 4.5, 0.0])\n"
            "z2 = np.array([-5.0])\n"
            "y_hat = np.array([-5.0])\n"
        ),
    },
    {
        "name": "relu_keeps_the_negative_side",
        "cell": "relu",
        "source": (
            "def relu(z):\n"
            "    return np.minimum(z, 0.0)\n"
        ),
    },
    {
        "name": "relu_with_np_max",    # np.max reduces along an axis; np.maximum compares entries
        "cell": "relu",
        "source": (
            "def relu(z):\n"
            "    return np.max(z, 0)\n"
        ),
    },
    {
        "name": "dense_without_bias",
        "cell": "dense",
        "source": (
            "def dense(A, W, b):\n"
            "    return A @ W.T\n"
        ),
    },
    {
        "name": "dense_weight_not_transposed",
        "cell": "dense",
        "source": (
            "def dense(A, W, b):\n"
            "    return A @ W + b\n"
        ),
    },
    {
        "name": "forward_skips_the_activation",
        "cell": "forward",
        "source": (
            "def forward(X, params):\n"
            "    A = X\n"
            "    for W, b in params:\n"
            "        A = dense(A, W, b)\n"
            "    return A\n"
        ),
    },
    {
        "name": "forward_relu_on_the_output",
        "cell": "forward",
        "source": (
            "def forward(X, params):\n"
            "    A = X\n"
            "    for W, b in params:\n"
            "        A = relu(dense(A, W, b))\n"
            "    return A\n"
        ),
    },
    {
        "name": "forward_stops_after_first_layer",
        "cell": "forward",
        "source": (
            "def forward(X, params):\n"
            "    W, b = params[0]\n"
            "    A = dense(X, W, b)\n"
            "    if len(params) > 1:\n"
            "        A = relu(A)\n"
            "        W, b = params[-1]\n"
            "        A = dense(A, W, b)\n"
            "    return A\n"
        ),
    },
    {
        "name": "forward_relu_on_the_input",
        "cell": "forward",
        "source": (
            "def forward(X, params):\n"
            "    A = relu(X)\n"
            "    for W, b in params[:-1]:\n"
            "        A = relu(dense(A, W, b))\n"
            "    W, b = params[-1]\n"
            "    return dense(A, W, b)\n"
        ),
    },
    # one bug costs one part: Part D is graded with nnkit's ReLU and dense layer substituted,
    # so a broken or missing earlier part costs that part only
    {
        "name": "dense_not_written",
        "cell": "dense",
        "source": (
            "def dense(A, W, b):\n"
            "    raise NotImplementedError()\n"
        ),
        "scores": {"test_dense": 0, "test_forward": 4.0},
    },
    {
        "name": "relu_in_place",     # changes its input: the activations of the caller vanish
        "cell": "relu",
        "source": (
            "def relu(z):\n"
            "    z[z < 0] = 0.0\n"
            "    return z\n"
        ),
        "scores": {"test_relu": 0, "test_forward": 4.0},
    },
    {
        "name": "by_hand_as_column_vectors",   # right numbers, shapes (3, 1): only the shape checks fail
        "cell": "forward_by_hand",
        "source": (
            "z1 = np.array([[-0.5], [3.5], [1.0]])\n"
            "a1 = np.array([[0.0], [3.5], [1.0]])\n"
            "z2 = np.array([-1.0])\n"
            "y_hat = np.array([-1.0])\n"
        ),
    },
    {
        "name": "forward_pops_the_last_layer",   # params.pop() empties the caller's list
        "cell": "forward",
        "source": (
            "def forward(X, params):\n"
            "    W_last, b_last = params.pop()\n"
            "    A = X\n"
            "    for W, b in params:\n"
            "        A = relu(dense(A, W, b))\n"
            "    return dense(A, W_last, b_last)\n"
        ),
    },
    {
        "name": "dense_loops_over_rows",   # right values, but an empty batch gives shape (0,)
        "cell": "dense",
        "source": (
            "def dense(A, W, b):\n"
            "    return np.array([W @ a + b for a in A])\n"
        ),
        "hidden_only": "the visible batch is not empty",
    },
    {
        "name": "relu_leaky",       # a leaky ReLU is another activation
        "cell": "relu",
        "source": (
            "def relu(z):\n"
            "    return np.where(z > 0, z, 0.01 * z)\n"
        ),
    },
    {
        "name": "forward_uses_the_global_params",   # ignores its argument
        "cell": "forward",
        "source": (
            "def forward(X, params):\n"
            "    A = X\n"
            "    for W, b in params_check[:-1]:\n"
            "        A = relu(dense(A, W, b))\n"
            "    W, b = params_check[-1]\n"
            "    return dense(A, W, b)\n"
        ),
    },
    {
        "name": "hardcode",
        "cell": "forward",
        "source": (
            "def forward(X, params):\n"
            "    # the visible answers typed in\n"
            "    if len(params) == 2:\n"
            "        return np.array([[3.5], [-5.5]])\n"
            "    return np.zeros((X.shape[0], params[-1][0].shape[0]))\n"
        ),
    },
]


# valid answers written differently: each must score full marks
VARIANTS = [
    {
        "name": "relu_with_where",
        "cell": "relu",
        "source": (
            "def relu(z):\n"
            "    return np.where(z > 0, z, 0.0)\n"
        ),
    },
    {
        "name": "forward_recursive",
        "cell": "forward",
        "source": (
            "def forward(X, params):\n"
            "    if len(params) == 1:\n"
            "        return dense(X, *params[0])\n"
            "    return forward(relu(dense(X, *params[0])), params[1:])\n"
        ),
    },
]
