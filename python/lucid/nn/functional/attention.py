"""Scaled dot-product attention: softmax(Q Kᵀ · scale + bias) V.

Built from differentiable ops (matmul, a scalar product, an add, softmax, dropout), so
the gradient reaches the query, the key, the value and a float ``attn_mask`` that
requires grad. Masked positions get the bias ``MASKED`` (−1e12, lucid 2.x's value)
rather than −inf: a row whose every position is masked then stays a finite weighted
mean of the values instead of NaN, and every other row is exactly as with −inf
(e^(−1e12) is 0).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid._ops.elementwise import Add, Mul
from lucid._ops.linalg import matmul
from lucid._tensor import Tensor
from lucid.nn.functional.activation import check_real, softmax
from lucid.nn.functional.dropout import check_p, dropout

__all__ = ["scaled_dot_product_attention"]

#: The bias of a masked position, added to its score before the softmax.
MASKED = -1e12

_FLOATS = (np.float32, np.float64)


def check_float_tensor(op: str, name: str, value: Any, min_ndim: int = 0) -> Tensor:
    """``value`` as a float32 or float64 Tensor of at least ``min_ndim`` dimensions."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a lucid Tensor, got {type(value).__name__}")
    if value.dtype not in _FLOATS:
        raise TypeError(f"{op}: {name} must be a float32 or float64 tensor, got {value.dtype}")
    if len(value.shape) < min_ndim:
        raise ValueError(
            f"{op}: {name} must have at least {min_ndim} dimensions, got shape {value.shape}"
        )
    return value


def check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def causal_bias(rows: int, cols: int, dtype: np.dtype) -> Tensor:
    """(rows, cols): 0 where column <= row (the top-left triangle), MASKED above it."""
    keep = np.tri(rows, cols, dtype=bool)
    return Tensor(np.where(keep, 0.0, MASKED).astype(dtype))


def mask_bias(mask: Tensor, dtype: np.dtype) -> Tensor:
    """A bool mask (True: may attend) as an additive bias of 0 and MASKED."""
    return Tensor(np.where(mask.data, 0.0, MASKED).astype(dtype))


def _check_mask(attn_mask: Any, scores_shape: tuple[int, ...]) -> Tensor:
    if not isinstance(attn_mask, Tensor):
        raise TypeError(
            f"scaled_dot_product_attention: attn_mask must be a lucid Tensor or None, "
            f"got {type(attn_mask).__name__}"
        )
    if attn_mask.dtype not in (*_FLOATS, np.bool_):
        raise TypeError(
            f"scaled_dot_product_attention: attn_mask must be bool or float, got {attn_mask.dtype}"
        )
    try:
        shape = np.broadcast_shapes(tuple(attn_mask.shape), scores_shape)
    except ValueError:
        shape = ()
    if shape != scores_shape:
        raise ValueError(
            f"scaled_dot_product_attention: attn_mask of shape {attn_mask.shape} does not "
            f"broadcast to the attention scores' shape {scores_shape}"
        )
    return attn_mask


def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
) -> Tensor:
    """Attention of ``query`` (..., L, E) over ``key`` (..., S, E) and ``value`` (..., S, Ev).

    The scores Q Kᵀ are multiplied by ``scale`` (1/√E when None), then the mask is
    added: a float ``attn_mask`` is added as it is; a bool one lets a query attend
    where it is True (PyTorch's rule; lucid 2.x adds a bool mask as 0 and 1);
    ``is_causal`` keeps each query i to keys j <= i. The softmax of each row weights
    the values; with ``dropout_p`` > 0 the weights are dropped (and the rest scaled by
    1/(1 − p)) with lucid.random's default generator, whatever the mode, as PyTorch
    and lucid 2.x. Leading dimensions broadcast as in matmul; the result is
    (..., L, Ev).
    """
    op = "scaled_dot_product_attention"
    q = check_float_tensor(op, "query", query, 2)
    k = check_float_tensor(op, "key", key, 2)
    v = check_float_tensor(op, "value", value, 2)
    p = check_p(dropout_p)
    causal = check_bool("is_causal", is_causal)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"{op}: query and key must have the same last dimension; got query {q.shape}, "
            f"key {k.shape}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"{op}: key and value must have the same length (dimension -2); got key "
            f"{k.shape}, value {v.shape}"
        )
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"{op}: the leading dimensions of query {q.shape}, key {k.shape} and value "
            f"{v.shape} do not broadcast"
        ) from None
    if causal and attn_mask is not None:
        raise ValueError(f"{op}: pass attn_mask or is_causal=True, not both")
    factor = 1.0 / math.sqrt(q.shape[-1]) if scale is None else check_real("scale", scale)

    scores = Mul.apply(matmul(q, k.mT), factor)
    if causal:
        scores = Add.apply(scores, causal_bias(q.shape[-2], k.shape[-2], scores.dtype))
    if attn_mask is not None:
        mask = _check_mask(attn_mask, tuple(scores.shape))
        bias = mask_bias(mask, scores.dtype) if mask.dtype == np.bool_ else mask
        scores = Add.apply(scores, bias)
    weights = softmax(scores, axis=-1)
    if p > 0:
        weights = dropout(weights, p, training=True)
    return matmul(weights, v)
