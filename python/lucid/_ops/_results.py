"""What the ops of the later lucid 2.x names share: a numpy result copied into new
storage, and the int, axis and bool arguments checked with errors that name them."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import new, normalize_axis_tuple

__all__ = ["INTS", "axis_arg", "bool_arg", "int_arg", "stored"]

INTS = (int, np.integer)


def stored(values: Any, op: str, dtype: Any = None) -> np.ndarray:
    """``values`` copied into new storage, in ``dtype`` (default: its own)."""
    values = np.asarray(values)
    out = new(values.shape, np.dtype(values.dtype if dtype is None else dtype), op)
    np.copyto(out, values, casting="unsafe")
    return out


def int_arg(op: str, name: str, value: Any) -> int:
    """``value`` as an int; a bool, float or anything else is a TypeError naming it."""
    if isinstance(value, bool) or not isinstance(value, INTS):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


def axis_arg(op: str, name: str, value: Any, ndim: int) -> int:
    """One axis as a non-negative int; out of range is numpy's AxisError (a ValueError)."""
    return normalize_axis_tuple(int_arg(op, name, value), ndim, name)[0]


def bool_arg(op: str, name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{op}: {name} must be a bool, got {value!r}")
    return bool(value)
