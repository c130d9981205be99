"""Ops that move elements without computing new values: reshape, transpose, indexing
(getitem, setitem), where, concatenate and stack, with their function forms.

Backward sends each input its part of the gradient: ``reshape`` and ``transpose`` the
gradient reshaped or permuted back, ``getitem`` scattered into zeros, ``where`` the
positions each side was picked at (summed back over broadcast axes), ``concatenate``
and ``stack`` the slice each was placed in. Only ``reshape`` shares its input's storage;
the others copy into new storage, so every tensor stays C-contiguous.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import (
    as_tensor,
    index_arg,
    new,
    normalize_axes,
    normalize_axis_tuple,
    real_operand,
    shape_arg,
)
from lucid._tensor import Tensor
from lucid.autograd.function import Function, unbroadcast

__all__ = [
    "Concatenate",
    "GetItem",
    "Reshape",
    "SetItem",
    "Stack",
    "Transpose",
    "Where",
    "concatenate",
    "getitem",
    "reshape",
    "stack",
    "transpose",
    "where",
]


class Reshape(Function):
    """A new shape over the same storage: tensors are C-contiguous, so no copy is made."""

    is_view = True

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.in_shape = a.shape
        return a.reshape(shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad.reshape(self.in_shape),)


class Transpose(Function):
    """Axes permuted (reversed when ``axes`` is None), copied to stay C-contiguous."""

    def forward(self, a: np.ndarray, axes: Any = None) -> np.ndarray:
        if axes is None:
            axes = tuple(reversed(range(a.ndim)))
        items = tuple(axes)
        if any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in items):
            raise TypeError(f"transpose: axes must be ints, got {axes!r}")
        self.axes = normalize_axis_tuple(items, a.ndim)
        if len(self.axes) != a.ndim:
            raise ValueError(
                f"transpose: axes {axes!r} must list each of the {a.ndim} dimensions of "
                f"shape {a.shape} once"
            )
        view = a.transpose(self.axes)
        out = new(view.shape, a.dtype, "transpose")
        np.copyto(out, view)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad.transpose(np.argsort(self.axes)),)


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(
        i is None or i is Ellipsis or isinstance(i, slice)
        or (isinstance(i, (int, np.integer)) and not isinstance(i, bool))
        for i in items
    )  # fmt: skip


def _own_index(index: Any) -> Any:
    """``index`` with its arrays copied: an index tensor written in place later must not
    move the positions backward scatters to."""
    if isinstance(index, tuple):
        return tuple(np.array(i) if isinstance(i, np.ndarray) else i for i in index)
    return np.array(index) if isinstance(index, np.ndarray) else index


def _fit(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``grad`` summed to ``shape``, which numpy's assignment broadcast to grad's shape
    (leading ones included, which assignment drops but broadcasting does not)."""
    if grad.ndim < len(shape):
        grad = grad.reshape((1,) * (len(shape) - grad.ndim) + grad.shape)
    return unbroadcast(grad, shape)


class GetItem(Function):
    """numpy indexing, copied into new storage; backward scatters into zeros."""

    def forward(self, a: np.ndarray, index: Any) -> np.ndarray:
        view = a[index]
        self.index, self.in_shape = _own_index(index), a.shape
        out = new(np.shape(view), a.dtype, "getitem")
        np.copyto(out, view)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        full = np.zeros(self.in_shape, grad.dtype)
        if _is_basic(self.index):
            full[self.index] = grad  # basic indexing never repeats an element
        else:
            np.add.at(full, self.index, grad)  # integer arrays may repeat one
        return (full,)


class SetItem(Function):
    """``x[index] = value`` in place (lucid._ops.inplace): x's gradient is zero where it
    was overwritten, value's is the gradient there, summed over the axes it was broadcast."""

    def forward(self, x: np.ndarray, value: Any, index: Any) -> np.ndarray:
        self.index, self.value_shape = _own_index(index), np.shape(value)
        x[index] = value
        return x

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_x, need_value = self.needs_input_grad
        grad_x = None
        if need_x:
            grad_x = np.array(grad)  # a copy: the gradient given may be read-only
            grad_x[self.index] = 0
        grad_value = _fit(grad[self.index], self.value_shape) if need_value else None
        return (grad_x, grad_value)


class Where(Function):
    """``input_`` where ``condition`` is true, ``other`` elsewhere, all three broadcast."""

    saved_inputs = {0: None}  # the condition routes both gradients

    def forward(self, condition: np.ndarray, a: Any, b: Any) -> np.ndarray:
        self.condition, self.shapes = condition, (np.shape(a), np.shape(b))
        try:
            shape = np.broadcast_shapes(condition.shape, *self.shapes)
        except ValueError:
            raise ValueError(
                f"where: condition shape {condition.shape}, input_ shape {self.shapes[0]} and "
                f"other shape {self.shapes[1]} do not broadcast together"
            ) from None
        out = new(shape, np.result_type(a, b), "where")
        np.copyto(out, b)
        np.copyto(out, a, where=condition)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        _, need_a, need_b = self.needs_input_grad
        cond = self.condition
        return (
            None,
            unbroadcast(np.where(cond, grad, 0), self.shapes[0]) if need_a else None,
            unbroadcast(np.where(cond, 0, grad), self.shapes[1]) if need_b else None,
        )


class Concatenate(Function):
    def forward(self, *arrays: np.ndarray, axis: int) -> np.ndarray:
        sizes = [a.shape[axis] for a in arrays]
        self.axis, self.bounds = axis, np.cumsum(sizes)[:-1]
        shape = (*arrays[0].shape[:axis], int(np.sum(sizes)), *arrays[0].shape[axis + 1 :])
        out = new(shape, np.result_type(*arrays), "concatenate")
        np.concatenate(arrays, axis=axis, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        parts = np.split(grad, self.bounds, axis=self.axis)
        return tuple(
            p if need else None for p, need in zip(parts, self.needs_input_grad, strict=True)
        )


class Stack(Function):
    def forward(self, *arrays: np.ndarray, axis: int) -> np.ndarray:
        self.axis = axis
        first = arrays[0].shape
        out = new((*first[:axis], len(arrays), *first[axis:]), np.result_type(*arrays), "stack")
        np.stack(arrays, axis=axis, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        lead: tuple[Any, ...] = (slice(None),) * self.axis
        return tuple(
            grad[(*lead, i)] if need else None for i, need in enumerate(self.needs_input_grad)
        )


# ---- function forms -----------------------------------------------------------------


def reshape(input_: Any, *shape: Any) -> Any:
    """The same values in ``shape`` (ints or one tuple; one -1 is inferred), sharing the
    input's storage."""
    return Reshape.apply(input_, shape=shape_arg(shape))


def transpose(input_: Any, *axes: Any) -> Any:
    """Axes permuted as ``axes`` (ints or one tuple); reversed when none are given."""
    if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
        axes = tuple(axes[0])
    return Transpose.apply(input_, axes=axes or None)


def getitem(input_: Any, index: Any) -> Any:
    """``input_[index]`` with numpy's indexing rules; index tensors are read as arrays."""
    return GetItem.apply(input_, index=index_arg(index))


def where(condition: Any, input_: Any, other: Any) -> Any:
    """Elements of ``input_`` where ``condition`` (a bool tensor or array) is true, else of
    ``other``; the three broadcast together. Gradients flow to both branches, each at the
    positions it was picked from. Two Python numbers give a float32 (or bool) tensor, as
    ``lucid.tensor`` would; a Python number beside a tensor takes the tensor's dtype."""
    cond = condition if isinstance(condition, Tensor) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor or array, got dtype {cond.dtype}")
    a, b = real_operand(input_, "where", "input_"), real_operand(other, "where", "other")
    if not any(isinstance(x, (Tensor, np.ndarray, np.generic)) for x in (a, b)):
        a, b = Tensor(a), Tensor(b)
    # A condition tensor goes in as an input, so a write into it after forward is caught.
    return Where.apply(cond, a, b)


def _tensors(tensors: Any, op: str) -> list[Any]:
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{op}: tensors must be a list or tuple of tensors, got {type(tensors).__name__}"
        )
    if not tensors:
        raise ValueError(f"{op}: tensors is empty; give at least one tensor")
    return [as_tensor(t, op, f"tensors[{i}]") for i, t in enumerate(tensors)]


def _axis(axis: Any, ndim: int, op: str) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{op}: axis must be an int, got {axis!r}")
    return normalize_axes(axis, ndim)[0]  # out of range: numpy's AxisError, a ValueError


def concatenate(tensors: Any, axis: int = 0) -> Any:
    """The tensors joined along an existing ``axis``; their shapes must match on every
    other axis. The result has their promoted dtype; each gets its slice of the gradient."""
    items = _tensors(tensors, "concatenate")
    ref = items[0].shape
    if not ref:
        raise ValueError("concatenate: 0-d tensors cannot be concatenated; tensors[0] has shape ()")
    ax = _axis(axis, len(ref), "concatenate")
    for i, t in enumerate(items[1:], 1):
        s = t.shape
        if len(s) != len(ref) or s[:ax] + s[ax + 1 :] != ref[:ax] + ref[ax + 1 :]:
            raise ValueError(
                f"concatenate: shapes must match except along axis {ax}; tensors[0] has shape "
                f"{ref} but tensors[{i}] has shape {t.shape}"
            )
    return Concatenate.apply(*items, axis=ax)


def stack(tensors: Any, axis: int = 0) -> Any:
    """The tensors, all of one shape, joined along a new ``axis`` (-1: the last)."""
    items = _tensors(tensors, "stack")
    ref = items[0].shape
    for i, t in enumerate(items[1:], 1):
        if t.shape != ref:
            raise ValueError(
                f"stack: all tensors must have one shape; tensors[0] has shape {ref} but "
                f"tensors[{i}] has shape {t.shape}"
            )
    return Stack.apply(*items, axis=_axis(axis, len(ref) + 1, "stack"))
