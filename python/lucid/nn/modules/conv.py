"""Convolution layers (Conv1d/2d/3d, ConvTranspose1d/2d/3d) and Unfold, as lucid 2.x's.

Each layer holds its weight and bias as Parameters in the default float dtype and
calls its function in lucid.nn.functional. The initialisation is lucid 2.x's:
weight from U(±sqrt(6 / fan_in)) (``kaiming_uniform`` with a = 0), bias from
U(±1 / sqrt(fan_in)), fan_in = weight.shape[1] · ∏kernel, drawn from lucid.random (seed
it for reproducible layers). The reprs are lucid 2.x's (PyTorch's with tuples).
"""

from __future__ import annotations

import math
from typing import Any

from lucid import _dtypes, _storage
from lucid._ops import movement
from lucid._tensor import Tensor
from lucid.nn.functional import conv as F
from lucid.nn.functional import conv_transpose as FT
from lucid.nn.init import _calculate_fan_in_and_fan_out, kaiming_uniform, uniform
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter

__all__ = [
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Unfold",
]

_CONV = (F.conv1d, F.conv2d, F.conv3d)
_CONV_TRANSPOSE = (FT.conv_transpose1d, FT.conv_transpose2d, FT.conv_transpose3d)


def _check_input(layer: str, input_: Any, rank: int) -> Tensor:
    if isinstance(input_, Tensor) and input_.ndim != rank + 2:
        raise ValueError(
            f"{layer}: expected {rank + 2}-D input (N, C, *{rank} spatial axes), "
            f"got shape {tuple(input_.shape)}"
        )
    return input_


def _padding(layer: str, padding: Any, kernel: tuple[int, ...], dilation: tuple[int, ...]) -> Any:
    """lucid 2.x's padding attribute: "same" as d·(k − 1) // 2 per side, "valid" as 0."""
    if padding == "same":
        return tuple(d * (k - 1) // 2 for k, d in zip(kernel, dilation, strict=True))
    if padding == "valid":
        return (0,) * len(kernel)
    if isinstance(padding, str):
        raise ValueError(
            f"{layer}: padding must be 'same', 'valid', an int or ints, got {padding!r}"
        )
    return F.tuple_arg(layer, "padding", padding, len(kernel), 0)


class _ConvBase(Module):
    """What the convolutions and the transposed ones share: arguments, weight, init."""

    rank = 0
    transposed = False

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...],
        padding: Any,
        dilation: int | tuple[int, ...],
        groups: int,
        bias: bool,
    ) -> None:
        super().__init__()
        name, rank = type(self).__name__, self.rank
        self.in_channels = F.check_int(name, "in_channels", in_channels, 1)
        self.out_channels = F.check_int(name, "out_channels", out_channels, 1)
        self.groups = F.check_int(name, "groups", groups, 1)
        for what, channels in (("in_channels", self.in_channels), ("out_channels", out_channels)):
            if channels % self.groups:
                raise ValueError(
                    f"{name}: {what} ({channels}) must be divisible by groups ({self.groups})"
                )
        self.kernel_size = F.tuple_arg(name, "kernel_size", kernel_size, rank, 1)
        self.stride = F.tuple_arg(name, "stride", stride, rank, 1)
        self.dilation = F.tuple_arg(name, "dilation", dilation, rank, 1)
        self.padding = _padding(name, padding, self.kernel_size, self.dilation)
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups, *self.kernel_size)
        else:
            shape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        dtype = _dtypes.default_float()
        self.weight = Parameter(_storage.empty(shape, dtype))
        if bias:
            self.bias = Parameter(_storage.empty((self.out_channels,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight, then bias, from lucid.random as lucid 2.x does."""
        kaiming_uniform(self.weight)
        if self.bias is not None:
            fan_in, _ = _calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1.0 / math.sqrt(fan_in)
                uniform(self.bias, -bound, bound)

    def _extra(self) -> str:
        return ""

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, "
            f"kernel_size={self.kernel_size}, stride={self.stride}"
        )
        if any(self.padding):
            s += f", padding={self.padding}"
        s += self._extra()
        if any(d != 1 for d in self.dilation):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class _ConvNd(_ConvBase):
    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: str | int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias
        )
        # "same" at stride 1 keeps the length even for an even dilated kernel (the odd
        # pad goes at the end, as PyTorch's); lucid 2.x pads d·(k − 1) // 2 per side,
        # one short. At other strides lucid 2.x's symmetric padding is used.
        self._same = padding == "same" and all(s == 1 for s in self.stride)

    def forward(self, input_: Tensor) -> Tensor:
        x = _check_input(type(self).__name__, input_, self.rank)
        padding = "same" if self._same else self.padding
        return _CONV[self.rank - 1](
            x, self.weight, self.bias, self.stride, padding, self.dilation, self.groups
        )


class Conv1d(_ConvNd):
    """1-D convolution over (N, in_channels, L); weight (out, in / groups, K)."""

    rank = 1


class Conv2d(_ConvNd):
    """2-D convolution over (N, in_channels, H, W); weight (out, in / groups, KH, KW)."""

    rank = 2


class Conv3d(_ConvNd):
    """3-D convolution over (N, in_channels, D, H, W); weight (out, in / groups, *K)."""

    rank = 3


class _ConvTransposeNd(_ConvBase):
    transposed = True

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: str | int | tuple[int, ...] = 0,
        output_padding: int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
    ) -> None:
        super().__init__(
            in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias
        )
        name = type(self).__name__
        self.output_padding = F.tuple_arg(name, "output_padding", output_padding, self.rank, 0)
        if any(e >= s for e, s in zip(self.output_padding, self.stride, strict=True)):
            raise ValueError(
                f"{name}: output_padding must be smaller than stride on each axis; got "
                f"output_padding {self.output_padding}, stride {self.stride}"
            )

    def _extra(self) -> str:
        return f", output_padding={self.output_padding}" if any(self.output_padding) else ""

    def forward(self, input_: Tensor) -> Tensor:
        x = _check_input(type(self).__name__, input_, self.rank)
        return _CONV_TRANSPOSE[self.rank - 1](
            x, self.weight, self.bias, self.stride, self.padding, self.output_padding,
            self.dilation, self.groups,
        )  # fmt: skip


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution; weight (in_channels, out_channels / groups, K)."""

    rank = 1


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution; weight (in_channels, out_channels / groups, KH, KW)."""

    rank = 2


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution; weight (in_channels, out_channels / groups, *K)."""

    rank = 3


class Unfold(Module):
    """The sliding windows of a 4-D (N, C, H, W) input as columns, (N, C·KH·KW, L), in
    PyTorch's layout: column l holds window l, rows by channel then kernel offset.

    lucid 2.x reshapes F.unfold's (N·L, C·K) rows straight to (N, C·K, L), which mixes
    windows and channels; here the rows are transposed into place instead.
    """

    def __init__(
        self,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...],
        padding: int | tuple[int, ...],
        dilation: int | tuple[int, ...] = 1,
    ) -> None:
        super().__init__()
        self.kernel_size = F.tuple_arg("Unfold", "kernel_size", kernel_size, 2, 1)
        self.stride = F.tuple_arg("Unfold", "stride", stride, 2, 1)
        self.padding = F.tuple_arg("Unfold", "padding", padding, 2, 0)
        self.dilation = F.tuple_arg("Unfold", "dilation", dilation, 2, 1)

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}"
        )

    def forward(self, input_: Tensor) -> Tensor:
        x = _check_input("Unfold", input_, 2)
        rows = F.unfold(x, self.kernel_size, self.stride, self.padding, self.dilation)
        pads = tuple((p, p) for p in self.padding)
        size = F.conv_out_size(
            "Unfold", tuple(x.shape[2:]), self.kernel_size, self.stride, pads, self.dilation
        )
        shape = (x.shape[0], math.prod(size), rows.shape[1])
        return movement.transpose(movement.reshape(rows, *shape), (0, 2, 1))
