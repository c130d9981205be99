"""Channel-attention blocks of (N, C, H, W) maps, as lucid 2.x builds them: SEModule
(squeeze-and-excitation) and SelectiveKernel (a softmax choice between convolutions of
several kernel sizes). Their children, names and order are lucid 2.x's, so reprs and
state_dict keys match; both are compositions of layers, differentiable through them.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from lucid._ops.movement import stack
from lucid._tensor import Tensor
from lucid.nn.module import Module
from lucid.nn.modules.activation import ReLU, Sigmoid, Softmax
from lucid.nn.modules.container import ModuleList, Sequential
from lucid.nn.modules.conv import Conv2d
from lucid.nn.modules.linear import Linear
from lucid.nn.modules.norm import BatchNorm2d
from lucid.nn.modules.pool import AdaptiveAvgPool2d

__all__ = ["SEModule", "SelectiveKernel"]

_SPATIAL = (-1, -2)


def _positive_int(owner: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{owner}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < 1:
        raise ValueError(f"{owner}: {name} must be >= 1, got {value}")
    return int(value)


def _reduced(owner: str, channels: int, reduction: Any) -> int:
    """channels // reduction, which must leave at least one channel (lucid 2.x fails
    with a ZeroDivisionError when it does not)."""
    reduction = _positive_int(owner, "reduction", reduction)
    if channels // reduction < 1:
        raise ValueError(
            f"{owner}: {channels} channels // reduction {reduction} leaves no channel; "
            f"use a reduction <= {channels}"
        )
    return channels // reduction


def _check_4d(owner: str, x: Any) -> Tensor:
    if not isinstance(x, Tensor):
        raise TypeError(f"{owner}: input must be a lucid Tensor, got {type(x).__name__}")
    if x.ndim != 4:
        raise ValueError(f"{owner}: input must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
    return x


class SEModule(Module):
    """Squeeze-and-excitation (Hu et al., 2018): each channel of x scaled by
    sigmoid(fc2(relu(fc1(mean of the channel over H, W)))), fc1 reducing ``in_channels``
    to in_channels // reduction."""

    def __init__(self, in_channels: int, reduction: int = 16) -> None:
        super().__init__()
        channels = _positive_int("SEModule", "in_channels", in_channels)
        hidden = _reduced("SEModule", channels, reduction)
        self.avgpool = AdaptiveAvgPool2d((1, 1))
        self.fc1 = Linear(channels, hidden)
        self.fc2 = Linear(hidden, channels)
        self.relu = ReLU()
        self.sigmoid = Sigmoid()

    def forward(self, x: Tensor) -> Tensor:
        x = _check_4d("SEModule", x)
        y = self.avgpool(x).squeeze(axis=_SPATIAL)
        y = self.sigmoid(self.fc2(self.relu(self.fc1(y))))
        return x * y.unsqueeze(axis=_SPATIAL)


class SelectiveKernel(Module):
    """Selective kernel (Li et al., 2019), lucid 2.x's form: one bias-free Conv2d branch
    per kernel size (padding ks // 2 unless ``padding`` is given), and an attention
    head (pool, 1×1 conv to out_channels // reduction, batch norm, ReLU, 1×1 conv to
    one score per branch) over the branches' sum; the output is the softmax-weighted
    sum of the branches (one weight per branch and sample, as lucid 2.x; SKNet's
    weights are per channel)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_sizes: list[int],
        stride: int = 1,
        padding: Any = None,
        groups: int = 1,
        reduction: int = 16,
    ) -> None:
        super().__init__()
        owner = "SelectiveKernel"
        if isinstance(kernel_sizes, (str, bytes)) or not isinstance(kernel_sizes, Sequence):
            raise TypeError(
                f"{owner}: kernel_sizes must be a list of ints, got "
                f"{type(kernel_sizes).__name__} {kernel_sizes!r}"
            )
        sizes = [_positive_int(owner, "kernel_sizes[i]", k) for k in kernel_sizes]
        if not sizes:
            raise ValueError(f"{owner}: kernel_sizes must name at least one kernel size")
        out = _positive_int(owner, "out_channels", out_channels)
        hidden = _reduced(owner, out, reduction)
        self.branches = ModuleList(
            [
                Conv2d(
                    in_channels,
                    out,
                    kernel_size=k,
                    stride=stride,
                    padding=k // 2 if padding is None else padding,
                    groups=groups,
                    bias=False,
                )
                for k in sizes
            ]
        )
        self.attention = Sequential(
            AdaptiveAvgPool2d((1, 1)),
            Conv2d(out, hidden, kernel_size=1, bias=False),
            BatchNorm2d(hidden),
            ReLU(),
            Conv2d(hidden, len(sizes), kernel_size=1, bias=False),
        )
        self.softmax = Softmax(axis=1)

    def forward(self, x: Tensor) -> Tensor:
        x = _check_4d("SelectiveKernel", x)
        outs = [branch(x) for branch in self.branches]
        shapes = {tuple(o.shape) for o in outs}
        if len(shapes) > 1:
            raise ValueError(
                "SelectiveKernel: the branches' outputs differ in shape "
                f"({', '.join(str(tuple(o.shape)) for o in outs)}); an even kernel size "
                "with the default padding ks // 2 grows the map by one"
            )
        stacked = stack(outs, axis=1)  # (N, K, C, H, W)
        weights = self.softmax(self.attention(stacked.sum(axis=1))).unsqueeze(axis=2)
        return (stacked * weights).sum(axis=1)
