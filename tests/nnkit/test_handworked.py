"""The syllabus's worked examples, computed by hand in the comments and checked against nnkit.

Notation of the book: z = W a + b with W of shape (n_out, n_in); in code Z = A @ W.T + b.
"""

import numpy as np

from nnkit.activations import Identity, ReLU
from nnkit.layers import Dense, Sequential
from nnkit.losses import MSELoss


def _dense(W, b):
    layer = Dense(len(W[0]), len(W), rng=np.random.default_rng(0))
    layer.weight.value[...] = W
    layer.bias.value[...] = b
    return layer


def test_forward_2_3_1_relu_by_hand():
    # x = [1, 2]
    # W1 = [[ 1.0, -1.0],     b1 = [ 0.0,
    #       [ 0.5,  1.0],            -1.0,
    #       [-2.0,  1.0]]             0.5]
    # z1 = W1 x + b1:
    #   unit 0:  1.0*1 + (-1.0)*2 + 0.0  = -1.0
    #   unit 1:  0.5*1 +   1.0 *2 - 1.0  =  1.5
    #   unit 2: -2.0*1 +   1.0 *2 + 0.5  =  0.5
    # a1 = relu(z1) = [0.0, 1.5, 0.5]   (unit 0 is off)
    # W2 = [[1.0, 2.0, -1.0]], b2 = [0.25]
    # z2 = 1.0*0.0 + 2.0*1.5 + (-1.0)*0.5 + 0.25 = 2.75 = the output (identity activation)
    model = Sequential(
        _dense([[1.0, -1.0], [0.5, 1.0], [-2.0, 1.0]], [0.0, -1.0, 0.5]),
        ReLU(),
        _dense([[1.0, 2.0, -1.0]], [0.25]),
        Identity(),
    )
    z1, a1, z2, out = model.activations(np.array([[1.0, 2.0]]))
    np.testing.assert_allclose(z1, [[-1.0, 1.5, 0.5]])
    np.testing.assert_allclose(a1, [[0.0, 1.5, 0.5]])
    np.testing.assert_allclose(z2, [[2.75]])
    np.testing.assert_allclose(out, [[2.75]])
    # a single sample without the batch axis works too
    np.testing.assert_allclose(model(np.array([1.0, 2.0])), [2.75])


def test_backward_2_2_1_mse_by_hand():
    # x = [1, -1], target y = 2
    # W1 = [[0.5, -0.5],  b1 = [ 0.1,
    #       [1.0,  1.0]]         -0.2]
    # z1 = [0.5*1 + (-0.5)*(-1) + 0.1, 1.0*1 + 1.0*(-1) - 0.2] = [1.1, -0.2]
    # a1 = relu(z1) = [1.1, 0.0]
    # W2 = [[2.0, -1.0]], b2 = [0.5]
    # z2 = yhat = 2.0*1.1 + (-1.0)*0.0 + 0.5 = 2.7
    # L = (yhat - y)^2 = 0.7^2 = 0.49           (MSE, mean over one element)
    # delta2 = dL/dz2 = 2 (yhat - y) = 1.4
    # dW2 = delta2 a1^T = [[1.4*1.1, 1.4*0.0]] = [[1.54, 0.0]];  db2 = [1.4]
    # delta1 = (W2^T delta2) * relu'(z1) = [2.0*1.4, -1.0*1.4] * [1, 0] = [2.8, 0.0]
    # dW1 = delta1 x^T = [[2.8*1, 2.8*(-1)], [0, 0]] = [[2.8, -2.8], [0.0, 0.0]]
    # db1 = delta1 = [2.8, 0.0]
    # dx = W1^T delta1 = [0.5*2.8, -0.5*2.8] = [1.4, -1.4]
    model = Sequential(_dense([[0.5, -0.5], [1.0, 1.0]], [0.1, -0.2]), ReLU(),
                       _dense([[2.0, -1.0]], [0.5]))
    loss = MSELoss()
    value = loss(model(np.array([[1.0, -1.0]])), np.array([[2.0]]))
    np.testing.assert_allclose(value, 0.49, rtol=1e-12)
    dx = model.backward(loss.backward())
    grads = dict((name, p.grad) for name, p in model.named_parameters())
    np.testing.assert_allclose(grads["2.weight"], [[1.54, 0.0]], rtol=1e-12)
    np.testing.assert_allclose(grads["2.bias"], [1.4], rtol=1e-12)
    np.testing.assert_allclose(grads["0.weight"], [[2.8, -2.8], [0.0, 0.0]], rtol=1e-12)
    np.testing.assert_allclose(grads["0.bias"], [2.8, 0.0], rtol=1e-12)
    np.testing.assert_allclose(dx, [[1.4, -1.4]], rtol=1e-12)
