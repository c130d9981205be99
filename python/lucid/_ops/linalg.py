"""Linear algebra: matmul (``a @ b``) with np.matmul's rules, and its function form."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _gemm
from lucid._ops._common import new, real_operand
from lucid.autograd.function import Function, unbroadcast

__all__ = ["MatMul", "matmul"]


def _matmul_shape(sa: tuple[int, ...], sb: tuple[int, ...]) -> tuple[int, ...]:
    """np.matmul's output shape, with an error that names both shapes."""
    if not sa or not sb:
        raise ValueError(f"matmul needs operands of at least 1 dimension, got {sa} and {sb}")
    ra = sa if len(sa) > 1 else (1, *sa)
    rb = sb if len(sb) > 1 else (*sb, 1)
    try:
        if ra[-1] != rb[-2]:
            raise ValueError
        batch = np.broadcast_shapes(ra[:-2], rb[:-2])
    except ValueError:
        raise ValueError(f"matmul: shapes {sa} and {sb} do not match") from None
    rows = (ra[-2],) if len(sa) > 1 else ()
    cols = (rb[-1],) if len(sb) > 1 else ()
    return (*batch, *rows, *cols)


class MatMul(Function):
    """``a @ b`` with np.matmul's rules: 1-D operands and broadcast batch dimensions.

    Float32 and float64 products run on lucid's kernel (``lucid._gemm``), the rest
    (integers, mixed dtypes, batch dimensions broadcast against each other) in numpy.
    """

    saved_inputs = {0: (1,), 1: (0,)}

    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = np.asarray(a), np.asarray(b)
        dtype = np.matmul.resolve_dtypes((self.a.dtype, self.b.dtype, None))[-1]
        out = new(_matmul_shape(self.a.shape, self.b.shape), dtype, "matmul")
        _gemm.matmul_into(self.a, self.b, out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        a, b = self.a, self.b
        # Give 1-D operands (and the gradient) the axis matmul added, then drop it again.
        if b.ndim == 1:
            b, grad = b[:, None], grad[..., None]
        if a.ndim == 1:
            a, grad = a[None, :], grad[..., None, :]
        need_a, need_b = self.needs_input_grad
        mt = np.swapaxes
        grad_a = unbroadcast(_gemm.matmul(grad, mt(b, -1, -2)), a.shape) if need_a else None
        grad_b = unbroadcast(_gemm.matmul(mt(a, -1, -2), grad), b.shape) if need_b else None
        return (
            None if grad_a is None else grad_a.reshape(self.a.shape),
            None if grad_b is None else grad_b.reshape(self.b.shape),
        )


def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` with np.matmul's rules."""
    return MatMul.apply(real_operand(a, "matmul", "a"), real_operand(b, "matmul", "b"))
