"""SGD with momentum, dampening, Nesterov momentum and L2 weight decay, as PyTorch's."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from lucid import _C, _storage
from lucid._ops import inplace as _inplace
from lucid._tensor import Tensor
from lucid.nn.parameter import Parameter
from lucid.optim import _fused
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

    A step updates a group's float32 and float64 parameters in one call into the core
    (``_C.sgd_step``), with the same float operations as ``_update`` and so the same
    bits; other parameters take ``_update``.
    """

    # False: every parameter takes the per-parameter path (the tests compare the two).
    _foreach = True

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

    def _step_group(self, group: dict[str, Any], pairs: _fused.Pairs) -> None:
        names = ("lr", "momentum", "dampening", "weight_decay")
        rest = pairs
        if self._foreach and _fused.plain(*(group[k] for k in names)):
            by_dtype, rest = _fused.split(pairs)
            for dtype, items in by_dtype.items():
                rest += self._fused_step(group, dtype, items)
        super()._step_group(group, rest)

    def _fused_step(
        self, group: dict[str, Any], dtype: np.dtype, items: _fused.Pairs
    ) -> _fused.Pairs:
        """Step ``items`` in one call; returns those left to ``_update``."""
        with_momentum = group["momentum"] != 0
        taken: _fused.Pairs = []
        rest: _fused.Pairs = []
        buffers: list[Tensor] = []
        fresh: list[bool] = []
        for p, grad in items:
            if with_momentum:
                buffer = self.state.get(p, {}).get("momentum_buffer")
                if buffer is not None and not _fused.usable(buffer.data, dtype):
                    rest.append((p, grad))
                    continue
                fresh.append(buffer is None)
                if buffer is None:
                    buffer = Tensor._wrap(_storage.empty(p.shape, dtype))
                buffers.append(buffer)
            taken.append((p, grad))
        done = _C.sgd_step(
            [p.data for p, _ in taken],
            [grad for _, grad in taken],
            [b.data for b in buffers] if with_momentum else None,
            fresh if with_momentum else None,
            lr=group["lr"],
            momentum=group["momentum"],
            dampening=group["dampening"],
            weight_decay=group["weight_decay"],
            nesterov=bool(group["nesterov"]),
        )
        if not done:  # arrays share memory: nothing changed
            return rest + taken
        for i, (p, _) in enumerate(taken):
            state = self.state.setdefault(p, {})
            if with_momentum:
                if fresh[i]:
                    state["momentum_buffer"] = buffers[i]
                else:
                    _inplace.bump(buffers[i])
            _inplace.bump(p)
        return rest

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
