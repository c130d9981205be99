"""lucid 2.x's histograms: histogram (of a 1-D tensor), histogram2d (of two) and
histogramdd (of the rows of an (N, D) tensor), counted by numpy's histogramdd.

Each returns (hist, edges) as float64 tensors outside any graph (counts have no
gradient). ``edges`` is 1-D for histogram, as numpy's and PyTorch's; for histogram2d
and histogramdd it is lucid 2.x's stack of every axis's edges, (D, bins + 1), so the
axes need one number of bins.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor
from lucid._ops._results import INTS, bool_arg, stored
from lucid._tensor import Tensor

__all__ = ["histogram", "histogram2d", "histogramdd"]

_F64 = np.dtype(np.float64)


def _bins(op: str, bins: Any, count: int) -> list[int]:
    items = [bins] * count if isinstance(bins, INTS) and not isinstance(bins, bool) else bins
    if not isinstance(items, (list, tuple)) or any(
        isinstance(b, bool) or not isinstance(b, INTS) for b in items
    ):
        raise TypeError(f"{op}: bins must be an int or a list of ints, got {bins!r}")
    if len(items) != count or any(b <= 0 for b in items):
        raise ValueError(f"{op}: bins must be {count} positive ints, got {bins!r}")
    return [int(b) for b in items]


def _ranges(op: str, ranges: Any, count: int) -> list[tuple[float, float]]:
    try:
        pairs = [(float(lo), float(hi)) for lo, hi in ranges]
    except (TypeError, ValueError):
        raise TypeError(
            f"{op}: range must be a list of (low, high) pairs, got {ranges!r}"
        ) from None
    if len(pairs) != count or any(
        not lo <= hi or not np.isfinite([lo, hi]).all() for lo, hi in pairs
    ):
        raise ValueError(
            f"{op}: range must be {count} finite (low, high) pairs with low <= high, got {ranges!r}"
        )
    return pairs


def _count(op: str, rows: np.ndarray, bins: list[int], ranges: Any, density: Any) -> Any:
    density = bool_arg(op, "density", density)
    if rows.dtype.kind not in "iuf":
        raise TypeError(f"{op}: the values must be numbers, got dtype {rows.dtype}")
    ranges = _ranges(op, ranges, len(bins))
    hist, edges = np.histogramdd(rows, bins, ranges, density=density)
    return hist, edges


def _span(values: np.ndarray) -> tuple[float, float]:
    if values.size == 0:
        return (0.0, 1.0)  # numpy's default range for no values
    return (float(values.min()), float(values.max()))


def histogramdd(
    input_: Any, /, bins: Any, range: Any, density: bool = False
) -> tuple[Tensor, Tensor]:
    """The counts of the rows of an (N, D) tensor in ``bins`` (an int or one per
    axis) equal bins over ``range`` (one (low, high) pair per axis), and the (D, bins + 1)
    edges; ``density`` divides by the count and the bin volume."""
    t = as_tensor(input_, "histogramdd")
    if t.ndim != 2:
        raise ValueError(f"histogramdd: input_ must be 2-D (N, D), got shape {t.shape}")
    counts = _bins("histogramdd", bins, t.shape[1])
    if len(set(counts)) > 1:
        raise ValueError(
            f"histogramdd: every axis needs the same number of bins (the edges are stacked), "
            f"got {bins!r}"
        )
    hist, edges = _count("histogramdd", t.data, counts, range, density)
    return Tensor._wrap(stored(hist, "histogramdd", _F64)), Tensor._wrap(
        stored(np.stack(edges), "histogramdd", _F64)
    )


def histogram(
    input_: Any, /, bins: Any = 10, range: Any = None, density: bool = False
) -> tuple[Tensor, Tensor]:
    """The counts of a 1-D tensor's values in ``bins`` equal bins over ``range`` (its
    minimum to its maximum when None) and the edges as lucid 2.x gives them: one row of
    bins + 1, shape (1, bins + 1), as histogramdd's for one dimension."""
    t = as_tensor(input_, "histogram")
    if t.ndim != 1:
        raise ValueError(f"histogram: input_ must be 1-D, got shape {t.shape}")
    counts = _bins("histogram", bins, 1)
    span = [_span(t.data) if range is None else range]
    hist, edges = _count("histogram", t.data.reshape(-1, 1), counts, span, density)
    return Tensor._wrap(stored(hist, "histogram", _F64)), Tensor._wrap(
        stored(edges, "histogram", _F64)
    )


def histogram2d(
    a: Any, b: Any, /, bins: Any = (10, 10), range: Any = None, density: bool = False
) -> tuple[Tensor, Tensor]:
    """The counts of the pairs (a[i], b[i]) in a grid of ``bins`` (an int or two equal
    ints) over ``range`` (two (low, high) pairs; each input's span when None), and the
    (2, bins + 1) edges."""
    x, y = as_tensor(a, "histogram2d", "a"), as_tensor(b, "histogram2d", "b")
    if x.shape != y.shape:
        raise ValueError(f"histogram2d: a and b must have one shape, got {x.shape} and {y.shape}")
    if x.ndim != 1:
        raise ValueError(f"histogram2d: a and b must be 1-D, got shape {x.shape}")
    spans = [_span(x.data), _span(y.data)] if range is None else range
    rows = np.stack([x.data, y.data], axis=1)
    return histogramdd(
        Tensor._wrap(stored(rows, "histogram2d")),
        list(_bins("histogram2d", bins, 2)),
        spans,
        density,
    )
