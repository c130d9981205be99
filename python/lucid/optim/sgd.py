"""SGD with momentum, dampening, Nesterov momentum and L2 weight decay, as PyTorch's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid import _storage
from lucid._ops import inplace as _inplace
from lucid._tensor import Tensor
from lucid.nn.parameter import Parameter
from lucid.optim.optimizer import Optimizer, check_bool, check_number

__all__ = ["SGD"]


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum.

    Each step, with gradient g, momentum μ, dampening τ and weight decay λ::

        g ← g + λ·p                          (if λ ≠ 0)
        b ← g on the first step, else μ·b + (1 − τ)·g      (if μ ≠ 0)
        g ← g + μ·b if nesterov, else b                     (if μ ≠ 0)
        p ← p − lr·g

    The momentum buffer ``b`` is ``state[p]["momentum_buffer"]``. The positional order
    is lucid's, ``(params, lr, momentum, weight_decay)``; PyTorch's ``dampening`` and
    ``nesterov`` are keyword-only.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0,
        weight_decay: float = 0,
        *,
        dampening: float = 0,
        nesterov: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_number("lr", group["lr"])
        check_number("momentum", group["momentum"])
        check_number("dampening", group["dampening"], low=None)
        check_number("weight_decay", group["weight_decay"])
        check_bool("nesterov", group["nesterov"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError(
                "nesterov=True needs momentum > 0 and dampening = 0, got "
                f"momentum={group['momentum']!r}, dampening={group['dampening']!r}"
            )

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        lr, momentum, weight_decay = group["lr"], group["momentum"], group["weight_decay"]
        data = param.data
        a, b = self._scratch(data, 2)
        if weight_decay != 0:
            decayed = np.multiply(data, weight_decay, out=a)
            decayed += grad
            grad = decayed
        if momentum != 0:
            buffer = state.get("momentum_buffer")
            if buffer is None:
                buffer = state["momentum_buffer"] = Tensor._wrap(_storage.copy_of(grad, data.dtype))
                buf = buffer.data
            else:
                buf = buffer.data
                buf *= momentum
                if group["dampening"] != 0:
                    buf += np.multiply(grad, 1 - group["dampening"], out=b)
                else:
                    buf += grad
                _inplace.bump(buffer)
            if group["nesterov"]:
                nesterov = np.multiply(buf, momentum, out=b)
                nesterov += grad
                grad = nesterov
            else:
                grad = buf
        data -= np.multiply(grad, lr, out=b)
        _inplace.bump(param)  # one step, one write
