"""The AlphaDropout layer."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _C, _storage
from lucid._tensor import Tensor
from lucid.nn.functional.dropout import _alpha_dropout, check_generator, check_p
from lucid.nn.module import Module

__all__ = ["AlphaDropout"]


class AlphaDropout(Module):
    """Alpha dropout for self-normalising (SELU) networks; see lucid.nn.functional.alpha_dropout.

    ``p`` is the drop probability (default 0.5, as lucid's and PyTorch's signatures).
    ``mask`` is None until a training forward, then a Tensor of 0 (dropped) and 1 (kept)
    in the input's shape and dtype, built from the stored bits when read.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, generator: Any = None) -> None:
        super().__init__()
        self.p = check_p(p)
        self.inplace = bool(inplace)
        self.generator = None if generator is None else check_generator(generator)
        self._bits: _C.Mask | None = None
        self._mask_shape: tuple[int, ...] = ()
        self._mask_dtype = np.dtype(np.float32)
        self._mask_all_kept = False

    def forward(self, input_: Tensor) -> Tensor:
        if self.training:
            self._mask_shape, self._mask_dtype = input_.shape, input_.dtype
            self._bits, self._mask_all_kept = None, self.p == 0.0
        return _alpha_dropout(
            input_, self.p, self.training, self.generator, self.inplace, self._keep_bits
        )

    def _keep_bits(self, bits: _C.Mask) -> None:
        self._bits = bits

    @property
    def mask(self) -> Tensor | None:
        if self._mask_all_kept:
            values = _storage.empty(self._mask_shape, self._mask_dtype)
            values.fill(1)
            return Tensor._wrap(values)
        if self._bits is None:
            return None
        values = self._bits.to_storage(_storage.DTYPES[self._mask_dtype])
        return Tensor._wrap(_storage.wrap(values, self._mask_shape))

    def extra_repr(self) -> str:
        return f"p={self.p}" + (", inplace=True" if self.inplace else "")
