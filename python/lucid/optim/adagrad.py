"""Adagrad (Duchi et al., 2011) with lucid's positional order and PyTorch's rule."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid._ops import inplace as _inplace
from lucid.nn.parameter import Parameter
from lucid.optim._common import renamed_state
from lucid.optim.optimizer import Optimizer, check_number

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    r"""Adagrad: each weight's step shrinks with the sum of its squared gradients.

    Each step t (counted per parameter), with gradient g and weight decay λ::

        g ← g + λ·p                                   (if λ ≠ 0)
        s ← s + g²
        p ← p − lr/(1 + (t − 1)·lr_decay) · g / (sqrt(s) + ε)

    ``s`` starts at ``initial_accumulator_value``. State per parameter: ``step`` (an
    int) and ``sum`` (s), PyTorch's names (lucid 2.x calls it ``sum_sq_grad``). The
    positional order is lucid's, ``(params, lr, eps, weight_decay,
    initial_accumulator_value)``; PyTorch's ``lr_decay`` is keyword-only.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        eps: float = 1e-10,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        *,
        lr_decay: float = 0.0,
    ) -> None:
        defaults = {
            "lr": lr,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "lr_decay": lr_decay,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_number("lr", group["lr"])
        check_number("eps", group["eps"])
        check_number("weight_decay", group["weight_decay"])
        check_number("initial_accumulator_value", group["initial_accumulator_value"])
        check_number("lr_decay", group["lr_decay"])

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """As :meth:`Optimizer.load_state_dict`; lucid 2.x's ``sum_sq_grad`` is read as ``sum``."""
        super().load_state_dict(renamed_state(state_dict, {"sum_sq_grad": "sum"}))

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        data = param.data
        a, b = self._scratch(data, 2)
        if not state:
            state["step"] = 0
            state["sum"] = self._zeros_like(param)
            state["sum"].data.fill(group["initial_accumulator_value"])
        step = state["step"] = state["step"] + 1
        if group["weight_decay"] != 0:
            decayed = np.multiply(data, group["weight_decay"], out=a)
            decayed += grad
            grad = decayed
        total = state["sum"].data
        total += np.multiply(grad, grad, out=b)
        denom = np.sqrt(total, out=b)
        denom += group["eps"]
        ratio = np.divide(grad, denom, out=b)
        ratio *= group["lr"] / (1 + (step - 1) * group["lr_decay"])
        data -= ratio
        _inplace.bump(param, state["sum"])
