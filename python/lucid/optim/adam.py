"""Adam (L2 weight decay in the gradient) and AdamW (decoupled decay), as PyTorch's."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid import _C
from lucid._ops import inplace as _inplace
from lucid.nn.parameter import Parameter
from lucid.optim import _fused
from lucid.optim._common import check_betas
from lucid.optim.optimizer import Optimizer, check_bool, check_number

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    r"""Adam (Kingma & Ba, 2015), optionally AMSGrad (Reddi et al., 2018).

    Each step t (counted per parameter), with gradient g and weight decay λ::

        g ← g + λ·p                                   (if λ ≠ 0)
        m ← β₁·m + (1 − β₁)·g
        v ← β₂·v + (1 − β₂)·g²
        v̂ ← max(v̂, v) if amsgrad, else v
        p ← p − lr/(1 − β₁ᵗ) · m / (sqrt(v̂)/sqrt(1 − β₂ᵗ) + ε)

    State per parameter: ``step`` (an int), ``exp_avg`` (m), ``exp_avg_sq`` (v) and,
    with amsgrad, ``max_exp_avg_sq``.

    A step updates a group's float32 and float64 parameters in one call into the core
    (``_C.adam_step``), with the same float operations as ``_update`` and so the same
    bits; other parameters take ``_update``.
    """

    # AdamW's decay: p ← p·(1 − lr·λ) before the update, instead of g ← g + λ·p.
    _decoupled = False
    # False: every parameter takes the per-parameter path (the tests compare the two).
    _foreach = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": betas,
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_number("lr", group["lr"])
        check_betas(group["betas"])
        check_number("eps", group["eps"])
        check_number("weight_decay", group["weight_decay"])
        check_bool("amsgrad", group["amsgrad"])

    def _step_group(self, group: dict[str, Any], pairs: _fused.Pairs) -> None:
        numbers = (group["lr"], *group["betas"], group["eps"], group["weight_decay"])
        rest = pairs
        if self._foreach and _fused.plain(*numbers):
            by_dtype, rest = _fused.split(pairs)
            for dtype, items in by_dtype.items():
                rest += self._fused_step(group, dtype, items)
        super()._step_group(group, rest)

    def _fused_step(
        self, group: dict[str, Any], dtype: np.dtype, items: _fused.Pairs
    ) -> _fused.Pairs:
        """Step ``items`` in one call; returns those left to ``_update``."""
        amsgrad = bool(group["amsgrad"])
        usable, zeros = _fused.usable, self._zeros_like
        rest: _fused.Pairs = []
        taken: list[tuple[Parameter, dict[str, Any], tuple[Any, ...]]] = []
        params: list[np.ndarray] = []
        grads: list[np.ndarray] = []
        ms: list[np.ndarray] = []
        vs: list[np.ndarray] = []
        vmaxes: list[np.ndarray] = []
        steps: list[int] = []
        for p, grad in items:
            state = self.state.get(p) or {}
            fresh: dict[str, Any] = {}  # the state this step creates
            m, v = state.get("exp_avg"), state.get("exp_avg_sq")
            if m is None:
                m = fresh["exp_avg"] = zeros(p)
            if v is None:
                v = fresh["exp_avg_sq"] = zeros(p)
            md, vd = m.data, v.data
            ok = usable(md, dtype) and usable(vd, dtype)
            if amsgrad:
                vmax = state.get("max_exp_avg_sq")
                if vmax is None:
                    vmax = fresh["max_exp_avg_sq"] = zeros(p)
                ok = ok and usable(vmax.data, dtype)
                written: tuple[Any, ...] = (p, m, v, vmax)
                vmaxes.append(vmax.data)
            else:
                written = (p, m, v)
            if not ok:
                rest.append((p, grad))
                if amsgrad:
                    vmaxes.pop()
                continue
            taken.append((p, fresh, written))
            params.append(p.data)
            grads.append(grad)
            ms.append(md)
            vs.append(vd)
            steps.append(state.get("step", 0) + 1)
        beta1, beta2 = group["betas"]
        done = _C.adam_step(
            params,
            grads,
            ms,
            vs,
            vmaxes if amsgrad else None,
            steps,
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            eps=group["eps"],
            weight_decay=group["weight_decay"],
            amsgrad=amsgrad,
            decoupled=self._decoupled,
        )
        if not done:  # arrays share memory: nothing changed
            return rest + [(p, grad) for (p, _, _), grad in zip(taken, grads, strict=True)]
        bump = _inplace.bump
        for (p, fresh, written), step in zip(taken, steps, strict=True):
            state = self.state.setdefault(p, {})
            state["step"] = step  # first in a new state, as _update orders it
            state.update(fresh)
            bump(*written)
        return rest

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, weight_decay = group["lr"], group["weight_decay"]
        beta1, beta2 = group["betas"]
        data = param.data
        a, b = self._scratch(data, 2)
        if not state:
            state["step"] = 0
            state["exp_avg"] = self._zeros_like(param)
            state["exp_avg_sq"] = self._zeros_like(param)
        if group["amsgrad"] and state.get("max_exp_avg_sq") is None:
            state["max_exp_avg_sq"] = self._zeros_like(param)
        step = state["step"] = state["step"] + 1

        if weight_decay != 0:
            if self._decoupled:
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
        if group["amsgrad"]:
            running_max = state["max_exp_avg_sq"].data
            second = np.maximum(running_max, exp_avg_sq, out=running_max)
        else:
            second = exp_avg_sq

        denom = np.sqrt(second, out=b)
        denom /= math.sqrt(1 - beta2**step)
        denom += group["eps"]
        ratio = np.divide(exp_avg, denom, out=b)
        ratio *= lr / (1 - beta1**step)
        data -= ratio
        # One step, one write each (AdamW's decay included).
        _inplace.bump(param, state["exp_avg"], state["exp_avg_sq"])
        if group["amsgrad"]:
            _inplace.bump(state["max_exp_avg_sq"])


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    As :class:`Adam`, except that weight decay shrinks the parameter instead of
    adding to the gradient: ``p ← p·(1 − lr·λ)`` before each update. ``weight_decay``
    defaults to 1e-2.
    """

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
