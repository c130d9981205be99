"""lucid 2.x's ops that cut a tensor into pieces along an axis: split (pieces of given
sizes), chunk (a number of near-equal pieces) and unbind (every slice, the axis
removed). Each piece is a GetItem of lucid._ops.movement (a copy), so its gradient is
scattered back into the positions it was cut from."""

from __future__ import annotations

from typing import Any

from lucid._ops._common import as_tensor
from lucid._ops._results import INTS, axis_arg, int_arg
from lucid._ops.movement import GetItem

__all__ = ["chunk", "split", "unbind"]


def _pieces(t: Any, axis: int, sizes: list[int]) -> tuple[Any, ...]:
    lead = (slice(None),) * axis
    out, start = [], 0
    for size in sizes:
        out.append(GetItem.apply(t, index=(*lead, slice(start, start + size))))
        start += size
    return tuple(out)


def _axis(op: str, t: Any, axis: Any) -> int:
    if t.ndim == 0:
        raise ValueError(f"{op}: needs at least 1 dimension, got shape ()")
    return axis_arg(op, "axis", axis, t.ndim)


def split(input_: Any, /, size_or_sections: Any, axis: Any = 0) -> tuple[Any, ...]:
    """Pieces along ``axis``: of ``size_or_sections`` elements each when an int (the
    last one shorter when the length is not a multiple), else of the sizes listed,
    which must add up to the axis's length (PyTorch's split)."""
    t = as_tensor(input_, "split")
    ax = _axis("split", t, axis)
    length = t.shape[ax]
    if isinstance(size_or_sections, (list, tuple)):
        sizes = [int_arg("split", "size_or_sections[i]", n) for n in size_or_sections]
        if any(n < 0 for n in sizes) or sum(sizes) != length:
            raise ValueError(
                f"split: the sizes {list(size_or_sections)} must be non-negative and add up "
                f"to the length {length} of axis {ax}"
            )
        return _pieces(t, ax, sizes)
    if isinstance(size_or_sections, bool) or not isinstance(size_or_sections, INTS):
        raise TypeError(
            f"split: size_or_sections must be an int or a list of ints, got {size_or_sections!r}"
        )
    size = int(size_or_sections)
    if size <= 0:
        raise ValueError(f"split: the piece size must be positive, got {size}")
    count = -(-length // size)
    return _pieces(t, ax, [min(size, length - i * size) for i in range(count)])


def chunk(input_: Any, /, chunks: Any, axis: Any = 0) -> tuple[Any, ...]:
    """At most ``chunks`` pieces along ``axis``, each ceil(length / chunks) long but the
    last (so there may be fewer pieces), as lucid 2.x and PyTorch."""
    t = as_tensor(input_, "chunk")
    chunks = int_arg("chunk", "chunks", chunks)
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    ax = _axis("chunk", t, axis)
    length = t.shape[ax]
    if length == 0:
        return _pieces(t, ax, [0])
    size = -(-length // chunks)
    return _pieces(t, ax, [min(size, length - start) for start in range(0, length, size)])


def unbind(input_: Any, /, axis: Any = 0) -> tuple[Any, ...]:
    """Every slice along ``axis``, with that axis removed."""
    t = as_tensor(input_, "unbind")
    ax = _axis("unbind", t, axis)
    lead = (slice(None),) * ax
    return tuple(GetItem.apply(t, index=(*lead, i)) for i in range(t.shape[ax]))
