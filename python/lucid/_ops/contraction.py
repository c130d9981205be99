"""tensordot: sums of products over chosen axis pairs of two tensors, numpy's semantics.

``axes`` is numpy's: an int n (the last n axes of ``a`` with the first n of ``b``), a
pair of ints, or a pair of sequences of axes. Backward contracts the gradient with the
other operand over the free axes and puts the axes back in order.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor, new
from lucid._ops._results import INTS, axis_arg, int_arg
from lucid.autograd.function import Function

__all__ = ["TensorDot", "tensordot"]


class TensorDot(Function):
    saved_inputs = {0: (1,), 1: (0,)}

    def forward(
        self, a: np.ndarray, b: np.ndarray, axes_a: list[int], axes_b: list[int]
    ) -> np.ndarray:
        self.a, self.b, self.axes = a, b, (axes_a, axes_b)
        values = np.tensordot(a, b, axes=(axes_a, axes_b))
        out = new(values.shape, values.dtype, "tensordot")
        np.copyto(out, values)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        a, b = self.a, self.b
        axes_a, axes_b = self.axes
        free_a = [i for i in range(a.ndim) if i not in axes_a]
        free_b = [i for i in range(b.ndim) if i not in axes_b]
        n_free_a = len(free_a)
        need_a, need_b = self.needs_input_grad[:2]
        grad_a = grad_b = None
        if need_a:
            # Left: a's free axes, then b's contracted ones in b's order, each standing
            # for the axis of a it was paired with.
            g = np.tensordot(grad, b, axes=(list(range(n_free_a, grad.ndim)), free_b))
            paired = [axes_a[k] for k in np.argsort(axes_b)]
            grad_a = np.transpose(g, np.argsort(free_a + paired))
        if need_b:
            g = np.tensordot(a, grad, axes=(free_a, list(range(n_free_a))))
            paired = [axes_b[k] for k in np.argsort(axes_a)]
            grad_b = np.transpose(g, np.argsort(paired + free_b))
        return (grad_a, grad_b, None, None)


def _axes(axes: Any, a: Any, b: Any) -> tuple[list[int], list[int]]:
    if isinstance(axes, INTS) and not isinstance(axes, bool):
        n = int(axes)
        if not 0 <= n <= min(a.ndim, b.ndim):
            raise ValueError(
                f"tensordot: axes={n} must be between 0 and the smaller rank of shapes "
                f"{a.shape} and {b.shape}"
            )
        return list(range(a.ndim - n, a.ndim)), list(range(n))
    if not isinstance(axes, (tuple, list)) or len(axes) != 2:
        raise TypeError(
            f"tensordot: axes must be an int, a pair of ints or a pair of axis lists, got {axes!r}"
        )
    first, second = (x if isinstance(x, (tuple, list)) else [x] for x in axes)
    if len(first) != len(second):
        raise ValueError(f"tensordot: axes {axes!r} name different numbers of axes for a and b")
    left = [axis_arg("tensordot", "axes", int_arg("tensordot", "axes", i), a.ndim) for i in first]
    right = [axis_arg("tensordot", "axes", int_arg("tensordot", "axes", i), b.ndim) for i in second]
    if len(set(left)) != len(left) or len(set(right)) != len(right):
        raise ValueError(f"tensordot: axes {axes!r} repeat an axis")
    return left, right


def tensordot(a: Any, b: Any, /, axes: Any = 2) -> Any:
    """The sum over the paired axes of ``a`` and ``b`` of their products; the result has
    a's free axes then b's, as numpy's tensordot."""
    x, y = as_tensor(a, "tensordot", "a"), as_tensor(b, "tensordot", "b")
    left, right = _axes(axes, x, y)
    for i, j in zip(left, right, strict=True):
        if x.shape[i] != y.shape[j]:
            raise ValueError(
                f"tensordot: axis {i} of a (shape {x.shape}) and axis {j} of b (shape "
                f"{y.shape}) differ in length"
            )
    return TensorDot.apply(x, y, left, right)
