"""Ops that pick or place elements by position: where, concatenate, stack.

Backward sends each input its part of the gradient: ``where`` the positions it was
picked at (summed back over broadcast axes), ``concatenate`` and ``stack`` the slice it
was placed in. Indexing itself (``tensor[index]``) is ``_ops.GetItem``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _tensor
from lucid._math import _as_tensor, _operand
from lucid._ops import _new, normalize_axes
from lucid.autograd.function import Function, unbroadcast

__all__ = ["concatenate", "stack", "where"]


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
        out = _new(shape, np.result_type(a, b), "where")
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
        out = _new(shape, np.result_type(*arrays), "concatenate")
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
        out = _new((*first[:axis], len(arrays), *first[axis:]), np.result_type(*arrays), "stack")
        np.stack(arrays, axis=axis, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        lead: tuple[Any, ...] = (slice(None),) * self.axis
        return tuple(
            grad[(*lead, i)] if need else None for i, need in enumerate(self.needs_input_grad)
        )


def where(condition: Any, input_: Any, other: Any) -> Any:
    """Elements of ``input_`` where ``condition`` (a bool tensor or array) is true, else of
    ``other``; the three broadcast together. Gradients flow to both branches, each at the
    positions it was picked from. Two Python numbers give a float32 (or bool) tensor, as
    ``lucid.tensor`` would; a Python number beside a tensor takes the tensor's dtype."""
    tensor_cls = _tensor.Tensor
    cond = condition if isinstance(condition, tensor_cls) else np.asarray(condition)
    if cond.dtype != np.bool_:
        raise TypeError(f"where: condition must be a bool tensor or array, got dtype {cond.dtype}")
    a, b = _operand(input_, "where", "input_"), _operand(other, "where", "other")
    if not any(isinstance(x, (tensor_cls, np.ndarray, np.generic)) for x in (a, b)):
        a, b = tensor_cls(a), tensor_cls(b)
    # A condition tensor goes in as an input, so a write into it after forward is caught.
    return Where.apply(cond, a, b)


def _tensors(tensors: Any, op: str) -> list[Any]:
    if not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{op}: tensors must be a list or tuple of tensors, got {type(tensors).__name__}"
        )
    if not tensors:
        raise ValueError(f"{op}: tensors is empty; give at least one tensor")
    return [_as_tensor(t, op, f"tensors[{i}]") for i, t in enumerate(tensors)]


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
