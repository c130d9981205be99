"""RAdam (Liu et al., 2020): Adam with the variance of its adaptive step rectified."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid._ops import inplace as _inplace
from lucid.nn.parameter import Parameter
from lucid.optim._common import check_betas
from lucid.optim.optimizer import Optimizer, check_bool, check_number

__all__ = ["RAdam"]


class RAdam(Optimizer):
    r"""RAdam, by lucid 2.x's rule (the paper's threshold ρₜ > 4).

    Each step t (counted per parameter), with gradient g and weight decay λ::

        g ← g + λ·p              (if λ ≠ 0; p ← p·(1 − lr·λ) instead if decoupled)
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        m̂ ← m/(1 − β₁ᵗ)
        ρ∞ ← 2/(1 − β₂) − 1,   ρₜ ← ρ∞ − 2t·β₂ᵗ/(1 − β₂ᵗ)
        if ρₜ > 4:  r ← sqrt((ρₜ − 4)(ρₜ − 2)ρ∞ / ((ρ∞ − 4)(ρ∞ − 2)))
                    p ← p − lr·r · m̂ / (sqrt(v/(1 − β₂ᵗ)) + ε)
        else:       p ← p − lr·m̂

    PyTorch rectifies from ρₜ > 5 and adds ε to sqrt(v) before the bias correction.
    State per parameter: ``step`` (an int), ``exp_avg`` (m) and ``exp_avg_sq`` (v). The
    positional order is lucid's; ``decoupled_weight_decay`` (PyTorch's) is keyword-only.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_number("lr", group["lr"])
        check_betas(group["betas"])
        check_number("eps", group["eps"])
        check_number("weight_decay", group["weight_decay"])
        check_bool("decoupled_weight_decay", group["decoupled_weight_decay"])

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        data = param.data
        a, b, c = self._scratch(data, 3)
        if not state:
            state["step"] = 0
            state["exp_avg"] = self._zeros_like(param)
            state["exp_avg_sq"] = self._zeros_like(param)
        step = state["step"] = state["step"] + 1
        if weight_decay != 0:
            if group["decoupled_weight_decay"]:
                data *= 1 - lr * weight_decay
            else:
                decayed = np.multiply(data, weight_decay, out=a)
                decayed += grad
                grad = decayed
        exp_avg, exp_avg_sq = state["exp_avg"].data, state["exp_avg_sq"].data
        exp_avg *= beta1
        exp_avg += np.multiply(grad, 1 - beta1, out=b)
        exp_avg_sq *= beta2
        square = np.multiply(grad, grad, out=b)
        square *= 1 - beta2
        exp_avg_sq += square

        correction1, correction2 = 1 - beta1**step, 1 - beta2**step
        rho_inf = 2 / (1 - beta2) - 1
        rho = rho_inf - 2 * step * beta2**step / correction2
        if rho > 4:
            r = math.sqrt((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2)))
            denom = np.divide(exp_avg_sq, correction2, out=b)
            np.sqrt(denom, out=denom)
            denom += group["eps"]
            move = np.divide(exp_avg, denom, out=c)
            move *= lr * r / correction1
        else:
            move = np.multiply(exp_avg, lr / correction1, out=c)
        data -= move
        _inplace.bump(param, state["exp_avg"], state["exp_avg_sq"])
