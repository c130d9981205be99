"""lucid 2.x's ops that place existing values in a new layout: broadcast_to, pad, roll,
diagonal, masked_fill and meshgrid, with numpy's semantics.

Each copies into new storage. Backward sends every value's gradient back to where it
came from: broadcast_to sums it over the stretched axes, pad cuts the padding off, roll
rolls it back, diagonal writes it onto the diagonal of zeros, masked_fill drops it
where the mask replaced the value.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor
from lucid._ops._results import INTS, axis_arg, int_arg, stored
from lucid._ops.movement import Reshape
from lucid._tensor import Tensor
from lucid.autograd.function import Function, unbroadcast

__all__ = [
    "BroadcastTo",
    "Diagonal",
    "MaskedFill",
    "Pad",
    "Roll",
    "broadcast_to",
    "diagonal",
    "masked_fill",
    "meshgrid",
    "pad",
    "roll",
]


class BroadcastTo(Function):
    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.in_shape = a.shape
        return stored(np.broadcast_to(a, shape), "broadcast_to")

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (unbroadcast(grad, self.in_shape), None)


class Pad(Function):
    """Zeros around the values; ``widths`` is one (before, after) pair per axis."""

    def forward(self, a: np.ndarray, widths: tuple[tuple[int, int], ...]) -> np.ndarray:
        self.inner = tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, a.shape, strict=True))
        return stored(np.pad(a, widths), "pad")

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad[self.inner], None)


class Roll(Function):
    def forward(self, a: np.ndarray, shifts: Any, axis: Any) -> np.ndarray:
        self.shifts, self.axis = shifts, axis
        return stored(np.roll(a, shifts, axis), "roll")

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (np.roll(grad, np.negative(self.shifts), self.axis), None, None)


class Diagonal(Function):
    def forward(self, a: np.ndarray, offset: int, axis1: int, axis2: int) -> np.ndarray:
        self.in_shape, self.args = a.shape, (offset, axis1, axis2)
        return stored(np.diagonal(a, offset, axis1, axis2), "diagonal")

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        offset, axis1, axis2 = self.args
        full = np.zeros(self.in_shape, grad.dtype)
        # With the two axes moved last, numpy's diagonal is the view's [..., i, i + offset].
        moved = np.moveaxis(full, (axis1, axis2), (-2, -1))
        n = grad.shape[-1]
        rows = np.arange(n) + max(-offset, 0)
        moved[..., rows, rows + offset] = grad
        return (full, None, None, None)


class MaskedFill(Function):
    """``value`` where ``mask`` is true, the input elsewhere."""

    def forward(self, a: np.ndarray, mask: np.ndarray, value: Any) -> np.ndarray:
        self.mask = mask
        return stored(np.where(mask, value, a), "masked_fill")

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (np.where(self.mask, 0, grad), None, None)


# ---- function forms -----------------------------------------------------------------


def _shape(op: str, shape: Any) -> tuple[int, ...]:
    items = shape if isinstance(shape, (tuple, list)) else (shape,)
    if any(isinstance(n, bool) or not isinstance(n, INTS) for n in items):
        raise TypeError(f"{op}: shape must be an int or a tuple of ints, got {shape!r}")
    if any(n < 0 for n in items):
        raise ValueError(f"{op}: shape must not have negative sizes, got {shape!r}")
    return tuple(int(n) for n in items)


def broadcast_to(input_: Any, /, shape: Any) -> Any:
    """The tensor stretched to ``shape`` by numpy's broadcasting rules (a copy); the
    gradient is summed back over the stretched axes."""
    t = as_tensor(input_, "broadcast_to")
    target = _shape("broadcast_to", shape)
    try:
        np.broadcast_shapes(t.shape, target)
        if len(target) < t.ndim or np.broadcast_shapes(t.shape, target) != target:
            raise ValueError
    except ValueError:
        raise ValueError(f"broadcast_to: shape {t.shape} cannot be broadcast to {target}") from None
    return BroadcastTo.apply(t, target)


def _pad_widths(pad_width: Any, ndim: int) -> tuple[tuple[int, int], ...]:
    """numpy's pad_width forms: n, (n,), (before, after), or one pair per axis."""
    try:
        widths = np.asarray(pad_width)
        if widths.dtype.kind not in "iu" or widths.ndim > 2:
            raise ValueError
        pairs = np.broadcast_to(widths, (ndim, 2))
    except ValueError:
        raise ValueError(
            f"pad: pad_width must be an int, (before, after) or one pair per axis of the "
            f"{ndim} axes, got {pad_width!r}"
        ) from None
    if (pairs < 0).any():
        raise ValueError(f"pad: pad_width must be non-negative, got {pad_width!r}")
    return tuple((int(lo), int(hi)) for lo, hi in pairs)


def pad(input_: Any, /, pad_width: Any) -> Any:
    """The tensor with zeros added around it: ``pad_width`` in numpy's forms (an int for
    every side, ``(before, after)`` for every axis, or one pair per axis)."""
    t = as_tensor(input_, "pad")
    if t.ndim == 0:
        raise ValueError("pad: a 0-d tensor has no axis to pad")
    return Pad.apply(t, _pad_widths(pad_width, t.ndim))


def roll(input_: Any, /, shifts: Any, axis: Any = None) -> Any:
    """The values shifted by ``shifts`` along ``axis`` (ints or matching tuples; the
    flattened tensor when None), wrapping around the end, as numpy's roll."""
    t = as_tensor(input_, "roll")
    items = shifts if isinstance(shifts, (tuple, list)) else (shifts,)
    if not items or any(isinstance(s, bool) or not isinstance(s, INTS) for s in items):
        raise TypeError(f"roll: shifts must be an int or a tuple of ints, got {shifts!r}")
    if axis is None:
        if len(items) != 1:
            raise ValueError(f"roll: give axis for more than one shift, got shifts={shifts!r}")
        return Roll.apply(t, int(items[0]), None)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(axis_arg("roll", "axis", a, t.ndim) for a in axes)
    if len(items) != len(axes) and 1 not in (len(items), len(axes)):
        raise ValueError(f"roll: shifts {shifts!r} and axis {axis!r} must have one length")
    return Roll.apply(t, tuple(int(s) for s in items), axes)


def diagonal(input_: Any, /, offset: Any = 0, axis1: Any = 0, axis2: Any = 1) -> Any:
    """The diagonal of the (axis1, axis2) planes, ``offset`` above the main one (below
    when negative), as the last axis: numpy's diagonal, copied."""
    t = as_tensor(input_, "diagonal")
    if t.ndim < 2:
        raise ValueError(f"diagonal: needs at least 2 dimensions, got shape {t.shape}")
    offset = int_arg("diagonal", "offset", offset)
    i, j = (
        axis_arg("diagonal", "axis1", axis1, t.ndim),
        axis_arg("diagonal", "axis2", axis2, t.ndim),
    )
    if i == j:
        raise ValueError(f"diagonal: axis1 and axis2 must differ, both are {i}")
    return Diagonal.apply(t, offset, i, j)


def masked_fill(input_: Any, /, mask: Any, value: Any) -> Any:
    """The tensor with ``value`` (a real number) where ``mask`` (read as bool, broadcast
    to the tensor's shape) is true; the gradient flows to the other positions."""
    t = as_tensor(input_, "masked_fill")
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype.kind not in "biuf":
        raise TypeError(f"masked_fill: mask must be a bool or numeric tensor, got {m.dtype}")
    if isinstance(value, Tensor) and value.size == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (*INTS, float, np.floating)):
        raise TypeError(f"masked_fill: value must be a real number, got {value!r}")
    try:
        if np.broadcast_shapes(m.shape, t.shape) != t.shape:
            raise ValueError
    except ValueError:
        raise ValueError(
            f"masked_fill: mask of shape {m.shape} does not broadcast to the tensor's "
            f"shape {t.shape}"
        ) from None
    return MaskedFill.apply(t, np.array(m, dtype=bool), value)


def meshgrid(a: Any, b: Any, /, indexing: str = "ij") -> tuple[Any, Any]:
    """Coordinate grids from two 1-D tensors, as numpy's and PyTorch's meshgrid:
    ``indexing="ij"`` gives shape (len(a), len(b)) with X[i, j] = a[i] and Y[i, j] = b[j];
    "xy" gives shape (len(b), len(a)) with X[i, j] = a[j] and Y[i, j] = b[i]."""
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    x, y = as_tensor(a, "meshgrid", "a"), as_tensor(b, "meshgrid", "b")
    for name, t in (("a", x), ("b", y)):
        if t.ndim != 1:
            raise ValueError(f"meshgrid: {name} must be 1-D, got shape {t.shape}")
    if indexing == "ij":
        shape = (x.size, y.size)
        cols, rows = Reshape.apply(x, shape=(x.size, 1)), Reshape.apply(y, shape=(1, y.size))
    else:
        shape = (y.size, x.size)
        cols, rows = Reshape.apply(x, shape=(1, x.size)), Reshape.apply(y, shape=(y.size, 1))
    return BroadcastTo.apply(cols, shape), BroadcastTo.apply(rows, shape)
