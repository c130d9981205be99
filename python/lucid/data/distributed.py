"""DistributedSampler: each process's share of one epoch's order, for data-parallel
training (PyTorch's sampler, over lucid's generator).

Every rank computes the same order — ``lucid.random.permutation(n)`` under
``Generator(seed, stream=epoch)`` when shuffling, else 0, 1, ..., n − 1 — pads it with
its own first indices to a multiple of the number of replicas (or, with ``drop_last``,
cuts it to one), and takes every ``num_replicas``-th index from position ``rank``. So
the shards are disjoint (padding aside), together they are the epoch, and batch k of
every rank together is the contiguous slice k of the order: the global batch a single
process would take with ``num_replicas`` times the batch size, rank r holding its rows
``range(r, B, num_replicas)`` (what ``lucid.random.global_rows`` needs to give every
sample the mask a single process gives it).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from lucid import distributed as _dist
from lucid import random as _random

__all__ = ["DistributedSampler"]


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


class DistributedSampler:
    """The indices of ``dataset`` that process ``rank`` of ``num_replicas`` loads in
    an epoch (see the module docstring). ``num_replicas`` and ``rank`` default to
    ``lucid.distributed``'s world size and rank; call :meth:`set_epoch` before each
    epoch so the shuffled order changes with it."""

    def __init__(
        self,
        dataset: Any,
        num_replicas: int | None = None,
        rank: int | None = None,
        shuffle: bool = True,
        seed: int = 0,
        drop_last: bool = False,
    ) -> None:
        if not hasattr(dataset, "__len__"):
            raise TypeError(f"dataset must have a length, got {type(dataset).__name__}")
        if num_replicas is None or rank is None:
            if not _dist.is_initialized():
                raise RuntimeError(
                    "DistributedSampler needs num_replicas and rank, or "
                    "lucid.distributed.init_process_group() first"
                )
        num_replicas = _dist.get_world_size() if num_replicas is None else num_replicas
        rank = _dist.get_rank() if rank is None else rank
        self.num_replicas = _whole("num_replicas", num_replicas)
        if self.num_replicas < 1:
            raise ValueError(f"num_replicas must be at least 1, got {self.num_replicas}")
        self.rank = _whole("rank", rank)
        if not 0 <= self.rank < self.num_replicas:
            raise ValueError(f"rank must be in [0, num_replicas={num_replicas}), got {rank}")
        for name, flag in (("shuffle", shuffle), ("drop_last", drop_last)):
            if not isinstance(flag, bool):
                raise TypeError(f"{name} must be a bool, got {type(flag).__name__} {flag!r}")
        self.dataset, self.shuffle, self.drop_last = dataset, shuffle, drop_last
        self.seed = _random._check_seed(seed, "seed")
        self.epoch = 0

    def __len__(self) -> int:
        n, w = len(self.dataset), self.num_replicas
        return n // w if self.drop_last else -(-n // w)

    def set_epoch(self, epoch: int) -> None:
        """The epoch whose order the next iteration gives (the stream of its shuffle)."""
        epoch = _whole("epoch", epoch)
        if epoch < 0:
            raise ValueError(f"epoch must be at least 0, got {epoch}")
        self.epoch = epoch

    def __iter__(self) -> Iterator[int]:
        n = len(self.dataset)
        if self.shuffle:
            generator = _random.Generator(self.seed, stream=self.epoch)
            order = np.asarray(_random.permutation(n, generator=generator).data, dtype=np.int64)
        else:
            order = np.arange(n, dtype=np.int64)
        total = len(self) * self.num_replicas
        if total > n:  # pad with the order's own first indices, repeated as needed
            order = np.resize(order, total) if n else order
        order = order[:total]
        return iter(order[self.rank :: self.num_replicas].tolist())
