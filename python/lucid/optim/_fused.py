"""What the fused steps (SGD's and Adam's one Rust call per group) take, and what
they leave to the per-parameter code.

A parameter goes to the fused step when it and its gradient are C-contiguous,
aligned float32 or float64 arrays; a group, when its numbers are plain Python ints and
floats, so that the core makes each coefficient in float64 as the per-parameter code
does (a numpy float32 learning rate would round differently). The rest, and any call
the core declines because arrays share memory, takes the per-parameter path.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.nn.parameter import Parameter

__all__ = ["FUSED_DTYPES", "Pairs", "plain", "split", "usable"]

FUSED_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

Pairs = list[tuple[Parameter, np.ndarray]]


def plain(*values: Any) -> bool:
    """All ``values`` are Python ints or floats (bools pass too: they are ints)."""
    return all(type(v) in (int, float, bool) for v in values)


def usable(array: np.ndarray, dtype: np.dtype) -> bool:
    """``array`` can be handed to the core as one of ``dtype``."""
    flags = array.flags
    return array.dtype == dtype and flags.c_contiguous and flags.aligned


def split(pairs: Pairs) -> tuple[dict[np.dtype, Pairs], Pairs]:
    """The (parameter, gradient) pairs the fused step takes, by dtype, and the rest."""
    fused: dict[np.dtype, Pairs] = {}
    rest: Pairs = []
    for p, grad in pairs:
        data = p.data
        dtype = data.dtype
        if dtype in FUSED_DTYPES and usable(data, dtype) and usable(grad, dtype):
            fused.setdefault(dtype, []).append((p, grad))
        else:
            rest.append((p, grad))
    return fused, rest
