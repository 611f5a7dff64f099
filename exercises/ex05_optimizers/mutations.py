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
    curves = np.array([gradient_descent(loss_and_grad, {theta0}, lr, steps) for lr in lrs])
    finals, diverged = {{}}, []
    for lr, losses in zip(lrs, curves):
        if {diverged_if}:
            diverged.append(float(lr))
        else:
            finals[float(lr)] = losses[-1]
    return curves, {fastest}, sorted(diverged)


net_curves, fastest_lr, diverged_lrs = lr_sweep(net_loss_and_grad, theta_net0, learning_rates, 300)
"""
_RIGHT_SWEEP = dict(theta0="theta0", diverged_if="not np.isfinite(losses[-1]) or losses[-1] > losses[0]",
                    fastest="min(finals, key=finals.get)")


def _sweep(**wrong):
    return _SWEEP.format(**{**_RIGHT_SWEEP, **wrong})


MUTATIONS = [
    {
        "name": "momentum_wrong_sign",
        "cell": "momentum_step",
        "source": (
            "def momentum_step(theta, grad, v, lr, mu=0.9):\n"
            "    v_new = mu * v + lr * grad\n"
            "    return theta + v_new, v_new\n"
        ),
    },
    {
        "name": "momentum_decays_the_new_gradient",
        "cell": "momentum_step",
        "source": (
            "def momentum_step(theta, grad, v, lr, mu=0.9):\n"
            "    v_new = mu * (v + lr * grad)\n"
            "    return theta - v_new, v_new\n"
        ),
    },
    {
        "name": "momentum_updates_theta_in_place",
        "cell": "momentum_step",
        "source": (
            "def momentum_step(theta, grad, v, lr, mu=0.9):\n"
            "    v_new = mu * v + lr * grad\n"
            "    theta -= v_new\n"
            "    return theta, v_new\n"
        ),
    },
    {
        "name": "adam_updates_moments_in_place",
        "cell": "adam_step",
        "source": (
            "def adam_step(theta, grad, m, s, t, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):\n"
            "    m *= beta1\n"
            "    m += (1 - beta1) * grad\n"
            "    s *= beta2\n"
            "    s += (1 - beta2) * grad ** 2\n"
            "    m_hat = m / (1 - beta1 ** t)\n"
            "    s_hat = s / (1 - beta2 ** t)\n"
            "    return theta - lr * m_hat / (np.sqrt(s_hat) + eps), m, s\n"
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
        "source": _sweep(diverged_if="np.isnan(losses[-1])"),
    },
    {
        "name": "divergence_only_when_not_finite",
        "cell": "lr_sweep",
        "source": _sweep(diverged_if="not np.isfinite(losses[-1])"),
    },
    {
        "name": "fastest_is_the_largest_rate",
        "cell": "lr_sweep",
        "source": _sweep(fastest="max(lrs)"),
    },
    {
        "name": "sweep_continues_from_the_previous_run",
        "cell": "lr_sweep",
        "source": _sweep(theta0="theta0 * 0.5 ** len(lrs)"),
    },
    {   # one bug costs one part: Part D is graded with the reference gradient_descent
        "name": "gd_not_written",
        "cell": "gradient_descent",
        "source": "def gradient_descent(loss_and_grad, theta0, lr, steps):\n    raise NotImplementedError()\n",
        "scores": {"test_gradient_descent": 0, "test_lr_sweep": 1.625},   # all but the net_* answers, made with it
    },
    {
        "name": "momentum_ignores_mu",      # the default 0.9 is used whatever mu is passed
        "cell": "momentum_step",
        "source": (
            "def momentum_step(theta, grad, v, lr, mu=0.9):\n"
            "    v_new = 0.9 * v + lr * grad\n"
            "    return theta - v_new, v_new\n"
        ),
    },
    {
        "name": "sweep_uses_the_global_rates",     # ignores its argument lrs
        "cell": "lr_sweep",
        "source": _SWEEP.replace("for lr in lrs])", "for lr in learning_rates])").replace("zip(lrs, curves)", "zip(learning_rates, curves)").format(**_RIGHT_SWEEP),
    },
    {
        "name": "diverged_in_the_order_of_lrs",
        "cell": "lr_sweep",
        "source": _SWEEP.replace("sorted(diverged)", "diverged").format(**_RIGHT_SWEEP),
    },
    {
        "name": "adam_eps_inside_the_root",
        "cell": "adam_step",
        "source": _adam().replace("np.sqrt(s_hat) + eps", "np.sqrt(s_hat + eps)"),
    },
    {
        "name": "hardcode",
        "cell": "lr_sweep",
        "source": (
            "def lr_sweep(loss_and_grad, theta0, lrs, steps):\n"
            "    # the visible answers typed in\n"
            "    curves = np.full((len(lrs), steps + 1), 10.0)\n"
            "    if 1.5 in lrs:\n"
            "        return curves, 0.5, [1.02, 1.5]\n"
            "    if 0.03 in lrs:\n"
            "        return curves, 0.019, [0.03]\n"
            "    return curves, 0.1, [1.0]\n"
            "\n\n"
            "net_curves, fastest_lr, diverged_lrs = lr_sweep(net_loss_and_grad, theta_net0, learning_rates, 300)\n"
        ),
    },
]

# Valid answers that must score full marks: the conventions of momentum that the instructions
# accept (PyTorch's velocity without the learning rate, and the velocity with the opposite sign),
# which give the same parameters at every step.
VARIANTS = [
    {
        "name": "momentum_pytorch_convention",
        "cell": "momentum_step",
        "source": (
            "def momentum_step(theta, grad, v, lr, mu=0.9):\n"
            "    v_new = mu * v + grad\n"
            "    return theta - lr * v_new, v_new\n"
        ),
    },
    {
        "name": "momentum_negative_velocity",
        "cell": "momentum_step",
        "source": (
            "def momentum_step(theta, grad, v, lr, mu=0.9):\n"
            "    v_new = mu * v - lr * grad\n"
            "    return theta + v_new, v_new\n"
        ),
    },
]
