"""RMSprop (Hinton's lecture 6e), optionally centered and with momentum, as lucid 2.x's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid._ops import inplace as _inplace
from lucid.nn.parameter import Parameter
from lucid.optim.optimizer import Optimizer, check_bool, check_number

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    r"""RMSprop: steps divided by a running root mean square of the gradients.

    Each step, with gradient g, smoothing α, momentum μ and weight decay λ::

        g ← g + λ·p                                   (if λ ≠ 0)
        v ← α·v + (1 − α)·g²
        ḡ ← α·ḡ + (1 − α)·g,   w ← v − ḡ²             (if centered; else w ← v)
        d ← sqrt(w + ε)
        b ← μ·b + g/d,  p ← p − lr·b                   (if μ ≠ 0)
        p ← p − lr·g/d                                 (if μ = 0)

    ε is added under the square root, as lucid 2.x does; PyTorch takes sqrt(w) + ε.
    State per parameter: ``step`` (an int), ``square_avg`` (v), and ``momentum_buffer``
    (b, from zeros) and ``grad_avg`` (ḡ) when momentum and centering are on.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
        }
        super().__init__(params, defaults)

    def _check_group(self, group: Mapping[str, Any]) -> None:
        check_number("lr", group["lr"])
        check_number("alpha", group["alpha"])
        check_number("eps", group["eps"])
        check_number("weight_decay", group["weight_decay"])
        check_number("momentum", group["momentum"])
        check_bool("centered", group["centered"])

    def _update(
        self, param: Parameter, grad: np.ndarray, state: dict[str, Any], group: dict[str, Any]
    ) -> None:
        alpha, momentum = group["alpha"], group["momentum"]
        data = param.data
        a, b, c = self._scratch(data, 3)
        if not state:
            state["step"] = 0
            state["square_avg"] = self._zeros_like(param)
        if momentum != 0 and state.get("momentum_buffer") is None:
            state["momentum_buffer"] = self._zeros_like(param)
        if group["centered"] and state.get("grad_avg") is None:
            state["grad_avg"] = self._zeros_like(param)
        state["step"] += 1
        written = [param, state["square_avg"]]
        if group["weight_decay"] != 0:
            decayed = np.multiply(data, group["weight_decay"], out=a)
            decayed += grad
            grad = decayed
        square_avg = state["square_avg"].data
        square_avg *= alpha
        square = np.multiply(grad, grad, out=b)
        square *= 1 - alpha
        square_avg += square
        if group["centered"]:
            grad_avg = state["grad_avg"].data
            grad_avg *= alpha
            grad_avg += np.multiply(grad, 1 - alpha, out=b)
            denom = np.multiply(grad_avg, grad_avg, out=b)
            np.subtract(square_avg, denom, out=denom)
            written.append(state["grad_avg"])
        else:
            denom = b
            np.copyto(denom, square_avg)
        denom += group["eps"]
        np.sqrt(denom, out=denom)
        move = np.divide(grad, denom, out=c)
        if momentum != 0:
            buffer = state["momentum_buffer"].data
            buffer *= momentum
            buffer += move
            move = np.multiply(buffer, group["lr"], out=c)
            written.append(state["momentum_buffer"])
        else:
            move *= group["lr"]
        data -= move
        _inplace.bump(*written)
