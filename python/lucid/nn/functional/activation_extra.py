"""The piecewise and gated activations: relu6, hardsigmoid, hardswish, silu (lucid's
Swish) and mish, one small numpy Function each, in the input's float dtype.

lucid 2.x has these only as layers (nn.ReLU6, nn.HardSigmoid, nn.HardSwish, nn.Swish,
nn.Mish); the functional forms carry PyTorch's names. The gradients at the kinks are
PyTorch's: relu6 and hardsigmoid have slope 0 at their corners (x = 0 and 6, x = ±3),
hardswish 0 at x = −3 and 1 at x = 3 (the outer pieces' slopes, as PyTorch 2).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import new as _new
from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.nn.functional.activation import check_input

__all__ = ["hardsigmoid", "hardswish", "mish", "relu6", "silu", "swish"]


def _hard_sigmoid_into(x: np.ndarray, out: np.ndarray) -> np.ndarray:
    """clip(x/6 + 1/2, 0, 1), lucid's formula, written into ``out``."""
    np.divide(x, 6, out=out)
    out += 0.5
    np.clip(out, 0, 1, out=out)
    return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1/(1 + e⁻ˣ) with exp only ever of −|x| (no overflow), in x's dtype."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1, e) / (1 + e)


class ReLU6(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.inside = (x > 0) & (x < 6)
        out = _new(x.shape, x.dtype, "relu6")
        np.clip(x, 0, 6, out=out)  # NaN stays NaN, as in PyTorch
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (np.where(self.inside, grad, 0),)


class HardSigmoid(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        self.inside = (x > -3) & (x < 3)
        return _hard_sigmoid_into(x, _new(x.shape, x.dtype, "hardsigmoid"))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (np.where(self.inside, grad / 6, 0),)


class HardSwish(Function):
    def forward(self, x: np.ndarray) -> np.ndarray:
        out = _hard_sigmoid_into(x, _new(x.shape, x.dtype, "hardswish"))
        if self.needs_input_grad[0]:
            # PyTorch's slope: 0 below −3, x/3 + 1/2 up to 3 (included), 1 above.
            self.slope = np.where(x <= -3, 0, np.where(x < 3, x / 3 + 0.5, 1)).astype(x.dtype)
        out *= x
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * self.slope,)


class SiLU(Function):
    """x·σ(x); its slope is σ(x)·(1 + x·(1 − σ(x)))."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        s = _sigmoid(x)
        if self.needs_input_grad[0]:
            self.slope = s * (1 + x * (1 - s))
        out = _new(x.shape, x.dtype, "silu")
        np.multiply(x, s, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * self.slope,)


class Mish(Function):
    """x·tanh(softplus(x)), softplus as logaddexp(0, x) (no overflow for any x); its
    slope is tanh(sp) + x·(1 − tanh²(sp))·σ(x)."""

    def forward(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore"):  # logaddexp warns on NaN, which stays NaN
            t = np.tanh(np.logaddexp(x.dtype.type(0), x))
        if self.needs_input_grad[0]:
            self.slope = t + x * (1 - t * t) * _sigmoid(x)
        out = _new(x.shape, x.dtype, "mish")
        np.multiply(x, t, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * self.slope,)


def relu6(input_: Tensor) -> Tensor:
    """min(max(x, 0), 6) element-wise (lucid's nn.ReLU6)."""
    return ReLU6.apply(check_input(input_, "relu6"))


def hardsigmoid(input_: Tensor) -> Tensor:
    """clip(x/6 + 1/2, 0, 1) element-wise: 0 up to −3, 1 from 3 (lucid's nn.HardSigmoid)."""
    return HardSigmoid.apply(check_input(input_, "hardsigmoid"))


def hardswish(input_: Tensor) -> Tensor:
    """x · hardsigmoid(x) element-wise (lucid's nn.HardSwish)."""
    return HardSwish.apply(check_input(input_, "hardswish"))


def silu(input_: Tensor) -> Tensor:
    """x · sigmoid(x) element-wise, without overflow for any x (lucid's nn.Swish)."""
    return SiLU.apply(check_input(input_, "silu"))


def swish(input_: Tensor) -> Tensor:
    """The same function as :func:`silu`, under the name of lucid's layer nn.Swish."""
    return SiLU.apply(check_input(input_, "swish"))


def mish(input_: Tensor) -> Tensor:
    """x · tanh(softplus(x)) element-wise, without overflow for any x (lucid's nn.Mish)."""
    return Mish.apply(check_input(input_, "mish"))
