"""Running sums and products along an axis: lucid 2.x's ``cumsum(a, axis=-1)`` and
``cumprod(a, axis=-1)``.

The gradient of out[j] = x[0] + ... + x[j] for x[i] is the sum of the upstream
gradient from position i to the end: the running sum of the gradient taken backwards.
For out[j] = x[0] · ... · x[j] it is L[i] · R[i], with L[i] the product of the values
before i and R[i] = g[i] + x[i+1] · R[i+1] (from the end): exact where values are 0,
which dividing the output by x[i] would not be.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor, new, normalize_axis_tuple
from lucid.autograd.function import Function

__all__ = ["Cumprod", "Cumsum", "cumprod", "cumsum"]


class Cumsum(Function):
    """Running sums along ``axis``; ``axis`` None runs over the flattened values."""

    scan: Any = staticmethod(np.cumsum)

    def forward(self, a: np.ndarray, axis: int | None) -> np.ndarray:
        self.shape, self.axis = a.shape, axis
        flat = a.reshape(-1) if axis is None else a
        dtype = self.scan(np.zeros(1, a.dtype)).dtype  # numpy's: int64 for bool and ints
        out = new(flat.shape, dtype, self.scan.__name__)
        self.scan(flat, axis=0 if axis is None else axis, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        axis = 0 if self.axis is None else self.axis
        back = np.flip(np.cumsum(np.flip(grad, axis), axis), axis)
        return (back.reshape(self.shape), None)


class Cumprod(Cumsum):
    """Running products along ``axis``; backward reads the input (see the module)."""

    saved_inputs = {0: None}
    scan: Any = staticmethod(np.cumprod)

    def forward(self, a: np.ndarray, axis: int | None) -> np.ndarray:
        self.a = a
        return super().forward(a, axis)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        axis = 0 if self.axis is None else self.axis
        x = np.moveaxis(self.a.reshape(grad.shape), axis, 0).astype(grad.dtype)
        g = np.moveaxis(grad, axis, 0)
        before = np.ones_like(x)
        before[1:] = np.cumprod(x[:-1], axis=0)
        after = np.empty_like(g)
        if len(g):
            after[-1] = g[-1]
        for i in range(len(g) - 2, -1, -1):
            after[i] = g[i] + x[i + 1] * after[i + 1]
        back = np.moveaxis(before * after, 0, axis)
        return (back.reshape(self.shape), None)


def _scan_axis(op: str, t: Any, axis: Any) -> int | None:
    if axis is None:
        return None
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int or None, got {axis!r}")
    axis = normalize_axis_tuple(int(axis), max(t.ndim, 1), "axis")[0]
    return None if t.ndim == 0 else axis


def cumsum(input_: Any, axis: Any = -1) -> Any:
    """The running sums along ``axis`` (the last by default; None: over all values,
    flattened), as numpy's cumsum; bool and integer inputs sum in int64."""
    t = as_tensor(input_, "cumsum")
    return Cumsum.apply(t, _scan_axis("cumsum", t, axis))


def cumprod(input_: Any, axis: Any = -1) -> Any:
    """The running products along ``axis`` (as ``cumsum``), as numpy's cumprod."""
    t = as_tensor(input_, "cumprod")
    return Cumprod.apply(t, _scan_axis("cumprod", t, axis))
