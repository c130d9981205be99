"""Reshapes with a rule for the new shape: view, flatten, squeeze, unsqueeze.

Each is lucid._ops.movement's ``Reshape`` to the shape its rule gives, so the result
shares the input's storage and version counter (a write through one shows in the other,
as PyTorch's views do; lucid 2.x's numpy reshapes share memory too) and its gradient is
the output's reshaped back. lucid's ``axis`` names and PyTorch's ``dim`` names are both
accepted (lucid._ops._common.alias_arg).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid._ops._common import alias_arg, as_tensor, normalize_axes, shape_arg
from lucid._ops.movement import Reshape

__all__ = ["flatten", "squeeze", "unsqueeze", "view"]


def view(input_: Any, *shape: Any) -> Any:
    """PyTorch's name for ``reshape``: the values in ``shape`` (ints or one tuple; one -1
    is inferred), over the same storage."""
    return Reshape.apply(as_tensor(input_, "view"), shape=shape_arg(shape))


def _int(op: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return int(value)


def _position(name: str, value: int, shape: tuple[int, ...]) -> int:
    ndim = max(len(shape), 1)  # a 0-d tensor flattens as a 1-d one
    if not -ndim <= value < ndim:
        raise ValueError(
            f"flatten: {name}={value} is out of range for shape {shape} "
            f"(expected {-ndim} <= {name} < {ndim})"
        )
    return value % ndim


def flatten(
    input_: Any,
    start_axis: Any = None,
    end_axis: Any = None,
    *,
    start_dim: Any = None,
    end_dim: Any = None,
) -> Any:
    """Axes ``start_axis`` to ``end_axis`` (inclusive; all by default) merged into one;
    PyTorch's ``start_dim``/``end_dim`` are accepted for them. A 0-d tensor gives shape
    (1,), as in lucid 2.x and PyTorch."""
    t = as_tensor(input_, "flatten")
    start = alias_arg("start_axis", start_axis, "start_dim", start_dim, 0)
    end = alias_arg("end_axis", end_axis, "end_dim", end_dim, -1)
    start = _position("start_axis", _int("flatten", "start_axis", start), t.shape)
    end = _position("end_axis", _int("flatten", "end_axis", end), t.shape)
    if start > end:
        raise ValueError(
            f"flatten: the start axis ({start}) comes after the end axis ({end}) for shape "
            f"{t.shape}"
        )
    dims = t.shape or (1,)
    merged = (*dims[:start], math.prod(dims[start : end + 1]), *dims[end + 1 :])
    return Reshape.apply(t, shape=merged)


def squeeze(input_: Any, axis: Any = None, *, dim: Any = None) -> Any:
    """The axes of size 1 removed: all of them when ``axis`` (or ``dim``) is None, else the
    ones named (an int or a tuple). Naming an axis whose size is not 1 is a ValueError,
    as in lucid 2.x and numpy (PyTorch leaves it)."""
    t = as_tensor(input_, "squeeze")
    axis = alias_arg("axis", axis, "dim", dim, None)
    if axis is None:
        return Reshape.apply(t, shape=tuple(n for n in t.shape if n != 1))
    axes = normalize_axes(axis, t.ndim)
    for i in axes:
        if t.shape[i] != 1:
            raise ValueError(
                f"squeeze: axis {i} has size {t.shape[i]}, not 1, so it cannot be removed "
                f"(shape {t.shape})"
            )
    return Reshape.apply(t, shape=tuple(n for i, n in enumerate(t.shape) if i not in axes))


def unsqueeze(input_: Any, axis: Any = None, *, dim: Any = None) -> Any:
    """New axes of size 1 at ``axis`` (or ``dim``): an int or a tuple, positions in the
    result, as numpy's expand_dims (negative ones count from its end)."""
    t = as_tensor(input_, "unsqueeze")
    axis = alias_arg("axis", axis, "dim", dim, None)
    if axis is None:
        raise TypeError("unsqueeze: give the position of the new axis (axis= or dim=)")
    count = len(axis) if isinstance(axis, (tuple, list)) else 1
    axes = normalize_axes(axis, t.ndim + count)
    sizes = iter(t.shape)
    return Reshape.apply(
        t, shape=tuple(1 if i in axes else next(sizes) for i in range(t.ndim + count))
    )
