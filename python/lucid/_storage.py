"""Arrays whose memory is a Rust ``Storage``.

Every tensor value lives in a ``lucid._C.Storage``; numpy sees it through the buffer
protocol, without a copy. Operations compute in numpy and write into storage that Rust
allocated (``out=``), so numpy and Rust never copy each other's data.
"""

from __future__ import annotations

from typing import Any

import numpy as np

import lucid._C as _C

__all__ = [
    "DTYPES",
    "copy_of",
    "default_float",
    "empty",
    "is_storage_view",
    "is_tensor_values",
    "resolve_dtype",
    "set_default_float",
    "wrap",
    "zeros",
]

#: The dtypes a Storage can hold, by numpy dtype.
DTYPES: dict[np.dtype, str] = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.int64): "int64",
    np.dtype(np.bool_): "bool",
}

_PYTHON_TYPES: dict[Any, np.dtype] = {
    int: np.dtype(np.int64),
    bool: np.dtype(np.bool_),
}

# The dtype of floats made without one: float64, lucid 2.x's (numpy's) default, unless
# lucid.set_default_dtype chose float32. One process-wide value, as in PyTorch.
_default_float = [np.dtype(np.float64)]


def default_float() -> np.dtype:
    """The dtype of a float tensor made without one (Python floats, factories, layers)."""
    return _default_float[0]


def set_default_float(dtype: np.dtype) -> None:
    """Make ``dtype`` (float32 or float64, already resolved) the default float dtype."""
    _default_float[0] = dtype


def resolve_dtype(dtype: Any) -> np.dtype:
    """The numpy dtype for ``dtype``: a numpy dtype or type, its name, or float/int/bool.

    None and Python ``float`` mean the default float dtype (float64 unless set). Anything else
    a Storage cannot hold is a TypeError naming the dtype.
    """
    if dtype is None or dtype is float:
        return _default_float[0]
    if dtype in _PYTHON_TYPES and not isinstance(dtype, str):
        return _PYTHON_TYPES[dtype]
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        raise TypeError(f"dtype must be float32, float64, int64 or bool, got {dtype!r}") from None
    if resolved not in DTYPES:
        raise TypeError(f"dtype must be float32, float64, int64 or bool, got {resolved}")
    return resolved


def wrap(storage: _C.Storage, shape: tuple[int, ...]) -> np.ndarray:
    """A writable numpy view of ``storage`` with ``shape``."""
    return np.asarray(storage).reshape(shape)


def empty(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A new storage of ``shape`` and ``dtype`` as a numpy view, for a result that will
    be written in full: its values are unspecified (a reused buffer keeps old ones)."""
    return _new(shape, dtype, zeroed=False)


def zeros(shape: tuple[int, ...], dtype: Any) -> np.ndarray:
    """A new zero-filled storage of ``shape`` and ``dtype``, as a numpy view."""
    return _new(shape, dtype, zeroed=True)


def _new(shape: tuple[int, ...], dtype: Any, zeroed: bool) -> np.ndarray:
    name = DTYPES.get(dtype) if isinstance(dtype, np.dtype) else None
    if name is None:
        name = DTYPES[resolve_dtype(dtype)]
    if type(shape) is not tuple:
        shape = tuple(int(s) for s in shape)
    # One call makes the Storage and its numpy view (every op's result comes here).
    return _C.storage_array(shape, name, zeroed)


def copy_of(values: Any, dtype: Any = None) -> np.ndarray:
    """A new storage holding ``values`` (anything numpy can read), cast to ``dtype``."""
    src = np.asarray(values)
    out = empty(src.shape, src.dtype if dtype is None else dtype)
    np.copyto(out, src, casting="unsafe")
    return out


#: Whether an array's memory belongs to a Rust Storage (its chain of ``base``s ends at
#: a Storage or a memoryview of one); checked for every op's result, so it runs in Rust.
is_storage_view = _C.is_storage_view
#: Whether an array is what a Tensor may hold: a C-contiguous float32, float64, int64 or
#: bool storage view (Tensor._wrap's check, one call).
is_tensor_values = _C.is_tensor_values
