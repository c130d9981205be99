"""lucid.optim.RAdam against lucid 2.x's update rule, written out here in float64."""

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


def radam_reference(
    p,
    grads,
    lr=1e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    decoupled_weight_decay=False,
):
    """Liu et al.'s RAdam (algorithm 2: rectify while ρₜ > 4), ε after the bias
    correction of v, as lucid 2.x has it."""
    b1, b2 = betas
    rho_inf = 2 / (1 - b2) - 1
    m, v, out = np.zeros_like(p), np.zeros_like(p), []
    for t, g in enumerate(grads, start=1):
        if decoupled_weight_decay:
            p = p - lr * weight_decay * p
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        m_hat = m / (1 - b1**t)
        rho_t = rho_inf - 2 * t * b2**t / (1 - b2**t)
        if rho_t > 4:
            r = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2)))
            p = p - lr * r * m_hat / (np.sqrt(v / (1 - b2**t)) + eps)
        else:
            p = p - lr * m_hat
        out.append(p)
    return out


CONFIGS = [
    {},
    {"lr": 0.05, "betas": (0.5, 0.8)},
    {"lr": 0.05, "betas": (0.9, 0.9), "weight_decay": 0.2},
    {"lr": 0.05, "betas": (0.8, 0.7), "weight_decay": 0.2, "decoupled_weight_decay": True},
    {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-2},
    {"lr": 0.02, "betas": (0.9, 0.0)},
]


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_steps_follow_the_formula(config):
    grads = gradients((3, 4), steps=10)
    assert_follows(optim.RAdam, config, radam_reference, start_values(), grads)


def test_float32_steps_stay_float32():
    start = start_values().astype(np.float32)
    grads = [g.astype(np.float32) for g in gradients((3, 4), steps=8)]
    config = {"lr": 0.05, "betas": (0.8, 0.8), "weight_decay": 0.1}
    assert_follows(optim.RAdam, config, radam_reference, start, grads, np.float32, 1e-5)


def test_rectification_starts_once_rho_passes_4():
    # A constant gradient 1 with ε = 0 gives m̂ = 1 and v̂ = 1, so step t moves by lr
    # until ρₜ > 4 and by lr·rₜ after. With β₂ = 0.9, ρ∞ = 19 and ρ₅ ≈ 4.58: lucid 2.x
    # (and the paper) rectify from step 5; PyTorch's threshold of 5 would wait for step 6.
    p = nn.Parameter(np.array([0.0]), dtype=np.float64)
    opt = optim.RAdam([p], lr=1.0, betas=(0.5, 0.9), eps=0.0)
    moves = []
    for _ in range(6):
        before = p.data[0]
        p.grad = _storage.copy_of(np.array([1.0]), np.float64)
        opt.step()
        moves.append(before - p.data[0])
    rho5 = 19 - 10 * 0.9**5 / (1 - 0.9**5)
    assert 4 < rho5 < 5
    r5 = math.sqrt((rho5 - 4) * (rho5 - 2) * 19 / (15 * 17))
    np.testing.assert_allclose(moves[:4], 1.0, rtol=1e-14)
    assert math.isclose(moves[4], r5, rel_tol=1e-12) and r5 < 0.5


def test_state_layout():
    keys = ["exp_avg", "exp_avg_sq"]
    check_state_layout(optim.RAdam, {}, keys, start_values(), gradients((3, 4)))


def test_state_dict_round_trip():
    config = {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1}
    check_round_trip(optim.RAdam, config, start_values(), gradients((3, 4), steps=9), split=4)


def test_signature_is_lucids():
    assert positional(optim.RAdam) == [
        ("params", EMPTY),
        ("lr", 1e-3),
        ("betas", (0.9, 0.999)),
        ("eps", 1e-8),
        ("weight_decay", 0.0),
    ]
    check_positional_spelling(
        optim.RAdam,
        (0.05, (0.8, 0.9), 1e-3, 0.1),
        {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3, "weight_decay": 0.1},
        start_values(),
        gradients((3, 4), 7),
    )


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"lr": -1.0}, ValueError, r"lr must be >= 0.0, got lr=-1.0"),
        ({"betas": (1.2, 0.9)}, ValueError, r"betas\[0\] must be in \[0, 1\)"),
        ({"betas": "ab"}, TypeError, r"betas must be a pair of numbers, got betas='ab'"),
        ({"eps": float("inf")}, ValueError, r"eps must be finite, got eps=inf"),
        ({"weight_decay": -0.1}, ValueError, r"weight_decay must be >= 0.0"),
        ({"decoupled_weight_decay": None}, TypeError, r"decoupled_weight_decay must be a bool"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        optim.RAdam([nn.Parameter(np.ones(2))], **kwargs)
