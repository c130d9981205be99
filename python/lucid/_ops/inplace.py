"""In-place writes through lucid's API and how autograd records them, by PyTorch's rules.

Every write into an existing tensor's storage (``+=``, ``x[i] = v``, ``inplace=True``
activations and dropout, optimizer steps, ``nn.init``) bumps the storage's version
counter, so a backward that would read overwritten values refuses to run
(lucid.autograd.versions) instead of giving a wrong gradient.

- A leaf that requires grad, or a reshape of one, may not be written in place while
  grad mode is on (RuntimeError); under ``lucid.no_grad()`` it may, which is how
  optimizers and ``nn.init`` write parameters.
- In grad mode, a write whose target or operands require grad is recorded: the new node
  becomes the target's history, with the old history as its parent. Ops that read the
  tensor before the write keep the old node as their parent, so their gradient still
  goes there. The target's reshapes get the new history too, as a reshape of it.
- When backward needs the values the write destroys (``x *= y`` needs x for y's
  gradient), forward is given a copy of them, as PyTorch's ``original_self``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage
from lucid._ops._common import dtype_of, index_arg, operand
from lucid._ops.elementwise import Add, Div, Mul, Sub
from lucid._ops.movement import Reshape, SetItem
from lucid._tensor import Tensor
from lucid.autograd.function import Function, grad_enabled, parents_of
from lucid.autograd.versions import family, needed
from lucid.autograd.versions import record as saved_version

__all__ = ["apply_inplace", "bump", "iadd", "imul", "isub", "itruediv", "setitem"]


def bump(*tensors: Any) -> None:
    """Count one in-place write into each tensor's storage."""
    for tensor in tensors:
        tensor._version_counter.value += 1


def _describe(tensor: Any) -> str:
    return f"a {tensor.dtype} tensor of shape {tensor.shape}"


def check_writable(op: str, target: Any) -> None:
    """Refuse, in grad mode, the in-place writes PyTorch refuses (no-op otherwise)."""
    if not grad_enabled():
        return
    members = family(target)
    for member in members:
        if member._ctx is None and member._requires_grad:
            what = "a leaf Variable" if member is target else "a view of a leaf Variable"
            raise RuntimeError(
                f"{op}: {what} that requires grad is being used in an in-place operation "
                f"({_describe(member)}); write into it under lucid.no_grad(), as optimizers "
                "and nn.init do, or write out of place"
            )
    if any(m._requires_grad for m in members) and not all(m._requires_grad for m in members):
        raise RuntimeError(
            f"{op}: this tensor ({_describe(target)}) shares its storage with a reshape, and "
            "only some of them require grad (one was made under lucid.no_grad()), so the "
            "write cannot be recorded for all of them; make the reshape and the write both "
            "inside lucid.no_grad() or both outside"
        )


def apply_inplace(
    op: str, fn: type[Function] | Function, target: Any, *others: Any, **kwargs: Any
) -> Any:
    """Run ``fn`` (a Function class, or a node made by the caller, which then reads what
    forward kept on it) on ``(target, *others)`` with the result written into
    ``target``'s storage; returns ``target``. ``op`` names the operation in errors.

    ``fn.forward`` writes into ``kwargs["out"]`` when the caller passes target's array
    there, or returns new values, which are copied in.
    """
    tensor_cls = Tensor
    inputs = (target, *others)
    recording = grad_enabled()
    check_writable(op, target)
    ctx = fn() if isinstance(fn, type) else fn
    needs = ctx.needs_input_grad = tuple(
        isinstance(x, tensor_cls) and x._requires_grad for x in inputs
    )
    record = recording and True in needs and target.dtype.kind == "f"
    arrays = [x._data if isinstance(x, tensor_cls) else x for x in inputs]
    saved = []
    if record:
        for i in needed(ctx, inputs, needs, tensor_cls):
            x = inputs[i]
            if x._version_counter is target._version_counter:
                arrays[i] = _storage.copy_of(arrays[i])  # this write destroys them
            else:
                saved.append(saved_version(i, x))
    result = ctx.forward(*arrays, **kwargs)
    if result is not target._data:
        np.copyto(target._data, result)
    bump(target)
    if record:
        if ctx.saved_output:
            saved.append(saved_version(None, target))
        ctx._saved = tuple(saved)
        ctx.parents = parents_of(inputs, needs)
        _rebase(target, ctx)
    return target


def _rebase(target: Any, ctx: Function) -> None:
    """Make ``ctx`` the history of ``target``, and a reshape of it that of its reshapes."""
    for member in family(target):
        if member._ctx is not None:
            member._ctx._out = None  # keep_grad now means the gradient of the new values
        if member is target:
            ctx._set_output(target)
            continue
        node = Reshape()
        node.in_shape = target.shape
        node.needs_input_grad = (True,)
        node.parents = (ctx,)
        node._set_output(member)


# ---- the operators --------------------------------------------------------------------


def _binary(op: str, fn: type[Function], ufunc: np.ufunc, target: Any, other: Any) -> Any:
    other = operand(other)
    if other is None:
        return NotImplemented
    values = other._data if isinstance(other, Tensor) else other
    try:
        shape = np.broadcast_shapes(target.shape, np.shape(values))
    except ValueError:
        shape = None
    if shape != target.shape:
        raise ValueError(
            f"{op}: an operand of shape {np.shape(values)} does not broadcast to the "
            f"tensor's shape {target.shape}, so the result cannot be written into it"
        )
    dtype = ufunc.resolve_dtypes((target.dtype, dtype_of(values), None))[-1]
    if not np.can_cast(dtype, target.dtype, "same_kind"):
        raise TypeError(
            f"{op}: the result would be {dtype}, which cannot be written into a "
            f"{target.dtype} tensor in place; write x = x {op[0]} y to get a new tensor"
        )
    return apply_inplace(op, fn, target, other, out=target._data)


def iadd(target: Any, other: Any) -> Any:
    """``target += other`` into target's storage."""
    return _binary("+=", Add, np.add, target, other)


def isub(target: Any, other: Any) -> Any:
    """``target -= other`` into target's storage."""
    return _binary("-=", Sub, np.subtract, target, other)


def imul(target: Any, other: Any) -> Any:
    """``target *= other`` into target's storage."""
    return _binary("*=", Mul, np.multiply, target, other)


def itruediv(target: Any, other: Any) -> Any:
    """``target /= other`` into target's storage."""
    return _binary("/=", Div, np.true_divide, target, other)


def setitem(target: Any, index: Any, value: Any) -> None:
    """``target[index] = value`` (numpy's indexing and broadcasting), recorded in grad mode
    when target or value requires grad."""
    apply_inplace("__setitem__", SetItem, target, value, index=index_arg(index))
