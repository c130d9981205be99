"""lucid.optim.Adamax against lucid 2.x's update rule, written out here in float64."""

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


def adamax_reference(p, grads, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
    """Kingma & Ba's Adamax with lucid 2.x's ε: added to the running max's denominator."""
    b1, b2 = betas
    m, u, out = np.zeros_like(p), np.zeros_like(p), []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        m = b1 * m + (1 - b1) * g
        u = np.maximum(b2 * u, np.abs(g))
        p = p - lr / (1 - b1**t) * m / (u + eps)
        out.append(p)
    return out


CONFIGS = [
    {},
    {"lr": 0.05, "betas": (0.5, 0.8)},
    {"lr": 0.05, "weight_decay": 0.2},
    {"lr": 0.02, "betas": (0.8, 0.9), "eps": 1e-2, "weight_decay": 0.05},
    {"lr": 0.05, "betas": (0.0, 0.0)},
]


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_steps_follow_the_formula(config):
    # Shrinking gradients, so the running max keeps an old |g|.
    grads = [g * 0.6**t for t, g in enumerate(gradients((3, 4), steps=8))]
    assert_follows(optim.Adamax, config, adamax_reference, start_values(), grads)


def test_float32_steps_stay_float32():
    start = start_values().astype(np.float32)
    grads = [g.astype(np.float32) for g in gradients((3, 4))]
    config = {"lr": 0.05, "weight_decay": 0.1}
    assert_follows(optim.Adamax, config, adamax_reference, start, grads, np.float32, 1e-5)


def test_eps_is_added_after_the_running_max_as_lucid_2x_does():
    # g = 1 then 0, β = (0.5, 0.5), ε = 0.5, lr = 1: the steps are
    # 2·0.5/(1 + 0.5) = 2/3 and (4/3)·0.25/(0.5 + 0.5) = 1/3. PyTorch's max(β₂·u, |g| + ε)
    # would make the second (4/3)·0.25/0.75 = 4/9.
    p = nn.Parameter(np.array([1.0]), dtype=np.float64)
    opt = optim.Adamax([p], lr=1.0, betas=(0.5, 0.5), eps=0.5)
    for g in (1.0, 0.0):
        p.grad = _storage.copy_of(np.array([g]), np.float64)
        opt.step()
    assert math.isclose(p.data[0], 0.0, abs_tol=1e-15)
    np.testing.assert_allclose(opt.state[p]["exp_inf"].data, [0.5], rtol=1e-15)


def test_state_layout():
    check_state_layout(optim.Adamax, {}, ["exp_avg", "exp_inf"], start_values(), gradients((3, 4)))


def test_state_dict_round_trip():
    config = {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1}
    check_round_trip(optim.Adamax, config, start_values(), gradients((3, 4)))


def test_signature_is_lucids():
    assert positional(optim.Adamax) == [
        ("params", EMPTY),
        ("lr", 2e-3),
        ("betas", (0.9, 0.999)),
        ("eps", 1e-8),
        ("weight_decay", 0.0),
    ]
    check_positional_spelling(
        optim.Adamax,
        (0.05, (0.8, 0.9), 1e-3, 0.1),
        {"lr": 0.05, "betas": (0.8, 0.9), "eps": 1e-3, "weight_decay": 0.1},
        start_values(),
        gradients((3, 4), 3),
    )


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"lr": -2e-3}, ValueError, r"lr must be >= 0.0, got lr=-0.002"),
        ({"betas": (1.0, 0.9)}, ValueError, r"betas\[0\] must be in \[0, 1\), got betas="),
        ({"betas": (0.9, -0.5)}, ValueError, r"betas\[1\] must be >= 0.0, got betas\[1\]=-0.5"),
        ({"betas": (0.9,)}, TypeError, r"betas must be a pair of numbers, got betas=\(0.9,\)"),
        ({"betas": (0.9, "x")}, TypeError, r"betas\[1\] must be a number, got betas\[1\]='x'"),
        ({"eps": -1.0}, ValueError, r"eps must be >= 0.0, got eps=-1.0"),
        ({"weight_decay": -0.1}, ValueError, r"weight_decay must be >= 0.0"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        optim.Adamax([nn.Parameter(np.ones(2))], **kwargs)
