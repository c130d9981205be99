"""einsum with numpy's subscripts, differentiable in every operand.

The gradient of operand i contracts the output's gradient with the other operands onto
i's distinct labels; a label that only i has (summed away alone) is spread back over
its axis, a repeated label (a diagonal, as in "ii->") is written back on the
diagonal, and axes that broadcasting stretched are summed back to length 1.
"""

from __future__ import annotations

import functools
import string
from typing import Any

import numpy as np

from lucid._ops._common import new
from lucid._tensor import Tensor
from lucid.autograd.function import Function, grad_enabled

__all__ = ["einsum"]


@functools.lru_cache(maxsize=512)
def _explicit(pattern: str, ndims: tuple[int, ...]) -> tuple[tuple[str, ...], str]:
    """Each operand's labels and the output's, one letter per axis, ``...`` expanded."""
    eq = pattern.replace(" ", "")
    lhs, arrow, rhs = eq.partition("->")
    inputs = lhs.split(",")
    if len(inputs) != len(ndims):
        raise ValueError(
            f"einsum: pattern {pattern!r} has {len(inputs)} operands, got {len(ndims)} tensors"
        )
    free = [c for c in string.ascii_letters if c not in eq]
    widths = []
    for subs, ndim in zip(inputs, ndims, strict=True):
        named = len(subs.replace("...", ""))
        if not all(c in string.ascii_letters for c in subs.replace("...", "")):
            raise ValueError(f"einsum: subscripts must be letters, got {subs!r} in {pattern!r}")
        widths.append(ndim - named if "..." in subs else 0)
        if (ndim < named) if "..." in subs else (ndim != named):
            raise ValueError(
                f"einsum: operand with subscripts {subs!r} has {ndim} dimensions in {pattern!r}"
            )
    width = max(widths, default=0)
    ell = "".join(free[:width])
    labels = tuple(s.replace("...", ell[width - w :]) for s, w in zip(inputs, widths, strict=True))
    if arrow:
        out = rhs.replace("...", ell)
    else:
        counts = {c: "".join(labels).count(c) for c in set("".join(labels)) - set(ell)}
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1))
    return labels, out


class Einsum(Function):
    def forward(self, *arrays: np.ndarray, pattern: str) -> np.ndarray:
        # Each gradient reads the other operands. Their number varies, which saved_inputs
        # cannot declare, so those read are copied: a later in-place write cannot reach them.
        need = self.needs_input_grad if grad_enabled() else (False,) * len(arrays)
        self.arrays = tuple(
            a.copy() if any(need[:i] + need[i + 1 :]) else a for i, a in enumerate(arrays)
        )
        self.labels, self.out = _explicit(pattern, tuple(a.ndim for a in arrays))
        value = np.einsum(pattern, *arrays, optimize=len(arrays) > 2)
        out = new(np.shape(value), np.result_type(*arrays), "einsum")
        out[...] = value
        return out

    def _grad_of(self, i: int, grad: np.ndarray) -> np.ndarray:
        target = self.arrays[i]
        subs = self.labels[i]
        unique = "".join(dict.fromkeys(subs))
        others = [(s, a) for j, (s, a) in enumerate(zip(self.labels, self.arrays, strict=True))
                  if j != i]  # fmt: skip
        seen = set(self.out).union(*(set(s) for s, _ in others))
        present = "".join(c for c in unique if c in seen)
        eq = ",".join([self.out, *(s for s, _ in others)]) + "->" + present
        g = np.einsum(eq, grad, *(a for _, a in others), optimize=len(others) > 1)
        sizes = {c: target.shape[subs.index(c)] for c in unique}
        # Labels only this operand has: the sum over them sends grad to every element.
        g = g.reshape([g.shape[present.index(c)] if c in present else 1 for c in unique])
        # Broadcast operands: sum the stretched axes back to length 1.
        stretched = tuple(k for k, c in enumerate(unique) if sizes[c] == 1 and g.shape[k] != 1)
        if stretched:
            g = g.sum(axis=stretched, keepdims=True)
        g = np.broadcast_to(g, [sizes[c] for c in unique])
        if unique == subs:
            return g
        full = np.zeros(target.shape, dtype=g.dtype)
        index = tuple(
            np.arange(sizes[c]).reshape([-1 if u == c else 1 for u in unique]) for c in subs
        )
        full[index] = g
        return full

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return tuple(
            self._grad_of(i, grad) if need else None for i, need in enumerate(self.needs_input_grad)
        )


def einsum(pattern: str, *tensors: Tensor) -> Tensor:
    """numpy's einsum of the tensors (``einsum("bij,bjk->bik", a, b)``), with gradients.

    Subscripts are letters, with ``...`` for broadcast axes; without ``->`` the output
    has the labels that appear once, in alphabetical order, as numpy."""
    if not isinstance(pattern, str):
        raise TypeError(f"einsum: pattern must be a str, got {type(pattern).__name__}")
    if not tensors:
        raise ValueError("einsum: give at least one tensor")
    for k, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"einsum: operand {k} must be a lucid Tensor, got {type(t).__name__}")
    _explicit(pattern, tuple(len(t.shape) for t in tensors))  # the errors, before numpy's
    try:
        return Einsum.apply(*tensors, pattern=pattern)
    except ValueError as err:
        raise ValueError(f"einsum: {err} (pattern {pattern!r})") from None
