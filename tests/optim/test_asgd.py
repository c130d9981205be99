"""lucid.optim.ASGD against lucid 2.x's averaged SGD, written out here in float64."""

import numpy as np
import pytest
from _stepping import (
    EMPTY,
    assert_follows,
    check_positional_spelling,
    check_round_trip,
    check_state_layout,
    gradients,
    ids,
    positional,
    start_values,
)

from lucid import _storage, nn, optim


def asgd_reference(
    p, grads, lr=1e-3, momentum=0.0, weight_decay=0.0, alpha=0.75, t0=1e6, lambd=1e-4
):
    """(params, averages) after each step: SGD with heavy-ball momentum (the buffer starts
    at the first gradient) and lucid 2.x's average, from step t0 on
    a ← (1 − c)·a + c·p − lambd·a with c = 1/(alpha·t + 1), a starting at p."""
    average, buf, out = p.copy(), None, []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        if momentum:
            buf = g if buf is None else momentum * buf + g
            g = buf
        p = p - lr * g
        if t >= t0:
            c = 1 / (alpha * t + 1)
            average = (1 - c) * average + c * p - lambd * average
        out.append((p, average))
    return out


def params_only(p, grads, **config):
    return [p for p, _ in asgd_reference(p, grads, **config)]


CONFIGS = [
    {},
    {"lr": 0.1},
    {"lr": 0.1, "weight_decay": 0.3},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "t0": 3, "alpha": 0.5, "lambd": 0.01},
]


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_steps_follow_the_formula(config):
    assert_follows(optim.ASGD, config, params_only, start_values(), gradients((3, 4)))


@pytest.mark.parametrize("t0", [1, 3, 100])
def test_averages_follow_the_formula(t0):
    start, grads = start_values(), gradients((3, 4), steps=7)
    config = {"lr": 0.1, "momentum": 0.5, "t0": t0, "alpha": 0.75, "lambd": 1e-2}
    p = nn.Parameter(start, dtype=np.float64)
    opt = optim.ASGD([p], **config)
    (before,) = opt.get_averages()
    np.testing.assert_array_equal(before, start)
    for g, (want_p, want_a) in zip(grads, asgd_reference(start, grads, **config), strict=True):
        p.grad = _storage.copy_of(g, np.float64)
        opt.step()
        (average,) = opt.get_averages()
        np.testing.assert_allclose(p.data, want_p, rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(average, want_a, rtol=1e-12, atol=1e-14)
    if t0 > len(grads):  # not averaging yet: the weights before the first step
        np.testing.assert_array_equal(average, start)


def test_get_averages_are_copies_in_group_order():
    a = nn.Parameter(np.zeros(2), dtype=np.float64)
    b = nn.Parameter(np.ones(3), dtype=np.float32)
    opt = optim.ASGD([{"params": [a]}, {"params": [b]}], lr=0.5, t0=1, alpha=0.0, lambd=0.0)
    b.grad = _storage.copy_of(np.ones(3), np.float32)
    opt.step()  # alpha = 0: c = 1, the average is the new b; a has no state yet
    averages = opt.get_averages()
    assert [x.shape for x in averages] == [(2,), (3,)]
    assert averages[1].dtype == np.float32
    np.testing.assert_array_equal(averages[1], [0.5, 0.5, 0.5])
    averages[0][:] = 7.0
    averages[1][:] = 7.0
    assert not a.data.any() and not (opt.state[b]["ax"].data == 7.0).any()


def test_first_momentum_step_is_one_gradient():
    # lucid 2.x seeds the buffer with g and then adds g again: (1 + μ)·g on step one.
    p = nn.Parameter(np.array([1.0]), dtype=np.float64)
    opt = optim.ASGD([p], lr=0.5, momentum=0.9)
    p.grad = _storage.copy_of(np.array([2.0]), np.float64)
    opt.step()
    assert p.data[0] == 0.0
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"].data, [2.0])


def test_float32_steps_stay_float32():
    start = start_values().astype(np.float32)
    grads = [g.astype(np.float32) for g in gradients((3, 4))]
    config = {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1}
    assert_follows(optim.ASGD, config, params_only, start, grads, np.float32, 1e-5)


@pytest.mark.parametrize(
    "config, keys", [({}, ["ax"]), ({"momentum": 0.5}, ["ax", "momentum_buffer"])]
)
def test_state_layout(config, keys):
    check_state_layout(optim.ASGD, config, keys, start_values(), gradients((3, 4), 3))


def test_state_dict_round_trip():
    config = {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.1, "t0": 2, "lambd": 0.01}
    check_round_trip(optim.ASGD, config, start_values(), gradients((3, 4)))


def test_signature_is_lucids():
    assert positional(optim.ASGD) == [
        ("params", EMPTY),
        ("lr", 1e-3),
        ("momentum", 0.0),
        ("weight_decay", 0.0),
        ("alpha", 0.75),
        ("t0", 1e6),
        ("lambd", 1e-4),
    ]
    check_positional_spelling(
        optim.ASGD,
        (0.1, 0.5, 0.2, 0.5, 1, 1e-3),
        {"lr": 0.1, "momentum": 0.5, "weight_decay": 0.2, "alpha": 0.5, "t0": 1, "lambd": 1e-3},
        start_values(),
        gradients((3, 4), 3),
    )


@pytest.mark.parametrize(
    "kwargs, pattern",
    [
        ({"lr": -1e-3}, r"lr must be >= 0.0, got lr=-0.001"),
        ({"momentum": -0.5}, r"momentum must be >= 0.0, got momentum=-0.5"),
        ({"weight_decay": -1}, r"weight_decay must be >= 0.0"),
        ({"alpha": -0.75}, r"alpha must be >= 0.0, got alpha=-0.75"),
        ({"t0": -1}, r"t0 must be >= 0.0, got t0=-1"),
        ({"lambd": -1e-4}, r"lambd must be >= 0.0, got lambd=-0.0001"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, pattern):
    with pytest.raises(ValueError, match=pattern):
        optim.ASGD([nn.Parameter(np.ones(2))], **kwargs)
    with pytest.raises(TypeError, match=f"{next(iter(kwargs))} must be a number"):
        optim.ASGD([nn.Parameter(np.ones(2))], **{next(iter(kwargs)): "1"})
