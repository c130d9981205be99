"""ASGD, lucid 2.x's averaged SGD: SGD with momentum and a running average of the weights."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid import _storage
from lucid._ops import inplace as _inplace
from lucid._tensor import Tensor
from lucid.nn.parameter import Parameter
from lucid.optim.optimizer import Optimizer, check_number

__all__ = ["ASGD"]


class ASGD(Optimizer):
    r"""Averaged stochastic gradient descent, by lucid 2.x's rule.

    Each step t (counted per parameter), with gradient g, momentum μ, weight decay λ::

        g ← g + λ·p                                   (if λ ≠ 0)
        b ← g on the first step, else μ·b + g;  g ← b  (if μ ≠ 0)
        p ← p − lr·g
        if t ≥ t0:  c ← 1/(alpha·t + 1),  a ← (1 − c)·a + c·p − lambd·a

    The average ``a`` starts as a copy of the parameter before its first step;
    :meth:`get_averages` returns it. State per parameter: ``step`` (an int), ``ax`` (a)
    and, with momentum, ``momentum_buffer`` (b).

    This is not PyTorch's ASGD, whose step size decays as lr/(1 + lambd·lr·t)^alpha,
    which shrinks p by (1 − lambd·η) each step, has no momentum, and averages p from t0
    on with weights 1/(t − t0). lucid 2.x's rule is kept, except its first momentum
    step, which counts the first gradient twice ((1 + μ)·g); here it is g.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        alpha: float = 0.75,
        t0: float = 1e6,
        lambd: float = 1e-4,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "weight_decay": weight_decay,
            "alpha": alpha,
            "t0": t0,
            "lambd": lambd,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        for name in ("lr", "momentum", "weight_decay", "alpha", "t0", "lambd"):
            check_number(name, group[name])

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        momentum = group["momentum"]
        data = param.data
        a, b = self._scratch(data, 2)
        if not state:
            state["step"] = 0
            state["ax"] = Tensor._wrap(_storage.copy_of(data, data.dtype))
        step = state["step"] = state["step"] + 1
        written = [param]
        if group["weight_decay"] != 0:
            decayed = np.multiply(data, group["weight_decay"], out=a)
            decayed += grad
            grad = decayed
        if momentum != 0:
            if state.get("momentum_buffer") is None:
                buffer = state["momentum_buffer"] = Tensor._wrap(_storage.copy_of(grad, data.dtype))
            else:
                buffer = state["momentum_buffer"]
                buffer.data *= momentum
                buffer.data += grad
                written.append(buffer)
            grad = buffer.data
        data -= np.multiply(grad, group["lr"], out=b)
        if step >= group["t0"]:
            coef = 1.0 / (group["alpha"] * step + 1)
            average = state["ax"].data
            average *= 1.0 - coef - group["lambd"]
            average += np.multiply(data, coef, out=b)
            written.append(state["ax"])
        _inplace.bump(*written)

    def get_averages(self) -> list[np.ndarray]:
        """The averaged weights, one array per parameter in group order (copies).

        A parameter that has not been stepped yet gives its current values.
        """
        averages = []
        for group in self.param_groups:
            for p in group["params"]:
                average = self.state.get(p, {}).get("ax")
                averages.append(np.array(p.data if average is None else average.data))
        return averages
