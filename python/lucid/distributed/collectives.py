"""Collectives on lucid Tensors, in place on their Rust storage.

``broadcast``, ``all_reduce`` and ``all_gather`` hand ``tensor.data`` (the numpy view of
the tensor's Rust storage, C-contiguous and writable) to mpi4py's buffer methods
(``Bcast``, ``Allgather``), so MPI reads and writes that memory itself: no copy on the
way in or out, and the tensor keeps its storage.

Before moving data, every collective exchanges each rank's (shape, dtype) and any
argument problem found locally (a small pickled ``allgather``). If the ranks disagree,
every rank raises the same ValueError naming each rank's shape and dtype, instead of
some ranks waiting forever for a message of the wrong size.

``all_reduce`` is deterministic: the ranks' tensors are gathered into a (world, ...)
buffer and reduced in rank order, ``((x₀ ∘ x₁) ∘ x₂) ∘ …``, one ``np.add`` (or the op's
ufunc) per rank into the tensor. The result has the same bits on every rank and in every
run with the same world size, whatever algorithm MPI would have picked for a reduction.
Floats summed in another grouping (one process summing the same numbers pairwise, or
another world size) may differ in the last bits: float addition is not associative.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._tensor import Tensor
from lucid.distributed.group import communicator

__all__ = ["ReduceOp", "all_gather", "all_reduce", "broadcast", "reduce_array"]


class ReduceOp:
    """PyTorch's names for the reductions: ``all_reduce(t, op=ReduceOp.SUM)``."""

    SUM = "sum"
    AVG = "avg"
    MEAN = "mean"
    MAX = "max"
    MIN = "min"
    PRODUCT = "product"


# op -> (the ufunc applied in rank order, whether the sum is then divided by the world).
_OPS: dict[str, tuple[Any, bool]] = {
    "sum": (np.add, False),
    "mean": (np.add, True),
    "avg": (np.add, True),
    "max": (np.maximum, False),
    "min": (np.minimum, False),
    "product": (np.multiply, False),
    "prod": (np.multiply, False),
}


def _values(tensor: Any, function: str, argument: str = "tensor") -> np.ndarray:
    """The tensor's storage as a numpy view MPI may read and write in place."""
    if not isinstance(tensor, Tensor):
        raise TypeError(
            f"{function}: {argument} must be a lucid Tensor, got {type(tensor).__name__}"
        )
    values = tensor.data
    if not (values.flags.c_contiguous and values.flags.writeable):
        raise ValueError(f"{function}: {argument} is not a contiguous, writable storage view")
    return values


def _agree(comm: Any, function: str, values: np.ndarray, problem: str | None) -> None:
    """Raise on every rank when any rank has a problem or the shapes or dtypes differ."""
    views = comm.allgather((values.shape, values.dtype.name, problem))
    problems = [f"rank {r}: {p}" for r, (_, _, p) in enumerate(views) if p is not None]
    if problems:
        raise ValueError(f"{function}: " + "; ".join(problems))
    if any(v[:2] != views[0][:2] for v in views):
        each = ", ".join(f"rank {r} {shape} {dtype}" for r, (shape, dtype, _) in enumerate(views))
        raise ValueError(f"{function}: the tensors differ in shape or dtype across ranks: {each}")


def broadcast(tensor: Tensor, src: int = 0) -> Tensor:
    """Overwrite ``tensor`` on every rank with rank ``src``'s values, in place."""
    comm = communicator("broadcast")
    values = _values(tensor, "broadcast")
    if isinstance(src, bool) or not isinstance(src, (int, np.integer)):
        raise TypeError(f"broadcast: src must be an int, got src={src!r}")
    if not 0 <= src < comm.Get_size():
        raise ValueError(f"broadcast: src must be a rank in [0, {comm.Get_size()}), got src={src}")
    _agree(comm, "broadcast", values, None)
    comm.Bcast(values.reshape(-1), root=int(src))
    return tensor


def _check_op(op: Any, dtype: np.dtype, function: str) -> str | None:
    if not isinstance(op, str) or op.lower() not in _OPS:
        raise ValueError(f"{function}: op must be one of {sorted(_OPS)}, got op={op!r}")
    if _OPS[op.lower()][1] and dtype.kind != "f":
        return f"op={op!r} needs a float tensor, got {dtype}"
    return None


def reduce_array(comm: Any, values: np.ndarray, op: str = "sum") -> None:
    """Reduce ``values`` (C-contiguous, the same shape and dtype on every rank, already
    agreed) across ranks in rank order, writing the result into ``values``."""
    size = comm.Get_size()
    ufunc, divide = _OPS[op.lower()]
    flat = values.reshape(-1)
    gathered = np.empty((size, flat.size), dtype=flat.dtype)
    comm.Allgather(flat, gathered)
    # An explicit left fold in rank order, not np.sum(axis=0), whose grouping is numpy's.
    np.copyto(flat, gathered[0])
    for row in gathered[1:]:
        ufunc(flat, row, out=flat)
    if divide:
        np.divide(flat, size, out=flat)


def all_reduce(tensor: Tensor, op: str = "sum") -> Tensor:
    """Reduce ``tensor`` across ranks, in rank order, into ``tensor`` on every rank.

    ``op``: "sum", "mean" (or "avg": the sum divided by the world size, floats only),
    "max", "min", "product" (or "prod"), any case; ReduceOp holds the names.
    """
    comm = communicator("all_reduce")
    values = _values(tensor, "all_reduce")
    problem = _check_op(op, values.dtype, "all_reduce")
    _agree(comm, "all_reduce", values, problem)
    reduce_array(comm, values, op)
    return tensor


def all_gather(tensor_list: list[Tensor], tensor: Tensor) -> list[Tensor]:
    """Fill ``tensor_list[r]`` with rank r's ``tensor`` on every rank (PyTorch's form).

    ``tensor_list`` holds world-size tensors of ``tensor``'s shape and dtype; they are
    written in place (MPI gathers into one staging buffer, copied into each).
    """
    comm = communicator("all_gather")
    values = _values(tensor, "all_gather")
    if not isinstance(tensor_list, (list, tuple)):
        raise TypeError(
            f"all_gather: tensor_list must be a list of Tensors, got {type(tensor_list).__name__}"
        )
    outputs = [_values(t, "all_gather", f"tensor_list[{i}]") for i, t in enumerate(tensor_list)]
    problem = None
    size = comm.Get_size()
    if len(outputs) != size:
        problem = f"tensor_list has {len(outputs)} tensors for a world of {size}"
    else:
        wrong = [
            f"tensor_list[{i}] is {o.shape} {o.dtype}"
            for i, o in enumerate(outputs)
            if o.shape != values.shape or o.dtype != values.dtype
        ]
        if wrong:
            problem = f"{', '.join(wrong)}, tensor is {values.shape} {values.dtype}"
    _agree(comm, "all_gather", values, problem)
    gathered = np.empty((size, values.size), dtype=values.dtype)
    comm.Allgather(values.reshape(-1), gathered)
    for out, row in zip(outputs, gathered, strict=True):
        np.copyto(out.reshape(-1), row)
    return list(tensor_list)
