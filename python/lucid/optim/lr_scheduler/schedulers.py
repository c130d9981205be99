"""The schedulers with a closed form in the epoch t = ``last_epoch``: LambdaLR, StepLR,
MultiStepLR, ExponentialLR, CosineAnnealingLR and NoamScheduler.

Each lr is computed from the base lr and t, never from the previous lr, so a resumed
run gives the same floats as an uninterrupted one.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

from lucid.optim.lr_scheduler.base import (
    LRScheduler,
    check_int,
    check_optimizer,
    check_positive,
)
from lucid.optim.optimizer import Optimizer, check_number

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LambdaLR",
    "MultiStepLR",
    "NoamScheduler",
    "StepLR",
]


class LambdaLR(LRScheduler):
    """lr = base_lr · lr_lambda(t). ``lr_lambda`` is one function or one per group.

    lucid's order is ``LambdaLR(lr_lambda, optimizer)``; PyTorch's ``LambdaLR(optimizer,
    lr_lambda)`` is accepted too (an optimizer is never callable, so the two cannot be
    confused). The functions are not part of the state dict.
    """

    _unsaved = ("optimizer", "lr_lambda", "lr_lambdas")

    def __init__(
        self,
        lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]],
        optimizer: Optimizer,
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        if isinstance(lr_lambda, Optimizer) and not isinstance(optimizer, Optimizer):
            lr_lambda, optimizer = optimizer, lr_lambda  # PyTorch's order
        check_optimizer(optimizer)
        groups = len(optimizer.param_groups)
        if isinstance(lr_lambda, (list, tuple)):
            if len(lr_lambda) != groups:
                raise ValueError(
                    f"lr_lambda must be one function or one per param group ({groups}), "
                    f"got {len(lr_lambda)} functions"
                )
            lambdas = list(lr_lambda)
        else:
            lambdas = [lr_lambda] * groups
        for i, fn in enumerate(lambdas):
            if not callable(fn):
                raise TypeError(
                    f"lr_lambda must be callable (epoch -> factor), got lr_lambda[{i}]={fn!r}"
                )
        self.lr_lambda = lr_lambda
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch, verbose)

    def get_lr(self) -> list[float]:
        lrs = []
        for i, (base, fn) in enumerate(zip(self.base_lrs, self.lr_lambdas, strict=True)):
            factor = fn(self.last_epoch)
            if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
                raise TypeError(
                    f"lr_lambda must return a number, got {factor!r} from lr_lambda[{i}]"
                    f"({self.last_epoch})"
                )
            lrs.append(base * float(factor))
        return lrs


class StepLR(LRScheduler):
    """lr = base_lr · gamma^⌊t / step_size⌋."""

    def __init__(
        self,
        optimizer: Optimizer,
        step_size: int,
        gamma: float = 0.1,
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def _check(self) -> None:
        check_int("step_size", self.step_size, low=1)
        check_positive("gamma", self.gamma)

    def get_lr(self) -> list[float]:
        factor = self.gamma ** (self.last_epoch // self.step_size)
        return [base * factor for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """lr = base_lr · gamma^(number of milestones <= t); milestones strictly increase."""

    def __init__(
        self,
        optimizer: Optimizer,
        milestones: list[int],
        gamma: float = 0.1,
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        if not isinstance(milestones, (list, tuple)):
            raise TypeError(f"milestones must be a list of ints, got milestones={milestones!r}")
        self.milestones = list(milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def _check(self) -> None:
        if not isinstance(self.milestones, list) or not self.milestones:
            raise ValueError(
                f"milestones must hold at least one epoch, got milestones={self.milestones!r}"
            )
        for i, m in enumerate(self.milestones):
            check_int(f"milestones[{i}]", m, low=0)
        if any(a >= b for a, b in zip(self.milestones, self.milestones[1:], strict=False)):
            raise ValueError(
                f"milestones must increase strictly, got milestones={self.milestones!r}"
            )
        check_positive("gamma", self.gamma)

    def get_lr(self) -> list[float]:
        passed = sum(self.last_epoch >= m for m in self.milestones)
        factor = self.gamma**passed
        return [base * factor for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """lr = base_lr · gamma^t."""

    def __init__(
        self,
        optimizer: Optimizer,
        gamma: float,
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        self.gamma = gamma
        super().__init__(optimizer, last_epoch, verbose)

    def _check(self) -> None:
        check_positive("gamma", self.gamma)

    def get_lr(self) -> list[float]:
        factor = self.gamma**self.last_epoch
        return [base * factor for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr − eta_min)·(1 + cos(π·t / T_max)) / 2 (SGDR without
    restarts; past T_max the cosine climbs back, as PyTorch's)."""

    def __init__(
        self,
        optimizer: Optimizer,
        T_max: int,
        eta_min: float = 0.0,
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch, verbose)

    def _check(self) -> None:
        check_int("T_max", self.T_max, low=1)
        check_number("eta_min", self.eta_min)

    def get_lr(self) -> list[float]:
        wave = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * wave for base in self.base_lrs]


class NoamScheduler(LRScheduler):
    """The Transformer's warm-up then inverse-square-root schedule, in absolute terms
    (the optimizer's own lr is not used): for the n-th optimizer step, n = t + 1,

        lr = factor · model_size^−½ · min(n^−½, n · warmup_steps^−³ᐟ²),

    rising linearly to its peak at n = warmup_steps.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        model_size: int,
        warmup_steps: int,
        factor: float = 1.0,
        last_epoch: int = -1,
        verbose: bool = False,
    ) -> None:
        self.model_size = model_size
        self.warmup_steps = warmup_steps
        self.factor = factor
        super().__init__(optimizer, last_epoch, verbose)

    def _check(self) -> None:
        check_int("model_size", self.model_size, low=1)
        check_int("warmup_steps", self.warmup_steps, low=1)
        check_positive("factor", self.factor)

    def get_lr(self) -> list[float]:
        n = self.last_epoch + 1
        lr = self.factor * self.model_size**-0.5 * min(n**-0.5, n * self.warmup_steps**-1.5)
        return [lr for _ in self.base_lrs]
