"""An epoch's sample order and the randomness of the batches in it.

An epoch that needs randomness (a shuffle, or workers) draws one 64-bit seed, its epoch
seed, from the loader's generator (the default generator if none was given). From it
and nothing else:

- the order: ``lucid.random.permutation(n)`` drawn from ``Generator(epoch_seed)``
  (stream 0), so the same on every machine and for any number of workers;
- in a worker, while it loads batch i (counted from 0 in the epoch): the default
  generator is at ``(epoch_seed, stream i + 1, offset 0)``, numpy's global generator is
  seeded with the four 32-bit words of (epoch_seed, i + 1) and Python's ``random`` with
  epoch_seed·2⁶⁴ + i + 1. A batch's draws thus depend on the epoch seed and its number,
  never on which worker loads it or how many there are.
"""

from __future__ import annotations

import random as _py_random

import numpy as np

from lucid import random as _random

__all__ = ["batch_count", "batch_indices", "draw_epoch_seed", "epoch_order", "seed_batch"]

_M32 = (1 << 32) - 1


def draw_epoch_seed(generator: _random.Generator | None) -> int:
    """A seed in [0, 2⁶³) drawn from ``generator`` (the default one for None)."""
    return int(_random.randint(0, 1 << 63, size=None, generator=generator).item())


def epoch_order(n: int, shuffle: bool, epoch_seed: int | None) -> np.ndarray:
    """The epoch's sample indices in order (int64)."""
    if not shuffle:
        return np.arange(n, dtype=np.int64)
    assert epoch_seed is not None
    return np.asarray(_random.permutation(n, generator=_random.Generator(epoch_seed)).data)


def batch_count(n: int, batch_size: int, drop_last: bool) -> int:
    return n // batch_size if drop_last else -(-n // batch_size)


def batch_indices(order: np.ndarray, i: int, batch_size: int) -> list[int]:
    """The sample indices of batch i."""
    return order[i * batch_size : (i + 1) * batch_size].tolist()


def seed_batch(epoch_seed: int, i: int) -> None:
    """Seed the process-wide generators for loading batch i, as described above."""
    stream = i + 1
    _random.set_state((epoch_seed, stream, 0))
    words = [epoch_seed & _M32, epoch_seed >> 32, stream & _M32, stream >> 32]
    np.random.seed(np.array(words, dtype=np.uint32))
    _py_random.seed((epoch_seed << 64) | stream)
