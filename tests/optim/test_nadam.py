"""lucid.optim.NAdam against PyTorch's documented NAdam, written out here in float64."""

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


def nadam_reference(
    p,
    grads,
    lr=2e-3,
    betas=(0.9, 0.999),
    eps=1e-8,
    weight_decay=0.0,
    momentum_decay=4e-3,
    decoupled_weight_decay=False,
):
    """PyTorch's algorithm box: μₜ = β₁(1 − ½·0.96^(tψ)), m̂ from the products of μ."""
    b1, b2 = betas

    def mu(t):
        return b1 * (1 - 0.5 * 0.96 ** (t * momentum_decay))

    m, v, out = np.zeros_like(p), np.zeros_like(p), []
    for t, g in enumerate(grads, start=1):
        if decoupled_weight_decay:
            p = p - lr * weight_decay * p
        else:
            g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g**2
        product_t = math.prod(mu(i) for i in range(1, t + 1))
        product_next = product_t * mu(t + 1)
        m_hat = mu(t + 1) * m / (1 - product_next) + (1 - mu(t)) * g / (1 - product_t)
        v_hat = v / (1 - b2**t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(p)
    return out


CONFIGS = [
    {},
    {"lr": 0.05, "betas": (0.5, 0.8)},
    {"lr": 0.05, "weight_decay": 0.2},
    {"lr": 0.05, "weight_decay": 0.2, "decoupled_weight_decay": True},
    {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-2, "momentum_decay": 0.5},
    {"lr": 0.02, "momentum_decay": 0.0},
]


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_steps_follow_the_formula(config):
    grads = gradients((3, 4), steps=8)
    assert_follows(optim.NAdam, config, nadam_reference, start_values(), grads)


def test_float32_steps_stay_float32():
    start = start_values().astype(np.float32)
    grads = [g.astype(np.float32) for g in gradients((3, 4))]
    config = {"lr": 0.05, "weight_decay": 0.1}
    assert_follows(optim.NAdam, config, nadam_reference, start, grads, np.float32, 1e-5)


def test_first_step_by_hand():
    # t = 1, ψ = 0: μ₁ = μ₂ = β₁/2, m = (1 − β₁)g, v̂ = g². With β₁ = 0.5, g = 2, ε = 0:
    # m̂ = 0.25·1/(1 − 1/16) + 0.75·2/(1 − 0.25) = 4/15 + 2, and the step is lr·m̂/2.
    p = nn.Parameter(np.array([0.0]), dtype=np.float64)
    opt = optim.NAdam([p], lr=1.0, betas=(0.5, 0.9), eps=0.0, momentum_decay=0.0)
    p.grad = _storage.copy_of(np.array([2.0]), np.float64)
    opt.step()
    assert math.isclose(p.data[0], -(4 / 15 + 2) / 2, rel_tol=1e-14)
    assert math.isclose(opt.state[p]["mu_product"], 0.25, rel_tol=1e-15)


def test_state_layout_keeps_the_momentum_product():
    state = check_state_layout(
        optim.NAdam,
        {"momentum_decay": 0.1},
        ["mu_product", "exp_avg", "exp_avg_sq"],
        start_values(),
        gradients((3, 4), 3),
    )
    want = math.prod(0.9 * (1 - 0.5 * 0.96 ** (t * 0.1)) for t in (1, 2, 3))
    assert isinstance(state["mu_product"], float)
    assert math.isclose(state["mu_product"], want, rel_tol=1e-14)


def test_state_dict_round_trip():
    config = {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1, "momentum_decay": 0.2}
    check_round_trip(optim.NAdam, config, start_values(), gradients((3, 4)))


def test_a_lucid2_state_dict_without_the_product_loads():
    # lucid 2.x keeps no mu_product: it is rebuilt from the step count.
    config = {"lr": 0.05, "momentum_decay": 0.3}
    grads = gradients((3, 4))
    check_lucid2_state_loads(optim.NAdam, config, start_values(), grads, {}, ["mu_product"])


def test_signature_is_lucids():
    assert positional(optim.NAdam) == [
        ("params", EMPTY),
        ("lr", 2e-3),
        ("betas", (0.9, 0.999)),
        ("eps", 1e-8),
        ("weight_decay", 0.0),
        ("momentum_decay", 4e-3),
    ]
    check_positional_spelling(
        optim.NAdam,
        (0.05, (0.8, 0.9), 1e-3, 0.1, 0.01),
        {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3, "weight_decay": 0.1, "momentum_decay": 0.01},
        start_values(),
        gradients((3, 4), 3),
    )
    with pytest.raises(TypeError):
        optim.NAdam([nn.Parameter(np.ones(1))], 0.1, (0.9, 0.99), 1e-8, 0.1, 4e-3, True)


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"lr": -1.0}, ValueError, r"lr must be >= 0.0, got lr=-1.0"),
        ({"betas": (0.9, 1.0)}, ValueError, r"betas\[1\] must be in \[0, 1\), got betas="),
        ({"betas": [0.9]}, TypeError, r"betas must be a pair of numbers"),
        ({"eps": -1e-8}, ValueError, r"eps must be >= 0.0, got eps=-1e-08"),
        ({"weight_decay": -0.1}, ValueError, r"weight_decay must be >= 0.0"),
        ({"momentum_decay": -4e-3}, ValueError, r"momentum_decay must be >= 0.0"),
        (
            {"decoupled_weight_decay": 1},
            TypeError,
            r"decoupled_weight_decay must be a bool, got decoupled_weight_decay=1",
        ),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        optim.NAdam([nn.Parameter(np.ones(2))], **kwargs)
