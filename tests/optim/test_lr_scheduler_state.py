"""lucid.optim.lr_scheduler: ReduceLROnPlateau's laws on constructed metric sequences,
state-dict round trips (through lucid.save) that resume exactly, and argument errors."""

import json
import math

import numpy as np
import pytest
from _schedules import two_groups

import lucid
import lucid.optim.lr_scheduler as S
from lucid import nn, optim


def plateau_lrs(metrics, **config):
    opt = two_groups()
    scheduler = S.ReduceLROnPlateau(opt, **config)
    out = []
    for m in metrics:
        scheduler.step(m)
        out.append(opt.param_groups[0]["lr"])
        assert scheduler.get_last_lr() == [g["lr"] for g in opt.param_groups]
    return out


def test_plateau_reduces_after_more_than_patience_bad_epochs():
    lrs = plateau_lrs([1.0] * 10, patience=2, factor=0.5)
    # Epoch 1 sets best; epochs 2-4 are bad: the third bad one (> patience) reduces.
    assert lrs == [0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125]


def test_plateau_improvement_resets_the_count_and_mode_max_mirrors():
    falling = [10.0 - t for t in range(30)]
    assert plateau_lrs(falling, patience=0) == [0.1] * 30
    assert plateau_lrs([-m for m in falling], mode="max", patience=0) == [0.1] * 30
    assert plateau_lrs(falling, mode="max", patience=0, factor=0.5)[:3] == [0.1, 0.05, 0.025]


def test_plateau_threshold_rel_and_abs():
    # Each metric improves by 1% of best: better under rel 0.005, not under rel 0.02.
    seq = [100 * 0.99**t for t in range(6)]
    assert plateau_lrs(seq, patience=0, threshold=0.005) == [0.1] * 6
    assert plateau_lrs(seq, patience=0, threshold=0.02)[1] == pytest.approx(0.01)
    steps = [10.0 - 0.5 * t for t in range(6)]  # improves by 0.5 each epoch
    assert plateau_lrs(steps, patience=0, threshold=0.4, threshold_mode="abs") == [0.1] * 6
    assert plateau_lrs(steps, patience=0, threshold=0.6, threshold_mode="abs")[1] == pytest.approx(
        0.01
    )


def test_plateau_cooldown_ignores_bad_epochs_and_min_lr_floors():
    lrs = plateau_lrs([1.0] * 12, patience=1, cooldown=3, factor=0.5)
    # Reductions at epochs 3, then 3 cooldown epochs, then 2 bad epochs: 8, then 13.
    assert [i + 1 for i in range(1, 12) if lrs[i] < lrs[i - 1]] == [3, 8]
    floor = plateau_lrs([1.0] * 40, patience=0, factor=0.5, min_lr=[0.01, 0.001])
    assert floor[-1] == 0.01 and min(floor) == 0.01
    tiny = plateau_lrs([1.0] * 5, patience=0, factor=0.999, eps=1e-3)
    assert tiny == [0.1] * 5  # a change of at most eps is not made


def test_plateau_takes_a_one_element_tensor_and_counts_nan_as_bad():
    lrs = plateau_lrs([lucid.tensor(np.array([2.0])), math.nan, math.nan], patience=1)
    assert lrs[-1] == pytest.approx(0.01)


SCHEDULERS = {
    "LambdaLR": lambda o: S.LambdaLR(lambda t: 0.97**t, o),
    "StepLR": lambda o: S.StepLR(o, 7, 0.5),
    "MultiStepLR": lambda o: S.MultiStepLR(o, [10, 25, 41], 0.3),
    "ExponentialLR": lambda o: S.ExponentialLR(o, 0.96),
    "CosineAnnealingLR": lambda o: S.CosineAnnealingLR(o, 23, 0.001),
    "CyclicLR": lambda o: S.CyclicLR(o, 0.01, 0.2, 5, 8, "triangular2"),
    "NoamScheduler": lambda o: S.NoamScheduler(o, 64, 12),
}


def drive(scheduler, t, metric):
    if isinstance(scheduler, S.ReduceLROnPlateau):
        scheduler.step(metric(t))
    else:
        scheduler.step()
    return [(g["lr"], g.get("momentum")) for g in scheduler.optimizer.param_groups]


ALL = {**SCHEDULERS, "ReduceLROnPlateau": lambda o: S.ReduceLROnPlateau(o, patience=2)}


@pytest.mark.parametrize("name", list(ALL))
def test_a_saved_state_resumes_exactly_in_a_fresh_scheduler(name, tmp_path):
    metric = lambda t: 1.0 if t % 7 else 0.5 - t / 1000  # noqa: E731
    make = ALL[name]
    whole = make(two_groups(momentum=0.9))
    full = [drive(whole, t, metric) for t in range(100)]
    first = make(two_groups(momentum=0.9))
    for t in range(40):
        drive(first, t, metric)
    state = first.state_dict()
    json.dumps(state)  # plain data only
    lucid.save(state, tmp_path / "sched.lucid")
    loaded = lucid.load(tmp_path / "sched.lucid")
    second = make(two_groups(momentum=0.9))
    second.load_state_dict(loaded)
    rest = [drive(second, t, metric) for t in range(40, 100)]
    assert rest == full[40:]
    assert second.state_dict() == whole.state_dict()


def test_lambda_lr_state_leaves_out_the_function_and_keeps_the_new_one():
    first = S.LambdaLR(lambda t: 0.5**t, two_groups())
    state = first.state_dict()
    assert "lr_lambda" not in state and "lr_lambdas" not in state
    second = S.LambdaLR(lambda t: 2.0**t, two_groups())
    second.load_state_dict(state)
    second.step()
    assert second.get_last_lr() == [b * 2.0 for b in (0.1, 0.03)]


def test_loading_refuses_another_group_count_a_missing_key_and_a_bad_setting():
    state = S.StepLR(two_groups(), 3).state_dict()
    single = optim.SGD([nn.Parameter(np.ones(2))], lr=0.1)
    with pytest.raises(ValueError, match="param group"):
        S.StepLR(single, 3).load_state_dict(state)
    with pytest.raises(KeyError, match="last_epoch"):
        partial = {k: v for k, v in state.items() if k != "last_epoch"}
        S.StepLR(two_groups(), 3).load_state_dict(partial)
    target = S.StepLR(two_groups(), 3)
    before = target.state_dict()
    with pytest.raises(ValueError, match="step_size"):
        target.load_state_dict({**state, "step_size": -1})
    assert target.state_dict() == before


def _opt():
    return two_groups()


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: S.StepLR([1, 2], 3), TypeError, "optimizer"),
        (lambda: S.StepLR(_opt(), -1), ValueError, "step_size=-1"),
        (lambda: S.StepLR(_opt(), 0), ValueError, "step_size=0"),
        (lambda: S.StepLR(_opt(), 2.5), TypeError, "step_size=2.5"),
        (lambda: S.StepLR(_opt(), 3, 0.0), ValueError, "gamma=0.0"),
        (lambda: S.StepLR(_opt(), 3, -0.5), ValueError, "gamma=-0.5"),
        (lambda: S.ExponentialLR(_opt(), math.nan), ValueError, "gamma=nan"),
        (lambda: S.MultiStepLR(_opt(), [5, 3]), ValueError, "milestones"),
        (lambda: S.MultiStepLR(_opt(), [3, 3]), ValueError, "milestones"),
        (lambda: S.MultiStepLR(_opt(), []), ValueError, "milestones"),
        (lambda: S.MultiStepLR(_opt(), 5), TypeError, "milestones=5"),
        (lambda: S.CosineAnnealingLR(_opt(), 0), ValueError, "T_max=0"),
        (lambda: S.CosineAnnealingLR(_opt(), 10, "x"), TypeError, "eta_min"),
        (lambda: S.LambdaLR(3, _opt()), TypeError, "lr_lambda"),
        (lambda: S.LambdaLR([abs], _opt()), ValueError, "lr_lambda"),
        (lambda: S.LambdaLR(lambda t: "x", _opt()), TypeError, "lr_lambda"),
        (lambda: S.ReduceLROnPlateau(_opt(), "mean"), ValueError, "mode='mean'"),
        (lambda: S.ReduceLROnPlateau(_opt(), factor=1.0), ValueError, "factor=1.0"),
        (lambda: S.ReduceLROnPlateau(_opt(), patience=-1), ValueError, "patience=-1"),
        (lambda: S.ReduceLROnPlateau(_opt(), threshold_mode="x"), ValueError, "threshold_mode"),
        (lambda: S.ReduceLROnPlateau(_opt(), cooldown=-2), ValueError, "cooldown=-2"),
        (lambda: S.ReduceLROnPlateau(_opt(), min_lr=[0.1]), ValueError, "min_lr"),
        (lambda: S.ReduceLROnPlateau(_opt()).step("loss"), TypeError, "metrics"),
        (lambda: S.CyclicLR(_opt(), 0.1, 0.01), ValueError, "base_lr"),
        (lambda: S.CyclicLR(_opt(), 0.01, 0.1, 0), ValueError, "step_size_up=0"),
        (lambda: S.CyclicLR(_opt(), 0.01, 0.1, 4, -3), ValueError, "step_size_down=-3"),
        (lambda: S.CyclicLR(_opt(), 0.01, 0.1, 4, mode="tri"), ValueError, "mode='tri'"),
        (lambda: S.CyclicLR(_opt(), 0.01, 0.1, scale_mode="x"), ValueError, "scale_mode"),
        (lambda: S.CyclicLR(_opt(), [0.01], 0.1), ValueError, "base_lr"),
        (lambda: S.NoamScheduler(_opt(), 0, 10), ValueError, "model_size=0"),
        (lambda: S.NoamScheduler(_opt(), 8, 0), ValueError, "warmup_steps=0"),
        (lambda: S.NoamScheduler(_opt(), 8, 10, -1.0), ValueError, "factor=-1.0"),
        (lambda: S.StepLR(_opt(), 3, last_epoch=-2), ValueError, "last_epoch=-2"),
        (lambda: S.StepLR(_opt(), 3, last_epoch=4), KeyError, "initial_lr"),
        (lambda: S.StepLR(_opt(), 3, verbose=1), TypeError, "verbose"),
        (lambda: S.StepLR(_opt(), 3).step(-1), ValueError, "epoch=-1"),
    ],
)
def test_bad_arguments_are_refused_by_name(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_a_refused_cyclic_lr_leaves_the_optimizer_alone():
    opt = two_groups(momentum=0.5)
    with pytest.raises(ValueError):
        S.CyclicLR(opt, 0.01, 0.1, 4, mode="bad")
    assert [(g["lr"], g["momentum"]) for g in opt.param_groups] == [(0.1, 0.5), (0.03, 0.5)]
    assert all("initial_lr" not in g for g in opt.param_groups)
