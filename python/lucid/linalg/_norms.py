"""norm as numpy.linalg.norm computes it, with the gradient of what it computes.

A vector norm (over one axis, or over a 1-D tensor) is (Σ|x|ᵖ)^(1/p) for an int p,
max |x| for inf, min |x| for -inf, the count of non-zeros for 0. A matrix norm (over
two axes, or over a 2-D tensor) is, by ``ord``: 2 / -2 the largest / smallest singular
value, 1 / -1 the largest / smallest column sum of |x|, inf / -inf the same over rows,
"fro" the square root of the sum of squares, "nuc" the sum of the singular values.
Where a max or min ties, the gradient goes to the first of the tied positions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._results import stored
from lucid.autograd.function import Function

__all__ = ["Norm"]


def _pick(values: np.ndarray, largest: bool) -> np.ndarray:
    """A one-hot mask of the first max (or min) along the last axis."""
    index = np.argmax(values, axis=-1) if largest else np.argmin(values, axis=-1)
    return np.arange(values.shape[-1]) == index[..., None]


def _vector_grad(x: np.ndarray, r: np.ndarray, p: Any) -> np.ndarray:
    """d norm / dx over the last axis of x; r is the norm, kept as a trailing axis."""
    if p == 0:
        return np.zeros_like(x)
    if np.isinf(p):
        return np.sign(x) * _pick(np.abs(x), p > 0)
    if p == 1:
        return np.sign(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.sign(x) * np.abs(x) ** (p - 1) / r ** (p - 1)
    # At a zero norm PyTorch's choice: no gradient (the subgradient 0).
    return np.where(r == 0, 0.0, np.nan_to_num(g, nan=0.0, posinf=0.0, neginf=0.0))


def _matrix_grad(x: np.ndarray, r: np.ndarray, p: Any) -> np.ndarray:
    """d norm / dx over the last two axes of x."""
    if p == "fro":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(r == 0, 0.0, x / r)
    if p in (2, -2, "nuc"):
        u, s, vt = np.linalg.svd(x, full_matrices=False)
        if p == "nuc":
            return u @ vt
        pick = _pick(s, p == 2)
        return (u * pick[..., None, :]) @ vt
    # 1 / -1: columns (sums over rows); inf / -inf: rows.
    over_rows = p in (1, -1)
    sums = np.abs(x).sum(axis=-2 if over_rows else -1)
    pick = _pick(sums, p > 0)
    return np.sign(x) * (pick[..., None, :] if over_rows else pick[..., :, None])


class Norm(Function):
    saved_inputs = {0: None}  # the norm itself is kept as computed, not read back

    def forward(self, a: np.ndarray, ord: Any, axes: tuple[int, ...], keepdims: bool) -> np.ndarray:
        self.a, self.ord, self.axes = a, ord, axes
        values = np.linalg.norm(a, ord=ord, axis=axes, keepdims=True)
        self.r = values
        out = values if keepdims else np.squeeze(values, axis=axes)
        return stored(out, "norm")

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        axes, a = self.axes, self.a
        kept = np.reshape(grad, self.r.shape)
        ends = tuple(range(a.ndim - len(axes), a.ndim))
        # The normed axes moved last, where the per-norm formulas work.
        x = np.moveaxis(a, axes, ends)
        r = np.moveaxis(self.r, axes, ends)
        g = np.moveaxis(kept, axes, ends)
        if len(axes) == 1:
            d = _vector_grad(x, r, self.ord) * g
        else:
            d = _matrix_grad(x, r, self.ord) * g
        return (np.moveaxis(d, ends, axes), None, None, None)
