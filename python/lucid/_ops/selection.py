"""lucid 2.x's ops that pick out elements: topk (the k largest or smallest along an
axis, with their positions), nonzero (the coordinates of the non-zero elements) and
unique (the distinct values).

Only topk's values have a gradient: each goes back to the position it was taken from.
Positions and coordinates are int64 (lucid 2.x gives int32; int64 is this library's
index dtype, as PyTorch's), and nothing here is part of a graph but topk's values.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor
from lucid._ops._results import axis_arg, bool_arg, int_arg, stored
from lucid._tensor import Tensor
from lucid.autograd.function import Function

__all__ = ["TakeAlong", "nonzero", "topk", "unique"]

_I64 = np.dtype(np.int64)


class TakeAlong(Function):
    """The values at ``positions`` along ``axis``; backward puts the gradient back there."""

    def forward(self, a: np.ndarray, positions: np.ndarray, axis: int) -> np.ndarray:
        self.positions, self.axis, self.in_shape = positions, axis, a.shape
        return stored(np.take_along_axis(a, positions, axis), "topk")

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        back = np.zeros(self.in_shape, grad.dtype)
        np.put_along_axis(back, self.positions, grad, self.axis)  # positions are distinct
        return (back, None, None)


def topk(
    input_: Any, /, k: Any, axis: Any = -1, largest: bool = True, sorted: bool = True
) -> tuple[Any, Tensor]:
    """(values, indices): the ``k`` largest values along ``axis`` (smallest when
    ``largest`` is False) and their int64 positions. ``sorted`` orders them largest
    (or smallest) first, ties by position; unsorted, they keep the input's order."""
    t = as_tensor(input_, "topk")
    if t.ndim == 0:
        raise ValueError("topk: needs at least 1 dimension, got shape ()")
    k = int_arg("topk", "k", k)
    ax = axis_arg("topk", "axis", axis, t.ndim)
    largest, sorted = bool_arg("topk", "largest", largest), bool_arg("topk", "sorted", sorted)
    if not 0 <= k <= t.shape[ax]:
        raise ValueError(f"topk: k={k} must be between 0 and the size {t.shape[ax]} of axis {ax}")
    a = t.data.astype(np.int64) if t.dtype == np.bool_ else t.data
    # A stable sort of the negated values puts the largest first, equal ones by position.
    order = np.argsort(-a if largest else a, axis=ax, kind="stable")
    positions = np.take(order, np.arange(k), axis=ax)
    if not sorted:
        positions = np.sort(positions, axis=ax)
    return TakeAlong.apply(t, positions, ax), Tensor._wrap(stored(positions, "topk", _I64))


def nonzero(input_: Any, /) -> Tensor:
    """The coordinates of the non-zero (true) elements, one row each in row-major order:
    int64 of shape (count, ndim)."""
    t = as_tensor(input_, "nonzero")
    if t.ndim == 0:
        return Tensor._wrap(stored(np.zeros((int(bool(t.data)), 0), _I64), "nonzero"))
    return Tensor._wrap(stored(np.transpose(np.nonzero(t.data)), "nonzero", _I64))


def unique(
    input_: Any, /, sorted: bool = True, axis: Any = None, return_inverse: bool = False
) -> Any:
    """The distinct values (the distinct slices along ``axis`` when given), in ascending
    order, or in the order they first appear when ``sorted`` is False. With
    ``return_inverse``, also the int64 position in the result of each input element (of
    each slice along ``axis``), so that ``values[inverse]`` rebuilds the input."""
    t = as_tensor(input_, "unique")
    sorted = bool_arg("unique", "sorted", sorted)
    return_inverse = bool_arg("unique", "return_inverse", return_inverse)
    if axis is not None:
        if t.ndim == 0:
            raise ValueError("unique: a 0-d tensor has no axis; pass axis=None")
        axis = axis_arg("unique", "axis", axis, t.ndim)
    values, first, inverse = np.unique(t.data, return_index=True, return_inverse=True, axis=axis)
    inverse = inverse.reshape(t.shape if axis is None else -1)
    if not sorted:
        # Renumber the sorted distinct values by where each first appears.
        by_appearance = np.argsort(first, kind="stable")
        rank = np.empty_like(by_appearance)
        rank[by_appearance] = np.arange(by_appearance.size)
        values = np.take(values, by_appearance, axis=0 if axis is None else axis)
        inverse = rank[inverse]
    out = Tensor._wrap(stored(values, "unique"))
    if return_inverse:
        return out, Tensor._wrap(stored(inverse, "unique", _I64))
    return out
