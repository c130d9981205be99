"""Matrix products of numpy arrays on lucid's kernel (``_C.matmul``, on lucid's thread
pool, the GIL released), with ``np.matmul``'s rules; numpy computes what it does not take.

The kernel takes float32 or float64 operands of one dtype, 1-D to 3-D (or higher when
C-contiguous, the leading dimensions then folded into one batch), with equal batch
dimensions or one operand unbatched, and any non-negative, aligned strides (transposed
views and broadcast rows are read in place). Anything else (integers, mixed dtypes,
batch dimensions that broadcast against each other, negative strides) goes to numpy.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

import lucid._C as _C
from lucid import _storage

__all__ = ["matmul", "matmul_into"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _readable(x: np.ndarray) -> bool:
    """Whether the kernel reads ``x`` in place: aligned, non-negative element strides."""
    size = x.itemsize
    return x.flags.aligned and all(s >= 0 and s % size == 0 for s in x.strides)


def _stack(x: np.ndarray, batch: tuple[int, ...]) -> np.ndarray | None:
    """``x`` (its batch dimensions ``batch``) as a 2-D or 3-D array without a copy, or None."""
    if len(batch) <= 1:
        return x
    if not x.flags.c_contiguous:
        return None
    return x.reshape(math.prod(batch), *x.shape[-2:])


def _plan(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[int, ...]] | None:
    """The kernel's operands for ``a @ b`` and the shape of the result, or None when
    numpy must compute it."""
    if a.dtype != b.dtype or a.dtype not in _FLOATS or a.ndim == 0 or b.ndim == 0:
        return None
    ma = a[None, :] if a.ndim == 1 else a
    mb = b[:, None] if b.ndim == 1 else b
    lead_a, lead_b = ma.shape[:-2], mb.shape[:-2]
    if ma.shape[-1] != mb.shape[-2] or (lead_a and lead_b and lead_a != lead_b):
        return None
    sa, sb = _stack(ma, lead_a), _stack(mb, lead_b)
    if sa is None or sb is None or not (_readable(sa) and _readable(sb)):
        return None
    rows = (ma.shape[-2],) if a.ndim > 1 else ()
    cols = (mb.shape[-1],) if b.ndim > 1 else ()
    return sa, sb, (*(lead_a or lead_b), *rows, *cols)


def _run(sa: np.ndarray, sb: np.ndarray, out: np.ndarray) -> None:
    m, n = sa.shape[-2], sb.shape[-1]
    batched = sa.ndim == 3 or sb.ndim == 3
    batch = max(sa.shape[0] if sa.ndim == 3 else 1, sb.shape[0] if sb.ndim == 3 else 1)
    _C.matmul(sa, sb, out.reshape((batch, m, n) if batched else (m, n)))


def matmul_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    """``out[...] = a @ b`` for ``out`` a new C-contiguous array of the result's shape
    and dtype (sharing no memory with a or b)."""
    plan = _plan(a, b)
    if plan is None or out.dtype != a.dtype or plan[2] != out.shape:
        np.matmul(a, b, out=out)
    else:
        _run(plan[0], plan[1], out)


def matmul(a: np.ndarray, b: np.ndarray) -> Any:
    """``a @ b`` as a new array (a Storage's when the kernel computes it)."""
    plan = _plan(a, b)
    if plan is None:
        return np.matmul(a, b)
    out = _storage.empty(plan[2], a.dtype)
    _run(plan[0], plan[1], out)
    return out
