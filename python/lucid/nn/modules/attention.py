"""Attention layers: ScaledDotProductAttention and MultiHeadAttention."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from lucid import _dtypes
from lucid._ops.elementwise import Add
from lucid._ops.movement import concatenate
from lucid._tensor import Tensor
from lucid.nn.functional.activation import check_real
from lucid.nn.functional.attention import (
    MASKED,
    causal_bias,
    check_bool,
    check_float_tensor,
    scaled_dot_product_attention,
)
from lucid.nn.functional.dropout import check_p
from lucid.nn.module import Module
from lucid.nn.modules.linear import Linear
from lucid.nn.parameter import Parameter

__all__ = ["MultiHeadAttention", "ScaledDotProductAttention"]


class ScaledDotProductAttention(Module):
    """F.scaled_dot_product_attention with its mask, dropout, causality and scale fixed
    at construction; forward(query, key, value)."""

    def __init__(
        self,
        attn_mask: Tensor | None = None,
        dropout_p: float = 0.0,
        is_causal: bool = False,
        scale: float | None = None,
    ) -> None:
        super().__init__()
        if attn_mask is not None and not isinstance(attn_mask, Tensor):
            raise TypeError(f"attn_mask must be a lucid Tensor or None, got {attn_mask!r}")
        self.attn_mask = attn_mask
        self.dropout_p = check_p(dropout_p)
        self.is_causal = check_bool("is_causal", is_causal)
        self.scale = None if scale is None else check_real("scale", scale)

    def forward(self, query: Tensor, key: Tensor, value: Tensor) -> Tensor:
        return scaled_dot_product_attention(
            query, key, value, self.attn_mask, self.dropout_p, self.is_causal, self.scale
        )

    def extra_repr(self) -> str:
        return f"dropout_p={self.dropout_p}, is_causal={self.is_causal}, scale={self.scale}"


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def _pad_last(mask: Tensor | None, fill: Any) -> Tensor | None:
    """``mask`` with one more column (the key added by add_bias_kv or add_zero_attn)."""
    if mask is None:
        return None
    column = Tensor(np.full((*mask.shape[:-1], 1), fill, dtype=mask.dtype))
    return concatenate([mask, column], axis=-1)


class MultiHeadAttention(Module):
    """Attention of num_heads heads of size embed_dim // num_heads, batch first.

    forward(query (N, L, embed_dim), key (N, S, kdim), value (N, S, vdim),
    key_padding_mask, attn_mask, is_causal) → (N, L, embed_dim). The projections are
    split into heads as PyTorch does, each position's features into num_heads slices
    (lucid 2.x reshapes (N, L, E) straight to (N, heads, L, head_dim), which mixes
    positions between heads). Masks, as in PyTorch's MultiheadAttention:
    ``key_padding_mask`` (N, S) is True (or 1) at keys to ignore; a bool
    ``attn_mask`` is True where attention is not allowed, a float one is added to the
    scores; either broadcasts to (N, num_heads, L, S). ``is_causal`` keeps query i
    to keys j <= i and may be combined with both masks. Attention dropout applies in
    training mode only, as PyTorch (lucid 2.x applies it in eval mode too).
    """

    bias_k: Parameter | None
    bias_v: Parameter | None

    def __init__(
        self,
        embed_dim: int,
        num_heads: int,
        dropout: float = 0.0,
        bias: bool = True,
        add_bias_kv: bool = False,
        add_zero_attn: bool = False,
        kdim: int | None = None,
        vdim: int | None = None,
    ) -> None:
        super().__init__()
        self.embed_dim = _positive_int("embed_dim", embed_dim)
        self.num_heads = _positive_int("num_heads", num_heads)
        self.dropout = check_p(dropout)
        self.bias = bool(bias)
        self.add_bias_kv = bool(add_bias_kv)
        self.add_zero_attn = bool(add_zero_attn)
        self.head_dim = self.embed_dim // self.num_heads
        if self.head_dim * self.num_heads != self.embed_dim:
            raise ValueError(
                f"embed_dim must be divisible by num_heads, got embed_dim={embed_dim}, "
                f"num_heads={num_heads}"
            )
        self.kdim = self.embed_dim if kdim is None else _positive_int("kdim", kdim)
        self.vdim = self.embed_dim if vdim is None else _positive_int("vdim", vdim)

        self.q_proj = Linear(self.embed_dim, self.embed_dim, bias=self.bias)
        self.k_proj = Linear(self.kdim, self.embed_dim, bias=self.bias)
        self.v_proj = Linear(self.vdim, self.embed_dim, bias=self.bias)
        self.out_proj = Linear(self.embed_dim, self.embed_dim, bias=self.bias)
        if self.add_bias_kv:
            dtype = _dtypes.default_float()
            self.bias_k = Parameter(np.zeros((1, 1, self.embed_dim), dtype=dtype))
            self.bias_v = Parameter(np.zeros((1, 1, self.embed_dim), dtype=dtype))
        else:
            self.register_parameter("bias_k", None)
            self.register_parameter("bias_v", None)
        self.scale = self.head_dim**-0.5

    def _heads(self, x: Tensor) -> Tensor:
        """(N, T, E) → (N, heads, T, head_dim)."""
        n, t = x.shape[0], x.shape[1]
        return x.reshape(n, t, self.num_heads, self.head_dim).swapaxes(1, 2)

    def _check(self, query: Any, key: Any, value: Any) -> None:
        op = "MultiHeadAttention"
        for name, t, size in (("query", query, self.embed_dim), ("key", key, self.kdim),
                              ("value", value, self.vdim)):  # fmt: skip
            check_float_tensor(op, name, t)
            if len(t.shape) != 3 or t.shape[-1] != size:
                raise ValueError(f"{op}: {name} must have shape (N, length, {size}), got {t.shape}")
        if not query.shape[0] == key.shape[0] == value.shape[0]:
            raise ValueError(
                f"{op}: query, key and value must have one batch size; got {query.shape}, "
                f"{key.shape}, {value.shape}"
            )
        if key.shape[1] != value.shape[1]:
            raise ValueError(
                f"{op}: key and value must have the same length; got {key.shape}, {value.shape}"
            )

    def _bias(
        self,
        n: int,
        lengths: tuple[int, int],
        dtype: np.dtype,
        key_padding_mask: Any,
        attn_mask: Any,
        is_causal: bool,
    ) -> Tensor | None:
        """One additive bias for the scores (N, heads, L, S'), S' counting added keys."""
        q_len, k_len = lengths
        extra = int(self.add_bias_kv) + int(self.add_zero_attn)
        parts: list[Tensor] = []
        if attn_mask is not None:
            if not isinstance(attn_mask, Tensor):
                raise TypeError(f"attn_mask must be a lucid Tensor or None, got {attn_mask!r}")
            if attn_mask.dtype == np.bool_:
                mask = Tensor(np.where(attn_mask.data, MASKED, 0.0).astype(dtype))
            else:
                mask = check_float_tensor("MultiHeadAttention", "attn_mask", attn_mask)
            if tuple(mask.shape[-1:]) != (k_len,):
                mask = Add.apply(mask, Tensor(np.zeros(k_len, dtype=dtype)))  # to S columns
            for _ in range(extra):
                mask = _pad_last(mask, 0.0)  # type: ignore[assignment]
            parts.append(mask)
        if key_padding_mask is not None:
            kpm = key_padding_mask
            if not isinstance(kpm, Tensor) or tuple(kpm.shape) != (n, k_len):
                raise ValueError(
                    f"key_padding_mask must be a Tensor of shape ({n}, {k_len}), got "
                    f"{getattr(kpm, 'shape', type(kpm).__name__)}"
                )
            # lucid 2.x's rule: the mask times −1e12 (True or 1 ignores the key).
            pad = np.asarray(kpm.data, dtype=dtype) * dtype.type(MASKED)
            pad = np.concatenate([pad, np.zeros((n, extra), dtype=dtype)], axis=1)
            parts.append(Tensor(pad[:, None, None, :]))
        if is_causal:
            causal = causal_bias(q_len, k_len, dtype).data
            causal = np.concatenate([causal, np.zeros((q_len, extra), dtype=dtype)], axis=1)
            parts.append(Tensor(causal))
        if not parts:
            return None
        total = parts[0]
        for part in parts[1:]:
            total = Add.apply(total, part)
        return total

    def forward(
        self,
        query: Tensor,
        key: Tensor,
        value: Tensor,
        key_padding_mask: Tensor | None = None,
        attn_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        self._check(query, key, value)
        causal = check_bool("is_causal", is_causal)
        n, q_len, k_len = query.shape[0], query.shape[1], key.shape[1]
        q = self._heads(self.q_proj(query))
        k = self._heads(self.k_proj(key))
        v = self._heads(self.v_proj(value))
        if self.bias_k is not None and self.bias_v is not None:
            bias_k = self._heads(self.bias_k).repeat(n, axis=0)
            bias_v = self._heads(self.bias_v).repeat(n, axis=0)
            k = concatenate([k, bias_k], axis=2)
            v = concatenate([v, bias_v], axis=2)
        if self.add_zero_attn:
            zeros = Tensor(np.zeros((n, self.num_heads, 1, self.head_dim), dtype=q.dtype))
            k = concatenate([k, zeros], axis=2)
            v = concatenate([v, zeros], axis=2)
        bias = self._bias(n, (q_len, k_len), np.dtype(q.dtype), key_padding_mask, attn_mask, causal)
        p = self.dropout if self.training else 0.0
        out = scaled_dot_product_attention(q, k, v, bias, p, False, self.scale)
        out = out.swapaxes(1, 2).reshape(n, q_len, self.embed_dim)
        return self.out_proj(out)

    def extra_repr(self) -> str:
        return (
            f"embed_dim={self.embed_dim}, num_heads={self.num_heads}, dropout={self.dropout}, "
            f"bias={self.bias}, add_bias_kv={self.add_bias_kv}, "
            f"add_zero_attn={self.add_zero_attn}"
        )
