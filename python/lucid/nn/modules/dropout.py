"""The dropout layers: Dropout, Dropout1d/2d/3d, AlphaDropout, FeatureAlphaDropout."""

from __future__ import annotations

from typing import Any

import numpy as np

import lucid._C as _C
from lucid import _storage
from lucid._tensor import Tensor
from lucid.nn.functional.dropout import check_p, run
from lucid.nn.functional.selu_dropout import linear_run
from lucid.nn.functional.selu_dropout import run as selu_alpha_dropout_run
from lucid.nn.module import Module
from lucid.random import check_generator

__all__ = [
    "AlphaDropout",
    "Dropout",
    "Dropout1d",
    "Dropout2d",
    "Dropout3d",
    "FeatureAlphaDropout",
]


class _Dropout(Module):
    """What the family's layers share: p, inplace, an optional generator, and ``mask``.

    ``mask`` is None until a training forward, then a Tensor of 0 (dropped) and 1
    (kept) in the mask's shape (the input's, or (N, C, 1, ...) for the channel layers)
    and the input's dtype, built from the stored bits when read. An eval forward
    leaves it as it was.
    """

    _kind = "standard"
    _channels: tuple[str, int | None] | None = None

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
        if self.training:  # a forward that raises leaves no mask behind
            self._forget_mask()
        y, bits, shape = run(
            input_, self.p, self.training, self.generator, self.inplace, self._kind,
            channels=self._channels,
        )  # fmt: skip
        if self.training:  # run has checked input_; p = 0 draws nothing: all kept
            self._record(bits, shape, input_.dtype)
        return y

    # The mask's record is plain private attributes (never a parameter, buffer or
    # module), set in __dict__ directly: Module.__setattr__'s checks would cost more
    # than the rest of a small forward's bookkeeping.
    def _record(self, bits: _C.Mask | None, shape: tuple[int, ...], dtype: Any) -> None:
        self.__dict__.update(
            _bits=bits, _mask_shape=shape, _mask_dtype=dtype, _mask_all_kept=bits is None
        )

    def _forget_mask(self) -> None:
        self.__dict__.update(_bits=None, _mask_all_kept=False)

    def forward_after_selu(self, input_: Tensor) -> Tensor:
        """This alpha-dropout layer applied to ``selu(input_)``, as one node in training
        mode (lucid.nn.functional.selu_alpha_dropout), with ``mask`` and the generator's
        state as the two calls would leave them: what ``nn.Sequential`` runs for an
        ``nn.SELU()`` directly followed by an AlphaDropout or FeatureAlphaDropout."""
        if self.training:
            self._forget_mask()
        y, bits, shape = selu_alpha_dropout_run(
            input_, self.p, self.training, self.generator, self._channels
        )
        if self.training:
            self._record(bits, shape, input_.dtype)
        return y

    def forward_after_linear_selu(
        self, weight: Tensor, bias: Tensor | None, input_: Tensor
    ) -> Tensor:
        """This layer applied to ``selu(linear(input_, weight, bias))`` as one node, in
        training mode with p > 0 (lucid.nn.functional.selu_dropout.linear_run), the mask
        recorded as the three calls would leave it."""
        self._forget_mask()
        y, bits = linear_run(input_, weight, bias, self.p, self.generator)
        self._record(bits, tuple(input_.shape[:1]) + tuple(weight.shape[:1]), input_.dtype)
        return y

    @property
    def mask(self) -> Tensor | None:
        if self._mask_all_kept:
            values = _storage.empty(self._mask_shape, self._mask_dtype)
            values.fill(1)
            return Tensor._wrap(values)
        if self._bits is None:
            return None
        bits = self._bits.to_storage(_storage.DTYPES[self._mask_dtype])
        return Tensor._wrap(_storage.wrap(bits, self._mask_shape))

    def extra_repr(self) -> str:
        return f"p={self.p}" + (", inplace=True" if self.inplace else "")


class Dropout(_Dropout):
    """Zero each element with probability p; scale the rest by 1 / (1 − p)."""


class Dropout1d(_Dropout):
    """Zero whole channels of (N, C, L) or (C, L) inputs; scale the rest by 1 / (1 − p)."""

    _channels = ("Dropout1d", 1)


class Dropout2d(_Dropout):
    """Zero whole channels of (N, C, H, W) or (C, H, W) inputs; scale the rest."""

    _channels = ("Dropout2d", 2)


class Dropout3d(_Dropout):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) inputs; scale the rest."""

    _channels = ("Dropout3d", 3)


class AlphaDropout(_Dropout):
    """Alpha dropout for self-normalising (SELU) networks; see
    lucid.nn.functional.alpha_dropout. ``p`` is the drop probability (default 0.5, as
    lucid's and PyTorch's signatures)."""

    _kind = "alpha"


class FeatureAlphaDropout(_Dropout):
    """Alpha dropout of whole channels of (N, C, ...) inputs: one mask value per (N, C)."""

    _kind = "alpha"
    _channels = ("FeatureAlphaDropout", None)
