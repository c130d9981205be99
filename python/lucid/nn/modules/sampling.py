"""Upsample: interpolate to a fixed size, or to the input's size times a scale factor."""

from __future__ import annotations

import math
import numbers
from typing import Any

from lucid._tensor import Tensor
from lucid.nn.functional import sampling as F
from lucid.nn.module import Module

__all__ = ["Upsample"]


def _check_scale(scale_factor: Any) -> None:
    items = scale_factor if isinstance(scale_factor, (tuple, list)) else (scale_factor,)
    for s in items:
        if isinstance(s, bool) or not isinstance(s, numbers.Real):
            raise TypeError(
                f"scale_factor must be a number or a tuple of them, got {scale_factor!r}"
            )
        if not math.isfinite(s) or s <= 0:
            raise ValueError(f"scale_factor must be positive and finite, got {scale_factor!r}")


class Upsample(Module):
    """Resize (N, C, *spatial) with F.interpolate, to ``size`` or to floor(size ·
    scale_factor) per axis (one factor for every axis, or one each); exactly one of the
    two is given. mode "nearest" by default, as lucid 2.x and PyTorch."""

    def __init__(
        self,
        size: Any = None,
        scale_factor: Any = None,
        mode: str = "nearest",
        align_corners: bool = False,
    ) -> None:
        super().__init__()
        if size is None and scale_factor is None:
            raise ValueError("Either 'size' or 'scale_factor' must be specified.")
        if size is not None and scale_factor is not None:
            raise ValueError(
                f"give size or scale_factor, not both (got size={size!r}, "
                f"scale_factor={scale_factor!r})"
            )
        if scale_factor is not None:
            _check_scale(scale_factor)
        self.size = size
        self.scale_factor = scale_factor
        self.mode = mode
        self.align_corners = align_corners

    def _output_size(self, input_: Tensor) -> Any:
        if self.size is not None:
            return self.size
        spatial = tuple(input_.shape[2:]) if isinstance(input_, Tensor) else ()
        factors = self.scale_factor
        if not isinstance(factors, (tuple, list)):
            factors = (factors,) * len(spatial)
        if len(factors) != len(spatial):
            raise ValueError(
                f"Upsample: scale_factor {self.scale_factor!r} needs one factor per "
                f"spatial axis of input_ of shape {tuple(input_.shape)}"
            )
        # PyTorch's floor(size · factor) (lucid 2.x passed the float product on).
        return tuple(max(1, math.floor(n * s)) for n, s in zip(spatial, factors, strict=True))

    def forward(self, input_: Tensor) -> Tensor:
        return F.interpolate(input_, self._output_size(input_), self.mode, self.align_corners)

    def extra_repr(self) -> str:
        return (
            f"size={self.size}, scale_factor={self.scale_factor}, mode={self.mode}, "
            f"align_corners={self.align_corners}"
        )
