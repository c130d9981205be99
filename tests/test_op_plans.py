"""The per-op shortcuts of lucid._ops: the cached result plans of ufunc_into (the dtype
and shape numpy would give, without resolving them again) and the values Mul keeps."""

import gc

import numpy as np
import pytest

import lucid
from lucid._ops import _common

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)

OPERANDS = [
    (np.ones((2, 3), F32), 2.0),
    (np.ones((2, 3), F32), 2),
    (np.ones((2, 3), F32), True),
    (np.ones((2, 3), F32), np.float64(2.0)),
    (np.ones((2, 3), F32), np.ones((1, 3), F64)),
    (np.ones((2, 3), np.int64), 2.5),
    (np.ones((2, 3), np.int64), 2),
    (np.ones((2, 3), np.bool_), True),
    (2.0, np.ones((3,), F32)),
    (np.ones((3,), F32), [1.0, 2.0, 3.0]),
]


@pytest.mark.parametrize("a, b", OPERANDS)
@pytest.mark.parametrize("ufunc", [np.add, np.multiply, np.true_divide])
def test_ufunc_into_gives_numpys_dtype_and_shape_first_and_cached(ufunc, a, b):
    _common._PLANS.clear()
    expected = ufunc(a, b)
    for _ in range(2):  # the second call reads the plan the first one stored
        out = _common.ufunc_into(ufunc, a, b)
        assert (out.dtype, out.shape) == (expected.dtype, expected.shape)
        np.testing.assert_array_equal(out, expected)
        assert lucid._storage.is_tensor_values(out)


def test_ufunc_into_refuses_a_dtype_no_tensor_holds_every_time():
    _common._PLANS.clear()
    for _ in range(2):
        with pytest.raises(TypeError, match="add: the result would have dtype complex128"):
            _common.ufunc_into(np.add, np.ones(3), 1j)
    assert not _common._PLANS, "a refused plan is not stored"


def test_the_plan_cache_stays_bounded():
    _common._PLANS.clear()
    for n in range(_common._PLANS_MAX + 10):
        _common.ufunc_into(np.negative, np.ones((n % 4000 + 1, n // 4000 + 1), F32))
    assert len(_common._PLANS) <= _common._PLANS_MAX


def test_a_chain_of_mul_by_a_number_frees_each_intermediate():
    x = lucid.Tensor(np.ones((100, 100), F32), requires_grad=True)
    gc.collect()
    base = lucid.memory_allocated()
    y = x
    for _ in range(10):
        y = y * 1.5
    # Only y's values stay alive: Mul keeps a value only when the other input's
    # gradient needs it, and a number needs none.
    assert lucid.memory_allocated() == base + 100 * 100 * 4
    y.sum().backward()
    np.testing.assert_allclose(x.grad, np.full((100, 100), 1.5**10, F32), rtol=1e-6)


def test_mul_keeps_what_each_gradient_needs():
    a = lucid.Tensor([1.0, 2.0], requires_grad=True)
    b = lucid.Tensor([3.0, 5.0])
    c = lucid.Tensor([7.0, 11.0], requires_grad=True)
    (a * b + b * c + a * c).sum().backward()
    np.testing.assert_array_equal(a.grad, [10.0, 16.0])
    np.testing.assert_array_equal(c.grad, [4.0, 7.0])
