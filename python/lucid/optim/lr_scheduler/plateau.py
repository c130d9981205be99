"""ReduceLROnPlateau: multiply every group's lr by ``factor`` when a metric has stopped
improving for more than ``patience`` epochs.

Each ``step(metrics)``: a metric better than ``best`` by the threshold resets the count
of bad epochs, any other adds one; during the ``cooldown`` epochs after a reduction bad
epochs are not counted; when the count exceeds ``patience`` each lr becomes
max(lr · factor, min_lr) (unless that changes it by ``eps`` or less), the count restarts
and the cooldown begins. "Better" for mode "min" with threshold_mode "rel" is
a < best·(1 − threshold), with "abs" a < best − threshold; "max" mirrors them.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from lucid.optim.lr_scheduler.base import LRScheduler, check_int, check_optimizer, per_group
from lucid.optim.optimizer import Optimizer, check_number

__all__ = ["ReduceLROnPlateau"]


class ReduceLROnPlateau(LRScheduler):
    """lucid's order; ``mode`` defaults to "min" as in PyTorch. ``min_lr`` may be one
    value per param group. The constructor leaves the lrs as they are."""

    def __init__(
        self,
        optimizer: Optimizer,
        mode: str = "min",
        factor: float = 0.1,
        patience: int = 10,
        threshold: float = 1e-4,
        threshold_mode: str = "rel",
        cooldown: int = 0,
        min_lr: float | list[float] = 0.0,
        eps: float = 1e-8,
        verbose: bool = False,
    ) -> None:
        check_optimizer(optimizer)
        self.mode = mode
        self.factor = factor
        self.patience = patience
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.cooldown = cooldown
        groups = len(optimizer.param_groups)
        self.min_lrs = per_group("min_lr", min_lr, groups, check_number)
        self.eps = eps
        self.num_bad_epochs = 0
        self.cooldown_counter = 0
        super().__init__(optimizer, -1, verbose)
        self.best = math.inf if mode == "min" else -math.inf
        self.last_epoch = 0

    def _initial_step(self) -> None:
        pass

    def _check(self) -> None:
        if self.mode not in ("min", "max"):
            raise ValueError(f"mode must be 'min' or 'max', got mode={self.mode!r}")
        check_number("factor", self.factor)
        if not self.factor < 1.0:
            raise ValueError(f"factor must be < 1.0, got factor={self.factor!r}")
        check_int("patience", self.patience, low=0)
        check_number("threshold", self.threshold)
        if self.threshold_mode not in ("rel", "abs"):
            raise ValueError(
                f"threshold_mode must be 'rel' or 'abs', got threshold_mode={self.threshold_mode!r}"
            )
        check_int("cooldown", self.cooldown, low=0)
        groups = len(self.optimizer.param_groups)
        if not isinstance(self.min_lrs, list) or len(self.min_lrs) != groups:
            raise ValueError(f"min_lr must hold one value per param group ({groups})")
        for i, low in enumerate(self.min_lrs):
            check_number(f"min_lr[{i}]", low)
        check_number("eps", self.eps)
        check_int("num_bad_epochs", self.num_bad_epochs, low=0)
        check_int("cooldown_counter", self.cooldown_counter, low=0)

    @property
    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def is_better(self, metrics: float, best: float | None = None) -> bool:
        """Whether ``metrics`` improves on ``best`` (the best so far when None)."""
        best = self.best if best is None else best
        if self.threshold_mode == "rel":
            scale = 1 - self.threshold if self.mode == "min" else 1 + self.threshold
            bound = best * scale
        else:
            bound = best - self.threshold if self.mode == "min" else best + self.threshold
        return metrics < bound if self.mode == "min" else metrics > bound

    def get_lr(self) -> list[float]:
        return [float(g["lr"]) for g in self.optimizer.param_groups]

    def step(self, metrics: Any, epoch: int | None = None) -> None:  # type: ignore[override]
        """Count this epoch's metric (a number or a one-element tensor) and reduce the
        lrs once the plateau has lasted more than ``patience`` epochs."""
        current = _number(metrics)
        if epoch is None:
            self.last_epoch += 1
        else:
            check_int("epoch", epoch, low=0)
            self.last_epoch = int(epoch)
        self._step_count += 1
        if self.is_better(current):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            self._reduce_lr()
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self.get_lr()

    def _reduce_lr(self) -> None:
        for i, group in enumerate(self.optimizer.param_groups):
            old = float(group["lr"])
            new = max(old * self.factor, self.min_lrs[i])
            if old - new > self.eps:
                group["lr"] = new
                if self.verbose:
                    print(f"Epoch {self.last_epoch}: reducing learning rate of group {i} to {new}.")


def _number(metrics: Any) -> float:
    """The metric as a float: a real number, or a tensor or array of one element."""
    value = metrics
    if hasattr(value, "item") and getattr(value, "size", 1) == 1:
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(
            f"metrics must be a number or a one-element tensor, got metrics={metrics!r}"
        )
    return float(value)
