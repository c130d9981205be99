"""DropPath and DropBlock, Modules over lucid.nn.functional.drop_regions.

Both drop only in training mode (lucid 2.x's DropPath drops in eval mode too) and keep
the last training forward's keep mask as ``mask``: a Tensor of 1 (kept) and 0 in the
input's dtype, (N, 1, ..., 1) for DropPath and the input's shape for DropBlock; None
before the first, and left as it was by an eval forward. Their arguments are lucid's,
checked when the layer is built, with an optional keyword ``generator``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage
from lucid._tensor import Tensor
from lucid.nn.functional.drop_regions import (
    check_block_p,
    check_block_size,
    check_eps,
    run_drop_block,
    run_drop_path,
)
from lucid.nn.functional.dropout import check_p
from lucid.nn.module import Module
from lucid.random import check_generator

__all__ = ["DropBlock", "DropPath"]


def _mask_tensor(keep: np.ndarray, dtype: np.dtype) -> Tensor:
    return Tensor._wrap(_storage.copy_of(keep, dtype))


class DropPath(Module):
    """Stochastic depth: drop whole samples with probability ``drop_prob``; see
    lucid.nn.functional.drop_path."""

    mask: Tensor | None

    def __init__(
        self, drop_prob: float = 0.1, scale_by_keep: bool = True, *, generator: Any = None
    ) -> None:
        super().__init__()
        self.drop_prob = check_p(drop_prob)
        self.scale_by_keep = bool(scale_by_keep)
        self.generator = None if generator is None else check_generator(generator)
        self.mask = None

    def forward(self, input_: Tensor) -> Tensor:
        y, keep = run_drop_path(
            input_, self.drop_prob, self.scale_by_keep, self.training, self.generator
        )
        if self.training:
            shape = (y.shape[0],) + (1,) * (y.ndim - 1) if y.ndim else ()
            ones = np.ones(shape, bool)
            self.mask = _mask_tensor(ones if keep is None else keep, y.dtype)
        return y

    def extra_repr(self) -> str:
        return f"drop_prob={self.drop_prob}, scale_by_keep={self.scale_by_keep}"


class DropBlock(Module):
    """DropBlock: zero ``block_size``×``block_size`` blocks of (N, C, H, W) maps so that
    a fraction ``p`` is dropped; see lucid.nn.functional.drop_block."""

    mask: Tensor | None

    def __init__(
        self, block_size: int, p: float = 0.1, eps: float = 1e-7, *, generator: Any = None
    ) -> None:
        super().__init__()
        self.block_size = check_block_size("DropBlock", block_size)
        self.p = check_block_p("DropBlock", p)
        self.eps = check_eps("DropBlock", eps)
        self.generator = None if generator is None else check_generator(generator)
        self.mask = None

    def forward(self, input_: Tensor) -> Tensor:
        y, keep = run_drop_block(
            input_, self.block_size, self.p, self.eps, self.training, self.generator
        )
        if self.training:
            self.mask = _mask_tensor(np.ones(y.shape, bool) if keep is None else keep, y.dtype)
        return y

    def extra_repr(self) -> str:
        return f"block_size={self.block_size}, p={self.p}"
