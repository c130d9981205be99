"""Hyperparameter checks and state-dict helpers shared by the optimisers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lucid.optim.optimizer import check_number

__all__ = ["check_betas", "check_pair", "check_unit", "renamed_state"]


def check_pair(name: str, value: Any) -> tuple[Any, Any]:
    """``value`` must be a tuple or list of two numbers; returns them."""
    if not isinstance(value, (tuple, list)) or len(value) != 2:
        raise TypeError(f"{name} must be a pair of numbers, got {name}={value!r}")
    for i, item in enumerate(value):
        check_number(f"{name}[{i}]", item, low=None)
    return value[0], value[1]


def check_betas(betas: Any) -> None:
    """Adam's betas: two numbers in [0, 1)."""
    check_pair("betas", betas)
    for i, beta in enumerate(betas):
        check_number(f"betas[{i}]", beta)
        if not beta < 1:
            raise ValueError(f"betas[{i}] must be in [0, 1), got betas={betas!r}")


def check_unit(name: str, value: Any) -> None:
    """A number in [0, 1], such as Adadelta's rho."""
    check_number(name, value)
    if value > 1:
        raise ValueError(f"{name} must be in [0, 1], got {name}={value!r}")


def renamed_state(state_dict: Any, names: Mapping[str, str]) -> Any:
    """``state_dict`` with lucid 2.x's state keys (``names``' keys) under PyTorch's names,
    so a state dict saved by lucid 2.x loads; anything else is passed on unchanged for
    ``load_state_dict`` to check."""
    if not isinstance(state_dict, Mapping) or not isinstance(state_dict.get("state"), Mapping):
        return state_dict
    state = {
        index: {names.get(k, k): v for k, v in values.items()}
        if isinstance(values, Mapping)
        else values
        for index, values in state_dict["state"].items()
    }
    return {**state_dict, "state": state}
