"""Module.to's arguments and its cast of a tensor into new storage of another dtype."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage
from lucid._ops.inplace import bump
from lucid._tensor import Tensor
from lucid.autograd.versions import unshare

__all__ = ["cast_floating", "to_args"]


def _is_device(arg: Any) -> bool:
    # A string that names no dtype ("cpu", "gpu", "cuda:0") or a device index (PyTorch's).
    if isinstance(arg, str):
        return arg not in _storage.DTYPES.values()
    return isinstance(arg, int) and not isinstance(arg, bool)


def to_args(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, Any]:
    """(device, dtype) from Module.to's arguments, the dtype resolved; either may be None."""
    unknown = set(kwargs) - {"device", "dtype", "non_blocking"}
    if unknown or len(args) > 2:
        raise TypeError(f"to() takes a device and/or a dtype, got args={args!r}, kwargs={kwargs!r}")
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for arg in args:
        if _is_device(arg):
            device = arg
        else:
            dtype = arg
    if dtype is not None:
        resolved = _storage.resolve_dtype(dtype)
        if resolved.kind != "f":
            raise TypeError(f"to() casts to a floating dtype only, got dtype={dtype!r}")
        dtype = resolved
    return device, dtype


def cast_floating(tensor: Tensor, dtype: np.dtype) -> None:
    """Give a floating ``tensor`` storage of ``dtype`` holding its values (and its grad)."""
    if tensor.dtype.kind != "f" or tensor.dtype == dtype:
        return
    tensor._data = _storage.copy_of(tensor._data, dtype)
    unshare(tensor)  # new storage: reshapes made before no longer see its writes
    bump(tensor)
    if tensor.grad is not None:
        tensor.grad = _storage.copy_of(tensor.grad, dtype)
