"""The Bilinear layer: y_o = x1ᵀ W_o x2 + b_o."""

from __future__ import annotations

import math
import numbers
from typing import Any

from lucid import _dtypes, _storage
from lucid._tensor import Tensor
from lucid.nn.functional.bilinear import bilinear
from lucid.nn.init import uniform
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter

__all__ = ["Bilinear"]


def _check_features(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


class Bilinear(Module):
    """weight (out_features, in1_features, in2_features) and bias (out_features,), both
    of the default float dtype, drawn uniformly from ±1/sqrt(in1_features), as lucid 2.x
    and PyTorch."""

    def __init__(
        self, in1_features: int, in2_features: int, out_features: int, bias: bool = True
    ) -> None:
        super().__init__()
        self.in1_features = _check_features("in1_features", in1_features)
        self.in2_features = _check_features("in2_features", in2_features)
        self.out_features = _check_features("out_features", out_features)
        dtype = _dtypes.default_float()
        shape = (self.out_features, self.in1_features, self.in2_features)
        self.weight = Parameter(_storage.empty(shape, dtype))
        if bias:
            self.bias = Parameter(_storage.empty((self.out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight, then bias, from lucid.random."""
        bound = 1.0 / math.sqrt(self.in1_features)
        uniform(self.weight, -bound, bound)
        if self.bias is not None:
            uniform(self.bias, -bound, bound)

    def forward(self, input_1: Tensor, input_2: Tensor) -> Tensor:
        return bilinear(input_1, input_2, self.weight, self.bias)

    def extra_repr(self) -> str:
        # lucid 2.x's form: the three sizes positionally.
        return (
            f"{self.in1_features}, {self.in2_features}, {self.out_features}, "
            f"bias={self.bias is not None}"
        )
