"""LRScheduler: the base of the learning-rate schedulers, and their argument checks.

A scheduler sets ``optimizer.param_groups[i]["lr"]`` for every group. As in PyTorch, the
constructor takes the first step itself (epoch 0), so after ``k`` calls to ``step()``
``last_epoch == k`` and each group's lr is the schedule's value at epoch ``k``. The base
lrs are the groups' ``initial_lr`` (written on construction, as PyTorch does).

State dicts hold plain data only (numbers, strings, lists, dicts, None): the counters,
the last lrs and the scheduler's own settings, never the optimizer or a function, so
``lucid.save`` stores them. Loading checks the settings as the constructor does and
writes the saved lrs into the optimizer's groups.
"""

from __future__ import annotations

import copy
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from lucid.optim.optimizer import Optimizer, check_bool, check_number

__all__ = ["LRScheduler", "check_int", "check_optimizer", "check_positive", "per_group"]


def check_optimizer(optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"optimizer must be a lucid.optim.Optimizer, got {type(optimizer).__name__}"
        )


def check_int(name: str, value: Any, low: int | None = None) -> None:
    """``value`` must be an int (not a bool), and >= ``low`` unless None."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {name}={value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {name}={value!r}")


def check_positive(name: str, value: Any) -> None:
    """A finite number > 0, such as a decay factor gamma."""
    check_number(name, value, low=None)
    if not value > 0:
        raise ValueError(f"{name} must be > 0, got {name}={value!r}")


def per_group(name: str, value: Any, groups: int, check: Callable[[str, Any], None]) -> list:
    """One value per param group: a list or tuple of ``groups`` values, or one for all."""
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(
                f"{name} must have one value per param group ({groups}), got {name}={value!r}"
            )
        for i, item in enumerate(value):
            check(f"{name}[{i}]", item)
        return list(value)
    check(name, value)
    return [value] * groups


def _plain(value: Any) -> Any:
    """``value`` as JSON-like data (numpy numbers become Python ones)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    raise TypeError(f"a scheduler state holds plain data only, got {type(value).__name__}")


class LRScheduler:
    """Base class of the schedulers: subclasses give ``get_lr()``, the lrs at
    ``self.last_epoch``, and may extend ``_check()`` with their own argument checks."""

    # Attributes that are not part of the state dict (functions, the optimizer).
    _unsaved: tuple[str, ...] = ("optimizer",)

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1, verbose: bool = False) -> None:
        check_optimizer(optimizer)
        check_int("last_epoch", last_epoch, low=-1)
        check_bool("verbose", verbose)
        self.optimizer = optimizer
        self.last_epoch = int(last_epoch)
        self.verbose = bool(verbose)
        self._check()
        groups = optimizer.param_groups
        if last_epoch == -1:
            for group in groups:
                group.setdefault("initial_lr", group["lr"])
        for i, group in enumerate(groups):
            if "initial_lr" not in group:
                raise KeyError(
                    f"param 'initial_lr' is not specified in param_groups[{i}] when resuming "
                    f"with last_epoch={last_epoch}"
                )
        self.base_lrs: list[float] = [float(g["initial_lr"]) for g in groups]
        self._last_lr: list[float] = [float(g["lr"]) for g in groups]
        self._step_count = 0
        self._initial_step()

    def _initial_step(self) -> None:
        self.step()

    def _check(self) -> None:
        """Raise ValueError/TypeError, naming the argument, for a bad setting."""

    def get_lr(self) -> list[float]:
        raise NotImplementedError(f"{type(self).__name__} must define get_lr")

    def get_last_lr(self) -> list[float]:
        """The lrs the last step set, one per param group."""
        return list(self._last_lr)

    @property
    def last_lr(self) -> list[float]:
        """lucid 2.x's name for ``get_last_lr()``."""
        return self.get_last_lr()

    def step(self, epoch: int | None = None) -> None:
        """Advance one epoch (or jump to ``epoch``) and set every group's lr."""
        if epoch is None:
            self.last_epoch += 1
        else:
            check_int("epoch", epoch, low=0)
            self.last_epoch = int(epoch)
        self._step_count += 1
        self._set_lrs(self.get_lr())

    def _set_lrs(self, lrs: Sequence[float]) -> None:
        groups = self.optimizer.param_groups
        if len(lrs) != len(groups):
            raise ValueError(
                f"{type(self).__name__} gave {len(lrs)} lrs for {len(groups)} param groups"
            )
        for group, lr in zip(groups, lrs, strict=True):
            group["lr"] = float(lr)
        self._last_lr = [float(g["lr"]) for g in groups]
        if self.verbose:
            print(f"Epoch {self.last_epoch}: setting learning rates to {self._last_lr}.")

    # ---- state dicts ----------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """The counters, base and last lrs and settings, as plain data."""
        state = {
            k: _plain(v)
            for k, v in self.__dict__.items()
            if k not in self._unsaved and not callable(v)
        }
        state["_group_count"] = len(self.optimizer.param_groups)
        return state

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Restore ``state_dict()`` output; the saved lrs go into the optimizer's groups.

        Everything is checked before anything changes.
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"state_dict must be a mapping, got {type(state_dict).__name__}")
        required = {"last_epoch", "base_lrs", "_step_count", "_last_lr"}
        missing = sorted(required - set(state_dict))
        if missing:
            raise KeyError(f"the scheduler state dict lacks the keys {missing}")
        groups = len(self.optimizer.param_groups)
        saved = state_dict.get("_group_count", groups)
        for key in ("base_lrs", "_last_lr"):
            value = state_dict[key]
            if not isinstance(value, (list, tuple)) or len(value) != groups:
                raise ValueError(
                    f"the state dict's {key} must hold one lr per param group ({groups}), "
                    f"got {key}={value!r}"
                )
            for i, lr in enumerate(value):
                check_number(f"{key}[{i}]", lr)
        if saved != groups:
            raise ValueError(
                f"the state dict is for {saved} param groups, the optimizer has {groups}"
            )
        check_int("last_epoch", state_dict["last_epoch"], low=-1)
        check_int("_step_count", state_dict["_step_count"], low=0)
        before = dict(self.__dict__)
        for key, value in state_dict.items():
            if key != "_group_count" and key not in self._unsaved:
                setattr(self, key, copy.deepcopy(value))
        self.base_lrs = [float(x) for x in self.base_lrs]
        self._last_lr = [float(x) for x in self._last_lr]
        try:
            self._check()
        except (TypeError, ValueError):
            self.__dict__.clear()
            self.__dict__.update(before)
            raise
        for group, base, lr in zip(
            self.optimizer.param_groups, self.base_lrs, self._last_lr, strict=True
        ):
            group["initial_lr"] = base
            group["lr"] = lr

    def __repr__(self) -> str:
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"
