"""The Huber loss: quadratic for small errors, linear for large ones, one fused Function.

With d = |x − y|: ½d² where d <= delta, delta·(d − ½delta) beyond (lucid's form
½·min(d, delta)² + delta·(d − min(d, delta)) is the same function). Its slope in x is
clip(x − y, −delta, delta), and minus that in y.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from lucid._tensor import Tensor
from lucid.autograd import Function
from lucid.nn.functional._loss_args import (
    _check_input,
    _check_reduction,
    _float_target,
    _per_element_grad,
    _promote,
    _reduce,
)

__all__ = ["huber_loss"]


def check_delta(op: str, delta: Any) -> float:
    """A finite delta > 0 (PyTorch refuses delta <= 0; lucid 2.x's delta 0 is a zero loss)."""
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real):
        raise TypeError(f"{op}: delta must be a real number, got {type(delta).__name__} {delta!r}")
    value = float(delta)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{op}: delta must be a finite number > 0, got {delta!r}")
    return value


class HuberLossFunction(Function):
    def forward(  # type: ignore[override]
        self, x: np.ndarray, y: np.ndarray, delta: float, reduction: str
    ) -> np.ndarray:
        diff = x - y.astype(x.dtype, copy=False)
        d = np.abs(diff)
        dt = x.dtype.type
        q = np.minimum(d, dt(delta))  # squared only up to delta: no overflow
        loss = np.where(d <= delta, dt(0.5) * q * q, dt(delta) * (d - dt(0.5 * delta)))
        self.slope = np.clip(diff, -dt(delta), dt(delta))  # NaN stays NaN
        self.reduction, self.dtype = reduction, x.dtype
        return _reduce(loss, reduction, float(x.size), x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = _per_element_grad(grad, self.reduction, float(self.slope.size), self.slope.shape)
        dx = (g * self.slope).astype(self.dtype, copy=False)
        need_x, need_y = self.needs_input_grad
        return (dx if need_x else None, -dx if need_y else None)


def huber_loss(
    input_: Tensor, target: Any, delta: float = 1.0, reduction: str | None = "mean"
) -> Tensor:
    """Huber loss of ``input_`` and ``target`` (same shape; no broadcasting).

    Per element ½(x − y)² where |x − y| <= ``delta``, delta·(|x − y| − ½delta) beyond;
    ``delta`` must be finite and > 0. ``reduction`` is "mean", "sum" or "none" (None).
    The positional order is lucid's: input_, target, delta, reduction. The target
    gets a gradient (−∂/∂x) when it is a Tensor that requires one.
    """
    reduction = _check_reduction(reduction)
    delta = check_delta("huber_loss", delta)
    x = _promote(_check_input("huber_loss", input_), target)
    y = _float_target("huber_loss", target, x)
    return HuberLossFunction.apply(x, y, delta=delta, reduction=reduction)
