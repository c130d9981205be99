"""lucid 2.x's names about a tensor's values as a whole: the Tensor methods all, any,
zero, copy_data and copy_grad, and the top-level to_tensor and shape. None of them is
part of a graph."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _creation, _storage
from lucid._ops._common import normalize_axes
from lucid._ops._results import bool_arg, stored
from lucid._tensor import Tensor

__all__ = ["all", "any", "copy_data", "copy_grad", "shape", "to_tensor", "zero"]


def _truth(op: str, reduce: Any, t: Tensor, axis: Any, keepdims: Any, out: Any) -> Any:
    # numpy's np.all(t) / np.any(t) call the method with out=None; keep them working.
    if out is not None:
        raise TypeError(f"{op}: out= is not supported (the result is a new bool or tensor)")
    keepdims = bool_arg(op, "keepdims", keepdims)
    if axis is None:
        return bool(reduce(t.data))
    axes = normalize_axes(axis, t.ndim)
    return Tensor._wrap(stored(reduce(t.data, axis=axes, keepdims=keepdims), op))


def all(self: Tensor, axis: Any = None, keepdims: bool = False, *, out: Any = None) -> Any:
    """Whether every element is true (non-zero): a Python bool over the whole tensor
    (``axis`` None, as lucid 2.x), else a bool tensor reduced over ``axis``."""
    return _truth("all", np.all, self, axis, keepdims, out)


def any(self: Tensor, axis: Any = None, keepdims: bool = False, *, out: Any = None) -> Any:
    """Whether some element is true (non-zero): a Python bool over the whole tensor
    (``axis`` None, as lucid 2.x), else a bool tensor reduced over ``axis``."""
    return _truth("any", np.any, self, axis, keepdims, out)


def zero(self: Tensor) -> None:
    """Replace the values with zeros, as lucid 2.x's ``zero``: new storage, so tensors
    that shared the old one (reshapes, ``detach()``) keep their values. The gradient and
    the graph are left as they are."""
    self.data = np.zeros(self.shape, self.dtype)


def _copy(op: str, data: Any) -> np.ndarray:
    if not isinstance(data, np.ndarray):
        raise TypeError(f"{op}: expected a numpy array, got {type(data).__name__}")
    if data.dtype in _storage.DTYPES:
        return _storage.copy_of(data, data.dtype)
    return data.copy()


def copy_data(data: Any) -> np.ndarray:
    """A copy of an array of values (``Tensor.copy_data(t.data)``), in new storage when
    its dtype is one a tensor holds."""
    return _copy("copy_data", data)


def copy_grad(grad: Any) -> np.ndarray:
    """A copy of a gradient array (``Tensor.copy_grad(t.grad)``), as ``copy_data``."""
    return _copy("copy_grad", grad)


def to_tensor(
    a: Any,
    requires_grad: bool = False,
    keep_grad: bool = False,
    dtype: Any = None,
    device: Any = "cpu",
) -> Tensor:
    """lucid 2.x's other name for ``tensor``: a new tensor holding a copy of ``a``."""
    return _creation.tensor(a, requires_grad, keep_grad, dtype, device)


def shape(a: Any) -> tuple[int, ...]:
    """The shape of a tensor or array (anything with ``shape``)."""
    if not hasattr(a, "shape"):
        raise ValueError(f"shape: expected a Tensor or an array, got {type(a).__name__}")
    return tuple(a.shape)
