"""einops-style tensor rearrangement: rearrange, reduce, repeat and einsum.

Each is built from the differentiable reshape, transpose, reductions and tile of the
core, so gradients flow through them; a pattern is parsed once per pattern and planned
once per input shape (see lucid.einops._pattern for the pattern language).
"""

from __future__ import annotations

import numbers
from typing import Any

from lucid._ops import reduce as _reduce
from lucid._tensor import Tensor
from lucid.einops._einsum import einsum
from lucid.einops._pattern import Plan, plan

__all__ = ["einsum", "rearrange", "reduce", "repeat"]

_REDUCTIONS = {"sum": _reduce.sum, "mean": _reduce.mean, "max": _reduce.max, "min": _reduce.min}


def _plan(kind: str, a: Any, pattern: Any, shapes: dict[str, Any]) -> Plan:
    if not isinstance(a, Tensor):
        raise TypeError(f"{kind}: a must be a lucid Tensor, got {type(a).__name__}")
    if not isinstance(pattern, str):
        raise TypeError(f"{kind}: pattern must be a str, got {type(pattern).__name__}")
    for name, size in shapes.items():
        if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size <= 0:
            raise ValueError(
                f"{kind}: the size of axis {name!r} must be a positive int, got {size!r}"
            )
    given = tuple(sorted((k, int(v)) for k, v in shapes.items()))
    return plan(kind, pattern, tuple(a.shape), given)


def _run(a: Tensor, p: Plan, reduction: str | None = None) -> Tensor:
    x = a if tuple(a.shape) == p.split else a.reshape(*p.split)
    if reduction is not None and p.reduced:
        x = _REDUCTIONS[reduction](x, axis=p.reduced)
    if p.perm != tuple(range(len(p.perm))):
        x = x.transpose(p.perm)
    if p.tiled is not None:
        base, reps = p.tiled
        x = x.reshape(*base).tile(reps)
    return x if tuple(x.shape) == p.shape else x.reshape(*p.shape)


def rearrange(a: Tensor, /, pattern: str, **shapes: int) -> Tensor:
    """Reorder, split and merge the axes of ``a`` as ``pattern`` says:
    ``rearrange(x, "b c h w -> b (h w) c")``; sizes of split axes go as keywords."""
    return _run(a, _plan("rearrange", a, pattern, shapes))


def reduce(a: Tensor, /, pattern: str, reduction: str = "sum", **shapes: int) -> Tensor:
    """Reduce the axes that the output of ``pattern`` leaves out, by ``reduction``
    ("sum" or "mean", as lucid 2.x; also "max" and "min"), then rearrange the rest:
    ``reduce(x, "b c (h 2) (w 2) -> b c h w", "mean")``."""
    if reduction not in _REDUCTIONS:
        raise ValueError(
            f"reduce: reduction must be one of {sorted(_REDUCTIONS)}, got {reduction!r}"
        )
    return _run(a, _plan("reduce", a, pattern, shapes), reduction)


def repeat(a: Tensor, /, pattern: str, **shapes: int) -> Tensor:
    """Rearrange ``a`` and copy it along the output's new axes, whose sizes are given
    as keywords or integers: ``repeat(x, "h w -> h (w c)", c=2)``."""
    return _run(a, _plan("repeat", a, pattern, shapes))
