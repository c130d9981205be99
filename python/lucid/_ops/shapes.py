"""lucid 2.x's top-level shape functions that Tensor has as methods or spells another
way: reshape, transpose (``axes`` by keyword too), swapaxes, expand_dims and ravel.
Each is Reshape or Transpose of lucid._ops.movement, so gradients flow back as theirs."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor, normalize_axis_tuple, shape_arg
from lucid._ops.movement import Reshape, Transpose
from lucid._ops.views import unsqueeze

__all__ = ["expand_dims", "ravel", "reshape", "swapaxes", "transpose"]


def reshape(input_: Any, /, *shape: Any) -> Any:
    """The same values in ``shape`` (one tuple, as lucid 2.x, or ints; one -1 is
    inferred), sharing the input's storage."""
    return Reshape.apply(as_tensor(input_, "reshape"), shape=shape_arg(shape))


def transpose(input_: Any, /, axes: Any = None, *more: Any) -> Any:
    """Axes permuted as ``axes`` (a list or tuple, or the axes as ints); reversed when
    None, as lucid 2.x's ``transpose(a, axes=None)``."""
    if more:
        axes = (axes, *more)
    return Transpose.apply(as_tensor(input_, "transpose"), axes=axes)


def _axis(op: str, name: str, value: Any, ndim: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{op}: {name} must be an int, got {value!r}")
    return normalize_axis_tuple(int(value), ndim, name)[0]


def swapaxes(input_: Any, /, axis1: Any, axis2: Any) -> Any:
    """Axes ``axis1`` and ``axis2`` exchanged (a copy, as transpose makes)."""
    t = as_tensor(input_, "swapaxes")
    i, j = _axis("swapaxes", "axis1", axis1, t.ndim), _axis("swapaxes", "axis2", axis2, t.ndim)
    order = list(range(t.ndim))
    order[i], order[j] = j, i
    return Transpose.apply(t, axes=tuple(order))


def expand_dims(input_: Any, /, axis: Any) -> Any:
    """numpy's name for ``unsqueeze``: new axes of size 1 at ``axis`` (an int or a
    tuple of positions in the result)."""
    return unsqueeze(as_tensor(input_, "expand_dims"), axis)


def ravel(input_: Any, /) -> Any:
    """The values as one axis (a 0-d tensor gives shape (1,)), sharing the storage."""
    t = as_tensor(input_, "ravel")
    return Reshape.apply(t, shape=(t.size,))
