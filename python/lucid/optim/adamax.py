"""Adamax (Kingma & Ba, 2015, section 7.1), Adam with an infinity norm, as lucid 2.x's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid._ops import inplace as _inplace
from lucid.nn.parameter import Parameter
from lucid.optim._common import check_betas
from lucid.optim.optimizer import Optimizer, check_number

__all__ = ["Adamax"]


class Adamax(Optimizer):
    r"""Adamax: Adam whose second moment is a decaying running maximum of ``|g|``.

    Each step t (counted per parameter), with gradient g and weight decay λ::

        g ← g + λ·p                                   (if λ ≠ 0)
        m ← β₁·m + (1 − β₁)·g
        u ← max(β₂·u, |g|)
        p ← p − lr/(1 − β₁ᵗ) · m / (u + ε)

    ε is added to the denominator, as lucid 2.x does; PyTorch instead takes
    ``u ← max(β₂·u, |g| + ε)`` and divides by u. State per parameter: ``step`` (an int),
    ``exp_avg`` (m) and ``exp_inf`` (u).
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        defaults = {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay}
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_number("lr", group["lr"])
        check_betas(group["betas"])
        check_number("eps", group["eps"])
        check_number("weight_decay", group["weight_decay"])

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        beta1, beta2 = group["betas"]
        data = param.data
        a, b = self._scratch(data, 2)
        if not state:
            state["step"] = 0
            state["exp_avg"] = self._zeros_like(param)
            state["exp_inf"] = self._zeros_like(param)
        step = state["step"] = state["step"] + 1
        if group["weight_decay"] != 0:
            decayed = np.multiply(data, group["weight_decay"], out=a)
            decayed += grad
            grad = decayed
        exp_avg, exp_inf = state["exp_avg"].data, state["exp_inf"].data
        exp_avg *= beta1
        exp_avg += np.multiply(grad, 1 - beta1, out=b)
        exp_inf *= beta2
        np.maximum(exp_inf, np.abs(grad, out=b), out=exp_inf)
        denom = np.add(exp_inf, group["eps"], out=b)
        ratio = np.divide(exp_avg, denom, out=b)
        ratio *= group["lr"] / (1 - beta1**step)
        data -= ratio
        _inplace.bump(param, state["exp_avg"], state["exp_inf"])
