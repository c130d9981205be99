"""lucid 2.x's split, chunk and unbind (lucid._ops.pieces): the pieces against numpy,
each piece's gradient scattered back, the Tensor methods, bad arguments named."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor

X = np.arange(24.0).reshape(4, 6)


@pytest.mark.parametrize(
    "arg, axis, bounds",
    [(2, 0, [2]), (4, 1, [4]), (3, 1, [3]), ([1, 3], 0, [1]), ([2, 0, 4], 1, [2, 2]), (6, 1, [])],
)
def test_split_cuts_pieces_of_the_given_sizes(arg, axis, bounds):
    pieces = lucid.split(Tensor(X), arg, axis)
    expected = np.split(X, bounds, axis=axis)
    assert isinstance(pieces, tuple) and len(pieces) == len(expected)
    for p, e in zip(pieces, expected, strict=True):
        assert p.shape == e.shape and p.tolist() == e.tolist()
    assert [p.tolist() for p in Tensor(X).split(arg, axis=axis)] == [e.tolist() for e in expected]


def test_split_sends_each_pieces_gradient_back():
    w = np.array([1.0, 10.0, 100.0])

    def weighted(a):
        return sum(
            (p * float(k)).sum() for p, k in zip(lucid.split(a, [1, 2], axis=1), w[:2], strict=True)
        )

    def ref(a):
        return a[:, :1].sum() * w[0] + a[:, 1:].sum() * w[1]

    check_op(weighted, (2, 3), ref=ref)


def test_split_refuses_bad_sizes():
    with pytest.raises(
        ValueError, match=r"the sizes \[1, 2\] must be non-negative and add up to the length 4"
    ):
        lucid.split(Tensor(X), [1, 2])
    with pytest.raises(ValueError, match="piece size must be positive, got 0"):
        lucid.split(Tensor(X), 0)
    with pytest.raises(TypeError, match="size_or_sections must be an int or a list"):
        lucid.split(Tensor(X), 1.5)
    with pytest.raises(ValueError, match="needs at least 1 dimension"):
        lucid.split(Tensor(1.0), 1)


@pytest.mark.parametrize(
    "chunks, axis, sizes",
    [(2, 0, [2, 2]), (4, 1, [2, 2, 2]), (5, 1, [2, 2, 2]), (6, 1, [1] * 6), (7, 0, [1] * 4)],
)
def test_chunk_gives_ceil_sized_pieces_as_lucid_and_pytorch(chunks, axis, sizes):
    pieces = Tensor(X).chunk(chunks, axis)
    assert [p.shape[axis] for p in pieces] == sizes
    np.testing.assert_array_equal(np.concatenate([p.data for p in pieces], axis=axis), X)


def test_chunk_gradient_and_errors():
    check_op(lambda a: lucid.chunk(a, 2, 1)[1] * 3.0, (2, 4), ref=lambda a: a[:, 2:] * 3.0)
    with pytest.raises(ValueError, match="chunks must be positive, got 0"):
        lucid.chunk(Tensor(X), 0)
    with pytest.raises(TypeError, match="chunks must be an int"):
        lucid.chunk(Tensor(X), 2.0)
    assert [p.shape for p in lucid.chunk(Tensor(np.zeros((0, 2))), 3)] == [(0, 2)]


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unbind_gives_every_slice_without_the_axis(axis):
    slices = lucid.unbind(Tensor(X), axis)
    assert len(slices) == X.shape[axis]
    for i, s in enumerate(slices):
        assert s.tolist() == np.take(X, i, axis=axis).tolist()
    check_op(
        lambda a: lucid.unbind(a, axis)[1] * 2.0,
        (3, 2),
        ref=lambda a: np.take(a, 1, axis=axis) * 2.0,
    )
    assert len(Tensor(X).unbind()) == 4


def test_unbind_refuses_bad_axes():
    with pytest.raises(ValueError, match="axis"):
        lucid.unbind(Tensor(X), 2)
    with pytest.raises(TypeError, match="unbind: axis must be an int"):
        lucid.unbind(Tensor(X), "0")
