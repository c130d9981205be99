"""What every op module shares: new result storage, numpy's dtype rules for Python
scalars, and the conversion and checks of operands, axes, shapes and indices."""

from __future__ import annotations

from typing import Any

import numpy as np

import lucid._C as _C
from lucid import _storage
from lucid._tensor import Tensor

try:
    from numpy.lib.array_utils import normalize_axis_tuple
except ImportError:  # numpy < 2
    from numpy.core.numeric import normalize_axis_tuple  # type: ignore[no-redef]

__all__ = [
    "alias_arg",
    "as_tensor",
    "axis_args",
    "dtype_of",
    "index_arg",
    "new",
    "normalize_axes",
    "normalize_axis_tuple",
    "operand",
    "real_operand",
    "shape_arg",
    "shape_of",
    "ufunc_into",
]

REAL = (int, float, np.integer, np.floating)


def new(shape: tuple[int, ...], dtype: np.dtype, op: str) -> np.ndarray:
    """New storage for a result of ``op``; a dtype a tensor cannot hold is a TypeError."""
    if dtype not in _storage.DTYPES:
        raise TypeError(
            f"{op}: the result would have dtype {dtype}; tensors hold float32, float64, "
            "int64 or bool"
        )
    return _storage.empty(shape, dtype)


def dtype_of(x: Any) -> Any:
    """What ``ufunc.resolve_dtypes`` takes: Python int/float/complex stay weak."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype  # numpy scalars are strongly typed (np.float64 is a float subclass)
    if isinstance(x, bool):
        return np.dtype(np.bool_)
    for kind in (int, float, complex):
        if isinstance(x, kind):
            return kind
    return np.asarray(x).dtype


# The result's (shape, storage dtype name) per ufunc and operand signature: numpy's
# dtype resolution and shape broadcasting cost more than a small op itself. Keys hold
# only dtypes, shapes and the weak Python scalar types, so they stay small.
_PLANS: dict[tuple[Any, ...], tuple[tuple[int, ...], str]] = {}
_PLANS_MAX = 4096
_WEAK = (bool, int, float, complex)


def _plan(ufunc: np.ufunc, operands: tuple[Any, ...]) -> tuple[tuple[int, ...], str]:
    dtype = ufunc.resolve_dtypes(tuple([dtype_of(x) for x in operands]) + (None,))[-1]
    shape = np.broadcast_shapes(*[np.shape(x) for x in operands])
    if dtype not in _storage.DTYPES:
        new(shape, dtype, ufunc.__name__)  # the TypeError naming the op and the dtype
    return shape, _storage.DTYPES[dtype]


def shape_of(x: Any) -> tuple[int, ...]:
    """``np.shape(x)``, without its cost for arrays and Python scalars."""
    if isinstance(x, np.ndarray):
        return x.shape
    return () if type(x) in _WEAK else np.shape(x)


def ufunc_into(ufunc: np.ufunc, *operands: Any, out: np.ndarray | None = None) -> np.ndarray:
    """``ufunc(*operands)`` into ``out``, or new storage of numpy's result shape and dtype."""
    if out is None:
        key: list[Any] | None = [ufunc]
        for x in operands:
            kind = type(x)
            if kind in _WEAK:
                key.append(kind)  # type: ignore[union-attr]
            elif kind is np.ndarray or isinstance(x, (np.ndarray, np.generic)):
                key.append(x.dtype)  # type: ignore[union-attr]
                key.append(x.shape)  # type: ignore[union-attr]
            else:
                key = None  # lists and the like: resolved each time
                break
        found = key is not None and tuple(key)
        plan = _PLANS.get(found) if found else None
        if plan is None:
            plan = _plan(ufunc, operands)
            if found:
                if len(_PLANS) >= _PLANS_MAX:
                    _PLANS.clear()
                _PLANS[found] = plan
        out = _C.storage_array(plan[0], plan[1], False)
    ufunc(*operands, out=out)
    return out


def operand(other: Any) -> Any:
    """The other operand of a binary operator, or None when we do not handle its type."""
    if isinstance(other, (Tensor, int, float, complex, np.ndarray, np.generic)):
        return other
    if isinstance(other, (list, tuple)):
        return Tensor(other)
    return None


def real_operand(value: Any, op: str, name: str) -> Any:
    """A binary function's operand: Tensors, arrays and (weak) Python scalars, as the
    operators take, but not complex numbers; anything else is a TypeError."""
    out = operand(value)
    if out is None or isinstance(out, complex):
        raise TypeError(f"{op}: {name} must be a Tensor, array or real number, got {value!r}")
    return out


def as_tensor(value: Any, op: str, name: str = "input_") -> Any:
    """``value`` as a Tensor; anything else goes through Tensor's constructor rules."""
    if isinstance(value, Tensor):
        return value
    if not isinstance(value, (np.ndarray, np.generic, list, tuple, *REAL)):
        raise TypeError(f"{op}: {name} must be a Tensor or array-like, got {value!r}")
    try:
        return Tensor(value)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{op}: {name}: {err}") from None


def alias_arg(name: str, value: Any, alias: str, alias_value: Any, default: Any) -> Any:
    """An argument that has two names (lucid's ``axis``, PyTorch's ``dim``): whichever was
    given (not None), ``default`` when neither, a TypeError when both."""
    if alias_value is None:
        return default if value is None else value
    if value is not None:
        raise TypeError(f"pass {name}= or {alias}=, not both")
    return alias_value


def axis_args(axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> tuple[Any, bool]:
    """lucid's ``axis``/``keepdims`` or PyTorch's ``dim``/``keepdim``, not both."""
    return alias_arg("axis", axis, "dim", dim, None), bool(
        alias_arg("keepdims", keepdims, "keepdim", keepdim, False)
    )


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence of ints) as sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    if any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in items):
        raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")
    return tuple(sorted(normalize_axis_tuple(tuple(items), ndim)))


def shape_arg(shape: tuple[Any, ...]) -> tuple[int, ...]:
    """A shape given as ints or as one tuple or list of them."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    if any(isinstance(s, bool) or not isinstance(s, (int, np.integer)) for s in shape):
        raise ValueError(f"shape must be ints, got {shape!r}")
    return tuple(int(s) for s in shape)


def index_arg(index: Any) -> Any:
    """An index with its Tensors replaced by their arrays, for numpy."""
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    return index.data if isinstance(index, Tensor) else index
