"""numpy's dot and inner under lucid 2.x's names, built from matmul, reshapes and
transposes (lucid._ops.linalg and movement), so their gradients are those ops'.

dot sums over the last axis of ``a`` and the second-to-last of ``b`` (the only one of a
1-D ``b``); inner sums over the last axis of both. A 0-D operand multiplies.
"""

from __future__ import annotations

from typing import Any

from lucid._ops._common import as_tensor
from lucid._ops.elementwise import Mul
from lucid._ops.linalg import MatMul
from lucid._ops.movement import Reshape, Transpose

__all__ = ["dot", "inner"]


def _pair(op: str, a: Any, b: Any) -> tuple[Any, Any]:
    return as_tensor(a, op, "a"), as_tensor(b, op, "b")


def _check(op: str, a: Any, b: Any, axis_b: int) -> int:
    k = a.shape[-1]
    if b.shape[axis_b] != k:
        raise ValueError(
            f"{op}: shapes {a.shape} and {b.shape} do not align: the last axis of a has "
            f"{k} values, axis {axis_b} of b has {b.shape[axis_b]}"
        )
    return int(k)


def _rows(a: Any, k: int) -> Any:
    return Reshape.apply(a, shape=(a.size // k if k else 0, k))


def dot(a: Any, b: Any, /) -> Any:
    """numpy's dot: the matrix product for 2-D operands, the inner product for 1-D ones,
    and for more axes the sum over the last axis of ``a`` and the second-to-last of
    ``b``, shaped ``a.shape[:-1] + b.shape[:-2] + b.shape[-1:]``."""
    a, b = _pair("dot", a, b)
    if a.ndim == 0 or b.ndim == 0:
        return Mul.apply(a, b)
    if b.ndim == 1:
        k = _check("dot", a, b, 0)
        out = MatMul.apply(_rows(a, k), Reshape.apply(b, shape=(k, 1)))
        return Reshape.apply(out, shape=a.shape[:-1])
    k = _check("dot", a, b, -2)
    order = (b.ndim - 2, *range(b.ndim - 2), b.ndim - 1)  # the summed axis first
    columns = Reshape.apply(Transpose.apply(b, axes=order), shape=(k, b.size // k if k else 0))
    out = MatMul.apply(_rows(a, k), columns)
    return Reshape.apply(out, shape=(*a.shape[:-1], *b.shape[:-2], b.shape[-1]))


def inner(a: Any, b: Any, /) -> Any:
    """numpy's inner: the sum over the last axis of both, shaped
    ``a.shape[:-1] + b.shape[:-1]``."""
    a, b = _pair("inner", a, b)
    if a.ndim == 0 or b.ndim == 0:
        return Mul.apply(a, b)
    k = _check("inner", a, b, -1)
    rows_b = Transpose.apply(_rows(b, k), axes=(1, 0))
    out = MatMul.apply(_rows(a, k), rows_b)
    return Reshape.apply(out, shape=(*a.shape[:-1], *b.shape[:-1]))
