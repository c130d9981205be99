"""Gradient buckets: parameters packed into flat buffers of about ``cap`` bytes each.

Parameters are assigned in registration order (``module.parameters()``), one bucket
list per dtype, a bucket closing before the parameter that would take it past the cap
(a parameter larger than the cap gets a bucket of its own). The buffers are Rust
storage, made once and reused by every reduction.

``average`` sums each bucket over the ranks with lucid.distributed's deterministic,
rank-order reduction and divides by the world size, then writes the averages back into
the parameters' ``.grad`` arrays in place. A gradient missing (None) on some ranks counts
as zeros there; one missing on every rank stays None.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage
from lucid.distributed.collectives import reduce_array
from lucid.nn.parameter import Parameter

__all__ = ["Bucket", "average", "make_buckets"]


class Bucket:
    """Parameters of one dtype and the flat buffer their gradients are reduced in."""

    def __init__(self, params: list[Parameter], dtype: np.dtype) -> None:
        self.params = params
        sizes = [int(p.data.size) for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.buffer = _storage.zeros((self.offsets[-1],), dtype)

    def pieces(self) -> list[tuple[Parameter, int, int]]:
        """(parameter, start, stop) of each parameter's gradient in the buffer."""
        ends = self.offsets
        return [(p, ends[i], ends[i + 1]) for i, p in enumerate(self.params)]

    def __repr__(self) -> str:
        return f"Bucket({len(self.params)} params, {self.buffer.size} {self.buffer.dtype})"


def make_buckets(params: list[Parameter], cap_bytes: int) -> list[Bucket]:
    """The buckets of ``params`` (in their order), per dtype, each at most ``cap_bytes``
    unless one parameter alone is larger."""
    open_: dict[np.dtype, list[Parameter]] = {}
    used: dict[np.dtype, int] = {}
    buckets: list[Bucket] = []
    for param in params:
        dtype, size = param.data.dtype, param.data.nbytes
        members = open_.setdefault(dtype, [])
        if members and used[dtype] + size > cap_bytes:
            buckets.append(Bucket(members, dtype))
            members = open_[dtype] = []
            used[dtype] = 0
        members.append(param)
        used[dtype] = used.get(dtype, 0) + size
    buckets.extend(Bucket(members, dtype) for dtype, members in open_.items() if members)
    return buckets


def average(comm: Any, buckets: list[Bucket]) -> None:
    """Replace every bucketed parameter's gradient with its mean over the ranks."""
    size = comm.Get_size()
    params = [p for bucket in buckets for p in bucket.params]
    present = np.array([p.grad is not None for p in params], dtype=np.int64)
    reduce_array(comm, present, "max")  # 1 where any rank has the gradient
    index = 0
    for bucket in buckets:
        flat = bucket.buffer
        for param, start, stop in bucket.pieces():
            piece = flat[start:stop]
            if param.grad is None:
                piece[...] = 0
            else:
                np.copyto(piece, np.asarray(param.grad).reshape(-1), casting="same_kind")
        reduce_array(comm, flat, "sum")
        np.divide(flat, size, out=flat)
        for param, start, stop in bucket.pieces():
            if present[index]:
                _write_grad(param, flat[start:stop])
            index += 1


def _write_grad(param: Parameter, values: np.ndarray) -> None:
    grad = param.grad
    shaped = values.reshape(param.shape)
    if (
        isinstance(grad, np.ndarray)
        and grad.shape == param.shape
        and grad.dtype == param.dtype
        and grad.flags.writeable
    ):
        np.copyto(grad, shaped)  # in place: the gradient keeps its storage
    else:
        param.grad = _storage.copy_of(shaped, param.dtype)
