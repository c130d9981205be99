"""``global_rows``: which rows of a larger batch this process holds, for the dropout
layers' masks.

Inside ``with global_rows(rows, total):`` a dropout layer whose input has ``len(rows)``
rows draws the mask of the whole batch of ``total`` rows (reserving the generator words
of a call on all of them, so the generator ends where it would after the whole batch)
and keeps the bits of rows ``rows``, in that order. A sample's mask then depends on the
generator and its row in the global batch only, never on how many processes share the
batch: rank r of W holding rows ``range(r, B, W)`` (or ``range(a, b)``) gets exactly
the bits a single process gets for those rows of the B-row batch. Rows are the first
dimension of the input; a mask shared by all rows (a noise shape with 1 there) is drawn
as usual. Outside the block nothing changes.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = ["current_rows", "global_rows"]

_ROWS: contextvars.ContextVar[tuple[tuple[int, ...], int] | None] = contextvars.ContextVar(
    "lucid_global_rows", default=None
)


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


@contextlib.contextmanager
def global_rows(rows: Sequence[int] | range, total: int) -> Iterator[None]:
    """Within the block, the dropout layers' inputs are rows ``rows`` (distinct ints
    in [0, total), in the input's order) of a batch of ``total`` rows; see the module
    docstring. Blocks nest: the innermost holds."""
    total = _whole(total, "total")
    if total < 1:
        raise ValueError(f"total must be at least 1, got {total}")
    if isinstance(rows, (str, bytes)) or not isinstance(rows, (Sequence, range)):
        raise TypeError(f"rows must be a range or a sequence of ints, got {type(rows).__name__}")
    picked = tuple(_whole(r, "rows[i]") for r in rows)
    bad = [r for r in picked if not 0 <= r < total]
    if bad:
        raise ValueError(f"rows must lie in [0, total={total}), got {bad[0]}")
    if len(set(picked)) != len(picked):
        raise ValueError(f"rows must be distinct, got {len(picked) - len(set(picked))} repeats")
    token = _ROWS.set((picked, total))
    try:
        yield
    finally:
        _ROWS.reset(token)


# (rows, total) of the innermost ``global_rows`` block, or None outside any. The context
# variable's own getter, so the dropout layers ask on every call without a Python frame.
current_rows = _ROWS.get
