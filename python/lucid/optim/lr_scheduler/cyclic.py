"""CyclicLR: the lr runs between base_lr and max_lr in cycles (Smith, 2017), and the
momentum, where the optimizer has one, the other way between max and base momentum.

At iteration t (= ``last_epoch``), with a cycle of ``step_size_up + step_size_down``
iterations, cycle c = ⌊1 + t / size⌋ (1-based) and x = 1 + t / size − c in [0, 1)::

    rise = x / r            if x <= r      (r = step_size_up / size)
           (x − 1)/(r − 1)  otherwise
    lr = base_lr + (max_lr − base_lr) · rise · scale

where scale is 1 ("triangular"), 1 / 2^(c−1) ("triangular2"), gamma^t ("exp_range"), or
``scale_fn(c)`` / ``scale_fn(t)`` (``scale_mode`` "cycle" / "iterations") when given.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lucid.optim.lr_scheduler.base import (
    LRScheduler,
    check_int,
    check_optimizer,
    check_positive,
    per_group,
)
from lucid.optim.optimizer import Optimizer, check_bool, check_number

__all__ = ["CyclicLR"]

MODES = ("triangular", "triangular2", "exp_range")
SCALE_MODES = ("cycle", "iterations")


class CyclicLR(LRScheduler):
    """lucid's positional order; PyTorch's ``scale_mode``, ``base_momentum`` and
    ``max_momentum`` are keyword-only. ``base_lr`` and ``max_lr`` may be one value per
    param group. With ``cycle_momentum`` the groups' ``momentum`` (or Adam's first
    beta) is cycled; an optimizer without either has nothing to cycle and is left alone.
    ``scale_fn`` is not part of the state dict.
    """

    _unsaved = ("optimizer", "scale_fn")

    def __init__(
        self,
        optimizer: Optimizer,
        base_lr: float | list[float],
        max_lr: float | list[float],
        step_size_up: int = 2000,
        step_size_down: int | None = None,
        mode: str = "triangular",
        gamma: float = 1.0,
        scale_fn: Callable[[int], float] | None = None,
        cycle_momentum: bool = True,
        last_epoch: int = -1,
        verbose: bool = False,
        *,
        scale_mode: str = "cycle",
        base_momentum: float | list[float] = 0.8,
        max_momentum: float | list[float] = 0.9,
    ) -> None:
        check_optimizer(optimizer)
        groups = optimizer.param_groups
        self.base_lr = per_group("base_lr", base_lr, len(groups), check_number)
        self.max_lr = per_group("max_lr", max_lr, len(groups), check_number)
        self.step_size_up = step_size_up
        self.step_size_down = step_size_up if step_size_down is None else step_size_down
        self.mode = mode
        self.gamma = gamma
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"scale_fn must be callable or None, got scale_fn={scale_fn!r}")
        self.scale_fn = scale_fn
        self.scale_mode = scale_mode
        self.cycle_momentum = cycle_momentum
        self.base_momentum = per_group("base_momentum", base_momentum, len(groups), check_number)
        self.max_momentum = per_group("max_momentum", max_momentum, len(groups), check_number)
        self._check()
        self.momentum_key = momentum_key(optimizer) if cycle_momentum else None
        check_int("last_epoch", last_epoch, low=-1)
        if last_epoch == -1:
            for i, group in enumerate(groups):
                group["lr"] = group["initial_lr"] = float(self.base_lr[i])
                if self.momentum_key is not None:
                    set_momentum(group, self.momentum_key, self.max_momentum[i])
        super().__init__(optimizer, last_epoch, verbose)

    def _check(self) -> None:
        for i, (low, high) in enumerate(zip(self.base_lr, self.max_lr, strict=True)):
            if not low < high:
                raise ValueError(
                    f"base_lr must be less than max_lr, got base_lr={low!r} and max_lr={high!r}"
                    f" for param group {i}"
                )
        check_int("step_size_up", self.step_size_up, low=1)
        check_int("step_size_down", self.step_size_down, low=1)
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got mode={self.mode!r}")
        if self.scale_mode not in SCALE_MODES:
            raise ValueError(
                f"scale_mode must be one of {SCALE_MODES}, got scale_mode={self.scale_mode!r}"
            )
        check_positive("gamma", self.gamma)
        check_bool("cycle_momentum", self.cycle_momentum)

    def _scale(self, cycle: int) -> float:
        if self.scale_fn is not None:
            return float(self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch))
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1.0 / 2.0 ** (cycle - 1)
        return float(self.gamma**self.last_epoch)

    def _rise(self) -> tuple[float, int]:
        size = self.step_size_up + self.step_size_down
        ratio = self.step_size_up / size
        cycle = 1 + self.last_epoch // size
        x = 1.0 + self.last_epoch / size - cycle
        rise = x / ratio if x <= ratio else (x - 1) / (ratio - 1)
        return rise * self._scale(cycle), cycle

    def get_lr(self) -> list[float]:
        height, _ = self._rise()
        pairs = zip(self.base_lr, self.max_lr, strict=True)
        return [low + (high - low) * height for low, high in pairs]

    def step(self, epoch: int | None = None) -> None:
        super().step(epoch)
        if self.momentum_key is None:
            return
        height, _ = self._rise()
        for i, group in enumerate(self.optimizer.param_groups):
            top, bottom = self.max_momentum[i], self.base_momentum[i]
            set_momentum(group, self.momentum_key, top - (top - bottom) * height)


def momentum_key(optimizer: Optimizer) -> str | None:
    """The hyperparameter CyclicLR cycles: "momentum", "betas" (the first beta), or None."""
    for key in ("momentum", "betas"):
        if all(key in group for group in optimizer.param_groups):
            return key
    return None


def set_momentum(group: dict[str, Any], key: str, value: float) -> None:
    if key == "momentum":
        group["momentum"] = float(value)
    else:
        group["betas"] = (float(value), *tuple(group["betas"])[1:])
