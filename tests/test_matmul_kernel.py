"""lucid._C.matmul, the Rust matrix product, from Python: values against a float64
numpy reference within a bound from k·ε, layouts (transposed views, batches, a
broadcast operand), the errors, the bits for any thread count, and the ops over it
(lucid.matmul, Tensor @, nn.functional.linear) with numpy kept for what it does not take."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
import lucid._C as _C
import lucid.nn.functional as F
from lucid import _gemm, _storage

UNIT = {np.float32: 2.0**-24, np.float64: 2.0**-53}


def rand(shape, dtype, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, shape).astype(dtype)


def assert_product(got, a, b, dtype):
    """got = a @ b within 2·γ_k·Σ|a||b| per element (γ_k = k·u / (1 − k·u))."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    k = a.shape[-1]
    gamma = k * UNIT[dtype] / (1 - k * UNIT[dtype])
    bound = 2 * gamma * (np.abs(a64) @ np.abs(b64))
    assert got.shape == bound.shape and got.dtype == dtype
    assert np.all(np.abs(got - a64 @ b64) <= bound)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("m", "k", "n"), [(1, 1, 1), (3, 5, 7), (64, 128, 128), (257, 33, 390)])
def test_values_in_every_layout(dtype, m, k, n):
    a, b = rand((m, k), dtype, 1), rand((k, n), dtype, 2)
    for x, y in [(a, b), (a.T.copy().T, b), (a, b.T.copy().T), (a.T.copy().T, b.T.copy().T)]:
        out = np.full((m, n), np.nan, dtype)
        assert _C.matmul(x, y, out) is None
        assert_product(out, a, b, dtype)
    fresh = _C.matmul(a, b)
    assert isinstance(fresh, _C.Storage) and fresh.dtype == np.dtype(dtype).name
    assert_product(_storage.wrap(fresh, (m, n)), a, b, dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batches_strided_views_and_a_shared_operand(dtype):
    a, b = rand((4, 6, 9), dtype, 3), rand((4, 9, 5), dtype, 4)
    out = np.empty((4, 6, 5), dtype)
    _C.matmul(a, b, out)
    assert_product(out, a, b, dtype)
    _C.matmul(a, b[1], out)  # one matrix for the whole batch
    assert_product(out, a, np.broadcast_to(b[1], b.shape), dtype)
    _C.matmul(a[:1], b, out)  # a batch of one, likewise
    assert_product(out, np.broadcast_to(a[:1], a.shape), b, dtype)
    every_other = rand((6, 18), dtype, 5)[:, ::2]  # a non-contiguous view
    small = np.empty((6, 5), dtype)
    _C.matmul(every_other, b[0], small)
    assert_product(small, every_other, b[0], dtype)
    ones = np.broadcast_to(np.ones(9, dtype), (6, 9))  # stride 0, as a broadcast seed
    _C.matmul(ones, b[0], small)
    assert_product(small, ones, b[0], dtype)


def test_an_empty_sum_is_zero():
    out = np.full((2, 3), np.nan, np.float32)
    _C.matmul(np.empty((2, 0), np.float32), np.empty((0, 3), np.float32), out)
    assert np.all(out == 0)


def test_errors_name_the_argument():
    a, b = rand((2, 3), np.float32), rand((3, 4), np.float32)
    cases = [
        ((a.astype(np.int64), b), TypeError, "a must be a float32 or float64 array, got int64"),
        (([[1.0]], b), TypeError, "a must be a float32 or float64 array, got list"),
        ((a, b.astype(np.float64)), TypeError, "b must be a float32 array, as a is, got float64"),
        ((a[0], b), ValueError, "a must be a 2-D or 3-D array, got shape [3]"),
        ((a, b[::-1]), ValueError, "b must be an aligned array with non-negative strides"),
        ((a, b[:2]), ValueError, "b must be 3 rows, as a has columns, got 2 rows"),
        ((a[None].repeat(2, 0), b[None].repeat(3, 0)), ValueError, "b must be a batch of 2 or 1"),
    ]
    for args, error, message in cases:
        with pytest.raises(error) as info:
            _C.matmul(*args)
        assert message in str(info.value), str(info.value)
    for out, message in [
        (np.empty((2, 4), np.float64), "out must be a float32 array, as a is, got float64"),
        (np.empty((4, 2), np.float32).T, "out must be a C-contiguous array of shape [2, 4]"),
        (np.empty((2, 5), np.float32), "out must be a C-contiguous array of shape [2, 4]"),
    ]:
        with pytest.raises((TypeError, ValueError), match=message.replace("[", r"\[")):
            _C.matmul(a, b, out)
    square = rand((4, 4), np.float32)
    with pytest.raises(ValueError, match="out must not share memory with a or b"):
        _C.matmul(square, square, square)
    frozen = np.empty((2, 4), np.float32)
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="out: The given array is not writeable"):
        _C.matmul(a, b, frozen)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_bits_do_not_depend_on_the_thread_count(dtype):
    # 600 x 300 output in 3 x 2 tiles and 6 copies of a small product: both on the pool.
    big = rand((600, 200), dtype, 6), rand((300, 200), dtype, 7).T
    batch = rand((30, 40, 64), dtype, 8), rand((64, 50), dtype, 9)
    before = lucid.get_num_threads()
    results = []
    try:
        for threads in (1, 2, 3):
            lucid.set_num_threads(threads)
            results.append([_gemm.matmul(*big).tobytes(), _gemm.matmul(*batch).tobytes()])
    finally:
        lucid.set_num_threads(before)
    assert results[0] == results[1] == results[2]


def test_ops_use_the_kernel_for_floats_and_numpy_for_the_rest():
    a, b = rand((5, 3, 4), np.float32, 10), rand((4, 2), np.float32, 11)
    y = lucid.matmul(lucid.Tensor(a), lucid.Tensor(b))
    assert_product(y.data, a, np.broadcast_to(b, (5, 4, 2)), np.float32)
    assert _storage.is_storage_view(y.data)
    ints = np.arange(12).reshape(3, 4)
    product = lucid.matmul(lucid.Tensor(ints), lucid.Tensor(ints.T))
    assert product.dtype == np.int64 and np.array_equal(product.data, ints @ ints.T)
    # Batch dimensions broadcast against each other and mixed dtypes: numpy's matmul.
    c, d = rand((2, 1, 3, 4), np.float64, 12), rand((1, 3, 4, 2), np.float64, 13)
    np.testing.assert_allclose(lucid.matmul(lucid.Tensor(c), lucid.Tensor(d)).data, c @ d)
    mixed = (lucid.Tensor(a) @ lucid.Tensor(b.astype(np.float64))).data
    np.testing.assert_allclose(mixed, a.astype(np.float64) @ b, rtol=1e-14)
    vec = rand(4, np.float64, 14)  # 1-D operands, on the kernel
    assert_product(lucid.matmul(lucid.Tensor(vec), lucid.Tensor(vec)).data, vec, vec, np.float64)
    assert_product((lucid.Tensor(c[0, 0]) @ lucid.Tensor(vec)).data, c[0, 0], vec, np.float64)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_linear_matches_a_float64_reference_and_its_gradients(dtype):
    x, w, b = rand((64, 128), dtype, 15), rand((96, 128), dtype, 16), rand(96, dtype, 17)
    xt, wt, bt = (lucid.Tensor(v, requires_grad=True) for v in (x, w, b))
    y = F.linear(xt, wt, bt)
    # The product's bound, and the bias added after it: one more rounding of |y|.
    gamma = 128 * UNIT[dtype] / (1 - 128 * UNIT[dtype])
    want = x.astype(np.float64) @ w.astype(np.float64).T + b
    bound = 2 * gamma * (np.abs(x).astype(np.float64) @ np.abs(w).T) + UNIT[dtype] * np.abs(want)
    assert y.dtype == dtype and np.all(np.abs(y.data - want) <= bound + UNIT[dtype] * np.abs(b))
    g = rand((64, 96), dtype, 18)
    (y * lucid.Tensor(g)).sum().backward()
    assert_product(xt.grad, g, w, dtype)
    assert_product(wt.grad, g.T, x, dtype)
    assert_product(bt.grad, g.T, np.ones(64, dtype), dtype)  # the sum over the batch
