"""Creation helpers for ranges and diagonal matrices: arange, linspace, eye, diag (``dtype`` and
``device`` as in lucid._creation)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid import _dtypes, _storage, _tensor

__all__ = ["arange", "diag", "eye", "linspace"]

_F64, _I64 = np.dtype(np.float64), np.dtype(np.int64)
_INTS = (int, np.integer)


def _created(
    values: np.ndarray, dtype: Any, requires_grad: bool, keep_grad: bool, device: Any
) -> Any:
    _dtypes.check_device(device)
    out = _tensor.Tensor._wrap(_storage.copy_of(values, _dtypes.resolve(dtype)))
    out.requires_grad = requires_grad
    out.keep_grad = bool(keep_grad)
    return out


def arange(
    start: Any,
    stop: Any = None,
    step: Any = None,
    dtype: Any = None,
    *,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
) -> Any:
    """Values from ``start`` up to (not including) ``stop`` by ``step``; ``arange(n)`` is
    0 .. n-1. Without ``dtype`` the dtype is numpy's for the three numbers, with lucid 2.x's
    float defaults for the ones left out (start 0.0, step 1.0): int64 only when all three
    are given as ints (``arange(1, 7, 2)``), else the default float dtype (``arange(5)``).
    Computed in int64 or float64, then cast once."""
    implicit = stop is None or step is None
    if stop is None:
        start, stop = 0, start
    if step is None:
        step = 1
    for name, value in (("start", start), ("stop", stop), ("step", step)):
        if isinstance(value, bool) or not isinstance(value, (*_INTS, float, np.floating)):
            raise TypeError(f"arange: {name} must be a real number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"arange: {name} must be finite, got {value!r}")
    if step == 0:
        raise ValueError("arange: step must not be 0")
    ints = not implicit and all(isinstance(v, _INTS) for v in (start, stop, step))
    target = (_I64 if ints else _storage.default_float()) if dtype is None else dtype
    values = np.arange(start, stop, step, dtype=_I64 if ints else _F64)
    return _created(values, target, requires_grad, keep_grad, device)


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, _INTS):
        raise TypeError(f"eye: {name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"eye: {name} must be non-negative, got {value!r}")
    return int(value)


def eye(
    n: Any,
    m: Any = None,
    k: Any = 0,
    dtype: Any = None,
    *,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
) -> Any:
    """An n x m matrix (m = n when None) with ones on diagonal ``k`` (0: the main one;
    positive: above it) and zeros elsewhere."""
    rows = _count("n", n)
    cols = rows if m is None else _count("m", m)
    if isinstance(k, bool) or not isinstance(k, _INTS):
        raise TypeError(f"eye: k must be an int, got {k!r}")
    return _created(np.eye(rows, cols, int(k)), dtype, requires_grad, keep_grad, device)


def linspace(
    start: Any,
    stop: Any,
    num: Any = 50,
    /,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop``, both included; the default
    float dtype unless ``dtype`` is given (computed in float64, then rounded once; an integer dtype
    truncates toward zero, as numpy)."""
    for name, value in (("start", start), ("stop", stop)):
        if isinstance(value, bool) or not isinstance(value, (*_INTS, float, np.floating)):
            raise TypeError(f"linspace: {name} must be a real number, got {value!r}")
        if not math.isfinite(value):
            raise ValueError(f"linspace: {name} must be finite, got {value!r}")
    if isinstance(num, bool) or not isinstance(num, _INTS):
        raise TypeError(f"linspace: num must be an int, got {num!r}")
    if num < 0:
        raise ValueError(f"linspace: num must be non-negative, got {num!r}")
    values = np.linspace(float(start), float(stop), int(num), dtype=_F64)
    target = _dtypes.resolve(dtype)
    if target.kind in "iub":
        values = np.trunc(values)
    return _created(values, target, requires_grad, keep_grad, device)


def diag(
    v: Any,
    k: Any = 0,
    /,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = None,
) -> Any:
    """From a 1-D ``v``, the square matrix with ``v`` on diagonal ``k`` (0: the main one;
    positive: above it); from a 2-D ``v``, its diagonal ``k`` as 1-D. A new tensor, in
    ``v``'s dtype unless ``dtype`` is given, outside the graph (as lucid 2.x's)."""
    values = v.data if isinstance(v, _tensor.Tensor) else _tensor.Tensor(v).data
    if values.ndim not in (1, 2):
        raise ValueError(f"diag: v must be 1-D or 2-D, got shape {values.shape}")
    if isinstance(k, bool) or not isinstance(k, _INTS):
        raise TypeError(f"diag: k must be an int, got {k!r}")
    target = values.dtype if dtype is None else dtype
    return _created(np.diag(values, int(k)), target, requires_grad, keep_grad, device)
