"""Element-wise ops with integer or bool results, so no gradient: floor division (``//``)
and the bitwise ops ``&``, ``|``, ``^``, ``~`` on bool and integer tensors.

None is a Function: an integer or bool result is never part of the graph (as lucid 2.x,
whose floor division and bitwise ops have no gradient either), so each computes into new
storage and wraps it.

Floor division gives int64 whatever its operands, as lucid 2.x's ``//`` casts its result
to an integer dtype (PyTorch keeps floats); a quotient that is not finite (division by
zero, inf or nan operands) has no integer value, so it is a ValueError rather than the
garbage integer a cast would give. Integer division by zero is one too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import dtype_of, new, real_operand, ufunc_into
from lucid._tensor import Tensor

__all__ = ["bitwise_and", "bitwise_not", "bitwise_or", "bitwise_xor", "floor_divide"]

_I64 = np.dtype(np.int64)


def _values(x: Any) -> Any:
    return x._data if isinstance(x, Tensor) else x


def floor_divide(a: Any, b: Any) -> Tensor:
    """``a // b`` rounded toward -inf, as an int64 tensor (lucid 2.x); no gradient."""
    a = _values(real_operand(a, "floor_divide", "a"))
    b = _values(real_operand(b, "floor_divide", "b"))
    if np.any(np.asarray(b) == 0):
        raise ValueError("floor_divide: division by zero (b has a zero element)")
    with np.errstate(invalid="ignore"):
        quotient = np.floor_divide(a, b)
    if quotient.dtype.kind == "f" and not np.all(np.isfinite(quotient)):
        raise ValueError(
            "floor_divide: a quotient is inf or nan (an operand is not finite), which has "
            "no int64 value"
        )
    out = new(np.shape(quotient), _I64, "floor_divide")
    np.copyto(out, quotient, casting="unsafe")
    return Tensor._wrap(out)


def _integral(x: Any, op: str, name: str) -> Any:
    """``x`` as bitwise ops take it: a bool or integer Tensor, array or Python value."""
    x = real_operand(x, op, name)
    dtype = dtype_of(_values(x))  # a Python int stays weak: t & 1 keeps t's dtype
    if not (dtype.kind in "biu" if isinstance(dtype, np.dtype) else dtype is int):
        shown = dtype if isinstance(dtype, np.dtype) else dtype.__name__
        raise TypeError(f"{op}: {name} must be a bool or integer tensor, got {shown}")
    return _values(x)


def _bitwise(ufunc: np.ufunc, op: str, a: Any, b: Any) -> Tensor:
    return Tensor._wrap(ufunc_into(ufunc, _integral(a, op, "a"), _integral(b, op, "b")))


def bitwise_and(a: Any, b: Any) -> Tensor:
    """``a & b``: logical and of bools, bitwise and of integers; no gradient."""
    return _bitwise(np.bitwise_and, "bitwise_and", a, b)


def bitwise_or(a: Any, b: Any) -> Tensor:
    """``a | b``: logical or of bools, bitwise or of integers; no gradient."""
    return _bitwise(np.bitwise_or, "bitwise_or", a, b)


def bitwise_xor(a: Any, b: Any) -> Tensor:
    """``a ^ b``: exclusive or of bools, bitwise of integers; no gradient."""
    return _bitwise(np.bitwise_xor, "bitwise_xor", a, b)


def bitwise_not(a: Any) -> Tensor:
    """``~a``: logical not of bools, bitwise not (-a - 1) of integers; no gradient."""
    return Tensor._wrap(ufunc_into(np.invert, _integral(a, "bitwise_not", "a")))
