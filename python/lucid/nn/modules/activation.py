"""Activation layers, each a Module over its function in lucid.nn.functional.activation.

Arguments are checked when the layer is built, and the reprs read as PyTorch's do
(``Softmax`` and ``LogSoftmax`` say ``axis``, lucid's name for PyTorch's ``dim``).
"""

from __future__ import annotations

from lucid._tensor import Tensor
from lucid.nn.functional import activation as F
from lucid.nn.module import Module

__all__ = [
    "ELU",
    "GELU",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "SELU",
    "Sigmoid",
    "Softmax",
    "Tanh",
]


def _inplace_repr(inplace: bool) -> str:
    return "inplace=True" if inplace else ""


class ReLU(Module):
    """max(0, x); ``inplace=True`` overwrites the input (which must not require grad)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, input_: Tensor) -> Tensor:
        return F.relu(input_, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class SELU(Module):
    """SELU_SCALE · elu(x, SELU_ALPHA), the activation of self-normalising networks."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = bool(inplace)

    def forward(self, input_: Tensor) -> Tensor:
        return F.selu(input_, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_repr(self.inplace)


class ELU(Module):
    """x for x > 0, alpha·(eˣ − 1) otherwise; alpha must be finite and >= 0."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = F.check_real("alpha", alpha, nonnegative=True)
        self.inplace = bool(inplace)

    def forward(self, input_: Tensor) -> Tensor:
        return F.elu(input_, self.alpha, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class LeakyReLU(Module):
    """x for x > 0, negative_slope·x otherwise."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = F.check_real("negative_slope", negative_slope)
        self.inplace = bool(inplace)

    def forward(self, input_: Tensor) -> Tensor:
        return F.leaky_relu(input_, self.negative_slope, inplace=self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """x·Φ(x) by the tanh formula (the default, as lucid 2.x), or exactly with
    ``approximate="none"``; see lucid.nn.functional.gelu."""

    def __init__(self, approximate: str = "tanh") -> None:
        super().__init__()
        self.approximate = F.check_approximate(approximate)

    def forward(self, input_: Tensor) -> Tensor:
        return F.gelu(input_, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Tanh(Module):
    def forward(self, input_: Tensor) -> Tensor:
        return F.tanh(input_)


class Sigmoid(Module):
    def forward(self, input_: Tensor) -> Tensor:
        return F.sigmoid(input_)


class Softmax(Module):
    """Softmax along ``axis`` (or PyTorch's ``dim``); default the last axis."""

    def __init__(self, axis: int = -1, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = F.pick_axis(axis, dim)

    def forward(self, input_: Tensor) -> Tensor:
        return F.softmax(input_, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"


class LogSoftmax(Module):
    """Log-softmax along ``axis`` (or PyTorch's ``dim``); default the last axis."""

    def __init__(self, axis: int = -1, *, dim: int | None = None) -> None:
        super().__init__()
        self.axis = F.pick_axis(axis, dim)

    def forward(self, input_: Tensor) -> Tensor:
        return F.log_softmax(input_, self.axis)

    def extra_repr(self) -> str:
        return f"axis={self.axis}"
