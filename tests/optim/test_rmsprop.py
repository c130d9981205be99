"""lucid.optim.RMSprop against lucid 2.x's update rule, written out here in float64."""

import math

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


def rmsprop_reference(
    p, grads, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False
):
    """Hinton's RMSprop with PyTorch's centering and momentum, and lucid 2.x's ε: inside
    the square root."""
    v, mean, buf, out = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p), []
    for g in grads:
        g = g + weight_decay * p
        v = alpha * v + (1 - alpha) * g**2
        mean = alpha * mean + (1 - alpha) * g
        d = np.sqrt((v - mean**2 if centered else v) + eps)
        if momentum:
            buf = momentum * buf + g / d
            p = p - lr * buf
        else:
            p = p - lr * g / d
        out.append(p)
    return out


CONFIGS = [
    {},
    {"lr": 0.05, "alpha": 0.8},
    {"lr": 0.05, "weight_decay": 0.2},
    {"lr": 0.05, "momentum": 0.9},
    {"lr": 0.05, "centered": True},
    {"lr": 0.02, "alpha": 0.7, "eps": 1e-3, "weight_decay": 0.1, "momentum": 0.5, "centered": True},
]


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_steps_follow_the_formula(config):
    grads = gradients((3, 4), steps=8)
    assert_follows(optim.RMSprop, config, rmsprop_reference, start_values(), grads)


def test_float32_steps_stay_float32():
    start = start_values().astype(np.float32)
    grads = [g.astype(np.float32) for g in gradients((3, 4))]
    config = {"lr": 0.05, "momentum": 0.5, "centered": True, "eps": 1e-4}
    assert_follows(optim.RMSprop, config, rmsprop_reference, start, grads, np.float32, 1e-5)


def test_eps_is_under_the_square_root_as_lucid_2x_has_it():
    # v = (1 − α)·g² = 1 with α = 0.75, g = 2; ε = 1: the step is lr·2/sqrt(2). PyTorch's
    # sqrt(v) + ε would make it lr·2/2.
    p = nn.Parameter(np.array([0.0]), dtype=np.float64)
    opt = optim.RMSprop([p], lr=1.0, alpha=0.75, eps=1.0)
    p.grad = _storage.copy_of(np.array([2.0]), np.float64)
    opt.step()
    assert math.isclose(p.data[0], -math.sqrt(2), rel_tol=1e-15)


def test_momentum_switched_on_later_starts_from_a_zero_buffer():
    start, grads = start_values(), gradients((3, 4), steps=4)
    p = nn.Parameter(start, dtype=np.float64)
    opt = optim.RMSprop([p], lr=0.05)
    for t, g in enumerate(grads):
        if t == 2:
            assert "momentum_buffer" not in opt.state[p]
            opt.param_groups[0]["momentum"] = 0.9
        p.grad = _storage.copy_of(g, np.float64)
        opt.step()
    v, d = np.zeros_like(start), []
    for g in grads:
        v = 0.99 * v + 0.01 * g**2
        d.append(np.sqrt(v + 1e-8))
    np.testing.assert_allclose(opt.state[p]["square_avg"].data, v, rtol=1e-12)
    buf = 0.9 * grads[2] / d[2] + grads[3] / d[3]  # from zero at step 3
    np.testing.assert_allclose(opt.state[p]["momentum_buffer"].data, buf, rtol=1e-10)


@pytest.mark.parametrize(
    "config, keys",
    [
        ({}, ["square_avg"]),
        ({"momentum": 0.5}, ["square_avg", "momentum_buffer"]),
        ({"centered": True}, ["square_avg", "grad_avg"]),
        ({"momentum": 0.5, "centered": True}, ["square_avg", "momentum_buffer", "grad_avg"]),
    ],
)
def test_state_layout(config, keys):
    check_state_layout(optim.RMSprop, config, keys, start_values(), gradients((3, 4), 3))


def test_state_dict_round_trip():
    config = {"lr": 0.05, "alpha": 0.9, "weight_decay": 0.1, "momentum": 0.5, "centered": True}
    check_round_trip(optim.RMSprop, config, start_values(), gradients((3, 4)))


def test_signature_is_lucids():
    assert positional(optim.RMSprop) == [
        ("params", EMPTY),
        ("lr", 1e-2),
        ("alpha", 0.99),
        ("eps", 1e-8),
        ("weight_decay", 0.0),
        ("momentum", 0.0),
        ("centered", False),
    ]
    check_positional_spelling(
        optim.RMSprop,
        (0.05, 0.9, 1e-6, 0.1, 0.5, True),
        {"lr": 0.05, "alpha": 0.9, "eps": 1e-6, "weight_decay": 0.1, "momentum": 0.5}
        | {"centered": True},
        start_values(),
        gradients((3, 4), 3),
    )


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"lr": -0.01}, ValueError, r"lr must be >= 0.0, got lr=-0.01"),
        ({"alpha": -0.5}, ValueError, r"alpha must be >= 0.0, got alpha=-0.5"),
        ({"eps": -1e-8}, ValueError, r"eps must be >= 0.0, got eps=-1e-08"),
        ({"weight_decay": -0.1}, ValueError, r"weight_decay must be >= 0.0"),
        ({"momentum": -0.9}, ValueError, r"momentum must be >= 0.0, got momentum=-0.9"),
        ({"centered": "no"}, TypeError, r"centered must be a bool, got centered='no'"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        optim.RMSprop([nn.Parameter(np.ones(2))], **kwargs)
