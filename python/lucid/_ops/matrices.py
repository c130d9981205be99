"""numpy's matrix helpers under lucid 2.x's names: tril, triu, trace and outer.

tril and triu keep one triangle (of the last two axes, as numpy) and send the gradient
back through the same mask; trace sums the diagonal of the first two axes and sends the
gradient to it; outer is the product of the flattened operands as a column and a row.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor, new
from lucid._ops.elementwise import Mul
from lucid._ops.movement import Reshape
from lucid.autograd.function import Function

__all__ = ["Trace", "Triangle", "outer", "trace", "tril", "triu"]


class Triangle(Function):
    """The lower (``upper`` False) or upper triangle from diagonal ``k`` on; zeros
    elsewhere. The gradient is masked the same way (and, for a 1-D input, which numpy
    repeats as every row, summed over the rows)."""

    def forward(self, a: np.ndarray, k: int, upper: bool) -> np.ndarray:
        self.k, self.upper, self.row = k, upper, a.ndim == 1
        kept = self._keep(a)
        out = new(kept.shape, a.dtype, "triu" if upper else "tril")
        np.copyto(out, kept)
        return out

    def _keep(self, a: np.ndarray) -> np.ndarray:
        return np.triu(a, self.k) if self.upper else np.tril(a, self.k)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        kept = self._keep(grad)
        return (kept.sum(axis=0) if self.row else kept, None, None)  # a row: each copy


class Trace(Function):
    """The sum of the diagonal over the first two axes (numpy's trace)."""

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.shape = a.shape
        values = np.trace(a)
        out = new(np.shape(values), np.asarray(values).dtype, "trace")
        out[...] = values
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        rows, cols = self.shape[:2]
        eye = np.eye(rows, cols, dtype=grad.dtype).reshape(rows, cols, *([1] * (grad.ndim)))
        return (eye * grad,)


def _diagonal(op: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: diagonal must be an int, got {value!r}")
    return int(value)


def _matrices(op: str, input_: Any) -> Any:
    t = as_tensor(input_, op)
    if t.ndim < 1:
        raise ValueError(f"{op}: needs at least 1 dimension, got shape {t.shape}")
    return t


def tril(input_: Any, /, diagonal: Any = 0) -> Any:
    """The lower triangle: entries on and below ``diagonal`` (0 the main one, positive
    above it) kept, the rest 0; a 1-D input is the row of a square matrix, as numpy."""
    t = _matrices("tril", input_)
    return Triangle.apply(t, _diagonal("tril", diagonal), False)


def triu(input_: Any, /, diagonal: Any = 0) -> Any:
    """The upper triangle: entries on and above ``diagonal`` kept, the rest 0."""
    t = _matrices("triu", input_)
    return Triangle.apply(t, _diagonal("triu", diagonal), True)


def trace(input_: Any, /) -> Any:
    """The sum of the main diagonal (of the first two axes for more than two)."""
    t = as_tensor(input_, "trace")
    if t.ndim < 2:
        raise ValueError(f"trace: needs at least 2 dimensions, got shape {t.shape}")
    return Trace.apply(t)


def outer(a: Any, b: Any, /) -> Any:
    """The outer product of ``a`` and ``b``, each flattened: out[i, j] = a[i] * b[j]."""
    a, b = as_tensor(a, "outer", "a"), as_tensor(b, "outer", "b")
    return Mul.apply(Reshape.apply(a, shape=(a.size, 1)), Reshape.apply(b, shape=(1, b.size)))
