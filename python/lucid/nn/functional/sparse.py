"""Lookups by integer index: embedding (differentiable in the weight) and one_hot.

Indices are int64 tensors (a float or bool one is a TypeError, where lucid 2.x would
truncate a float); every index must lie in range, or a ValueError names it (numpy would
wrap a negative one round, silently).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from lucid import _dtypes, _storage
from lucid._ops import inplace as _inplace
from lucid._ops._common import new
from lucid._tensor import Tensor
from lucid.autograd.function import Function

__all__ = ["embedding", "one_hot"]

_I64 = np.dtype(np.int64)


class Embedding(Function):
    """out[..., :] = weight[idx[...], :], zero where idx is ``padding_idx`` (lucid 2.x's
    rule). Backward adds each position's gradient into its row; positions holding
    ``padding_idx`` send none, so that row is never trained."""

    def forward(self, weight: np.ndarray, idx: np.ndarray, padding_idx: int | None) -> Any:  # type: ignore[override]
        self.weight_shape, self.idx = weight.shape, idx
        out = new((*idx.shape, weight.shape[1]), weight.dtype, "embedding")
        np.take(weight, idx, axis=0, out=out)
        self.keep = None if padding_idx is None else idx != padding_idx
        if self.keep is not None:
            out[~self.keep] = 0
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        rows = self.idx.reshape(-1)
        g = grad.reshape(rows.size, self.weight_shape[1])
        if self.keep is not None:
            keep = self.keep.reshape(-1)
            rows, g = rows[keep], g[keep]
        dw = np.zeros(self.weight_shape, dtype=grad.dtype)
        np.add.at(dw, rows, g)  # repeated indices add up
        return (dw,)


def _indices(input_: Any, op: str) -> np.ndarray:
    if not isinstance(input_, Tensor):
        raise TypeError(f"{op}: input_ must be a lucid Tensor of int64 indices, got {input_!r}")
    if input_.dtype != _I64:
        raise TypeError(f"{op}: input_ must hold int64 indices, got dtype {input_.dtype}")
    return input_.data


def _check_range(idx: np.ndarray, size: int, op: str, what: str) -> None:
    if idx.size and (idx.min() < 0 or idx.max() >= size):
        bad = idx[(idx < 0) | (idx >= size)].flat[0]
        raise ValueError(f"{op}: index {bad} of input_ is out of range for {what} {size}")


def _real(name: str, value: Any, op: str, positive: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {name} must be a real number, got {value!r}")
    value = float(value)
    if math.isnan(value) or value < 0 or (positive and value == 0):
        raise ValueError(f"{op}: {name} must be {'> 0' if positive else '>= 0'}, got {value}")
    return value


def padding_index(padding_idx: Any, num_embeddings: int, op: str) -> int | None:
    """``padding_idx`` in [0, num_embeddings): a negative one counts from the end, as
    PyTorch's (lucid 2.x compares the indices with it as given)."""
    if padding_idx is None:
        return None
    if isinstance(padding_idx, bool) or not isinstance(padding_idx, numbers.Integral):
        raise TypeError(f"{op}: padding_idx must be an int or None, got {padding_idx!r}")
    padding_idx = int(padding_idx)
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ValueError(
            f"{op}: padding_idx must be within [-{num_embeddings}, {num_embeddings}), "
            f"got {padding_idx}"
        )
    return padding_idx % num_embeddings


def renorm_rows(weight: Tensor, idx: np.ndarray, max_norm: float, norm_type: float) -> None:
    """PyTorch's embedding_renorm_: each row of ``weight`` that ``idx`` names and whose
    ``norm_type``-norm exceeds ``max_norm`` is scaled in place to max_norm/(norm + 1e-7),
    outside the graph."""
    rows = np.unique(idx)
    if not rows.size:
        return
    norms = np.linalg.norm(weight.data[rows], ord=norm_type, axis=1)
    over = norms > max_norm
    if not over.any():
        return
    scale = max_norm / (norms[over] + 1e-7)
    weight.data[rows[over]] *= scale[:, None].astype(weight.dtype)
    _inplace.bump(weight)


def embedding(
    input_: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
) -> Tensor:
    """The rows of ``weight`` (num_embeddings, embedding_dim) that the int64 indices
    ``input_`` name: shape (*input_.shape, embedding_dim), in weight's dtype.

    Where an index is ``padding_idx`` the output is zero and no gradient flows (lucid
    2.x's rule). With ``max_norm``, the rows looked up whose ``norm_type``-norm exceeds
    it are first scaled down to it in ``weight`` itself, in place, as PyTorch does
    (lucid 2.x scales every looked-up output row to exactly max_norm instead)."""
    op = "embedding"
    idx = _indices(input_, op)
    if not isinstance(weight, Tensor) or weight.dtype.kind != "f" or weight.ndim != 2:
        what = f"shape {tuple(weight.shape)} {weight.dtype}" if isinstance(weight, Tensor) else ""
        raise TypeError(
            f"{op}: weight must be a 2-D float Tensor (num_embeddings, embedding_dim), "
            f"got {what or type(weight).__name__}"
        )
    num = int(weight.shape[0])
    pad = padding_index(padding_idx, num, op)
    norm_type = _real("norm_type", norm_type, op, positive=True)
    _check_range(idx, num, op, "num_embeddings")
    idx = np.array(idx)  # backward reads the indices: keep them from later writes
    if max_norm is not None:
        renorm_rows(weight, idx, _real("max_norm", max_norm, op, positive=False), norm_type)
    return Embedding.apply(weight, idx=idx, padding_idx=pad)


def one_hot(input_: Tensor, num_classes: int = -1, dtype: Any = None) -> Tensor:
    """(*input_.shape, num_classes) with a 1 at each index and 0 elsewhere, outside the
    graph; num_classes=-1 takes the largest index + 1. The dtype is ``dtype``, int64
    by default (lucid 2.x's int8, which tensors here do not hold)."""
    op = "one_hot"
    idx = _indices(input_, op)
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"{op}: num_classes must be an int, got {num_classes!r}")
    if num_classes == -1:
        if not idx.size:
            raise ValueError(f"{op}: cannot infer num_classes from an empty input_")
        num_classes = int(idx.max()) + 1
    if num_classes < 1:
        raise ValueError(f"{op}: num_classes must be positive or -1, got {num_classes}")
    _check_range(idx, int(num_classes), op, "num_classes")
    target = _I64 if dtype is None else _dtypes.resolve(dtype, f"{op}: dtype")
    out = _storage.zeros((*idx.shape, int(num_classes)), target)
    flat = out.reshape(-1, int(num_classes))
    flat[np.arange(idx.size), idx.reshape(-1)] = 1
    return Tensor._wrap(out)
