"""lucid._ranges: arange and eye, against numpy."""

import numpy as np
import pytest

import lucid
from lucid import _storage


@pytest.mark.parametrize(
    "args, dtype",
    [((5,), np.float64), ((2, 7), np.float64), ((7, 2, -2), np.int64), ((0,), np.float64),
     ((5, 2), np.float64), ((np.int64(3),), np.float64), ((1.5,), np.float64),
     ((0, 1, 0.1), np.float64), ((-1.0, 1, 0.25), np.float64), ((0, 6, 2), np.int64)],
)  # fmt: skip
def test_arange_matches_numpy_with_lucid_2_float_defaults_for_omitted_arguments(args, dtype):
    # lucid 2.x fills an omitted start with 0.0 and step with 1.0, so numpy's inference
    # gives int64 only when all three are given as ints.
    got = lucid.arange(*args)
    expected = np.arange(*args, dtype=np.float64).astype(dtype)
    assert got.dtype == dtype and _storage.is_storage_view(got.data)
    np.testing.assert_array_equal(got.data, expected)


def test_arange_dtype_and_grad_options():
    x = lucid.arange(0, 3, dtype=lucid.float64, requires_grad=True)
    assert x.dtype == np.float64 and x.requires_grad and x.is_leaf
    assert lucid.arange(3, dtype=float).dtype == np.float64
    assert lucid.arange(3, dtype=lucid.Int64).tolist() == [0, 1, 2]
    assert lucid.arange(0.0, 2.5, 0.5, dtype="int64").data.tolist() == [0, 0, 1, 1, 2]
    assert lucid.arange(3, requires_grad=True).requires_grad
    with pytest.raises(TypeError, match="requires_grad"):
        lucid.arange(0, 3, 1, requires_grad=True)  # int64 has no gradient


def test_arange_errors_name_the_argument():
    with pytest.raises(ValueError, match="step must not be 0"):
        lucid.arange(0, 3, 0)
    with pytest.raises(TypeError, match="arange: step must be a real number, got '1'"):
        lucid.arange(0, 3, "1")
    with pytest.raises(TypeError, match="arange: stop must be a real number, got True"):
        lucid.arange(True)
    with pytest.raises(ValueError, match="arange: stop must be finite, got inf"):
        lucid.arange(0, float("inf"))
    with pytest.raises(TypeError, match="complex64"):
        lucid.arange(3, dtype=np.complex64)


@pytest.mark.parametrize("args", [(3,), (2, 4), (4, 2), (3, 3, 1), (3, 4, -2), (0,), (2, 2, 5)])
def test_eye_matches_numpy(args):
    got = lucid.eye(*args)
    assert got.dtype == np.float64 and _storage.is_storage_view(got.data)
    np.testing.assert_array_equal(got.data, np.eye(*args))


def test_eye_dtype_and_errors():
    assert lucid.eye(2, dtype=lucid.int64).data.tolist() == [[1, 0], [0, 1]]
    assert lucid.eye(2, dtype=bool).dtype == np.bool_
    assert lucid.eye(2, requires_grad=True).requires_grad
    with pytest.raises(ValueError, match="eye: n must be non-negative, got -1"):
        lucid.eye(-1)
    with pytest.raises(TypeError, match="eye: m must be an int, got 2.0"):
        lucid.eye(2, 2.0)
    with pytest.raises(TypeError, match="eye: k must be an int, got None"):
        lucid.eye(2, k=None)
