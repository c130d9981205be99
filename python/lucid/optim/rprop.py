"""Rprop (Riedmiller & Braun, 1993): sign steps whose sizes adapt per weight."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid._ops import inplace as _inplace
from lucid.nn.parameter import Parameter
from lucid.optim._common import check_pair, renamed_state
from lucid.optim.optimizer import Optimizer, check_number

__all__ = ["Rprop"]


class Rprop(Optimizer):
    r"""Resilient backpropagation, by PyTorch's rule.

    Each step, with gradient g, the previous (kept) gradient g', etas (η₋, η₊) and step
    size bounds (s_min, s_max), elementwise::

        s ← s·η₊ where g·g' > 0,  s·η₋ where g·g' < 0      (s starts at lr)
        s ← clip(s, s_min, s_max)
        g ← 0 where g·g' < 0                           (a sign change skips one step)
        p ← p − sign(g)·s,   g' ← g

    State per parameter: ``step`` (an int), ``prev`` (g') and ``step_size`` (s),
    PyTorch's names (lucid 2.x calls g' ``prev_grad``). lucid 2.x never stores the
    adapted step sizes, so every one of its steps starts again from lr; the sizes here
    adapt, as the algorithm and PyTorch have it.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50.0),
    ) -> None:
        defaults = {"lr": lr, "etas": etas, "step_sizes": step_sizes}
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_number("lr", group["lr"])
        etas = group["etas"]
        minus, plus = check_pair("etas", etas)
        if not 0 < minus < 1 < plus:
            raise ValueError(f"etas must satisfy 0 < etas[0] < 1 < etas[1], got etas={etas!r}")
        sizes = group["step_sizes"]
        low, high = check_pair("step_sizes", sizes)
        if not 0 <= low <= high:
            raise ValueError(
                "step_sizes must satisfy 0 <= step_sizes[0] <= step_sizes[1], got "
                f"step_sizes={sizes!r}"
            )

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """As :meth:`Optimizer.load_state_dict`; lucid 2.x's ``prev_grad`` is read as ``prev``."""
        super().load_state_dict(renamed_state(state_dict, {"prev_grad": "prev"}))

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        minus, plus = group["etas"]
        low, high = group["step_sizes"]
        data = param.data
        a, b = self._scratch(data, 2)
        if not state:
            state["step"] = 0
            state["prev"] = self._zeros_like(param)
            state["step_size"] = self._zeros_like(param)
            state["step_size"].data.fill(group["lr"])
        state["step"] += 1
        prev, step_size = state["prev"].data, state["step_size"].data
        sign = np.multiply(grad, prev, out=a)
        np.sign(sign, out=sign)
        # The factor for each weight; a NaN product keeps NaN, as PyTorch's does.
        factor = b
        np.copyto(factor, sign)
        np.copyto(factor, plus, where=sign > 0)
        np.copyto(factor, minus, where=sign < 0)
        np.copyto(factor, 1, where=sign == 0)
        step_size *= factor
        np.clip(step_size, low, high, out=step_size)
        np.copyto(prev, grad)
        np.copyto(prev, 0, where=sign < 0)
        move = np.sign(prev, out=a)
        move *= step_size
        data -= move
        _inplace.bump(param, state["prev"], state["step_size"])
