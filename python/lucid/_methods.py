"""Tensor's operators and math methods, bound from one table onto lucid._tensor.Tensor.

lucid._tensor defines the class and its data plumbing and imports no op; the ops in
lucid._ops import Tensor. This module sits above both and attaches the ops: importing
it (lucid/__init__.py does, after the op modules) completes the class. A method is the
function form itself where the tensor is the first argument (``x.sum(dim=0)`` is
``lucid.sum(x, dim=0)``, so the ``axis=``/``dim=`` and ``keepdims=``/``keepdim=``
aliases are handled once, in lucid._ops._common.axis_args).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lucid import _dtypes
from lucid._ops import (
    data,
    elementwise,
    inplace,
    integer,
    layout,
    linalg,
    matrices,
    movement,
    ordering,
    pieces,
    products,
    reduce,
    repeats,
    selection,
    shapes,
    unary,
    views,
)
from lucid._ops._common import operand
from lucid._tensor import Tensor
from lucid.autograd import hooks
from lucid.autograd.function import Function

__all__ = ["METHODS"]

# Operand types that operand() returns as they are.
_TAKEN = frozenset([Tensor, int, float, np.ndarray])


def _binary(apply: Callable[[Any, Any], Any]) -> Callable[[Tensor, Any], Any]:
    """``tensor <op> other``; NotImplemented for an operand type we do not take."""

    def method(self: Tensor, other: Any) -> Any:
        if type(other) not in _TAKEN:  # the common operands skip operand()'s tests
            other = operand(other)
            if other is None:
                return NotImplemented
        return apply(self, other)

    return method


def _operator(fn: type[Function]) -> Callable[[Tensor, Any], Any]:
    """``tensor <op> other`` for a Function: ``_binary(fn.apply)`` one call shorter
    (``fn().run``), since the arithmetic operators are the most called of all."""

    def method(self: Tensor, other: Any) -> Any:
        if type(other) not in _TAKEN:
            other = operand(other)
            if other is None:
                return NotImplemented
        return fn().run(self, other)

    return method


def _reflected(apply: Callable[[Any, Any], Any]) -> Callable[[Tensor, Any], Any]:
    """``other <op> tensor``, when ``other`` does not handle it."""

    def method(self: Tensor, other: Any) -> Any:
        other = operand(other)
        if other is None:
            return NotImplemented
        return apply(other, self)

    return method


def _comparison(ufunc: np.ufunc) -> Callable[[Tensor, Any], Any]:
    """A comparison: a bool tensor, never part of a graph."""

    def method(self: Tensor, other: Any) -> Any:
        other = operand(other)
        if other is None:
            return NotImplemented
        other = other._data if isinstance(other, Tensor) else other
        return Tensor._wrap(elementwise.compare(ufunc, self._data, other))

    return method


def _neg(self: Tensor) -> Any:
    return elementwise.Neg.apply(self)


def _where(self: Tensor, condition: Any, other: Any) -> Any:
    """This tensor where ``condition`` is true, ``other`` elsewhere (PyTorch's order)."""
    return movement.where(condition, self, other)


def _t(self: Tensor) -> Any:
    """All axes reversed."""
    return movement.transpose(self)


def _mt(self: Tensor) -> Any:
    """The last two axes swapped (a batch of matrices, each transposed)."""
    if self.ndim < 2:
        raise ValueError(f"mT needs a tensor of at least 2 dimensions, got shape {self.shape}")
    return movement.transpose(self, (*range(self.ndim - 2), self.ndim - 1, self.ndim - 2))


def _rpow(self: Tensor, base: Any) -> Any:
    """``base ** tensor`` (``2 ** t``), differentiable in the exponent."""
    base = operand(base)
    if base is None:
        return NotImplemented
    return elementwise.rpow(self, base)


def _to(
    self: Tensor,
    *args: Any,
    dtype: Any = None,
    device: Any = None,
    copy: bool = False,
    non_blocking: bool = False,
) -> Any:
    """This tensor on ``device`` ("cpu", the only one) in ``dtype``, given positionally
    (a device: a string or a number; a dtype; a tensor whose dtype to take) or by
    keyword: itself when nothing changes (unless ``copy``), else a copy as ``astype``
    makes. ``non_blocking`` is moot on the CPU."""
    target = None
    for arg in args:
        if isinstance(arg, (str, int, float, np.number)) and not isinstance(arg, bool):
            _dtypes.check_device(arg)
            continue
        if target is not None:
            raise TypeError(f"to: two dtypes given, {target!r} and {arg!r}")
        target = arg.dtype if isinstance(arg, Tensor) else arg
    _dtypes.check_device(device)
    if dtype is not None:
        if target is not None:
            raise TypeError(f"to: dtype given both positionally ({target!r}) and by keyword")
        target = dtype
    if target is not None and _dtypes.cast_dtype(target, self.dtype) != self.dtype:
        return elementwise.astype(self, target)
    return elementwise.clone(self) if copy else self


def _cpu(self: Tensor) -> Tensor:
    """This tensor itself: it is on the CPU already."""
    return self


def _cast(dtype: Any, name: str) -> Any:
    def method(self: Tensor) -> Any:
        return elementwise.astype(self, dtype)

    method.__name__ = name
    method.__doc__ = f"A copy as {np.dtype(dtype)} (``astype``)."
    return method


#: Every operator and math method of Tensor, by name.
METHODS: dict[str, Any] = {
    # arithmetic
    "__add__": _operator(elementwise.Add),
    "__radd__": _reflected(elementwise.Add.apply),
    "__sub__": _operator(elementwise.Sub),
    "__rsub__": _reflected(elementwise.Sub.apply),
    "__mul__": _operator(elementwise.Mul),
    "__rmul__": _reflected(elementwise.Mul.apply),
    "__truediv__": _operator(elementwise.Div),
    "__rtruediv__": _reflected(elementwise.Div.apply),
    "__matmul__": _binary(linalg.MatMul.apply),
    "__rmatmul__": _reflected(linalg.MatMul.apply),
    "dot": products.dot,
    "__neg__": _neg,
    "__pow__": elementwise.pow,
    "__rpow__": _rpow,
    # integer results, no gradient
    "__floordiv__": _binary(integer.floor_divide),
    "__rfloordiv__": _reflected(integer.floor_divide),
    "__and__": _binary(integer.bitwise_and),
    "__rand__": _reflected(integer.bitwise_and),
    "__or__": _binary(integer.bitwise_or),
    "__ror__": _reflected(integer.bitwise_or),
    "__xor__": _binary(integer.bitwise_xor),
    "__rxor__": _reflected(integer.bitwise_xor),
    "__invert__": integer.bitwise_not,
    # in place, into the tensor's storage, recorded in the graph
    "__iadd__": inplace.iadd,
    "__isub__": inplace.isub,
    "__imul__": inplace.imul,
    "__itruediv__": inplace.itruediv,
    "__setitem__": inplace.setitem,
    # comparisons
    "__eq__": _comparison(np.equal),
    "__ne__": _comparison(np.not_equal),
    "__lt__": _comparison(np.less),
    "__le__": _comparison(np.less_equal),
    "__gt__": _comparison(np.greater),
    "__ge__": _comparison(np.greater_equal),
    # element-wise math and casts
    "exp": elementwise.exp,
    "log": elementwise.log,
    "sqrt": elementwise.sqrt,
    "abs": elementwise.abs,
    "__abs__": elementwise.abs,
    "clip": elementwise.clip,
    "maximum": elementwise.maximum,
    "minimum": elementwise.minimum,
    "astype": elementwise.astype,
    "float": _cast(np.float32, "float"),
    "double": _cast(np.float64, "double"),
    "long": _cast(np.int64, "long"),
    "int": _cast(np.int64, "int"),
    "bool": _cast(np.bool_, "bool"),
    "clone": elementwise.clone,
    "floor": unary.floor,
    "ceil": unary.ceil,
    "round": unary.round,
    "to": _to,
    "cpu": _cpu,
    # reductions
    "sum": reduce.sum,
    "mean": reduce.mean,
    "max": reduce.max,
    "min": reduce.min,
    "argmax": reduce.argmax,
    "argmin": reduce.argmin,
    "var": reduce.var,
    "std": reduce.std,
    # shapes and positions
    "reshape": movement.reshape,
    "view": views.view,
    "flatten": views.flatten,
    "squeeze": views.squeeze,
    "unsqueeze": views.unsqueeze,
    "transpose": movement.transpose,
    "swapaxes": shapes.swapaxes,
    "ravel": shapes.ravel,
    "tril": matrices.tril,
    "triu": matrices.triu,
    "sort": ordering.sort,
    "tile": repeats.tile,
    "repeat": repeats.repeat,
    "T": property(_t),
    "mT": property(_mt),
    "__getitem__": movement.getitem,
    "where": _where,
    # lucid 2.x's later names (lucid._ops.layout, pieces, selection, data)
    "broadcast_to": layout.broadcast_to,
    "pad": layout.pad,
    "roll": layout.roll,
    "diagonal": layout.diagonal,
    "masked_fill": layout.masked_fill,
    "split": pieces.split,
    "chunk": pieces.chunk,
    "unbind": pieces.unbind,
    "nonzero": selection.nonzero,
    "unique": selection.unique,
    "matmul": linalg.matmul,
    "all": data.all,
    "any": data.any,
    "zero": data.zero,
    "copy_data": staticmethod(data.copy_data),
    "copy_grad": staticmethod(data.copy_grad),
    "register_hook": hooks.register_hook,
}

for _name, _value in METHODS.items():
    setattr(Tensor, _name, _value)
