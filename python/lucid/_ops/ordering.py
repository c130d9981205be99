"""Sorting along an axis: lucid 2.x's sort (the sorted values and their positions) and
argsort (the positions only).

The gradient of the sorted values goes back to the positions each value came from;
the positions are int64 and have no gradient. ``descending`` sorts the negated values,
so among equal values a stable sort keeps their order in either direction, and nan
comes last either way (numpy's place for it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor, new, normalize_axis_tuple
from lucid._tensor import Tensor
from lucid.autograd.function import Function

__all__ = ["Sort", "argsort", "sort"]

_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


class Sort(Function):
    """The values of ``a`` in the order ``order`` (positions along ``axis``) gives."""

    def forward(self, a: np.ndarray, order: np.ndarray, axis: int) -> np.ndarray:
        self.order, self.axis = order, axis
        out = new(a.shape, a.dtype, "sort")
        np.copyto(out, np.take_along_axis(a, order, axis))
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        back = np.zeros_like(grad)
        np.put_along_axis(back, self.order, grad, self.axis)
        return (back, None, None)


def _order(op: str, t: Any, axis: Any, descending: Any, kind: Any, stable: Any) -> Any:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    if t.ndim == 0:
        raise ValueError(f"{op}: needs at least 1 dimension, got shape ()")
    axis = normalize_axis_tuple(int(axis), t.ndim, "axis")[0]
    if not isinstance(descending, bool) or not isinstance(stable, bool):
        raise TypeError(
            f"{op}: descending and stable must be bools, got {descending!r} and {stable!r}"
        )
    if kind not in _KINDS:
        raise ValueError(f"{op}: kind must be one of {_KINDS}, got {kind!r}")
    a = t.data
    if descending:
        a = -a.astype(np.int64) if a.dtype.kind == "b" else -a
    order = np.argsort(a, axis=axis, kind="stable" if stable else kind)
    return order, axis


def sort(
    input_: Any,
    /,
    axis: Any = -1,
    descending: bool = False,
    kind: Any = None,
    stable: bool = False,
) -> tuple[Any, Tensor]:
    """(values, indices): the values sorted along ``axis`` (the last by default;
    largest first when ``descending``) and, as int64, the position each came from.
    ``kind`` is numpy's algorithm; ``stable=True`` keeps equal values in order."""
    t = as_tensor(input_, "sort")
    order, axis = _order("sort", t, axis, descending, kind, stable)
    return Sort.apply(t, order, axis), Tensor._wrap(_indices(order))


def argsort(
    input_: Any,
    /,
    axis: Any = -1,
    descending: bool = False,
    kind: Any = None,
    stable: bool = False,
) -> Tensor:
    """The int64 positions that sort ``input_`` along ``axis`` (``sort``'s indices)."""
    t = as_tensor(input_, "argsort")
    order, _ = _order("argsort", t, axis, descending, kind, stable)
    return Tensor._wrap(_indices(order))


def _indices(order: np.ndarray) -> np.ndarray:
    out = new(order.shape, np.dtype(np.int64), "argsort")
    np.copyto(out, order)
    return out
