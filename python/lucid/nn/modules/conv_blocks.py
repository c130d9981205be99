"""lucid 2.x's fused convolution blocks: conv → batch norm → ReLU, and the depthwise-
separable convolution (a per-channel conv, then a 1×1 conv mixing the channels).

Both are plain containers of the layers in lucid.nn.modules.conv and norm, with lucid
2.x's signatures and child names (``conv``, ``bn``, ``relu``; ``depthwise``,
``pointwise``), so their state dicts and reprs read as lucid 2.x's.
"""

from __future__ import annotations

from typing import Any, ClassVar

from lucid._tensor import Tensor
from lucid.nn.module import Module
from lucid.nn.modules.activation import ReLU
from lucid.nn.modules.conv import Conv1d, Conv2d, Conv3d
from lucid.nn.modules.norm import BatchNorm1d, BatchNorm2d, BatchNorm3d

__all__ = [
    "ConvBNReLU1d",
    "ConvBNReLU2d",
    "ConvBNReLU3d",
    "DepthSeparableConv1d",
    "DepthSeparableConv2d",
    "DepthSeparableConv3d",
]

_CONV: tuple[type[Module], ...] = (Conv1d, Conv2d, Conv3d)
_BATCH_NORM: tuple[type[Module], ...] = (BatchNorm1d, BatchNorm2d, BatchNorm3d)


class _ConvBNReLU(Module):
    """relu(bn(conv(x))): the conv's arguments, then batch norm's."""

    rank: ClassVar[int] = 0

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: str | int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        conv_bias: bool = True,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        bn_affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        conv: Any = _CONV[self.rank - 1]
        norm: Any = _BATCH_NORM[self.rank - 1]
        self.conv = conv(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, conv_bias
        )
        self.bn = norm(out_channels, eps, momentum, bn_affine, track_running_stats)
        self.relu = ReLU()

    def forward(self, input_: Tensor) -> Tensor:
        return self.relu(self.bn(self.conv(input_)))


class ConvBNReLU1d(_ConvBNReLU):
    """Conv1d → BatchNorm1d → ReLU over (N, C, L)."""

    rank = 1


class ConvBNReLU2d(_ConvBNReLU):
    """Conv2d → BatchNorm2d → ReLU over (N, C, H, W)."""

    rank = 2


class ConvBNReLU3d(_ConvBNReLU):
    """Conv3d → BatchNorm3d → ReLU over (N, C, D, H, W)."""

    rank = 3


class _DepthSeparableConv(Module):
    """pointwise(depthwise(x)): depthwise is a conv with groups = in_channels (one
    kernel per channel, the given kernel_size, stride, padding and dilation), pointwise
    a 1×1 conv from in_channels to out_channels; ``bias`` applies to both.

    lucid 2.x also stores Python's builtin ``reversed`` as an attribute (which its repr
    prints); that stray attribute is left out here.
    """

    rank: ClassVar[int] = 0

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: str | int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        bias: bool = True,
    ) -> None:
        super().__init__()
        conv: Any = _CONV[self.rank - 1]
        self.depthwise = conv(
            in_channels, in_channels, kernel_size, stride, padding, dilation,
            groups=in_channels, bias=bias,
        )  # fmt: skip
        self.pointwise = conv(in_channels, out_channels, kernel_size=1, bias=bias)

    def forward(self, input_: Tensor) -> Tensor:
        return self.pointwise(self.depthwise(input_))


class DepthSeparableConv1d(_DepthSeparableConv):
    """Depthwise Conv1d, then a 1×1 Conv1d."""

    rank = 1


class DepthSeparableConv2d(_DepthSeparableConv):
    """Depthwise Conv2d, then a 1×1 Conv2d."""

    rank = 2


class DepthSeparableConv3d(_DepthSeparableConv):
    """Depthwise Conv3d, then a 1×1 Conv3d."""

    rank = 3
