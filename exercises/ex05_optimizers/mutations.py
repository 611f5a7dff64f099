"""Typical wrong answers to Exercise 5; each must fail at least one hidden check.

Format: see exercises/README.md ("name", "cell" = grade_id of an answer cell, "source").
"""

_ADAM = """def adam_step(theta, grad, m, s, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    m_new = beta1 * m + (1 - beta1) * grad
    s_new = beta2 * s + (1 - beta2) * {g2}
    m_hat = {m_hat}
    s_hat = {s_hat}
    return theta - lr * m_hat / (np.sqrt(s_hat) + eps), m_new, s_new
"""
_RIGHT = dict(g2="grad ** 2", m_hat="m_new / (1 - beta1 ** t)", s_hat="s_new / (1 - beta2 ** t)")


def _adam(**wrong):
    return _ADAM.format(**{**_RIGHT, **wrong})


_SWEEP = """def lr_sweep(loss_and_grad, theta0, lrs, steps):
    finals, diverged = {{}}, []
    for lr in lrs:
        losses = gradient_descent(loss_and_grad, theta0, lr, steps)
        if {diverged_if}:
            diverged.append(float(lr))
        else:
            finals[float(lr)] = losses[-1]
    return {fastest}, sorted(diverged)


fastest_lr, diverged_lrs = lr_sweep(ls_loss_and_grad, np.zeros(3), learning_rates, 100)
"""

MUTATIONS = [
    {
        "name": "momentum_wrong_sign",
        "cell": "momentum_step",
        "source": (
            "def momentum_step(theta, grad, v, lr, gamma=0.9):\n"
            "    v_new = gamma * v + lr * grad\n"
            "    return theta + v_new, v_new\n"
        ),
    },
    {
        "name": "momentum_without_learning_rate",
        "cell": "momentum_step",
        "source": (
            "def momentum_step(theta, grad, v, lr, gamma=0.9):\n"
            "    v_new = gamma * v + grad\n"
            "    return theta - lr * v_new, v_new\n"
        ),
    },
    {
        "name": "adam_without_bias_correction",
        "cell": "adam_step",
        "source": _adam(m_hat="m_new", s_hat="s_new"),
    },
    {
        "name": "adam_bias_correction_off_by_one",
        "cell": "adam_step",
        "source": _adam(m_hat="m_new / (1 - beta1 ** (t + 1))", s_hat="s_new / (1 - beta2 ** (t + 1))"),
    },
    {
        "name": "adam_second_moment_not_squared",
        "cell": "adam_step",
        "source": _adam(g2="np.abs(grad)"),
    },
    {
        "name": "gd_records_losses_after_each_step_only",
        "cell": "gradient_descent",
        "source": (
            "def gradient_descent(loss_and_grad, theta0, lr, steps):\n"
            "    theta = np.array(theta0, dtype=float)\n"
            "    losses = []\n"
            "    for _ in range(steps):\n"
            "        loss, grad = loss_and_grad(theta)\n"
            "        theta = theta - lr * grad\n"
            "        losses.append(loss_and_grad(theta)[0])\n"
            "    return np.array(losses, dtype=float)\n"
        ),
    },
    {
        "name": "divergence_only_when_nan",
        "cell": "lr_sweep",
        "source": _SWEEP.format(diverged_if="np.isnan(losses[-1])",
                                fastest="min(finals, key=finals.get)"),
    },
    {
        "name": "fastest_is_the_largest_rate",
        "cell": "lr_sweep",
        "source": _SWEEP.format(diverged_if="not np.isfinite(losses[-1]) or losses[-1] > losses[0]",
                                fastest="max(lrs)"),
    },
    {
        "name": "hardcode",
        "cell": "lr_sweep",
        "source": (
            "def lr_sweep(loss_and_grad, theta0, lrs, steps):\n"
            "    # the visible answers typed in\n"
            "    if 1.5 in lrs:\n"
            "        return 0.5, [1.5]\n"
            "    return 0.1, [1.0]\n"
            "\n\n"
            "fastest_lr, diverged_lrs = lr_sweep(ls_loss_and_grad, np.zeros(3), learning_rates, 100)\n"
        ),
    },
]
