"""lucid 2.x's topk, nonzero and unique (lucid._ops.selection): values and int64
positions against numpy, topk's gradient, the Tensor methods, bad arguments named."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor

V = np.array([[3.0, 1.0, 4.0, 1.0], [5.0, 9.0, 2.0, 6.0]])


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("largest", [True, False])
def test_topk_values_and_positions_match_a_sort(axis, largest):
    k = 2
    values, indices = lucid.topk(Tensor(V), k, axis, largest)
    order = np.argsort(-V if largest else V, axis=axis, kind="stable")
    expected = np.take(order, np.arange(k), axis=axis)
    np.testing.assert_array_equal(indices.data, expected)
    np.testing.assert_array_equal(values.data, np.take_along_axis(V, expected, axis))
    assert indices.dtype == np.int64 and not indices.requires_grad


def test_topk_unsorted_keeps_the_input_order_and_ties_go_by_position():
    values, indices = lucid.topk(Tensor([1.0, 5.0, 3.0, 5.0]), 3, sorted=False)
    assert indices.tolist() == [1, 2, 3] and values.tolist() == [5.0, 3.0, 5.0]
    assert lucid.topk(Tensor([2.0, 7.0, 7.0]), 2)[1].tolist() == [1, 2]


def test_topk_gradient_goes_to_the_chosen_positions():
    def ref(a):
        return np.take_along_axis(a, np.argsort(-a, axis=1, kind="stable")[:, :2], 1)

    check_op(lambda a: lucid.topk(a, 2, axis=1)[0], (3, 4), ref=ref)


def test_topk_refuses_bad_arguments():
    with pytest.raises(ValueError, match="k=5 must be between 0 and the size 4 of axis 1"):
        lucid.topk(Tensor(V), 5)
    with pytest.raises(TypeError, match="topk: k must be an int"):
        lucid.topk(Tensor(V), 1.0)
    with pytest.raises(TypeError, match="largest must be a bool"):
        lucid.topk(Tensor(V), 1, largest=1)
    with pytest.raises(ValueError, match="needs at least 1 dimension"):
        lucid.topk(Tensor(1.0), 1)


def test_nonzero_gives_int64_coordinates_in_row_major_order():
    x = np.array([[0.0, 2.0, 0.0], [1.0, 0.0, 3.0]])
    out = lucid.nonzero(Tensor(x))
    assert out.dtype == np.int64 and out.tolist() == np.argwhere(x).tolist() == [
        [0, 1],
        [1, 0],
        [1, 2],
    ]
    assert Tensor(np.array([True, False, True])).nonzero().tolist() == [[0], [2]]
    assert lucid.nonzero(Tensor(np.zeros((2, 2)))).shape == (0, 2)
    assert lucid.nonzero(Tensor(3.0)).shape == (1, 0) and lucid.nonzero(Tensor(0.0)).shape == (0, 0)


def test_unique_sorted_with_its_inverse():
    x = np.array([[3.0, 1.0], [1.0, 2.0]])
    values, inverse = lucid.unique(Tensor(x), return_inverse=True)
    assert values.tolist() == [1.0, 2.0, 3.0] and values.dtype == np.float64
    assert inverse.dtype == np.int64 and inverse.shape == x.shape
    np.testing.assert_array_equal(values.data[inverse.data], x)
    assert Tensor(x).unique().tolist() == [1.0, 2.0, 3.0]


def test_unique_unsorted_keeps_first_appearance_and_a_matching_inverse():
    x = np.array([3.0, 1.0, 3.0, 2.0, 1.0])
    values, inverse = lucid.unique(Tensor(x), sorted=False, return_inverse=True)
    assert values.tolist() == [3.0, 1.0, 2.0] and inverse.tolist() == [0, 1, 0, 2, 1]


@pytest.mark.parametrize("sorted_", [True, False])
def test_unique_along_an_axis_rebuilds_the_input(sorted_):
    x = np.array([[2, 1], [0, 5], [2, 1], [0, 4]])
    values, inverse = lucid.unique(Tensor(x), sorted=sorted_, axis=0, return_inverse=True)
    assert values.dtype == np.int64
    np.testing.assert_array_equal(values.data[inverse.data], x)
    first = [[2, 1], [0, 5], [0, 4]]
    assert values.tolist() == (sorted(first) if sorted_ else first)


def test_unique_refuses_bad_arguments():
    with pytest.raises(TypeError, match="unique: sorted must be a bool"):
        lucid.unique(Tensor(V), sorted=None)
    with pytest.raises(ValueError, match="axis"):
        lucid.unique(Tensor(V), axis=3)
