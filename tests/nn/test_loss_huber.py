"""huber_loss and nn.HuberLoss: values against a loop reference for every reduction and
delta, gradients of input and target by finite differences, the two pieces meeting at
|x − y| = delta, dtypes, the empty mean, argument errors and the layer's repr."""

import math

import numpy as np
import pytest
from _loss_refs import REDUCTIONS, reduce_ref
from helpers import check_op

import lucid.nn.functional as F
from lucid import Tensor, nn


def ref_huber(x, y, delta=1.0, reduction="mean"):
    losses = []
    for a, b in zip(np.ravel(x), np.ravel(y), strict=True):
        d = abs(float(a) - float(b))
        losses.append(0.5 * d * d if d <= delta else delta * (d - 0.5 * delta))
    return reduce_ref(np.reshape(losses, np.shape(x)), reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_values_and_gradients_of_input_and_target(reduction, delta):
    check_op(
        lambda x, y: F.huber_loss(x, y, delta, reduction),
        (3, 4),
        (3, 4),
        ref=lambda x, y: ref_huber(x, y, delta, reduction),
        low=-3.0,
        high=3.0,
    )


def test_both_pieces_and_the_point_where_they_meet():
    x = Tensor(np.array([0.0, 0.5, 2.0, -2.0, 5.0]), requires_grad=True)
    y = np.array([0.0, 0.0, 0.0, 0.0, 1.0])
    loss = F.huber_loss(x, y, delta=2.0, reduction=None)
    # 0, ½·0.25, ½·4 = 2·(2 − 1) (both pieces), the same, 2·(4 − 1)
    np.testing.assert_array_equal(loss.data, [0.0, 0.125, 2.0, 2.0, 6.0])
    loss.sum().backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.5, 2.0, -2.0, 2.0])


def test_lucid_first_value_and_default_reduction_mean():
    a = Tensor(np.array([0.5, 3.0], dtype=np.float32))
    out = F.huber_loss(a, Tensor(np.zeros(2, dtype=np.float32)))
    assert out.shape == () and out.dtype == np.float32
    assert out.item() == pytest.approx((0.125 + 2.5) / 2)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_dtype_follows_numpy_a_list_target_is_read_as_numpy_reads_it(dtype):
    x = Tensor(np.array([[1.0, -4.0], [0.25, 2.0]], dtype=dtype), requires_grad=True)
    out = F.huber_loss(x, [[0, 0], [0, 0]], reduction="sum")
    assert out.dtype == np.result_type(dtype, np.int64)  # a list of ints is int64
    assert out.item() == pytest.approx(0.5 + 3.5 + 0.03125 + 1.5)
    out.backward()
    assert x.grad.dtype == dtype
    np.testing.assert_array_equal(x.grad, [[1.0, -1.0], [0.25, 1.0]])


def test_target_gradient_is_minus_the_input_gradient():
    x = Tensor(np.array([3.0, -0.5, 0.1]), requires_grad=True)
    y = Tensor(np.array([0.0, 0.2, 0.1]), requires_grad=True)
    F.huber_loss(x, y).backward()
    np.testing.assert_allclose(x.grad, np.array([1.0, -0.7, 0.0]) / 3, rtol=1e-14)
    np.testing.assert_array_equal(y.grad, -x.grad)


def test_large_errors_are_linear_without_overflow(strict_numpy):
    x = Tensor(np.array([1e200, -1e200]), requires_grad=True)
    loss = F.huber_loss(x, np.zeros(2), reduction="sum")
    assert loss.item() == pytest.approx(2 * (1e200 - 0.5))
    loss.backward()
    np.testing.assert_array_equal(x.grad, [1.0, -1.0])


def test_empty_mean_is_nan_with_a_zero_gradient():
    x = Tensor(np.zeros((0, 3)), requires_grad=True)
    loss = F.huber_loss(x, np.zeros((0, 3)))
    assert math.isnan(loss.item())
    loss.backward()
    assert x.grad.shape == (0, 3)


def test_nan_propagates():
    out = F.huber_loss(Tensor(np.array([np.nan, 1.0])), np.zeros(2), reduction="none")
    assert math.isnan(out.data[0]) and out.data[1] == 0.5


def test_layer_matches_the_function_with_lucids_positional_order():
    x = Tensor(np.array([0.2, -1.7, 4.0]))
    y = np.array([0.0, 0.3, 1.0])
    layer = nn.HuberLoss("sum", 0.5)
    assert layer.reduction == "sum" and layer.delta == 0.5
    assert layer(x, y).item() == F.huber_loss(x, y, 0.5, "sum").item()
    assert nn.HuberLoss(None).reduction == "none"
    assert nn.HuberLoss()(x, y).item() == pytest.approx(ref_huber(x.data, y))


def test_repr():
    assert repr(nn.HuberLoss()) == "HuberLoss(reduction=mean, delta=1.0)"
    assert repr(nn.HuberLoss("sum", 2)) == "HuberLoss(reduction=sum, delta=2.0)"


@pytest.mark.parametrize("bad", [0, 0.0, -1.0, math.inf, math.nan])
def test_non_positive_or_non_finite_delta_is_a_value_error(bad):
    x = Tensor(np.ones(2))
    with pytest.raises(ValueError, match="huber_loss: delta must be a finite number > 0"):
        F.huber_loss(x, x, delta=bad)
    with pytest.raises(ValueError, match="HuberLoss: delta"):
        nn.HuberLoss(delta=bad)


@pytest.mark.parametrize("bad", ["1", None, True])
def test_delta_of_the_wrong_type_is_a_type_error(bad):
    with pytest.raises(TypeError, match="delta must be a real number"):
        F.huber_loss(Tensor(np.ones(2)), np.ones(2), delta=bad)


def test_bad_reduction_input_and_target():
    x = Tensor(np.ones(3))
    with pytest.raises(ValueError, match="reduction must be"):
        F.huber_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match="reduction must be"):
        nn.HuberLoss("avg")
    with pytest.raises(TypeError, match="huber_loss: input_ must be a lucid Tensor"):
        F.huber_loss(np.ones(3), x)
    with pytest.raises(TypeError, match="float32 or float64"):
        F.huber_loss(Tensor(np.ones(3, dtype=np.int64)), x)
    with pytest.raises(ValueError, match="target must have input_'s shape"):
        F.huber_loss(x, np.ones(4))
    with pytest.raises(TypeError, match="target must hold real numbers"):
        F.huber_loss(x, np.array(["a", "b", "c"]))
