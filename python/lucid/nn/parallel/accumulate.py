"""``DistributedDataParallel.accumulate``: a step whose gradients have the same bits on
any number of ranks.

A plain data-parallel step sums each rank's rows in one backward and then the ranks'
sums: on another world size the rows are grouped differently, and float32 sums in
another grouping differ in the last bits. Training amplifies that. Adam divides each
gradient by its own running magnitude, so a gradient that cancels to near 0 keeps
only its rounding error, and that error moves its weight as much as a large gradient
would. Over 20 steps of the demo network, 4 ranks then differ from 1 by 1 % of the
weights' scale.

``accumulate`` makes the grouping a property of the global batch, not of the world:

- The global batch of B rows is cut into V micro-batches (``micro_batches``, a power of
  two that the world size W divides, and that divides B): micro-batch v holds rows
  ``range(v, B, V)``. Rank r holds rows ``range(r, B, W)`` (DistributedSampler's deal),
  so its micro-batches are v = r, r + W, r + 2W, ...: its local rows
  ``range(s, B // W, V // W)`` for v = r + sW.
- Each micro-batch runs alone: forward and backward of ``loss_fn(module, *pieces)``
  inside ``lucid.random.global_rows(range(v, B, V), B)``, every generator the model
  draws from (lucid's default one and each module's ``generator``) first set back to
  where it was at the call. So micro-batch v computes the same bits on every world
  size, and its dropout masks are the global batch's masks of its rows.
- The micro-batches' gradients g_v are summed in one fixed pairwise tree, which splits
  v by its lowest bit first: T(c, d) = T(c, 2d) + T(c + d, 2d), with T(v, V) = g_v. Rank
  r's micro-batches are exactly the leaves of T(r, W); it sums them locally, the ranks
  gather their sums, and every rank completes T(0, 1) over them. Divided by V, that is
  the gradient of the mean of the micro-batches' losses.

So the gradients, and the parameters an optimizer makes of them, are the same bits for
every world size dividing V, and on every rank. The cost: V / W forwards and backwards
per rank instead of one, and the gradients of V / W micro-batches held at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import lucid.random as _random
from lucid import _storage
from lucid._tensor import Tensor
from lucid.distributed.collectives import reduce_array
from lucid.nn.module import Module
from lucid.nn.parallel.buckets import Bucket

__all__ = ["accumulate", "pairwise"]

_NAME = "DistributedDataParallel.accumulate"


def pairwise(leaves: Any, first: int, stride: int, limit: int) -> Any:
    """T(first, stride) of the tree over ``leaves[c]`` for c = first, first + stride, ...
    below ``limit`` (a power-of-two multiple of ``stride``): T(c, d) = T(c, 2d) +
    T(c + d, 2d), and T(c, limit) = leaves[c]."""
    if stride >= limit:
        return leaves[first]
    left = pairwise(leaves, first, 2 * stride, limit)
    return left + pairwise(leaves, first + stride, 2 * stride, limit)


def _power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _local(loss_fn: Any, batch: tuple[Any, ...], micro_batches: Any) -> tuple[int, Any]:
    """This rank's batch rows and micro_batches, or the error that they are."""
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    if isinstance(micro_batches, bool) or not isinstance(micro_batches, (int, np.integer)):
        raise TypeError(f"micro_batches must be an int, got {micro_batches!r}")
    sizes = [len(t) for t in batch if isinstance(t, (Tensor, np.ndarray)) and t.shape]
    if not sizes:
        raise ValueError("batch needs at least one batched Tensor or array")
    if len(set(sizes)) != 1:
        raise ValueError(f"the batch's tensors differ in their first dimension: {sizes}")
    return sizes[0], int(micro_batches)


def _check(comm: Any, loss_fn: Any, batch: tuple[Any, ...], micro_batches: Any) -> tuple[int, int]:
    """(V, B), every rank's arguments checked and exchanged first, so that a problem on
    any rank is the same error on every rank (none is left waiting in a collective)."""
    try:
        view: Any = _local(loss_fn, batch, micro_batches)
    except (TypeError, ValueError) as error:
        view = error
    views = comm.allgather(view)
    for rank, other in enumerate(views):
        if isinstance(other, Exception):
            where = f"rank {rank}: " if comm.Get_size() > 1 else ""
            raise type(other)(f"{_NAME}: {where}{other}")
    if any(v != views[0] for v in views):
        each = ", ".join(f"rank {r}: {v[1]} and {v[0]}" for r, v in enumerate(views))
        raise ValueError(f"{_NAME}: the ranks' micro_batches and batch rows differ ({each})")
    rows, v = views[0]
    size = comm.Get_size()
    total = rows * size
    if not _power_of_two(v) or v % size:
        raise ValueError(
            f"{_NAME}: micro_batches must be a power of two that the world size {size} "
            f"divides, got micro_batches={v}"
        )
    if total % v:
        raise ValueError(
            f"{_NAME}: micro_batches={v} must divide the global batch of {total} rows "
            f"({rows} on each of {size} ranks)"
        )
    return v, total


def _generators(module: Module) -> list[Any]:
    """lucid's default generator and every module's ``generator``, each once."""
    found = {id(_random.default_generator): _random.default_generator}
    for m in module.modules():
        g = m.__dict__.get("generator")
        if isinstance(g, _random.Generator):
            found.setdefault(id(g), g)
    return list(found.values())


def _piece(value: Any, start: int, step: int) -> Any:
    if isinstance(value, (Tensor, np.ndarray)) and value.shape:
        return value[start::step]
    return value


def _flatten(buckets: list[Bucket], present: np.ndarray) -> list[np.ndarray]:
    """The parameters' gradients as one new flat array per bucket (0 where None), marking
    ``present``, and every ``.grad`` reset to None."""
    flats, index = [], 0
    for bucket in buckets:
        flat = np.zeros(bucket.buffer.shape, bucket.buffer.dtype)
        for param, start, stop in bucket.pieces():
            if param.grad is not None:
                flat[start:stop] = np.asarray(param.grad).reshape(-1)
                present[index] = True
                param.grad = None
            index += 1
        flats.append(flat)
    return flats


def accumulate(
    comm: Any,
    module: Module,
    buckets: list[Bucket],
    loss_fn: Callable[..., Any],
    batch: tuple[Any, ...],
    micro_batches: Any,
) -> float:
    """See the module docstring and ``DistributedDataParallel.accumulate``."""
    v_total, total = _check(comm, loss_fn, batch, micro_batches)
    rank, size = comm.Get_rank(), comm.Get_size()
    mine = v_total // size
    params = [p for bucket in buckets for p in bucket.params]
    prior = [p.grad for p in params]
    for p in params:
        p.grad = None
    generators = _generators(module)
    start = [g.get_state() for g in generators]
    present = np.zeros(len(params), dtype=np.int64)
    leaves: dict[int, list[np.ndarray]] = {}
    losses: dict[int, float] = {}
    try:
        for s in range(mine):
            v = rank + s * size
            for g, state in zip(generators, start, strict=True):
                g.set_state(state)
            with _random.global_rows(range(v, total, v_total), total):
                loss = loss_fn(module, *(_piece(t, s, mine) for t in batch))
            if not isinstance(loss, Tensor) or loss.shape != ():
                raise TypeError(
                    f"{_NAME}: loss_fn must return a 0-d lucid Tensor, got "
                    f"{type(loss).__name__} {getattr(loss, 'shape', '')}"
                )
            loss.backward()
            losses[v] = float(loss.item())
            leaves[v] = _flatten(buckets, present)
    except BaseException:  # leave the gradients and generators as they were
        for p, g in zip(params, prior, strict=True):
            p.grad = g
        for g, state in zip(generators, start, strict=True):
            g.set_state(state)
        raise
    reduce_array(comm, present, "max")  # 1 where any micro-batch has the gradient
    gathered_losses = dict(kv for part in comm.allgather(losses) for kv in part.items())
    index = 0
    for b, bucket in enumerate(buckets):
        # This rank's subtree, then the ranks' subtrees gathered and the tree completed.
        flat = pairwise({c: leaf[b] for c, leaf in leaves.items()}, rank, size, v_total)
        if size > 1:
            parts = np.empty((size, flat.size), dtype=flat.dtype)
            comm.Allgather(flat, parts)
            flat = pairwise(parts, 0, 1, size)
        np.divide(flat, v_total, out=flat)
        for param, lo, hi in bucket.pieces():
            before = prior[index]
            if present[index]:
                grad = flat[lo:hi].reshape(param.shape)
                param.grad = _storage.copy_of(
                    grad if before is None else np.add(before, grad), param.dtype
                )
            else:
                param.grad = before
            index += 1
    return float(pairwise(gathered_losses, 0, 1, v_total)) / v_total
