"""lucid 2.x's further activation layers, each a Module over its function in
lucid.nn.functional.activation_extra. As in lucid 2.x they take no arguments, and
their reprs are the bare name: ``ReLU6()``.
"""

from __future__ import annotations

from lucid._tensor import Tensor
from lucid.nn.functional import activation_extra as F
from lucid.nn.module import Module

__all__ = ["HardSigmoid", "HardSwish", "Mish", "ReLU6", "Swish"]


class ReLU6(Module):
    """min(max(x, 0), 6)."""

    def forward(self, input_: Tensor) -> Tensor:
        return F.relu6(input_)


class HardSigmoid(Module):
    """clip(x/6 + 1/2, 0, 1): a piecewise-linear sigmoid (PyTorch's Hardsigmoid)."""

    def forward(self, input_: Tensor) -> Tensor:
        return F.hardsigmoid(input_)


class HardSwish(Module):
    """x · hardsigmoid(x) (PyTorch's Hardswish)."""

    def forward(self, input_: Tensor) -> Tensor:
        return F.hardswish(input_)


class Swish(Module):
    """x · sigmoid(x) (PyTorch's SiLU)."""

    def forward(self, input_: Tensor) -> Tensor:
        return F.silu(input_)


class Mish(Module):
    """x · tanh(softplus(x))."""

    def forward(self, input_: Tensor) -> Tensor:
        return F.mish(input_)
