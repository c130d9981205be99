"""The pooling layers: AvgPool, MaxPool, AdaptiveAvgPool and AdaptiveMaxPool in 1, 2
and 3 dimensions, each over its function in lucid.nn.functional.pool.

As lucid 2.x: kernel_size, stride and padding are kept as tuples of one int per axis
(an int is repeated), stride defaults to 1, and the repr lists the three; the adaptive
layers keep output_size as given.
"""

from __future__ import annotations

from typing import Any

from lucid._tensor import Tensor
from lucid.nn.functional import pool as F
from lucid.nn.module import Module

__all__ = [
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
]


class _PoolNd(Module):
    """What the windowed layers share: the three window arguments, checked."""

    _d = 1
    _function: Any = None

    def __init__(self, kernel_size: Any = 1, stride: Any = 1, padding: Any = 0) -> None:
        super().__init__()
        self.kernel_size = F.ints("kernel_size", kernel_size, self._d, 1)
        self.stride = F.ints("stride", stride, self._d, 1)
        self.padding = F.ints("padding", padding, self._d, 0)

    def forward(self, input_: Tensor) -> Tensor:
        return type(self)._function(input_, self.kernel_size, self.stride, self.padding)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _AdaptivePoolNd(Module):
    _d = 1
    _function: Any = None

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        F.ints("output_size", output_size, self._d, 1, allow_none=True)  # checked now
        self.output_size = tuple(output_size) if isinstance(output_size, list) else output_size

    def forward(self, input_: Tensor) -> Tensor:
        return type(self)._function(input_, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AvgPool1d(_PoolNd):
    """The mean of each window along L of (N, C, L)."""

    _d, _function = 1, F.avg_pool1d


class AvgPool2d(_PoolNd):
    """The mean of each window over (H, W) of (N, C, H, W)."""

    _d, _function = 2, F.avg_pool2d


class AvgPool3d(_PoolNd):
    """The mean of each window over (D, H, W) of (N, C, D, H, W)."""

    _d, _function = 3, F.avg_pool3d


class MaxPool1d(_PoolNd):
    """The maximum of each window along L of (N, C, L)."""

    _d, _function = 1, F.max_pool1d


class MaxPool2d(_PoolNd):
    """The maximum of each window over (H, W) of (N, C, H, W)."""

    _d, _function = 2, F.max_pool2d


class MaxPool3d(_PoolNd):
    """The maximum of each window over (D, H, W) of (N, C, D, H, W)."""

    _d, _function = 3, F.max_pool3d


class AdaptiveAvgPool1d(_AdaptivePoolNd):
    """Means over output_size windows covering L."""

    _d, _function = 1, F.adaptive_avg_pool1d


class AdaptiveAvgPool2d(_AdaptivePoolNd):
    """Means over windows covering (H, W), output_size (h, w) or one int."""

    _d, _function = 2, F.adaptive_avg_pool2d


class AdaptiveAvgPool3d(_AdaptivePoolNd):
    """Means over windows covering (D, H, W)."""

    _d, _function = 3, F.adaptive_avg_pool3d


class AdaptiveMaxPool1d(_AdaptivePoolNd):
    """Maxima over output_size windows covering L."""

    _d, _function = 1, F.adaptive_max_pool1d


class AdaptiveMaxPool2d(_AdaptivePoolNd):
    """Maxima over windows covering (H, W), output_size (h, w) or one int."""

    _d, _function = 2, F.adaptive_max_pool2d


class AdaptiveMaxPool3d(_AdaptivePoolNd):
    """Maxima over windows covering (D, H, W)."""

    _d, _function = 3, F.adaptive_max_pool3d
