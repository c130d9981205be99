"""The Rearrange layer: lucid.einops.rearrange with a fixed pattern."""

from __future__ import annotations

from lucid._tensor import Tensor
from lucid.einops import rearrange
from lucid.einops._pattern import parse
from lucid.nn.module import Module

__all__ = ["Rearrange"]


class Rearrange(Module):
    """``rearrange(input_, pattern, **shapes)`` as a layer; the pattern is checked here."""

    def __init__(self, pattern: str, **shapes: int) -> None:
        super().__init__()
        parse(pattern)  # a malformed pattern fails at construction, not at the first call
        self.pattern = pattern
        self.shapes = dict(shapes)

    def forward(self, input_: Tensor) -> Tensor:
        return rearrange(input_, self.pattern, **self.shapes)

    def extra_repr(self) -> str:
        return f"pattern={self.pattern}"  # unquoted, as lucid 2.x
