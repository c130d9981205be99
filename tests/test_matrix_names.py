"""lucid 2.x's tril, triu, trace, outer (lucid._ops.matrices), cumsum (lucid._ops.scans),
hstack and vstack (lucid._ops.shapes): values against numpy, gradients against finite
differences, bad arguments named."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor, _storage

M = np.arange(1.0, 13.0).reshape(3, 4)


@pytest.mark.parametrize("k", [-1, 0, 2])
def test_tril_and_triu_values_match_numpy_and_the_method(k):
    x = Tensor(M)
    np.testing.assert_array_equal(lucid.tril(x, k).data, np.tril(M, k))
    np.testing.assert_array_equal(lucid.triu(x, diagonal=k).data, np.triu(M, k))
    np.testing.assert_array_equal(x.tril(k).data, np.tril(M, k))
    np.testing.assert_array_equal(x.triu(k).data, np.triu(M, k))
    assert _storage.is_storage_view(lucid.tril(x).data)


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape", [(3, 4), (2, 3, 3), (4,)])
def test_triangle_gradients(name, shape):
    ref = getattr(np, name)
    check_op(lambda a: getattr(lucid, name)(a, 1), shape, ref=lambda a: ref(a, 1))


def test_triangle_of_a_row_repeats_it_and_sums_the_gradient_back():
    v = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = lucid.tril(v)
    assert y.tolist() == [[1, 0, 0], [1, 2, 0], [1, 2, 3]]
    y.sum().backward()
    assert v.grad.tolist() == [3.0, 2.0, 1.0]  # how many rows keep each entry


def test_trace_values_and_gradient():
    assert lucid.trace(Tensor(M)).item() == 1.0 + 6.0 + 11.0
    assert lucid.trace(Tensor(np.array([[1, 2], [3, 4]]))).dtype == np.int64
    np.testing.assert_array_equal(lucid.trace(Tensor(np.ones((2, 3, 2)))).data, [2.0, 2.0])
    check_op(lucid.trace, (3, 4), ref=np.trace)
    check_op(lucid.trace, (3, 2, 2), ref=np.trace)
    x = Tensor(M, requires_grad=True)
    lucid.trace(x).backward()
    np.testing.assert_array_equal(x.grad, np.eye(3, 4))


def test_outer_values_and_gradients():
    a, b = np.array([1.0, -2.0]), np.array([3.0, 0.5, 4.0])
    np.testing.assert_array_equal(lucid.outer(Tensor(a), Tensor(b)).data, np.outer(a, b))
    assert lucid.outer(Tensor(np.ones((2, 2))), Tensor(b)).shape == (4, 3)  # flattened
    check_op(lucid.outer, (3,), (2, 2), ref=np.outer)


@pytest.mark.parametrize("axis", [-1, 0, 1, None])
def test_cumsum_values_and_gradients(axis):
    np.testing.assert_array_equal(lucid.cumsum(Tensor(M), axis).data, np.cumsum(M, axis))
    check_op(lambda a: lucid.cumsum(a, axis=axis), (3, 4), ref=lambda a: np.cumsum(a, axis))


def test_cumsum_defaults_to_the_last_axis_and_keeps_numpys_dtypes():
    assert lucid.cumsum(Tensor(M)).tolist() == np.cumsum(M, -1).tolist()
    assert lucid.cumsum(Tensor(np.array([1, 2, 3]))).tolist() == [1, 3, 6]
    flags = lucid.cumsum(Tensor(np.array([True, True, False])))
    assert flags.dtype == np.int64 and flags.tolist() == [1, 2, 2]
    assert lucid.cumsum(Tensor(np.float32([0.5, 0.25]))).dtype == np.float32
    assert lucid.cumsum(Tensor(2.0)).shape == (1,)  # a 0-D tensor, as lucid 2.x
    with pytest.raises(TypeError, match=r"cumsum: axis must be an int or None, got 0\.5"):
        lucid.cumsum(Tensor(M), 0.5)
    with pytest.raises(ValueError, match="axis"):
        lucid.cumsum(Tensor(M), 2)


def test_hstack_and_vstack_match_numpy():
    a, b = np.array([1.0, 2.0]), np.array([3.0])
    np.testing.assert_array_equal(lucid.hstack([Tensor(a), Tensor(b)]).data, np.hstack([a, b]))
    np.testing.assert_array_equal(lucid.hstack((Tensor(M), Tensor(M))).data, np.hstack([M, M]))
    np.testing.assert_array_equal(lucid.vstack([Tensor(a), Tensor(a)]).data, np.vstack([a, a]))
    np.testing.assert_array_equal(
        lucid.vstack([Tensor(M), Tensor(M[:1])]).data, np.vstack([M, M[:1]])
    )
    assert lucid.hstack([Tensor(1.0), Tensor(2.0)]).tolist() == [1.0, 2.0]
    check_op(lambda p, q: lucid.hstack([p, q]), (2, 3), (2, 1), ref=lambda p, q: np.hstack([p, q]))
    check_op(lambda p, q: lucid.vstack([p, q]), (3,), (2, 3), ref=lambda p, q: np.vstack([p, q]))
    for fn in (lucid.hstack, lucid.vstack):
        with pytest.raises(TypeError, match="expected a non-empty list or tuple of tensors"):
            fn([])
        with pytest.raises(TypeError, match="expected a non-empty list or tuple"):
            fn(Tensor(M))


def test_bad_diagonals_and_ranks_are_named():
    with pytest.raises(TypeError, match=r"tril: diagonal must be an int, got 1\.0"):
        lucid.tril(Tensor(M), 1.0)
    with pytest.raises(ValueError, match=r"triu: needs at least 1 dimension, got shape \(\)"):
        lucid.triu(Tensor(1.0))
    with pytest.raises(ValueError, match=r"trace: needs at least 2 dimensions, got shape \(3,\)"):
        lucid.trace(Tensor([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("axis", [-1, 0, None])
def test_cumprod_values_and_gradients(axis):
    np.testing.assert_array_equal(lucid.cumprod(Tensor(M), axis).data, np.cumprod(M, axis))
    check_op(lambda a: lucid.cumprod(a, axis), (3, 4), ref=lambda a: np.cumprod(a, axis))


def test_cumprod_gradient_is_exact_at_zeros():
    x = Tensor([[3.0, 0.0, 2.0], [1.0, 5.0, 4.0]], requires_grad=True)
    y = lucid.cumprod(x)
    assert y.tolist() == [[3.0, 0.0, 0.0], [1.0, 5.0, 20.0]]
    y.sum().backward()
    # d/dx_i of sum_j prod_{k<=j} x_k, by hand
    assert x.grad.tolist() == [[1.0, 9.0, 0.0], [26.0, 5.0, 5.0]]
    check_op(lucid.cumprod, np.array([2.0, 0.0, 0.0, 1.5]), ref=np.cumprod)
    ints = lucid.cumprod(Tensor(np.array([1, 2, 3])))
    assert ints.dtype == np.int64 and ints.tolist() == [1, 2, 6]
    with pytest.raises(TypeError, match=r"cumprod: axis must be an int or None"):
        lucid.cumprod(Tensor(M), "0")
