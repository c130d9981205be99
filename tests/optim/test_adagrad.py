"""lucid.optim.Adagrad against its update rule, written out here in float64."""

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


def adagrad_reference(
    p, grads, lr=1e-2, eps=1e-10, weight_decay=0.0, initial_accumulator_value=0.0, lr_decay=0.0
):
    """Duchi et al.'s Adagrad as PyTorch documents it: L2 decay in the gradient, the
    step size lr/(1 + (t − 1)·lr_decay)."""
    total, out = np.full_like(p, initial_accumulator_value), []
    for t, g in enumerate(grads, start=1):
        g = g + weight_decay * p
        total = total + g * g
        p = p - lr / (1 + (t - 1) * lr_decay) * g / (np.sqrt(total) + eps)
        out.append(p)
    return out


CONFIGS = [
    {},
    {"lr": 0.1},
    {"lr": 0.1, "weight_decay": 0.2},
    {"lr": 0.1, "eps": 1e-3, "initial_accumulator_value": 0.5},
    {"lr": 0.1, "lr_decay": 0.3, "weight_decay": 0.1, "initial_accumulator_value": 0.1},
]


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_steps_follow_the_formula(config):
    assert_follows(optim.Adagrad, config, adagrad_reference, start_values(), gradients((3, 4)))


def test_float32_steps_stay_float32():
    start = start_values().astype(np.float32)
    grads = [g.astype(np.float32) for g in gradients((3, 4))]
    config = {"lr": 0.1, "weight_decay": 0.1}
    assert_follows(optim.Adagrad, config, adagrad_reference, start, grads, np.float32, 1e-5)


def test_first_step_moves_each_weight_by_lr():
    # From an empty accumulator with eps = 0, the first step is lr·g/|g|.
    p = nn.Parameter(np.array([1.0, 2.0, 3.0]), dtype=np.float64)
    opt = optim.Adagrad([p], lr=0.5, eps=0.0)
    p.grad = _storage.copy_of(np.array([3.0, -0.25, 1e-3]), np.float64)
    opt.step()
    np.testing.assert_allclose(p.data, [0.5, 2.5, 2.5], rtol=1e-15)


def test_state_layout_uses_pytorchs_name():
    config = {"initial_accumulator_value": 0.25}
    state = check_state_layout(optim.Adagrad, config, ["sum"], start_values(), gradients((3, 4), 2))
    g1, g2 = gradients((3, 4), 2)
    np.testing.assert_allclose(state["sum"].data, 0.25 + g1**2 + g2**2, rtol=1e-14)


def test_state_dict_round_trip():
    config = {"lr": 0.1, "weight_decay": 0.1, "lr_decay": 0.2}
    check_round_trip(optim.Adagrad, config, start_values(), gradients((3, 4)))


def test_a_lucid2_state_dict_loads():
    config = {"lr": 0.1, "weight_decay": 0.1}
    names = {"sum_sq_grad": "sum"}
    check_lucid2_state_loads(optim.Adagrad, config, start_values(), gradients((3, 4)), names)


def test_signature_is_lucids():
    assert positional(optim.Adagrad) == [
        ("params", EMPTY),
        ("lr", 1e-2),
        ("eps", 1e-10),
        ("weight_decay", 0.0),
        ("initial_accumulator_value", 0.0),
    ]
    check_positional_spelling(
        optim.Adagrad,
        (0.1, 1e-3, 0.2, 0.5),
        {"lr": 0.1, "eps": 1e-3, "weight_decay": 0.2, "initial_accumulator_value": 0.5},
        start_values(),
        gradients((3, 4), 3),
    )
    with pytest.raises(TypeError):
        optim.Adagrad([nn.Parameter(np.ones(1))], 0.1, 1e-3, 0.2, 0.5, 0.1)  # lr_decay


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"lr": -0.1}, ValueError, r"lr must be >= 0.0, got lr=-0.1"),
        ({"lr": "0.1"}, TypeError, r"lr must be a number, got lr='0.1'"),
        ({"lr": float("nan")}, ValueError, r"lr must be finite, got lr=nan"),
        ({"eps": -1e-10}, ValueError, r"eps must be >= 0.0, got eps=-1e-10"),
        ({"weight_decay": -1}, ValueError, r"weight_decay must be >= 0.0, got weight_decay=-1"),
        (
            {"initial_accumulator_value": -0.5},
            ValueError,
            r"initial_accumulator_value must be >= 0.0, got initial_accumulator_value=-0.5",
        ),
        ({"lr_decay": -0.1}, ValueError, r"lr_decay must be >= 0.0, got lr_decay=-0.1"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        optim.Adagrad([nn.Parameter(np.ones(2))], **kwargs)
