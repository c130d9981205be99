"""mse_loss, binary_cross_entropy and binary_cross_entropy_with_logits: float targets.

Values against the loop references in _loss_refs and gradients of input and target by
finite differences (check_op) for every reduction, with weight and pos_weight; BCE's
clamped logs, stability for extreme logits, and the errors for mismatched shapes and
probabilities outside [0, 1].
"""

import math

import numpy as np
import pytest
from _loss_refs import REDUCTIONS, ref_bce, ref_bce_logits, ref_mse
from helpers import check_op, like

import lucid.nn.functional as F
from lucid import Tensor

RNG = np.random.default_rng(0)


# ---- values and gradients ----------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_mse_loss_values_and_gradients_of_input_and_target(reduction):
    check_op(
        lambda x, y: F.mse_loss(x, y, reduction=reduction),
        (3, 4),
        (3, 4),
        ref=lambda x, y: ref_mse(x, y, reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy_values_and_gradients(reduction, weighted):
    w = np.array([0.5, 1.0, 2.0, 3.0]) if weighted else None
    check_op(
        lambda p, y: F.binary_cross_entropy(p, y, weight=like(w, p), reduction=reduction),
        (3, 4),
        (3, 4),
        ref=lambda p, y: ref_bce(p, y, w, reduction),
        low=0.05,
        high=0.95,
    )


def test_binary_cross_entropy_clamps_its_logs_at_minus_100(strict_numpy):
    p = Tensor(np.array([0.0, 1.0, 0.0, 1.0, 0.5]), requires_grad=True)
    y = Tensor(np.array([1.0, 0.0, 0.0, 1.0, 0.5]), requires_grad=True)
    loss = F.binary_cross_entropy(p, y, reduction="none", eps=0)
    np.testing.assert_allclose(loss.data, [100.0, 100.0, 0.0, 0.0, math.log(2)], rtol=1e-12)
    loss.sum().backward()
    # PyTorch's input gradient (x - y) / max(x(1 - x), 1e-12); the target's log(1-x) - log x.
    np.testing.assert_allclose(p.grad, [-1e12, 1e12, 0.0, 0.0, 0.0], rtol=1e-12)
    np.testing.assert_allclose(y.grad, [100.0, -100.0, 100.0, -100.0, 0.0], rtol=1e-12)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_bce_with_logits_values_and_gradients(reduction, weighted):
    x = RNG.uniform(-3, 3, (3, 4))
    y = RNG.uniform(0, 1, (3, 4))
    w = np.array([[0.5], [1.0], [2.0]]) if weighted else None
    pw = np.array([1.0, 2.0, 0.5, 3.0]) if weighted else None
    check_op(
        lambda a, b: F.binary_cross_entropy_with_logits(
            a, b, like(w, a), like(pw, a), reduction=reduction
        ),
        x,
        y,
        ref=lambda a, b: ref_bce_logits(a, b, w, pw, reduction),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bce_with_logits_is_stable_for_extreme_logits(dtype, strict_numpy):
    x = Tensor(np.array([1000.0, -1000.0, 1000.0, -1000.0], dtype=dtype), requires_grad=True)
    y = Tensor(np.array([1.0, 0.0, 0.0, 1.0], dtype=dtype), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    assert loss.dtype == dtype
    np.testing.assert_allclose(loss.data, [0.0, 0.0, 1000.0, 1000.0], atol=1e-6)
    loss.sum().backward()
    np.testing.assert_allclose(x.grad, [0.0, 0.0, 1.0, -1.0], atol=1e-6)
    np.testing.assert_allclose(y.grad, -x.data, rtol=1e-6)  # d/dy = -x without pos_weight


def test_bce_with_logits_matches_bce_of_sigmoid():
    x = RNG.uniform(-4, 4, 10)
    y = RNG.uniform(0, 1, 10)
    np.testing.assert_allclose(
        F.binary_cross_entropy_with_logits(Tensor(x), Tensor(y), reduction="none").data,
        F.binary_cross_entropy(Tensor(1 / (1 + np.exp(-x))), Tensor(y), reduction="none").data,
        rtol=1e-10,
    )


# ---- errors -------------------------------------------------------------------------------


def test_mismatched_shapes_are_value_errors():
    x = Tensor(np.full((2, 3), 0.5))
    for fn in (F.mse_loss, F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=r"target.*\(2, 3\).*\(3,\)"):
            fn(x, np.full(3, 0.5))
    with pytest.raises(ValueError, match=r"weight.*\(2,\).*\(2, 3\)"):
        F.binary_cross_entropy(x, np.zeros((2, 3)), weight=[1.0, 2.0])
    with pytest.raises(ValueError, match=r"pos_weight.*\(2, 1, 3\)"):
        F.binary_cross_entropy_with_logits(x, np.zeros((2, 3)), pos_weight=np.ones((2, 1, 3)))


@pytest.mark.parametrize("bad", [1.5, -0.25, float("nan")])
def test_bce_probabilities_outside_zero_one_are_value_errors(bad):
    good = np.full(3, 0.5)
    values = np.array([0.5, bad, 0.5])
    with pytest.raises(ValueError, match=f"input_ must hold probabilities.*got {bad}"):
        F.binary_cross_entropy(Tensor(values), good)
    with pytest.raises(ValueError, match=f"target must hold probabilities.*got {bad}"):
        F.binary_cross_entropy(Tensor(good), values)
