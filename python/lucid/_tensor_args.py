"""The argument rules of Tensor's constructor and methods: data and dtypes, operands,
shapes, indices, and lucid's and PyTorch's spellings of one keyword."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage, _tensor

__all__ = ["check_fits", "index_arg", "operand", "pick", "shape_arg", "values"]

F32 = np.dtype(np.float32)
I64 = np.dtype(np.int64)
I64_MAX = np.iinfo(np.int64).max


def default_dtype(src: np.ndarray, from_python: bool) -> np.dtype:
    """The dtype a tensor gets when none is asked for (see ``Tensor``)."""
    dtype = src.dtype.newbyteorder("=")  # a big-endian float64 is a float64 all the same
    if dtype == np.bool_:
        return dtype
    if from_python:
        return F32
    if dtype in _storage.DTYPES:
        return dtype
    return I64 if dtype.kind in "iu" else F32


def values(data: Any, dtype: Any) -> np.ndarray:
    """A new storage holding ``data`` in the dtype the constructor's rules give."""
    from_python = not isinstance(data, (_tensor.Tensor, np.ndarray, np.generic))
    try:
        src = data.data if isinstance(data, _tensor.Tensor) else np.asarray(data)
    except ValueError as err:  # ragged nested lists
        raise ValueError(
            f"data must be rectangular (nested lists of equal length): {err}"
        ) from None
    if src.dtype.kind not in "biuf":
        raise TypeError(
            f"data must hold real numbers or bools; got {type(data).__name__} of dtype {src.dtype}"
        )
    target = default_dtype(src, from_python) if dtype is None else _storage.resolve_dtype(dtype)
    check_fits(src, target, "data")
    return _storage.copy_of(src, target)


def check_fits(src: np.ndarray, target: np.dtype, name: str) -> None:
    """Unsigned values above 2**63 - 1 would wrap to negative int64s: a ValueError."""
    if src.dtype.kind == "u" and target == I64 and src.size and src.max() > I64_MAX:
        raise ValueError(f"{name} must fit int64, got {src.dtype} value {src.max()} > 2**63 - 1")


def operand(other: Any) -> Any:
    """The other operand of a binary operator, or None when we do not handle its type."""
    if isinstance(other, (_tensor.Tensor, int, float, complex, np.ndarray, np.generic)):
        return other
    if isinstance(other, (list, tuple)):
        return _tensor.Tensor(other)
    return None


def shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in shape):
        raise ValueError(f"shape must be ints, got {shape!r}")
    return tuple(int(s) for s in shape)


def index_arg(index: Any) -> Any:
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, _tensor.Tensor) else i for i in index)
    return index.data if isinstance(index, _tensor.Tensor) else index


def pick(name: str, value: Any, alias: str, alias_value: Any, default: Any) -> Any:
    if alias_value is None:
        return default if value is None else value
    if value is not None:
        raise TypeError(f"pass {name}= or {alias}=, not both")
    return alias_value
