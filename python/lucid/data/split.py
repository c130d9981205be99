"""random_split: a dataset cut into disjoint random subsets by lucid's generator."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from lucid import random as _random
from lucid.data.datasets import Subset

__all__ = ["random_split", "split_lengths"]


def _fraction_lengths(fractions: Sequence[float], n: int) -> list[int]:
    """floor(f·n) each, then the remainder one by one to the first parts (lucid 2.x's
    and PyTorch's rule)."""
    for i, f in enumerate(fractions):
        if not (math.isfinite(f) and f >= 0):
            raise ValueError(f"lengths[{i}] must be a fraction in [0, 1], got {f!r}")
    total = math.fsum(fractions)
    if not math.isclose(total, 1.0, rel_tol=1e-6, abs_tol=1e-6):
        raise ValueError(f"fractional lengths must sum to 1, got {list(fractions)} (sum {total})")
    lengths = [math.floor(f * n) for f in fractions]
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    return lengths


def split_lengths(lengths: Any, n: int) -> list[int]:
    """The integer lengths ``lengths`` (all ints summing to n, or all fractions summing
    to 1) give for a dataset of n samples."""
    if isinstance(lengths, (str, bytes)) or not isinstance(lengths, Sequence) or not lengths:
        raise TypeError(f"lengths must be a non-empty sequence of numbers, got {lengths!r}")
    ints = [isinstance(x, (int, np.integer)) and not isinstance(x, bool) for x in lengths]
    floats = [isinstance(x, (float, np.floating)) for x in lengths]
    if all(ints):
        out = [int(x) for x in lengths]
        for i, x in enumerate(out):
            if x < 0:
                raise ValueError(f"lengths[{i}] must be non-negative, got {x}")
        if sum(out) != n:
            raise ValueError(
                f"lengths must sum to the dataset's length {n}, got {out} (sum {sum(out)})"
            )
        return out
    if all(floats):
        return _fraction_lengths([float(x) for x in lengths], n)
    raise TypeError(f"lengths must be all ints or all floats, got {list(lengths)!r}")


def random_split(
    dataset: Any, lengths: Sequence[int | float], seed: int | None = None, *, generator: Any = None
) -> tuple[Subset, ...]:
    """Disjoint Subsets of ``dataset`` with the given lengths, its samples in an order
    drawn by lucid's generator: ``Generator(seed)`` for a seed, else ``generator``
    (PyTorch's keyword), else the default generator (which advances)."""
    n = len(dataset)
    sizes = split_lengths(lengths, n)
    if seed is not None and generator is not None:
        raise ValueError(f"random_split takes seed or generator, not both: seed={seed!r}")
    gen = _random.Generator(_random._check_seed(seed)) if seed is not None else generator
    order = _random.permutation(n, generator=gen).data.tolist()
    splits, offset = [], 0
    for size in sizes:
        splits.append(Subset(dataset, order[offset : offset + size]))
        offset += size
    return tuple(splits)
