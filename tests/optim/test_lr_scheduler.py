"""lucid.optim.lr_scheduler against each schedule's closed form, written out here, over
100 steps and two param groups with different base lrs."""

import math

import pytest
from _schedules import BASES, two_groups

import lucid
import lucid.optim.lr_scheduler as S
from lucid import optim

STEPS = 100


def lrs_over(scheduler, steps=STEPS):
    """Each group's lr at epochs 0..steps (epoch 0: right after construction)."""
    out = [[g["lr"] for g in scheduler.optimizer.param_groups]]
    for _ in range(steps):
        scheduler.step()
        got = [g["lr"] for g in scheduler.optimizer.param_groups]
        assert scheduler.get_last_lr() == got == scheduler.last_lr
        out.append(got)
    assert scheduler.last_epoch == steps
    return out


def assert_law(scheduler, law, rel=1e-13):
    for t, got in enumerate(lrs_over(scheduler)):
        for i, lr in enumerate(got):
            assert lr == pytest.approx(law(BASES[i], t), rel=rel, abs=1e-300), (t, i)


def test_lucid_exposes_the_module_and_its_names():
    assert lucid.optim.lr_scheduler is S and optim.lr_scheduler.StepLR is S.StepLR
    assert sorted(S.__all__) == sorted(
        "LRScheduler LambdaLR StepLR MultiStepLR ExponentialLR CosineAnnealingLR "
        "ReduceLROnPlateau CyclicLR NoamScheduler".split()
    )


@pytest.mark.parametrize("step_size, gamma", [(1, 0.9), (7, 0.5), (30, 0.1)])
def test_step_lr(step_size, gamma):
    law = lambda base, t: base * gamma ** (t // step_size)  # noqa: E731
    assert_law(S.StepLR(two_groups(), step_size, gamma), law)


def test_multistep_lr():
    marks = [5, 17, 60]
    law = lambda base, t: base * 0.3 ** sum(t >= m for m in marks)  # noqa: E731
    assert_law(S.MultiStepLR(two_groups(), marks, 0.3), law)


@pytest.mark.parametrize("gamma", [0.95, 1.02])
def test_exponential_lr(gamma):
    assert_law(S.ExponentialLR(two_groups(), gamma), lambda base, t: base * gamma**t)


@pytest.mark.parametrize("T_max, eta_min", [(100, 0.0), (30, 0.001)])
def test_cosine_annealing_closed_form_and_recurrence(T_max, eta_min):
    def law(base, t):
        return eta_min + (base - eta_min) * (1 + math.cos(math.pi * t / T_max)) / 2

    scheduler = S.CosineAnnealingLR(two_groups(), T_max, eta_min)
    seq = lrs_over(scheduler)
    for t, got in enumerate(seq):
        for i, lr in enumerate(got):
            assert lr == pytest.approx(law(BASES[i], t), rel=1e-13)
    # The recurrence of SGDR, lr_{t+1} − η = (lr_t − η)·(1 + cos(π(t+1)/T)) / (1 + cos(πt/T)),
    # holds wherever the denominator is away from zero.
    for t in range(STEPS):
        den = 1 + math.cos(math.pi * t / T_max)
        if den > 1e-3:
            for i in range(2):
                num = 1 + math.cos(math.pi * (t + 1) / T_max)
                want = eta_min + (seq[t][i] - eta_min) * num / den
                assert seq[t + 1][i] == pytest.approx(want, rel=1e-9, abs=1e-15)


def test_lambda_lr_both_orders_and_one_function_per_group():
    fn = lambda t: 1 / (1 + t)  # noqa: E731
    assert_law(S.LambdaLR(fn, two_groups()), lambda base, t: base / (1 + t))
    assert_law(S.LambdaLR(two_groups(), fn), lambda base, t: base / (1 + t))
    pair = [lambda t: 0.9**t, lambda t: min(1.0, (t + 1) / 10)]
    scheduler = S.LambdaLR(pair, two_groups())
    for t, (a, b) in enumerate(lrs_over(scheduler)):
        assert a == pytest.approx(BASES[0] * 0.9**t, rel=1e-13)
        assert b == BASES[1] * min(1.0, (t + 1) / 10)


def test_noam_scheduler_formula():
    d, warm, factor = 512, 20, 2.0

    def law(base, t):
        n = t + 1
        return factor * d**-0.5 * min(n**-0.5, n * warm**-1.5)

    assert_law(S.NoamScheduler(two_groups(), d, warm, factor), law)
    seq = [lr[0] for lr in lrs_over(S.NoamScheduler(two_groups(), d, warm, factor))]
    assert max(range(len(seq)), key=seq.__getitem__) == warm - 1  # the peak at n = warm


def cyclic_law(low, high, up, down, mode, gamma=1.0):
    def law(t):
        size = up + down
        cycle, pos = divmod(t, size)
        rise = pos / up if pos <= up else 1 - (pos - up) / down
        scale = {"triangular": 1.0, "triangular2": 0.5**cycle, "exp_range": gamma**t}[mode]
        return low + (high - low) * rise * scale

    return law


@pytest.mark.parametrize(
    "mode, up, down, gamma",
    [("triangular", 5, None, 1.0), ("triangular2", 4, 9, 1.0), ("exp_range", 6, 3, 0.98)],
)
def test_cyclic_lr_modes(mode, up, down, gamma):
    lows, highs = [0.01, 0.002], [0.1, 0.05]
    scheduler = S.CyclicLR(two_groups(), lows, highs, up, down, mode, gamma, cycle_momentum=False)
    laws = [cyclic_law(lows[i], highs[i], up, down or up, mode, gamma) for i in range(2)]
    for t, got in enumerate(lrs_over(scheduler)):
        for i in range(2):
            assert got[i] == pytest.approx(laws[i](t), rel=1e-12, abs=1e-15), (t, i)


def test_cyclic_lr_cycles_momentum_the_other_way_and_scale_fn_overrides_mode():
    opt = two_groups(momentum=0.5)
    scheduler = S.CyclicLR(opt, 0.01, 0.1, 4, base_momentum=0.7, max_momentum=0.95)
    for _ in range(STEPS):
        lr, m = opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]
        rise = (lr - 0.01) / (0.1 - 0.01)
        assert m == pytest.approx(0.95 - (0.95 - 0.7) * rise, rel=1e-12)
        scheduler.step()
    adam = two_groups(optim.Adam, betas=(0.5, 0.99))
    S.CyclicLR(adam, 0.01, 0.1, 4, max_momentum=0.9)
    assert adam.param_groups[1]["betas"] == (0.9, 0.99)
    halves = S.CyclicLR(
        two_groups(),
        0.0,
        1.0,
        2,
        mode="triangular",
        scale_fn=lambda c: 0.5**c,
        cycle_momentum=False,
    )
    seq = [lr[0] for lr in lrs_over(halves, 12)]
    assert seq[2] == 0.5 and seq[6] == 0.25 and seq[10] == 0.125


def test_explicit_epoch_jumps_to_the_closed_form():
    scheduler = S.StepLR(two_groups(), 3, 0.5)
    scheduler.step(10)
    assert scheduler.last_epoch == 10 and scheduler.get_last_lr() == [b * 0.5**3 for b in BASES]


def test_verbose_prints_each_step(capsys):
    scheduler = S.ExponentialLR(two_groups(), 0.5, verbose=True)
    scheduler.step()
    assert "Epoch 1" in capsys.readouterr().out


def test_a_second_scheduler_keeps_the_first_initial_lr():
    opt = two_groups()
    S.StepLR(opt, 2)
    opt.param_groups[0]["lr"] = 5.0
    assert S.ExponentialLR(opt, 0.5).base_lrs == list(BASES)
