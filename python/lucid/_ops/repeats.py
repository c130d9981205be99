"""Copies of values laid side by side: lucid 2.x's tile (the whole tensor repeated
along each axis) and repeat (each value repeated in place), with numpy's semantics.

Each copy's gradient flows back to the value it copies, so backward sums the
gradients of all copies of a value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor, new, normalize_axis_tuple
from lucid.autograd.function import Function

__all__ = ["Repeat", "Tile", "repeat", "tile"]

_INTS = (int, np.integer)


class Tile(Function):
    def forward(self, a: np.ndarray, reps: tuple[int, ...]) -> np.ndarray:
        self.in_shape = a.shape
        values = np.tile(a, reps)
        out = new(values.shape, a.dtype, "tile")
        np.copyto(out, values)
        ndim = values.ndim
        self.reps = (1,) * (ndim - len(reps)) + reps
        self.base = (1,) * (ndim - a.ndim) + a.shape
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        split = [n for pair in zip(self.reps, self.base, strict=True) for n in pair]
        summed = grad.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (summed.reshape(self.in_shape), None)


class Repeat(Function):
    def forward(self, a: np.ndarray, repeats: Any, axis: int | None) -> np.ndarray:
        self.in_shape, self.axis = a.shape, axis
        flat = a.reshape(-1) if axis is None else a
        along = 0 if axis is None else axis
        self.source = np.repeat(np.arange(flat.shape[along]), repeats)
        values = np.take(flat, self.source, axis=along)
        out = new(values.shape, a.dtype, "repeat")
        np.copyto(out, values)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        along = 0 if self.axis is None else self.axis
        size = int(np.prod(self.in_shape)) if self.axis is None else self.in_shape[along]
        moved = np.moveaxis(grad, along, 0)
        back = np.zeros((size, *moved.shape[1:]), dtype=grad.dtype)
        np.add.at(back, self.source, moved)
        return (np.moveaxis(back, 0, along).reshape(self.in_shape), None, None)


def _counts(op: str, name: str, value: Any) -> Any:
    items = value if isinstance(value, (list, tuple)) else (value,)
    if not items or any(isinstance(n, bool) or not isinstance(n, _INTS) for n in items):
        raise TypeError(f"{op}: {name} must be an int or a sequence of ints, got {value!r}")
    if any(n < 0 for n in items):
        raise ValueError(f"{op}: {name} must be non-negative, got {value!r}")
    return tuple(int(n) for n in items)


def tile(input_: Any, /, reps: Any) -> Any:
    """The tensor repeated ``reps`` times along each axis (an int: the last axis; more
    reps than axes add leading axes), as numpy's tile."""
    return Tile.apply(as_tensor(input_, "tile"), _counts("tile", "reps", reps))


def repeat(input_: Any, /, repeats: Any, axis: Any = None) -> Any:
    """Each value repeated ``repeats`` times (an int, or one count per position along
    ``axis``) next to itself, along ``axis``; over the flattened values when None."""
    t = as_tensor(input_, "repeat")
    counts = _counts("repeat", "repeats", repeats)
    if axis is not None:
        if isinstance(axis, bool) or not isinstance(axis, _INTS):
            raise TypeError(f"repeat: axis must be an int or None, got {axis!r}")
        axis = normalize_axis_tuple(int(axis), t.ndim, "axis")[0]
    length = t.size if axis is None else t.shape[axis]
    if len(counts) not in (1, length):
        raise ValueError(
            f"repeat: {len(counts)} counts given for {length} positions along axis {axis}"
        )
    return Repeat.apply(t, counts[0] if len(counts) == 1 else np.array(counts), axis)
