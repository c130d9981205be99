"""Identity and Flatten: layers that only pass values on or reshape them."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid._tensor import Tensor
from lucid.nn.module import Module

__all__ = ["Flatten", "Identity"]


class Identity(Module):
    """Returns its input itself. Takes and ignores any arguments, as PyTorch's does, so
    it can stand in for a layer that was built with some."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input_: Any) -> Any:
        return input_


def _check_axis(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


def _pick(name: str, value: int, default: int, alias: str, alias_value: Any) -> int:
    if alias_value is None:
        return _check_axis(name, value)
    if value != default:
        raise TypeError(f"pass {name}= or {alias}=, not both")
    return _check_axis(alias, alias_value)


class Flatten(Module):
    """Flattens axes ``start_axis`` to ``end_axis`` (inclusive) into one.

    PyTorch's ``start_dim``/``end_dim`` are accepted too. The result is a reshape, so it
    shares the input's storage; a 0-d input counts as 1-d and gives shape (1,).
    """

    def __init__(
        self,
        start_axis: int = 1,
        end_axis: int = -1,
        *,
        start_dim: int | None = None,
        end_dim: int | None = None,
    ) -> None:
        super().__init__()
        self.start_axis = _pick("start_axis", start_axis, 1, "start_dim", start_dim)
        self.end_axis = _pick("end_axis", end_axis, -1, "end_dim", end_dim)

    def _axis(self, name: str, axis: int, shape: tuple[int, ...]) -> int:
        ndim = max(len(shape), 1)
        if not -ndim <= axis < ndim:
            raise ValueError(
                f"Flatten: {name}={axis} is out of range for an input of shape {shape} "
                f"(expected {-ndim} <= {name} < {ndim})"
            )
        return axis % ndim

    def forward(self, input_: Tensor) -> Tensor:
        if not isinstance(input_, Tensor):
            raise TypeError(f"Flatten: input_ must be a lucid Tensor, got {type(input_).__name__}")
        shape = tuple(input_.shape)
        start = self._axis("start_axis", self.start_axis, shape)
        end = self._axis("end_axis", self.end_axis, shape)
        if start > end:
            raise ValueError(
                f"Flatten: start_axis={self.start_axis} comes after end_axis={self.end_axis} "
                f"for an input of shape {shape}"
            )
        dims = shape or (1,)
        return input_.reshape(*dims[:start], math.prod(dims[start : end + 1]), *dims[end + 1 :])

    def extra_repr(self) -> str:
        return f"start_axis={self.start_axis}, end_axis={self.end_axis}"
