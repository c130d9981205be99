"""lucid 2.x's creation names full, full_like, empty, empty_like (lucid._creation) and
linspace (lucid._ranges): shapes, values, dtypes, the grad flags and bad arguments."""

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage


def _fresh(t, shape, dtype):
    assert isinstance(t, Tensor) and _storage.is_storage_view(t.data)
    assert t.shape == shape and t.dtype == dtype


@pytest.mark.parametrize(
    "shape, expected", [(3, (3,)), ((2, 3), (2, 3)), ([4, 1], (4, 1)), ((), ())]
)
def test_full_takes_an_int_or_a_sequence_and_infers_the_dtype_of_its_value(shape, expected):
    t = lucid.full(shape, 2.5)
    _fresh(t, expected, np.float64)
    _fresh(lucid.full(shape, 3), expected, np.int64)
    _fresh(lucid.full(shape, False), expected, np.bool_)
    assert np.all(t.data == 2.5) and not t.requires_grad


def test_full_dtype_grad_and_device():
    assert (
        lucid.full(2, 7, dtype=int).tolist() == [7, 7] and lucid.full(2, 7, int).dtype == np.int64
    )
    assert lucid.full((2,), True, dtype=bool).tolist() == [True, True]
    t = lucid.full((2, 2), -1.5, lucid.Float64, requires_grad=True, keep_grad=True, device="cpu")
    _fresh(t, (2, 2), np.float64)
    assert t.requires_grad and t.keep_grad and t.is_leaf and np.all(t.data == -1.5)
    assert lucid.full(3, 0.1, np.float32).data[0] == np.float32(0.1)  # one rounding


def test_full_like_takes_the_shape_and_dtype_of_its_model():
    model = Tensor(np.zeros((2, 3), dtype=np.float64))
    t = lucid.full_like(model, 4.0)
    _fresh(t, (2, 3), np.float64)
    assert np.all(t.data == 4.0)
    _fresh(lucid.full_like(model, 3, dtype=lucid.Int64), (2, 3), np.int64)
    _fresh(lucid.full_like(np.ones((4,), dtype=np.int64), 9), (4,), np.int64)
    assert lucid.full_like([1.0, 2.0], 0.5, requires_grad=True).requires_grad


def test_empty_has_the_shape_and_dtype_asked_for():
    _fresh(lucid.empty(2, 3), (2, 3), np.float64)
    _fresh(lucid.empty((4,)), (4,), np.float64)
    _fresh(lucid.empty(0), (0,), np.float64)
    _fresh(lucid.empty(2, dtype=lucid.Int64), (2,), np.int64)
    assert lucid.empty(3, requires_grad=True).requires_grad
    t = lucid.empty_like(Tensor(np.ones((3, 2), dtype=np.float64)))
    _fresh(t, (3, 2), np.float64)
    _fresh(lucid.empty_like(lucid.ones(5), dtype=bool), (5,), np.bool_)


@pytest.mark.parametrize(
    "call, error, match",
    [(lambda: lucid.full(2, "x"), TypeError, r"full: fill_value must be a real number or bool"),
     (lambda: lucid.full(-1, 1.0), ValueError, r"shape must be non-negative ints"),
     (lambda: lucid.full((2,), 1.0, dtype=np.int32), TypeError, "int32"),
     (lambda: lucid.full(2, 1.0, device="gpu"), lucid.UnknownDeviceError, "gpu"),
     (lambda: lucid.empty(2.5), ValueError, r"shape must be non-negative ints"),
     (lambda: lucid.full_like(lucid.ones(2), None), TypeError, "fill_value"),
     (lambda: lucid.empty_like(lucid.ones(2), device="gpu"), lucid.UnknownDeviceError, "gpu")],
)  # fmt: skip
def test_bad_arguments_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


# ---- linspace -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args", [(0, 1, 5), (-3.0, 7.5, 11), (2, 2, 3), (5, -5, 4), (1, 2, 1), (0, 1, 0)]
)
def test_linspace_matches_numpy_in_the_default_float64(args):
    t = lucid.linspace(*args)
    _fresh(t, (args[2],), np.float64)
    np.testing.assert_array_equal(t.data, np.linspace(*args))


def test_linspace_has_fifty_values_by_default_both_ends_included():
    t = lucid.linspace(0, 49)
    assert t.shape == (50,) and t.tolist() == list(range(50))
    f = lucid.linspace(0.0, 1.0, 3, dtype=lucid.Float64)
    assert f.dtype == np.float64 and f.tolist() == [0.0, 0.5, 1.0]


def test_linspace_integer_dtype_truncates_as_numpy():
    t = lucid.linspace(0, 10, 3, dtype=int)
    assert t.dtype == np.int64 and t.tolist() == [0, 5, 10]
    assert lucid.linspace(0.5, 3.7, 4, dtype=lucid.Int64).tolist() == [0, 1, 2, 3]
    assert lucid.linspace(-1.5, 1.5, 3, dtype=int).tolist() == [-1, 0, 1]


def test_linspace_grad_flags():
    t = lucid.linspace(0, 1, 4, requires_grad=True, keep_grad=True)
    assert t.requires_grad and t.keep_grad and t.is_leaf
    (t * t).sum().backward()
    np.testing.assert_allclose(t.grad, 2 * t.data)


@pytest.mark.parametrize(
    "args, kwargs, error, match",
    [((0, "1"), {}, TypeError, r"linspace: stop must be a real number, got '1'"),
     ((0, np.inf), {}, ValueError, r"linspace: stop must be finite"),
     ((0, 1, 2.0), {}, TypeError, r"linspace: num must be an int, got 2\.0"),
     ((0, 1, -1), {}, ValueError, r"linspace: num must be non-negative, got -1"),
     ((True, 1), {}, TypeError, "start"),
     ((0, 1), {"device": "gpu"}, lucid.UnknownDeviceError, "gpu")],
)  # fmt: skip
def test_linspace_bad_arguments_are_named(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        lucid.linspace(*args, **kwargs)


# ---- diag -----------------------------------------------------------------------------


@pytest.mark.parametrize("k", [-1, 0, 2])
def test_diag_builds_and_reads_diagonals_as_numpy(k):
    v, m = np.array([1.0, 2.0, 3.0]), np.arange(12.0).reshape(3, 4)
    built = lucid.diag(Tensor(v, dtype=np.float64), k)
    _fresh(built, np.diag(v, k).shape, np.float64)
    np.testing.assert_array_equal(built.data, np.diag(v, k))
    np.testing.assert_array_equal(lucid.diag(Tensor(m), k).data, np.diag(m, k))


def test_diag_dtype_flags_and_inputs():
    assert lucid.diag(Tensor([1.0, 2.0], dtype=np.float32)).dtype == np.float32  # v's dtype
    assert lucid.diag(Tensor([1.0, 2.0]), 0, lucid.Int64).tolist() == [[1, 0], [0, 2]]
    assert lucid.diag(np.array([1, 2])).dtype == np.int64
    v = Tensor([1.0, 2.0], requires_grad=True)
    assert not lucid.diag(v).requires_grad  # outside the graph, as lucid 2.x
    t = lucid.diag(v, 0, None, True, True)
    assert t.requires_grad and t.keep_grad and t.is_leaf
    with pytest.raises(ValueError, match=r"diag: v must be 1-D or 2-D, got shape \(2, 2, 2\)"):
        lucid.diag(np.ones((2, 2, 2)))
    with pytest.raises(TypeError, match=r"diag: k must be an int, got 1\.0"):
        lucid.diag(v, 1.0)
    with pytest.raises(lucid.UnknownDeviceError, match="gpu"):
        lucid.diag(v, device="gpu")
