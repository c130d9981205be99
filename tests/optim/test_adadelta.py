"""lucid.optim.Adadelta against its update rule, written out here in float64."""

import math

import numpy as np
import pytest
from _stepping import (
    EMPTY,
    assert_follows,
    check_lucid2_state_loads,
    check_positional_spelling,
    check_round_trip,
    check_state_layout,
    gradients,
    ids,
    positional,
    start_values,
)

from lucid import _storage, nn, optim


def adadelta_reference(p, grads, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0):
    """Zeiler's Adadelta, PyTorch's documented form (with lr and L2 decay)."""
    v, u, out = np.zeros_like(p), np.zeros_like(p), []
    for g in grads:
        g = g + weight_decay * p
        v = rho * v + (1 - rho) * g**2
        delta = np.sqrt(u + eps) / np.sqrt(v + eps) * g
        u = rho * u + (1 - rho) * delta**2
        p = p - lr * delta
        out.append(p)
    return out


CONFIGS = [
    {},
    {"lr": 0.5, "rho": 0.7},
    {"weight_decay": 0.3},
    {"lr": 2.0, "rho": 0.5, "eps": 1e-3, "weight_decay": 0.1},
    {"rho": 0.0, "eps": 1e-2},
    {"rho": 1.0, "eps": 1e-2},
]


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_steps_follow_the_formula(config):
    grads = gradients((3, 4), steps=8)
    assert_follows(optim.Adadelta, config, adadelta_reference, start_values(), grads)


def test_float32_steps_stay_float32():
    start = start_values().astype(np.float32)
    grads = [g.astype(np.float32) for g in gradients((3, 4))]
    config = {"eps": 1e-3, "weight_decay": 0.1}
    assert_follows(optim.Adadelta, config, adadelta_reference, start, grads, np.float32, 1e-5)


def test_first_step_by_hand():
    # v = (1 − ρ)·g², u = 0: Δ = sqrt(ε)/sqrt((1 − ρ)·g² + ε)·g.
    p = nn.Parameter(np.array([0.0]), dtype=np.float64)
    opt = optim.Adadelta([p], lr=1.0, rho=0.75, eps=0.25)
    p.grad = _storage.copy_of(np.array([2.0]), np.float64)
    opt.step()
    assert math.isclose(p.data[0], -0.5 / math.sqrt(1.25) * 2.0, rel_tol=1e-15)


def test_state_layout_uses_pytorchs_names():
    check_state_layout(
        optim.Adadelta, {}, ["square_avg", "acc_delta"], start_values(), gradients((3, 4), 3)
    )


def test_state_dict_round_trip():
    config = {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}
    check_round_trip(optim.Adadelta, config, start_values(), gradients((3, 4)))


def test_a_lucid2_state_dict_loads():
    names = {"sq_avg": "square_avg", "accumulated_update": "acc_delta"}
    grads = gradients((3, 4))
    check_lucid2_state_loads(optim.Adadelta, {"rho": 0.8}, start_values(), grads, names)


def test_signature_is_lucids():
    assert positional(optim.Adadelta) == [
        ("params", EMPTY),
        ("lr", 1.0),
        ("rho", 0.9),
        ("eps", 1e-6),
        ("weight_decay", 0.0),
    ]
    check_positional_spelling(
        optim.Adadelta,
        (0.5, 0.7, 1e-3, 0.1),
        {"lr": 0.5, "rho": 0.7, "eps": 1e-3, "weight_decay": 0.1},
        start_values(),
        gradients((3, 4), 3),
    )


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"lr": -1.0}, ValueError, r"lr must be >= 0.0, got lr=-1.0"),
        ({"rho": 1.5}, ValueError, r"rho must be in \[0, 1\], got rho=1.5"),
        ({"rho": -0.1}, ValueError, r"rho must be >= 0.0, got rho=-0.1"),
        ({"rho": None}, TypeError, r"rho must be a number, got rho=None"),
        ({"eps": -1e-6}, ValueError, r"eps must be >= 0.0, got eps=-1e-06"),
        ({"weight_decay": -0.5}, ValueError, r"weight_decay must be >= 0.0"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        optim.Adadelta([nn.Parameter(np.ones(2))], **kwargs)
