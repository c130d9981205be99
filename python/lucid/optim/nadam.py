"""NAdam (Dozat, 2016): Adam with Nesterov momentum, by PyTorch's documented rule."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid._ops import inplace as _inplace
from lucid.nn.parameter import Parameter
from lucid.optim._common import check_betas
from lucid.optim.optimizer import Optimizer, check_bool, check_number

__all__ = ["NAdam"]


class NAdam(Optimizer):
    r"""NAdam with PyTorch's momentum schedule.

    Each step t (counted per parameter), with gradient g, weight decay λ and momentum
    decay ψ::

        g ← g + λ·p              (if λ ≠ 0; p ← p·(1 − lr·λ) instead if decoupled)
        μₜ ← β₁·(1 − ½·0.96^(t·ψ)),   μₜ₊₁ ← β₁·(1 − ½·0.96^((t+1)·ψ))
        Π ← Π·μₜ                                       (the running product, from 1)
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        d ← sqrt(v/(1 − β₂ᵗ)) + ε
        p ← p − lr·(1 − μₜ)/(1 − Π) · g/d − lr·μₜ₊₁/(1 − Π·μₜ₊₁) · m/d

    State per parameter: ``step`` (an int), ``mu_product`` (Π, a float), ``exp_avg`` (m)
    and ``exp_avg_sq`` (v). lucid 2.x's NAdam corrects the bias of both moments twice and
    uses ``momentum_decay`` to shrink m each step; this follows PyTorch instead. The
    positional order is lucid's; ``decoupled_weight_decay`` (PyTorch's NAdamW) is
    keyword-only.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum_decay: float = 4e-3,
        *,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_number("lr", group["lr"])
        check_betas(group["betas"])
        check_number("eps", group["eps"])
        check_number("weight_decay", group["weight_decay"])
        check_number("momentum_decay", group["momentum_decay"])
        check_bool("decoupled_weight_decay", group["decoupled_weight_decay"])

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, weight_decay, psi = group["lr"], group["weight_decay"], group["momentum_decay"]
        beta1, beta2 = group["betas"]
        data = param.data
        a, b, c = self._scratch(data, 3)
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
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
        mu, mu_next = _mu(beta1, psi, step), _mu(beta1, psi, step + 1)
        if "mu_product" not in state:  # a state saved by lucid 2.x, which keeps no product
            state["mu_product"] = math.prod(_mu(beta1, psi, t) for t in range(1, step))
        mu_product = state["mu_product"] = float(state["mu_product"]) * mu
        exp_avg, exp_avg_sq = state["exp_avg"].data, state["exp_avg_sq"].data
        exp_avg *= beta1
        exp_avg += np.multiply(grad, 1 - beta1, out=b)
        exp_avg_sq *= beta2
        square = np.multiply(grad, grad, out=b)
        square *= 1 - beta2
        exp_avg_sq += square

        denom = np.divide(exp_avg_sq, 1 - beta2**step, out=b)
        np.sqrt(denom, out=denom)
        denom += group["eps"]
        part = np.divide(grad, denom, out=c)
        part *= lr * (1 - mu) / (1 - mu_product)
        data -= part
        part = np.divide(exp_avg, denom, out=c)
        part *= lr * mu_next / (1 - mu_product * mu_next)
        data -= part
        _inplace.bump(param, state["exp_avg"], state["exp_avg_sq"])


def _mu(beta1: float, psi: float, t: int) -> float:
    """The momentum coefficient of step t: β₁·(1 − ½·0.96^(t·ψ))."""
    return beta1 * (1 - 0.5 * 0.96 ** (t * psi))
