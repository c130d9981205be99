"""The Embedding layer: a table of num_embeddings vectors looked up by int64 index."""

from __future__ import annotations

import numbers
from typing import Any

from lucid import _dtypes, _storage
from lucid._ops import inplace as _inplace
from lucid._tensor import Tensor
from lucid.nn.functional.sparse import embedding, padding_index
from lucid.nn.init import uniform
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter

__all__ = ["Embedding"]


def _size(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


class Embedding(Module):
    """``weight`` (num_embeddings, embedding_dim), drawn from U(−0.1, 0.1) as lucid 2.x
    (PyTorch draws N(0, 1)) in the default float dtype, or a copy of ``_weight``.

    The ``padding_idx`` row starts at zero, as PyTorch's (lucid 2.x draws it too; its
    output is zero either way); ``max_norm`` and ``norm_type`` are passed to
    lucid.nn.functional.embedding, which renormalises the rows it looks up in place.
    """

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        _weight: Tensor | None = None,
    ) -> None:
        super().__init__()
        self.num_embeddings = _size("num_embeddings", num_embeddings)
        self.embedding_dim = _size("embedding_dim", embedding_dim)
        self.padding_idx = padding_index(padding_idx, self.num_embeddings, "Embedding")
        self.max_norm = max_norm
        self.norm_type = norm_type
        shape = (self.num_embeddings, self.embedding_dim)
        if _weight is None:
            self.weight = Parameter(_storage.empty(shape, _dtypes.default_float()))
            self.reset_parameters()
        else:
            if not isinstance(_weight, Tensor) or tuple(_weight.shape) != shape:
                got = tuple(_weight.shape) if isinstance(_weight, Tensor) else type(_weight)
                raise ValueError(f"_weight must be a Tensor of shape {shape}, got {got}")
            self.weight = Parameter(_weight)

    def reset_parameters(self) -> None:
        """Redraw weight from U(−0.1, 0.1) (lucid.random), the padding row zero, in place."""
        uniform(self.weight, -0.1, 0.1)
        if self.padding_idx is not None:
            self.weight.data[self.padding_idx] = 0
            _inplace.bump(self.weight)

    def forward(self, input_: Tensor) -> Tensor:
        return embedding(input_, self.weight, self.padding_idx, self.max_norm, self.norm_type)

    def extra_repr(self) -> str:
        return (
            f"num_embeddings={self.num_embeddings}, embedding_dim={self.embedding_dim}, "
            f"padding_idx={self.padding_idx}, max_norm={self.max_norm}, "
            f"norm_type={self.norm_type}"
        )
