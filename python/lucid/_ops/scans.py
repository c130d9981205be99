"""Running sums along an axis: cumsum, lucid 2.x's ``cumsum(a, axis=-1)``.

The gradient of out[j] = x[0] + ... + x[j] for x[i] is the sum of the upstream
gradient from position i to the end: the running sum of the gradient taken backwards.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor, new, normalize_axis_tuple
from lucid.autograd.function import Function

__all__ = ["Cumsum", "cumsum"]


class Cumsum(Function):
    """Running sums along ``axis``; ``axis`` None runs over the flattened values."""

    def forward(self, a: np.ndarray, axis: int | None) -> np.ndarray:
        self.shape, self.axis = a.shape, axis
        flat = a.reshape(-1) if axis is None else a
        dtype = np.cumsum(np.zeros(1, a.dtype)).dtype  # numpy's: int64 for bool and ints
        out = new(flat.shape, dtype, "cumsum")
        np.cumsum(flat, axis=0 if axis is None else axis, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        axis = 0 if self.axis is None else self.axis
        back = np.flip(np.cumsum(np.flip(grad, axis), axis), axis)
        return (back.reshape(self.shape), None)


def cumsum(input_: Any, axis: Any = -1) -> Any:
    """The running sums along ``axis`` (the last by default; None: over all values,
    flattened), as numpy's cumsum; bool and integer inputs sum in int64."""
    t = as_tensor(input_, "cumsum")
    if axis is not None:
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"cumsum: axis must be an int or None, got {axis!r}")
        axis = normalize_axis_tuple(int(axis), max(t.ndim, 1), "axis")[0]
        if t.ndim == 0:
            axis = None
    return Cumsum.apply(t, axis)
