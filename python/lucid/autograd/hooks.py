"""Gradient hooks: ``Tensor.register_hook(hook)``.

A hook is called as ``hook(tensor, grad)`` (lucid 2.x's calling convention; PyTorch's
one-argument ``hook(grad)`` is a TypeError there and here) with the gradient that
reached the tensor in this backward pass, a numpy array, before it is accumulated into
a leaf's ``.grad`` or passed on to the ops that made the tensor (PyTorch's timing).
A hook that returns something other than None replaces the gradient with it (a Tensor
or an array of the tensor's shape), as in PyTorch; lucid 2.x ignores what hooks return.
``register_hook`` returns a handle whose ``remove()`` (or a call, lucid 2.x's
spelling) unregisters the hook.

The hooks live on the graph node that made the tensor's values when the hook is
registered, so the backward walk finds them as an attribute of the node; a leaf's are
in a weak table here instead (an attribute of the tensor would be copied and pickled
with it, and hooks are neither, as in lucid 2.x). ``run`` is what the walk calls for
each node.

``queue_callback(fn)``, called during a backward pass (from a hook), runs ``fn()`` once
when that pass's walk ends, after every leaf gradient is stored (PyTorch's
``queue_callback`` of its execution engine): what data-parallel training needs to reduce
the gradients once they are all in.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from lucid.autograd import function

__all__ = [
    "RemovableHandle",
    "drop_callbacks",
    "queue_callback",
    "register_hook",
    "registered",
    "run",
    "run_callbacks",
]

_ids = itertools.count()
#: How many hooks were ever registered: until the first, backward skips ``run``.
registered = 0
# id(leaf tensor) -> (a weak reference to it, its hooks). Keyed by id, not by the tensor:
# a WeakKeyDictionary compares keys with ==, which is element-wise on tensors. The
# reference's callback drops the entry when the tensor goes.
_leaf_hooks: dict[int, tuple[Any, dict[int, Any]]] = {}
#: What queue_callback queued in the running backward pass, in order; empty otherwise.
callbacks: list[Callable[[], Any]] = []


def _leaf_table(tensor: Any) -> dict[int, Any] | None:
    entry = _leaf_hooks.get(id(tensor))
    if entry is None or entry[0]() is not tensor:
        return None
    return entry[1]


def _new_leaf_table(tensor: Any) -> dict[int, Any]:
    key = id(tensor)

    def forget(ref: Any, table: dict[int, Any] = _leaf_hooks) -> None:
        # The table is bound here: at interpreter exit module globals may be gone.
        entry = table.get(key)
        if entry is not None and entry[0] is ref:
            del table[key]

    hooks: dict[int, Any] = {}
    _leaf_hooks[key] = (weakref.ref(tensor, forget), hooks)
    return hooks


class RemovableHandle:
    """What ``register_hook`` returns: ``remove()`` unregisters the hook (a second call
    does nothing); calling the handle does the same, as lucid 2.x's returned function."""

    def __init__(self, hooks: dict[int, Any], key: int) -> None:
        self._hooks, self._key = hooks, key

    def remove(self) -> None:
        self._hooks.pop(self._key, None)

    __call__ = remove


def register_hook(self: Any, hook: Callable[[Any, np.ndarray], Any]) -> RemovableHandle:
    """Call ``hook(tensor, grad)`` whenever a gradient reaches this tensor in backward;
    a returned Tensor or array replaces the gradient. Returns a removable handle."""
    if not callable(hook):
        raise TypeError(f"register_hook: hook must be callable, got {hook!r}")
    node = self._ctx
    if node is None:
        hooks = _leaf_table(self)
        if hooks is None:
            hooks = _new_leaf_table(self)
    else:
        hooks = node.__dict__.get("_hooks")
        if hooks is None:
            hooks = node._hooks = {}
    global registered
    registered += 1
    key = next(_ids)
    # A leaf's hooks name no tensor: the leaf is the node itself, and a strong reference
    # from the table would keep it alive. A non-leaf's node does not otherwise hold it.
    hooks[key] = (None if node is None else self, hook)
    return RemovableHandle(hooks, key)


def run(node: Any, grad: np.ndarray) -> np.ndarray:
    """The gradient reaching ``node`` after its hooks (``grad`` itself when it has none
    or they return None)."""
    if isinstance(node, function.Function):
        hooks = node.__dict__.get("_hooks")
    else:
        hooks = _leaf_table(node) if _leaf_hooks else None
    if not hooks:
        return grad
    for tensor, hook in list(hooks.values()):
        result = hook(node if tensor is None else tensor, grad)
        if result is None:
            continue
        values = np.asarray(result.data if isinstance(result, function._tensor_class) else result)
        if values.shape != grad.shape or values.dtype.kind not in "biuf":
            raise ValueError(
                f"register_hook: a hook returned {type(result).__name__} of shape "
                f"{values.shape} and dtype {values.dtype}; the gradient has shape {grad.shape}"
            )
        grad = values.astype(grad.dtype)
    return grad


def queue_callback(fn: Callable[[], Any]) -> None:
    """Run ``fn()`` when the running backward pass ends (once, however often queued)."""
    if not callable(fn):
        raise TypeError(f"queue_callback: fn must be callable, got {fn!r}")
    if fn not in callbacks:
        callbacks.append(fn)


def run_callbacks() -> None:
    """Run the queued callbacks in order (the end of a backward pass); a callback that
    queues another starts it in this same loop."""
    while callbacks:
        callbacks.pop(0)()


def drop_callbacks() -> None:
    """Forget the queued callbacks (a backward pass that failed runs none of them)."""
    callbacks.clear()
