"""The backward walk: reverse topological order over the recorded graph.

The nodes are Functions (each made one tensor's values at one point of its history) and
the leaf Tensors that require grad, which accumulate ``.grad``. A tensor written in
place has one node per history, so ops that read it before the write send their
gradient to the old one. The order is built iteratively (no recursion, so a 10,000-op
chain works) over each node's ordered parent tuple, never a set, so float additions
into a gradient happen in the same order on every run.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage
from lucid.autograd import hooks
from lucid.autograd.function import Function
from lucid.autograd.versions import check_saved
from lucid.error import BackwardError

__all__ = ["backward", "topological_order"]

_EMIT = object()  # topological_order's marker


def topological_order(root: Any) -> list[Any]:
    """The nodes ``root`` (a Tensor or a node) depends on, parents first: Functions, and
    leaf Tensors that require grad."""
    if not isinstance(root, Function) and root._ctx is not None:
        root = root._ctx
    order: list[Any] = []
    seen: set[int] = set()
    # Entries are nodes to visit, or _EMIT above a visited Function: its parents are done
    # when _EMIT comes off the stack, and the Function under it goes into the order.
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if node is _EMIT:
            order.append(stack.pop())
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        if not isinstance(node, Function):
            order.append(node)  # a leaf: nothing to visit first
            continue
        stack.append(node)
        stack.append(_EMIT)
        # Reversed, so the first parent is visited first.
        for parent in reversed(node.parents):
            if parent is not None and id(parent) not in seen:
                stack.append(parent)
    return order


def _checked(ctx: Any, grads: Any) -> tuple[Any, ...]:
    if isinstance(grads, np.ndarray) or not isinstance(grads, (tuple, list)):
        grads = (grads,)
    if len(grads) != len(ctx.parents):
        raise BackwardError(
            ctx._output_meta[0],
            type(ctx).__name__,
            f"{type(ctx).__name__}.backward returned {len(grads)} gradients for "
            f"{len(ctx.parents)} inputs",
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
        raise BackwardError(
            root.shape,
            "backward",
            f"backward: the seed gradient has shape {seed.shape} but the tensor "
            f"has shape {root.shape}",
        )
    top = root if root._ctx is None else root._ctx
    try:
        _walk(root, top, seed.astype(root.dtype, copy=False), keep_grad)
    except BaseException:
        hooks.drop_callbacks()
        raise
    if hooks.callbacks:
        hooks.run_callbacks()
    if not keep_root:
        root.grad = None


def _walk(root: Any, top: Any, seed: np.ndarray, keep_grad: bool) -> None:
    """The walk of ``backward`` from ``top`` (root's node) with the gradient ``seed``."""
    pending = {id(top): seed}
    owned: set[int] = set()  # ids of pending gradients that only `pending` holds
    for node in reversed(topological_order(top)):
        # Popped: an intermediate gradient is freed as soon as it has been used.
        grad = pending.pop(id(node), None)
        if grad is None:
            continue
        is_owned = False
        if owned and id(grad) in owned:
            is_owned = True
            owned.discard(id(grad))
        # Tensor.register_hook: a node's hooks may replace its gradient. Tested inline,
        # so nodes without hooks cost no call.
        if hooks.registered and (node.__dict__.get("_hooks") or id(node) in hooks._leaf_hooks):
            hooked = hooks.run(node, grad)
            if hooked is not grad:
                grad, is_owned = hooked, False
        if not isinstance(node, Function):  # a leaf
            if node is not root and node.requires_grad:
                _store(node, grad, is_owned)
            continue
        out = None if node._out is None else node._out()
        if out is not None and out is not root and (out.keep_grad or keep_grad):
            _store(out, grad, False)
        if node._saved:
            check_saved(node)
        fresh = node.fresh_grads
        parents = node.parents
        grads = node.backward(grad)
        if type(grads) is not tuple or len(grads) != len(parents):
            grads = _checked(node, grads)
        for parent, g in zip(parents, grads, strict=False):  # of equal length, checked above
            if parent is None or g is None:
                continue
            if type(g) is not np.ndarray:
                g = np.asarray(g)
            if isinstance(parent, Function):
                shape, dtype = parent._output_meta
            else:
                shape, dtype = parent.shape, parent.dtype
            if g.shape != shape:
                raise BackwardError(
                    shape,
                    type(node).__name__,
                    f"{type(node).__name__}.backward returned a gradient of shape {g.shape} "
                    f"for an input of shape {shape}",
                )
            cast = g if g.dtype == dtype else g.astype(dtype)
            previous = pending.get(id(parent))
            if previous is not None and owned:
                owned.discard(id(previous))  # replaced by the sum below
            # Not in place: backward may return the same array for several inputs.
            pending[id(parent)] = cast if previous is None else previous + cast
            if previous is None and fresh and cast is g:
                owned.add(id(g))
