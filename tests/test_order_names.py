"""lucid 2.x's sort and argsort (lucid._ops.ordering), tile and repeat
(lucid._ops.repeats): values against numpy, gradients against finite differences, bad
arguments named."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor, _storage

M = np.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_sort_gives_values_and_int64_positions(axis):
    values, indices = lucid.sort(Tensor(M), axis)
    np.testing.assert_array_equal(values.data, np.sort(M, axis))
    np.testing.assert_array_equal(indices.data, np.argsort(M, axis))
    assert indices.dtype == np.int64 and not indices.requires_grad
    assert _storage.is_storage_view(values.data) and _storage.is_storage_view(indices.data)
    np.testing.assert_array_equal(np.take_along_axis(M, indices.data, axis), values.data)
    np.testing.assert_array_equal(lucid.argsort(Tensor(M), axis=axis).data, indices.data)


def test_sort_descending_and_the_method():
    values, indices = Tensor(M).sort(axis=0, descending=True)
    assert values.tolist() == [[3, 5, 4], [0, 1, 2]] and indices.tolist() == [[0, 1, 1], [1, 0, 0]]
    assert lucid.argsort(Tensor(M), descending=True).tolist() == [[0, 2, 1], [1, 2, 0]]
    flags = lucid.sort(Tensor(np.array([False, True, False])), descending=True)[0]
    assert flags.tolist() == [True, False, False]


def test_a_stable_sort_keeps_equal_values_in_order_both_ways():
    x = Tensor([1.0, 3.0, 1.0, 3.0, 2.0])
    assert lucid.argsort(x, stable=True).tolist() == [0, 2, 4, 1, 3]
    assert lucid.argsort(x, descending=True, stable=True).tolist() == [1, 3, 4, 0, 2]
    assert lucid.argsort(x, kind="stable").tolist() == [0, 2, 4, 1, 3]


@pytest.mark.parametrize("descending", [False, True])
def test_sort_gradient_goes_back_to_where_each_value_came_from(descending):
    check_op(
        lambda a: lucid.sort(a, 0, descending)[0],
        (4, 3),
        ref=lambda a: np.sort(a, 0)[::-1] if descending else np.sort(a, 0),
    )
    y = Tensor([2.0, 7.0, 1.0], requires_grad=True)
    (lucid.sort(y)[0] * Tensor([1.0, 10.0, 100.0])).sum().backward()
    assert y.grad.tolist() == [10.0, 100.0, 1.0]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [({"axis": 2}, ValueError, "axis"),
     ({"axis": 0.5}, TypeError, r"sort: axis must be an int, got 0\.5"),
     ({"descending": 1}, TypeError, "descending and stable must be bools"),
     ({"kind": "bubble"}, ValueError, r"sort: kind must be one of .*'bubble'")],
)  # fmt: skip
def test_sort_refuses_bad_arguments_naming_them(kwargs, error, match):
    with pytest.raises(error, match=match):
        lucid.sort(Tensor(M), **kwargs)
    with pytest.raises(ValueError, match=r"argsort: needs at least 1 dimension"):
        lucid.argsort(Tensor(1.0))


@pytest.mark.parametrize("reps", [2, (2, 1), (1, 3), (2, 1, 2), [3]])
def test_tile_matches_numpy_with_gradients(reps):
    np.testing.assert_array_equal(lucid.tile(Tensor(M), reps).data, np.tile(M, reps))
    np.testing.assert_array_equal(Tensor(M).tile(reps).data, np.tile(M, reps))
    check_op(lambda a: lucid.tile(a, reps), (2, 3), ref=lambda a: np.tile(a, reps))


@pytest.mark.parametrize(
    "repeats, axis", [(2, None), (2, 1), ([1, 2], 0), ([0, 2, 1], -1), ([1, 0, 2, 1, 1, 3], None)]
)
def test_repeat_matches_numpy_with_gradients(repeats, axis):
    expected = np.repeat(M, repeats, axis)
    np.testing.assert_array_equal(lucid.repeat(Tensor(M), repeats, axis).data, expected)
    np.testing.assert_array_equal(Tensor(M).repeat(repeats, axis=axis).data, expected)
    check_op(
        lambda a: lucid.repeat(a, repeats, axis), (2, 3), ref=lambda a: np.repeat(a, repeats, axis)
    )


def test_repeat_sums_the_gradient_of_every_copy():
    x = Tensor([1.0, 2.0], requires_grad=True)
    (lucid.repeat(x, [3, 1]) * Tensor([1.0, 2.0, 4.0, 8.0])).sum().backward()
    assert x.grad.tolist() == [7.0, 8.0]


@pytest.mark.parametrize(
    "call, error, match",
    [(lambda: lucid.tile(Tensor(M), 1.5), TypeError, "tile: reps must be an int or a sequence"),
     (lambda: lucid.tile(Tensor(M), (-1,)), ValueError, r"tile: reps must be non-negative"),
     (lambda: lucid.repeat(Tensor(M), [1, 2, 3], 0), ValueError, "repeat: 3 counts given for 2"),
     (lambda: lucid.repeat(Tensor(M), 2, True), TypeError, "repeat: axis must be an int or None"),
     (lambda: lucid.repeat(Tensor(M), 2, axis=5), ValueError, "axis")],
)  # fmt: skip
def test_tile_and_repeat_refuse_bad_arguments_naming_them(call, error, match):
    with pytest.raises(error, match=match):
        call()
