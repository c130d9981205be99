"""The backward walk: reverse topological order over the recorded graph.

The order is built iteratively (no recursion, so a 10,000-op chain works) over each
node's ordered parent tuple, never a set, so float additions into a gradient happen in
the same order on every run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage

__all__ = ["backward", "topological_order"]


def topological_order(root: Any) -> list[Any]:
    """Tensors reachable from ``root`` through parents that require grad, parents first."""
    order: list[Any] = []
    seen: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        if node._ctx is not None:
            # Reversed, so the first parent is visited first.
            for parent in reversed(node._ctx.parents):
                if parent is not None and parent.requires_grad and id(parent) not in seen:
                    stack.append((parent, False))
    return order


def _checked(ctx: Any, grads: Any) -> tuple[Any, ...]:
    if isinstance(grads, np.ndarray) or not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != len(ctx.parents):
        raise RuntimeError(
            f"{type(ctx).__name__}.backward returned {len(grads)} gradients for "
            f"{len(ctx.parents)} inputs"
        )
    return tuple(grads)


def _store(tensor: Any, grad: np.ndarray, owned: bool) -> None:
    """Accumulate ``grad`` into ``tensor.grad``, which lives in Rust storage.

    An ``owned`` gradient (fresh storage that nothing else references) becomes the
    first ``.grad`` as it is; any other is copied, since it may be shared.
    """
    if tensor.grad is None:
        if owned and grad.dtype == tensor.dtype and _storage.is_storage_view(grad):
            tensor.grad = grad
        else:
            tensor.grad = _storage.copy_of(grad, tensor.dtype)
    else:
        tensor.grad += grad


def backward(root: Any, keep_grad: bool = False) -> None:
    """Accumulate d(root)/d(leaf) · root.grad into every leaf that requires grad.

    ``root.grad`` is the seed (ones of root's shape when it is None). Gradients of
    non-leaf tensors are kept (accumulated into ``.grad``) only for tensors with
    ``keep_grad=True`` or when ``keep_grad`` is passed; the root's own grad is dropped
    unless kept the same way. The graph itself is kept, as in lucid, so backward may
    run again and the leaf gradients accumulate.
    """
    if not root.requires_grad:
        return  # nothing in the graph needs a gradient (lucid does nothing here either)
    keep_root = root._ctx is None or root.keep_grad or keep_grad
    if root.grad is None:
        # Ones without memory: a read-only view with zero strides (ops never write
        # into a gradient they are given). Materialised only if the root keeps it.
        seed = np.broadcast_to(np.ones((), dtype=root.dtype), root.shape)
        if keep_root:
            root.grad = _storage.copy_of(seed, root.dtype)
    else:
        seed = np.asarray(root.grad)
    if seed.shape != root.shape:
        raise RuntimeError(
            f"backward: the seed gradient has shape {seed.shape} but the tensor "
            f"has shape {root.shape}"
        )
    pending = {id(root): seed.astype(root.dtype, copy=False)}
    owned: set[int] = set()  # ids of pending gradients that only `pending` holds
    for node in reversed(topological_order(root)):
        # Popped: an intermediate gradient is freed as soon as it has been used.
        grad = pending.pop(id(node), None)
        if grad is None:
            continue
        is_owned = id(grad) in owned
        owned.discard(id(grad))
        ctx = node._ctx
        if node is not root and (ctx is None or node.keep_grad or keep_grad):
            _store(node, grad, is_owned and ctx is None)
        if ctx is None:
            continue
        fresh = ctx.fresh_grads
        for parent, g in zip(ctx.parents, _checked(ctx, ctx.backward(grad)), strict=True):
            if parent is None or g is None or not parent.requires_grad:
                continue
            g = np.asarray(g)
            if g.shape != parent.shape:
                raise RuntimeError(
                    f"{type(ctx).__name__}.backward returned a gradient of shape {g.shape} "
                    f"for an input of shape {parent.shape}"
                )
            cast = g.astype(parent.dtype, copy=False)
            previous = pending.get(id(parent))
            if previous is not None:
                owned.discard(id(previous))  # replaced by the sum below
            # Not in place: backward may return the same array for several inputs.
            pending[id(parent)] = cast if previous is None else previous + cast
            if previous is None and fresh and cast is g:
                owned.add(id(g))
    if not keep_root:
        root.grad = None
