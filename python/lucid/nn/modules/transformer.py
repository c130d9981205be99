"""The Transformer layers (Vaswani et al., 2017), batch first, as lucid 2.x has them:
TransformerEncoderLayer, TransformerDecoderLayer, their stacks TransformerEncoder and
TransformerDecoder, and Transformer.

Each layer is self-attention (and, in the decoder, attention over the encoder's
output, the memory), then a feed-forward block linear2(dropout(activation(linear1(x)))),
each sub-block wrapped in a residual connection and a LayerNorm: after the sum
(``norm_first=False``, the original) or on the sub-block's input (``norm_first=True``).
Masks follow nn.MultiHeadAttention: a bool ``*_mask`` is True where attention is not
allowed, a float one is added; a ``*_key_padding_mask`` (N, S) is True at padding.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable
from typing import Any

from lucid._ops.arithmetic import add
from lucid._tensor import Tensor
from lucid.nn.functional.activation import check_real, gelu, relu
from lucid.nn.functional.dropout import check_p
from lucid.nn.module import Module
from lucid.nn.modules.attention import MultiHeadAttention
from lucid.nn.modules.container import ModuleList
from lucid.nn.modules.dropout import Dropout
from lucid.nn.modules.linear import Linear
from lucid.nn.modules.norm import LayerNorm

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]

Activation = Callable[[Tensor], Tensor]
_NAMED_ACTIVATIONS: dict[str, Activation] = {"relu": relu, "gelu": gelu}


def _activation(value: Any) -> Activation:
    """A callable, or PyTorch's names "relu" and "gelu"."""
    if isinstance(value, str) and value in _NAMED_ACTIVATIONS:
        return _NAMED_ACTIVATIONS[value]
    if not callable(value):
        raise TypeError(
            f"activation must be a callable (such as F.relu) or 'relu'/'gelu', got {value!r}"
        )
    return value  # type: ignore[no-any-return]


def _count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")
    return int(value)


def _name_of(fn: Any) -> str:
    return getattr(fn, "__name__", None) or repr(fn)


class _Layer(Module):
    """What both layers share: sizes, the feed-forward block, dropouts and the repr."""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        dim_feedforward: int,
        dropout: float,
        activation: Any,
        layer_norm_eps: float,
        norm_first: bool,
        bias: bool,
        cross: bool,
    ) -> None:
        super().__init__()
        self.d_model = _count("d_model", d_model)
        self.num_heads = _count("num_heads", num_heads)
        self.dim_feedforward = _count("dim_feedforward", dim_feedforward)
        p = check_p(dropout)
        self.layer_norm_eps = check_real("layer_norm_eps", layer_norm_eps, nonnegative=True)
        self.norm_first = bool(norm_first)
        self.bias = bool(bias)
        self.self_attn = MultiHeadAttention(self.d_model, self.num_heads, dropout=p, bias=self.bias)
        if cross:  # registered in lucid 2.x's order: state_dict keys and init draws follow it
            self.multihead_attn = MultiHeadAttention(
                self.d_model, self.num_heads, dropout=p, bias=self.bias
            )
        self.linear1 = Linear(self.d_model, self.dim_feedforward, bias=self.bias)
        self.linear2 = Linear(self.dim_feedforward, self.d_model, bias=self.bias)
        self.dropout = Dropout(p)
        self.dropout1 = Dropout(p)
        self.dropout2 = Dropout(p)
        if cross:
            self.dropout3 = Dropout(p)
        self.activation = _activation(activation)

    def _norm(self) -> LayerNorm:
        return LayerNorm(self.d_model, eps=self.layer_norm_eps)

    def _ff_block(self, x: Tensor, last: Dropout) -> Tensor:
        return last(self.linear2(self.dropout(self.activation(self.linear1(x)))))

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, num_heads={self.num_heads}, "
            f"dim_feedforward={self.dim_feedforward}, dropout={self.dropout.p}, "
            f"activation={_name_of(self.activation)}, layer_norm_eps={self.layer_norm_eps}, "
            f"norm_first={self.norm_first}, bias={self.bias}"
        )


class TransformerEncoderLayer(_Layer):
    """Self-attention then the feed-forward block over ``src`` (N, S, d_model)."""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = relu,
        layer_norm_eps: float = 1e-5,
        norm_first: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__(
            d_model, num_heads, dim_feedforward, dropout, activation, layer_norm_eps,
            norm_first, bias, False,
        )  # fmt: skip
        self.norm1 = self._norm()
        self.norm2 = self._norm()

    def _sa_block(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        return self.dropout1(self.self_attn(x, x, x, padding, mask, is_causal))

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        x = src
        if self.norm_first:
            x = add(x, self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal))
            return add(x, self._ff_block(self.norm2(x), self.dropout2))
        x = self.norm1(add(x, self._sa_block(x, src_mask, src_key_padding_mask, is_causal)))
        return self.norm2(add(x, self._ff_block(x, self.dropout2)))


class TransformerDecoderLayer(_Layer):
    """Self-attention over ``tgt`` (N, T, d_model), attention over ``memory``
    (N, S, d_model), then the feed-forward block."""

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = relu,
        layer_norm_eps: float = 1e-5,
        norm_first: bool = False,
        bias: bool = True,
    ) -> None:
        super().__init__(
            d_model, num_heads, dim_feedforward, dropout, activation, layer_norm_eps,
            norm_first, bias, True,
        )  # fmt: skip
        self.norm1 = self._norm()
        self.norm2 = self._norm()
        self.norm3 = self._norm()

    def _sa_block(self, x: Tensor, mask: Any, padding: Any, is_causal: bool) -> Tensor:
        return self.dropout1(self.self_attn(x, x, x, padding, mask, is_causal))

    def _mha_block(
        self, x: Tensor, memory: Tensor, mask: Any, padding: Any, is_causal: bool
    ) -> Tensor:
        return self.dropout2(self.multihead_attn(x, memory, memory, padding, mask, is_causal))

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        mem_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        mem_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        mem_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        self_args = (tgt_mask, tgt_key_padding_mask, tgt_is_causal)
        mem_args = (mem_mask, mem_key_padding_mask, mem_is_causal)
        if self.norm_first:
            x = add(x, self._sa_block(self.norm1(x), *self_args))
            x = add(x, self._mha_block(self.norm2(x), memory, *mem_args))
            return add(x, self._ff_block(self.norm3(x), self.dropout3))
        x = self.norm1(add(x, self._sa_block(x, *self_args)))
        x = self.norm2(add(x, self._mha_block(x, memory, *mem_args)))
        return self.norm3(add(x, self._ff_block(x, self.dropout3)))


class _Stack(Module):
    def __init__(self, layer: Module, num_layers: int, norm: Module | None) -> None:
        super().__init__()
        if not isinstance(layer, Module):
            raise TypeError(f"the layer to stack must be a Module, got {type(layer).__name__}")
        if norm is not None and not isinstance(norm, Module):
            raise TypeError(f"norm must be a Module or None, got {type(norm).__name__}")
        self.num_layers = _count("num_layers", num_layers, minimum=0)
        # Independent copies, each with its own parameters, as lucid 2.x and PyTorch.
        self.layers = ModuleList([copy.deepcopy(layer) for _ in range(self.num_layers)])
        self.norm = norm

    def _finish(self, x: Tensor) -> Tensor:
        return x if self.norm is None else self.norm(x)

    def extra_repr(self) -> str:
        return f"num_layers={self.num_layers}, norm={self.norm is not None}"


class TransformerEncoder(_Stack):
    """``num_layers`` copies of ``encoder_layer`` applied in turn, then ``norm``."""

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__(encoder_layer, num_layers, norm)

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        x = src
        for layer in self.layers:
            x = layer(
                x, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                is_causal=is_causal,
            )  # fmt: skip
        return self._finish(x)


class TransformerDecoder(_Stack):
    """``num_layers`` copies of ``decoder_layer``, each attending to ``memory``, then ``norm``."""

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None) -> None:
        super().__init__(decoder_layer, num_layers, norm)

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        mem_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        mem_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        mem_is_causal: bool = False,
    ) -> Tensor:
        x = tgt
        for layer in self.layers:
            x = layer(
                x, memory, tgt_mask=tgt_mask, mem_mask=mem_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                mem_key_padding_mask=mem_key_padding_mask,
                tgt_is_causal=tgt_is_causal, mem_is_causal=mem_is_causal,
            )  # fmt: skip
        return self._finish(x)


class Transformer(Module):
    """An encoder of ``num_encoder_layers`` layers and a decoder of
    ``num_decoder_layers``, each ending in a LayerNorm (or ``custom_encoder`` /
    ``custom_decoder``); forward(src (N, S, d_model), tgt (N, T, d_model), masks)
    encodes src and decodes tgt against it."""

    def __init__(
        self,
        d_model: int = 512,
        num_heads: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: Activation = relu,
        layer_norm_eps: float = 1e-5,
        norm_first: bool = False,
        bias: bool = True,
        custom_encoder: Module | None = None,
        custom_decoder: Module | None = None,
    ) -> None:
        super().__init__()
        self.d_model = _count("d_model", d_model)
        self.num_heads = _count("num_heads", num_heads)
        self.num_encoder_layers = _count("num_encoder_layers", num_encoder_layers, 0)
        self.num_decoder_layers = _count("num_decoder_layers", num_decoder_layers, 0)
        self.dim_feedforward = _count("dim_feedforward", dim_feedforward)
        self.dropout = check_p(dropout)
        self.activation = _activation(activation)
        self.layer_norm_eps = check_real("layer_norm_eps", layer_norm_eps, nonnegative=True)
        self.norm_first = bool(norm_first)
        self.bias = bool(bias)
        args = (self.d_model, self.num_heads, self.dim_feedforward, self.dropout,
                self.activation, self.layer_norm_eps, self.norm_first, self.bias)  # fmt: skip
        if custom_encoder is None:
            layer = TransformerEncoderLayer(*args)
            norm = LayerNorm(self.d_model, eps=self.layer_norm_eps)
            self.encoder: Module = TransformerEncoder(layer, self.num_encoder_layers, norm)
        else:
            self.encoder = custom_encoder
        if custom_decoder is None:
            dec = TransformerDecoderLayer(*args)
            norm = LayerNorm(self.d_model, eps=self.layer_norm_eps)
            self.decoder: Module = TransformerDecoder(dec, self.num_decoder_layers, norm)
        else:
            self.decoder = custom_decoder

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        mem_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        mem_key_padding_mask: Tensor | None = None,
    ) -> Tensor:
        memory = self.encoder(
            src, src_mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=False
        )
        return self.decoder(
            tgt, memory, tgt_mask=tgt_mask, mem_mask=mem_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            mem_key_padding_mask=mem_key_padding_mask,
            tgt_is_causal=False, mem_is_causal=False,
        )  # fmt: skip

    def extra_repr(self) -> str:
        return (
            f"d_model={self.d_model}, num_heads={self.num_heads}, "
            f"num_encoder_layers={self.num_encoder_layers}, "
            f"num_decoder_layers={self.num_decoder_layers}, "
            f"dim_feedforward={self.dim_feedforward}, dropout={self.dropout}, "
            f"activation={_name_of(self.activation)}, layer_norm_eps={self.layer_norm_eps}, "
            f"norm_first={self.norm_first}, bias={self.bias}"
        )
