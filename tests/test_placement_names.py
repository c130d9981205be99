"""lucid 2.x's broadcast_to, pad, roll, diagonal, masked_fill and meshgrid
(lucid._ops.layout): values against numpy, gradients against finite differences, the
Tensor methods, bad arguments named."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor, _storage

M = np.arange(6.0).reshape(2, 3)


@pytest.mark.parametrize(
    "shape, target", [((3,), (2, 3)), ((2, 1), (2, 4)), ((1, 3), (4, 2, 3)), ((), (2,))]
)
def test_broadcast_to_matches_numpy_and_sums_the_gradient_back(shape, target):
    check_op(
        lambda a: lucid.broadcast_to(a, target), shape, ref=lambda a: np.broadcast_to(a, target)
    )
    out = Tensor(np.ones(shape, np.float32)).broadcast_to(target)
    assert out.shape == target and out.dtype == np.float32 and _storage.is_storage_view(out.data)


def test_broadcast_to_refuses_shapes_that_do_not_broadcast():
    with pytest.raises(
        ValueError, match=r"broadcast_to: shape \(2, 3\) cannot be broadcast to \(3, 3\)"
    ):
        lucid.broadcast_to(Tensor(M), (3, 3))
    with pytest.raises(ValueError, match="cannot be broadcast to"):
        lucid.broadcast_to(Tensor(M), (3,))
    with pytest.raises(TypeError, match="shape must be an int or a tuple of ints"):
        lucid.broadcast_to(Tensor(M), (2.0, 3))


@pytest.mark.parametrize("width", [1, (1,), (1, 2), ((0, 1), (2, 0)), [[1, 1], [0, 3]]])
def test_pad_takes_numpys_forms_and_cuts_the_gradient_out(width):
    check_op(lambda a: lucid.pad(a, width), (2, 3), ref=lambda a: np.pad(a, width))
    assert Tensor(M).pad(width).tolist() == np.pad(M, width).tolist()


def test_pad_refuses_bad_widths():
    with pytest.raises(ValueError, match="pad: pad_width must be non-negative"):
        lucid.pad(Tensor(M), -1)
    with pytest.raises(ValueError, match="one pair per axis"):
        lucid.pad(Tensor(M), ((1, 1), (1, 1), (1, 1)))
    with pytest.raises(ValueError, match="one pair per axis"):
        lucid.pad(Tensor(M), 1.5)


@pytest.mark.parametrize(
    "shifts, axis", [(1, None), (-2, None), (1, 0), (2, 1), ((1, 2), (0, 1)), ((1, -1), (1, 1))]
)
def test_roll_matches_numpy_and_rolls_the_gradient_back(shifts, axis):
    check_op(lambda a: lucid.roll(a, shifts, axis), (2, 3), ref=lambda a: np.roll(a, shifts, axis))
    assert Tensor(M).roll(shifts, axis).tolist() == np.roll(M, shifts, axis).tolist()


def test_roll_refuses_bad_arguments():
    with pytest.raises(TypeError, match="roll: shifts must be an int"):
        lucid.roll(Tensor(M), 1.5)
    with pytest.raises(ValueError, match="give axis for more than one shift"):
        lucid.roll(Tensor(M), (1, 2))
    with pytest.raises(ValueError, match="must have one length"):
        lucid.roll(Tensor(M), (1, 2, 3), (0, 1))
    with pytest.raises(ValueError, match="axis"):
        lucid.roll(Tensor(M), 1, 2)


@pytest.mark.parametrize(
    "shape, offset, axis1, axis2",
    [((3, 3), 0, 0, 1), ((3, 4), 1, 0, 1), ((4, 3), -2, 0, 1), ((2, 3, 4), 0, 1, 2),
     ((2, 3, 4), 1, 2, 0), ((3, 2, 3), -1, 0, 2)],
)  # fmt: skip
def test_diagonal_matches_numpy_for_every_rank_and_axis_pair(shape, offset, axis1, axis2):
    check_op(
        lambda a: lucid.diagonal(a, offset, axis1, axis2),
        shape,
        ref=lambda a: np.diagonal(a, offset, axis1, axis2).copy(),
    )


def test_diagonal_method_defaults_and_errors():
    assert Tensor(M).diagonal().tolist() == [0.0, 4.0]
    assert Tensor(M).diagonal(offset=1).tolist() == [1.0, 5.0]
    with pytest.raises(ValueError, match="diagonal: needs at least 2 dimensions"):
        lucid.diagonal(Tensor([1.0, 2.0]))
    with pytest.raises(ValueError, match="axis1 and axis2 must differ"):
        lucid.diagonal(Tensor(M), 0, 1, -1)
    with pytest.raises(TypeError, match="offset must be an int"):
        lucid.diagonal(Tensor(M), 0.5)


def test_masked_fill_puts_the_value_where_the_mask_is_true():
    mask = np.array([[True, False, True], [False, False, True]])
    check_op(
        lambda a: lucid.masked_fill(a, Tensor(mask), -1.5),
        (2, 3),
        ref=lambda a: np.where(mask, -1.5, a),
    )
    row = np.array([False, True, False])
    out = Tensor(M.astype(np.float32)).masked_fill(row, 9)
    assert out.dtype == np.float32 and out.tolist() == np.where(row, 9, M).tolist()
    ints = lucid.masked_fill(Tensor(np.array([1, 2, 3])), Tensor(np.array([1, 0, 0])), 7)
    assert ints.dtype == np.int64 and ints.tolist() == [7, 2, 3]


def test_masked_fill_refuses_bad_masks_and_values():
    with pytest.raises(ValueError, match=r"mask of shape \(3, 3\) does not broadcast"):
        lucid.masked_fill(Tensor(M), np.ones((3, 3), bool), 0.0)
    with pytest.raises(TypeError, match="value must be a real number"):
        lucid.masked_fill(Tensor(M), np.ones((2, 3), bool), "x")


@pytest.mark.parametrize("indexing", ["ij", "xy"])
def test_meshgrid_is_numpys_and_sums_each_gradient(indexing):
    a, b = np.array([1.0, 2.0, 3.0]), np.array([10.0, 20.0])

    def first(x, y):
        return lucid.meshgrid(x, y, indexing)[0] * lucid.meshgrid(x, y, indexing)[1]

    check_op(first, a, b, ref=lambda x, y: np.prod(np.meshgrid(x, y, indexing=indexing), axis=0))
    gx, gy = lucid.meshgrid(Tensor(a), Tensor(b), indexing=indexing)
    ex, ey = np.meshgrid(a, b, indexing=indexing)
    assert gx.tolist() == ex.tolist() and gy.tolist() == ey.tolist()
    assert lucid.meshgrid(Tensor(a), Tensor(b))[0].shape == (3, 2)


def test_meshgrid_refuses_bad_arguments():
    with pytest.raises(ValueError, match="indexing must be 'ij' or 'xy'"):
        lucid.meshgrid(Tensor([1.0]), Tensor([2.0]), "ji")
    with pytest.raises(ValueError, match=r"meshgrid: b must be 1-D, got shape \(2, 3\)"):
        lucid.meshgrid(Tensor([1.0]), Tensor(M))


def test_pad_refuses_a_0d_tensor():
    with pytest.raises(ValueError, match="pad: a 0-d tensor has no axis to pad"):
        lucid.pad(Tensor(1.0), 1)
