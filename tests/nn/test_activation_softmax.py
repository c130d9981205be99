"""softmax and log_softmax (functions and axis/dim arguments): values and gradients
against numpy references (check_op), rows that sum to one even for huge logits, exact
results at ±1000, gradients that sum to zero along the axis, 0-d and empty tensors.

Their layers, reprs and argument errors are tested with the other activations' in
test_activation.py.
"""

import math
import warnings

import numpy as np
import pytest
from helpers import check_op

import lucid.nn.functional as F
from lucid import Tensor

# ---- against numpy ---------------------------------------------------------------


def ref_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ref_log_softmax(x, axis):
    s = x - x.max(axis=axis, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=axis, keepdims=True))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_against_numpy(axis):
    check_op(lambda t: F.softmax(t, axis), (3, 4), ref=lambda x: ref_softmax(x, axis))
    check_op(lambda t: F.log_softmax(t, axis), (3, 4), ref=lambda x: ref_log_softmax(x, axis))
    check_op(lambda t: F.softmax(t, dim=axis), (2, 3, 4), ref=lambda x: ref_softmax(x, axis))


# ---- laws and edge cases ---------------------------------------------------------


@pytest.mark.parametrize("dtype, tol", [(np.float32, 1e-6), (np.float64, 1e-14)])
@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_softmax_rows_sum_to_one_even_for_huge_logits(dtype, tol, axis):
    x = np.random.default_rng(1).standard_normal((4, 5, 6)) * 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = F.softmax(Tensor(x.astype(dtype)), axis=axis).data
        log_y = F.log_softmax(Tensor(x.astype(dtype)), axis=axis).data
    assert y.dtype == dtype and log_y.dtype == dtype
    assert np.all((y >= 0) & (y <= 1))
    np.testing.assert_allclose(y.sum(axis=axis), 1.0, atol=tol)
    np.testing.assert_allclose(np.exp(log_y).sum(axis=axis), 1.0, atol=tol)
    assert np.all(log_y <= 0) and np.all(np.isfinite(log_y))


def test_softmax_of_plus_minus_1000():
    x = Tensor([[1000.0, 0.0, -1000.0], [1000.0, 1000.0, -1000.0]], dtype="float64")
    np.testing.assert_array_equal(F.softmax(x).data, [[1, 0, 0], [0.5, 0.5, 0]])
    np.testing.assert_allclose(
        F.log_softmax(x).data,
        [[0.0, -1000.0, -2000.0], [-math.log(2), -math.log(2), -2000.0 - math.log(2)]],
        rtol=1e-15,
    )
    np.testing.assert_array_equal(F.softmax(Tensor([-1000.0, -1000.0])).data, [0.5, 0.5])


def test_softmax_gradient_sums_to_zero_along_the_axis():
    # The outputs sum to 1 along the axis, so any seed's gradient does to 0 there.
    rng = np.random.default_rng(2)
    x = Tensor(rng.standard_normal((3, 5)), requires_grad=True)
    y = F.softmax(x, axis=0)
    y.grad = rng.standard_normal((3, 5))
    y.backward()
    np.testing.assert_allclose(x.grad.sum(axis=0), 0.0, atol=1e-15)
    assert np.abs(x.grad).max() > 1e-3


def test_softmax_of_0d_and_empty_tensors():
    x = Tensor(3.0, requires_grad=True)
    y = F.softmax(x)
    assert y.shape == () and y.item() == 1.0
    y.backward()
    assert x.grad.shape == () and x.grad == 0.0
    assert F.log_softmax(Tensor(3.0), axis=0).item() == 0.0
    assert F.softmax(Tensor(np.zeros((2, 0)))).shape == (2, 0)
    assert F.softmax(Tensor(np.zeros((0, 3)))).shape == (0, 3)
