"""Learning-rate schedules: values worked out by hand, the scheduler protocol, chaining."""

import math

import numpy as np
import pytest

from nnkit import schedules as S
from nnkit.core import NNKitError, Parameter
from nnkit.optim import SGD


def make_opt(lr=0.5):
    return SGD([Parameter(np.zeros(1))], lr=lr)


def trace(sched, n):
    """The rate in force during each of n steps, checking optimizer.lr agrees."""
    out = []
    for _ in range(n):
        assert sched.optimizer.lr == sched.get_last_lr()
        out.append(sched.get_last_lr())
        sched.step()
    return out


def test_step_lr():
    opt = make_opt(0.5)
    assert trace(S.StepLR(opt, step_size=3, gamma=0.5), 7) == pytest.approx(
        [0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.125])


def test_exponential_lr_is_eta0_exp_minus_kt():
    opt = make_opt(0.5)
    values = trace(S.ExponentialLR(opt, gamma=0.9), 4)
    assert values == pytest.approx([0.5, 0.45, 0.405, 0.3645])
    k = -math.log(0.9)
    t = np.arange(20)
    np.testing.assert_allclose(S.exponential_decay(t, 0.5, 0.9), 0.5 * np.exp(-k * t))


def test_inverse_time_lr():
    opt = make_opt(1.0)
    assert trace(S.InverseTimeLR(opt, decay=0.5), 4) == pytest.approx([1.0, 1 / 1.5, 0.5, 0.4])


def test_cosine_annealing_endpoints_and_midpoint():
    opt = make_opt(0.5)
    values = trace(S.CosineAnnealingLR(opt, T_max=4, eta_min=0.1), 5)
    assert values[0] == pytest.approx(0.5)
    assert values[2] == pytest.approx(0.3)                     # halfway: mean of the ends
    assert values[4] == pytest.approx(0.1)
    assert values[1] == pytest.approx(0.1 + 0.4 * (1 + math.cos(math.pi / 4)) / 2)


def test_linear_warmup_then_constant():
    opt = make_opt(1.0)
    values = trace(S.LinearWarmup(opt, warmup_steps=4, start_factor=0.2), 7)
    assert values == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0, 1.0])


def test_default_warmup_factor_is_one_third():
    assert S.linear_warmup(0, 0.3, 5) == pytest.approx(0.1)


def test_sequential_warmup_then_cosine():
    opt = make_opt(1.0)
    warm = S.LinearWarmup(opt, warmup_steps=2, start_factor=0.5)
    cos = S.CosineAnnealingLR(opt, T_max=2)
    sched = S.SequentialLR(opt, [warm, cos], milestones=[2])
    # warm-up 0.5, 0.75; the cosine restarts from its t = 0 at the milestone: 1, 0.5, 0
    assert trace(sched, 5) == pytest.approx([0.5, 0.75, 1.0, 0.5, 0.0])
    assert sched.lr_at(3) == pytest.approx(0.5)


def test_schedules_start_from_initial_lr_not_current():
    opt = make_opt(0.8)
    S.StepLR(opt, 1, gamma=0.5).step()          # opt.lr is now 0.4
    assert opt.lr == pytest.approx(0.4)
    sched = S.ExponentialLR(opt, gamma=0.5)     # still starts from 0.8
    assert sched.get_last_lr() == pytest.approx(0.8)


def test_functions_vectorize_for_plotting():
    t = np.arange(10)
    for values in (S.step_decay(t, 1.0, 3), S.exponential_decay(t, 1.0, 0.9),
                   S.inverse_time_decay(t, 1.0, 0.1), S.cosine_decay(t, 1.0, 9),
                   S.linear_warmup(t, 1.0, 5)):
        assert values.shape == (10,)
        assert np.all(np.isfinite(values))
    assert np.all(np.diff(S.cosine_decay(t, 1.0, 9)) < 0)
    assert isinstance(S.cosine_decay(3, 1.0, 9), float)


def test_scheduler_lr_at_matches_function():
    opt = make_opt(0.3)
    sched = S.StepLR(opt, 4, gamma=0.2)
    assert [sched.lr_at(t) for t in range(12)] == pytest.approx(
        list(S.step_decay(np.arange(12), 0.3, 4, 0.2)))


@pytest.mark.parametrize("make,match", [
    (lambda o: S.StepLR(o, 0), "step_size"),
    (lambda o: S.ExponentialLR(o, 1.5), "gamma"),
    (lambda o: S.CosineAnnealingLR(o, T_max=2.5), "T_max"),
    (lambda o: S.LinearWarmup(o, 3, start_factor=2.0), "start_factor"),
    (lambda o: S.SequentialLR(o, [S.StepLR(o, 1)], milestones=[2]), "milestone"),
    (lambda o: S.InverseTimeLR(object(), 0.1), "optimizer"),
])
def test_bad_arguments(make, match):
    with pytest.raises(NNKitError, match=match):
        make(make_opt())


def test_bad_step_value():
    with pytest.raises(NNKitError, match="step number"):
        S.cosine_decay(-1, 1.0, 10)
