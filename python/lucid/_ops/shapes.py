"""lucid 2.x's top-level shape functions that Tensor has as methods or spells another
way: reshape, transpose (``axes`` by keyword too), swapaxes, expand_dims and ravel, and
numpy's hstack and vstack. Each is Reshape, Transpose or Concatenate of
lucid._ops.movement, so gradients flow back as theirs."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor, normalize_axis_tuple, shape_arg
from lucid._ops.movement import Reshape, Transpose, concatenate
from lucid._ops.views import unsqueeze

__all__ = ["expand_dims", "hstack", "ravel", "reshape", "swapaxes", "transpose", "vstack"]


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


def _sequence(op: str, tensors: Any) -> list[Any]:
    if not isinstance(tensors, (list, tuple)) or not tensors:
        raise TypeError(f"{op}: expected a non-empty list or tuple of tensors, got {tensors!r}")
    return [as_tensor(t, op, f"tensors[{i}]") for i, t in enumerate(tensors)]


def hstack(tensors: Any, /) -> Any:
    """The tensors joined along their second axis (along the first for 1-D ones; 0-D
    ones count as 1-D), as numpy's hstack."""
    items = [t if t.ndim else Reshape.apply(t, shape=(1,)) for t in _sequence("hstack", tensors)]
    return concatenate(items, axis=0 if items[0].ndim == 1 else 1)


def vstack(tensors: Any, /) -> Any:
    """The tensors joined along their first axis, 1-D (and 0-D) ones as rows, as
    numpy's vstack."""
    items = [
        Reshape.apply(t, shape=(1, t.size)) if t.ndim < 2 else t
        for t in _sequence("vstack", tensors)
    ]
    return concatenate(items, axis=0)
