"""The argument checks of lucid.nn.functional.norm: optional float tensors of a given
shape, positive ints, (N, C, ...) inputs and normalized_shape."""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from lucid._tensor import Tensor
from lucid.nn.functional.activation import check_input

__all__ = ["channels", "normalized_shape_arg", "optional", "positive_int"]


def optional(name: str, value: Any, op: str, shape: tuple[int, ...]) -> Tensor | None:
    """None, or a float Tensor of exactly ``shape``."""
    if value is None:
        return None
    if not isinstance(value, Tensor) or value.dtype.kind != "f":
        what = type(value).__name__ if not isinstance(value, Tensor) else f"dtype {value.dtype}"
        raise TypeError(f"{op}: {name} must be a float Tensor or None, got {what}")
    if tuple(value.shape) != shape:
        raise ValueError(f"{op}: {name} must have shape {shape}, got {tuple(value.shape)}")
    return value


def positive_int(name: str, value: Any, op: str) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}: {name} must be a positive int, got {value!r}")
    if value <= 0:
        raise ValueError(f"{op}: {name} must be a positive int, got {value}")
    return int(value)


def channels(input_: Any, op: str, min_ndim: int) -> tuple[Tensor, int]:
    x = check_input(input_, op)
    if x.ndim < min_ndim:
        raise ValueError(
            f"{op}: input_ must have at least {min_ndim} dimensions (N, C, ...), "
            f"got shape {tuple(x.shape)}"
        )
    return x, int(x.shape[1])


def normalized_shape_arg(value: Any, op: str) -> tuple[int, ...]:
    if isinstance(value, bool):
        raise TypeError(f"{op}: normalized_shape must be an int or a sequence of ints")
    if isinstance(value, numbers.Integral):
        return (positive_int("normalized_shape", value, op),)
    if not isinstance(value, Sequence) or isinstance(value, str) or not value:
        raise TypeError(
            f"{op}: normalized_shape must be an int or a non-empty sequence of ints, got {value!r}"
        )
    return tuple(positive_int("normalized_shape", v, op) for v in value)
