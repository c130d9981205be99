"""Adadelta (Zeiler, 2012), as lucid 2.x and PyTorch have it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid._ops import inplace as _inplace
from lucid.nn.parameter import Parameter
from lucid.optim._common import check_unit, renamed_state
from lucid.optim.optimizer import Optimizer, check_number

__all__ = ["Adadelta"]

_LUCID2_NAMES = {"sq_avg": "square_avg", "accumulated_update": "acc_delta"}


class Adadelta(Optimizer):
    r"""Adadelta: steps scaled by running averages of squared gradients and updates.

    Each step, with gradient g, decay ρ and weight decay λ::

        g ← g + λ·p                                   (if λ ≠ 0)
        v ← ρ·v + (1 − ρ)·g²
        Δ ← sqrt(u + ε) / sqrt(v + ε) · g
        u ← ρ·u + (1 − ρ)·Δ²
        p ← p − lr·Δ

    State per parameter: ``step`` (an int), ``square_avg`` (v) and ``acc_delta`` (u),
    PyTorch's names (lucid 2.x's are ``sq_avg`` and ``accumulated_update``).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = {"lr": lr, "rho": rho, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_number("lr", group["lr"])
        check_unit("rho", group["rho"])
        check_number("eps", group["eps"])
        check_number("weight_decay", group["weight_decay"])

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """As :meth:`Optimizer.load_state_dict`; lucid 2.x's ``sq_avg`` and
        ``accumulated_update`` are read as ``square_avg`` and ``acc_delta``."""
        super().load_state_dict(renamed_state(state_dict, _LUCID2_NAMES))

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        rho, eps = group["rho"], group["eps"]
        data = param.data
        a, b, c = self._scratch(data, 3)
        if not state:
            state["step"] = 0
            state["square_avg"] = self._zeros_like(param)
            state["acc_delta"] = self._zeros_like(param)
        state["step"] += 1
        if group["weight_decay"] != 0:
            decayed = np.multiply(data, group["weight_decay"], out=a)
            decayed += grad
            grad = decayed
        square_avg, acc_delta = state["square_avg"].data, state["acc_delta"].data
        square_avg *= rho
        square = np.multiply(grad, grad, out=b)
        square *= 1 - rho
        square_avg += square
        std = np.add(square_avg, eps, out=b)
        np.sqrt(std, out=std)
        delta = np.add(acc_delta, eps, out=c)
        np.sqrt(delta, out=delta)
        delta /= std
        delta *= grad
        acc_delta *= rho
        square = np.multiply(delta, delta, out=b)
        square *= 1 - rho
        acc_delta += square
        delta *= group["lr"]
        data -= delta
        _inplace.bump(param, state["square_avg"], state["acc_delta"])
