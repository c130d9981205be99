"""lucid.optim.Rprop against PyTorch's documented Rprop, written out here in float64."""

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


def rprop_reference(p, grads, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50.0)):
    """Riedmiller & Braun's Rprop as PyTorch has it (a sign change skips that weight's
    step and forgets its gradient)."""
    minus, plus = etas
    low, high = step_sizes
    prev, size, out = np.zeros_like(p), np.full_like(p, lr), []
    for g in grads:
        product = g * prev
        size = np.where(product > 0, size * plus, np.where(product < 0, size * minus, size))
        size = np.clip(size, low, high)
        g = np.where(product < 0, 0.0, g)
        p = p - np.sign(g) * size
        prev = g
        out.append(p)
    return out


CONFIGS = [
    {},
    {"lr": 0.1},
    {"lr": 0.1, "etas": (0.3, 1.5)},
    {"lr": 0.1, "step_sizes": (0.05, 0.2)},
    {"lr": 0.5, "etas": (0.1, 3.0), "step_sizes": (0.0, 1.0)},
]


@pytest.mark.parametrize("config", CONFIGS, ids=ids)
def test_steps_follow_the_formula(config):
    # Mostly positive gradients, so signs both repeat and flip.
    grads = [g + 0.7 for g in gradients((3, 4), steps=10)]
    grads[4][0, 0] = 0.0  # a zero gradient: no step, and the next is not a sign change
    assert_follows(optim.Rprop, config, rprop_reference, start_values(), grads)


def test_float32_steps_stay_float32():
    start = start_values().astype(np.float32)
    grads = [(g + 0.5).astype(np.float32) for g in gradients((3, 4), steps=8)]
    assert_follows(optim.Rprop, {"lr": 0.1}, rprop_reference, start, grads, np.float32, 1e-5)


def test_step_sizes_adapt_and_stop_at_the_bounds():
    # A gradient of constant sign: sizes lr·η₊^(t−1) up to the bound. lucid 2.x never
    # stores the adapted sizes, so its steps stay at lr·η₊ from the second on.
    p = nn.Parameter(np.array([0.0]), dtype=np.float64)
    opt = optim.Rprop([p], lr=0.1, etas=(0.5, 2.0), step_sizes=(1e-3, 0.5))
    moves = []
    for _ in range(5):
        before = p.data[0]
        p.grad = _storage.copy_of(np.array([3.0]), np.float64)
        opt.step()
        moves.append(before - p.data[0])
    np.testing.assert_allclose(moves, [0.1, 0.2, 0.4, 0.5, 0.5], rtol=1e-15)
    # A sign change halves the size and skips the step; the next step uses that size.
    for g, want in ((-1.0, 0.0), (-1.0, -0.25)):
        before = p.data[0]
        p.grad = _storage.copy_of(np.array([g]), np.float64)
        opt.step()
        assert before - p.data[0] == pytest.approx(want, abs=1e-15)
    np.testing.assert_array_equal(opt.state[p]["step_size"].data, [0.25])


def test_each_group_starts_from_its_own_lr():
    a = nn.Parameter(np.zeros(2), dtype=np.float64)
    b = nn.Parameter(np.zeros(2), dtype=np.float64)
    opt = optim.Rprop([{"params": [a]}, {"params": [b], "lr": 0.3}], lr=0.1)
    for p in (a, b):
        p.grad = _storage.copy_of(np.array([1.0, -1.0]), np.float64)
    opt.step()
    np.testing.assert_allclose(a.data, [-0.1, 0.1], rtol=1e-15)
    np.testing.assert_allclose(b.data, [-0.3, 0.3], rtol=1e-15)


def test_state_layout_uses_pytorchs_names():
    grads = gradients((3, 4), steps=3)
    state = check_state_layout(optim.Rprop, {}, ["prev", "step_size"], start_values(), grads)
    prev = np.where(grads[1] * grads[0] < 0, 0.0, grads[1])  # kept after step 2
    kept = np.where(grads[2] * prev < 0, 0.0, grads[2])
    np.testing.assert_array_equal(state["prev"].data, kept)


def test_state_dict_round_trip():
    config = {"lr": 0.1, "etas": (0.4, 1.3), "step_sizes": (1e-3, 0.3)}
    grads = [g + 0.5 for g in gradients((3, 4), steps=8)]
    check_round_trip(optim.Rprop, config, start_values(), grads, split=4)


def test_a_lucid2_state_dict_loads():
    grads = [g + 0.5 for g in gradients((3, 4), steps=8)]
    names = {"prev_grad": "prev"}
    check_lucid2_state_loads(optim.Rprop, {"lr": 0.1}, start_values(), grads, names, split=4)


def test_signature_is_lucids():
    assert positional(optim.Rprop) == [
        ("params", EMPTY),
        ("lr", 1e-2),
        ("etas", (0.5, 1.2)),
        ("step_sizes", (1e-6, 50.0)),
    ]
    check_positional_spelling(
        optim.Rprop,
        (0.1, (0.4, 1.3), (1e-3, 0.3)),
        {"lr": 0.1, "etas": (0.4, 1.3), "step_sizes": (1e-3, 0.3)},
        start_values(),
        gradients((3, 4), 4),
    )


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"lr": -0.01}, ValueError, r"lr must be >= 0.0, got lr=-0.01"),
        ({"etas": (1.5, 1.2)}, ValueError, r"etas must satisfy 0 < etas\[0\] < 1 < etas\[1\]"),
        ({"etas": (0.5, 0.9)}, ValueError, r"etas must satisfy .*got etas=\(0.5, 0.9\)"),
        ({"etas": (0.0, 1.2)}, ValueError, r"etas must satisfy"),
        ({"etas": 0.5}, TypeError, r"etas must be a pair of numbers, got etas=0.5"),
        ({"step_sizes": (1.0, 0.1)}, ValueError, r"step_sizes must satisfy 0 <= step_sizes"),
        ({"step_sizes": (-1.0, 0.1)}, ValueError, r"step_sizes must satisfy"),
        ({"step_sizes": (None, 1)}, TypeError, r"step_sizes\[0\] must be a number"),
    ],
)
def test_bad_hyperparameters_are_named(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        optim.Rprop([nn.Parameter(np.ones(2))], **kwargs)
