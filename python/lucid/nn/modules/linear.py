"""The Linear layer: y = x Wᵀ + b."""

from __future__ import annotations

import math
import numbers
from typing import Any

from lucid import _storage
from lucid._dtypes import check_device, resolve
from lucid._tensor import Tensor
from lucid.nn.functional.linear import linear
from lucid.nn.init import _calculate_fan_in_and_fan_out, kaiming_uniform, uniform
from lucid.nn.module import Module
from lucid.nn.parameter import Parameter

__all__ = ["Linear"]


def _check_features(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


class Linear(Module):
    """A fully connected layer: weight (out_features, in_features), bias (out_features,).

    Both are Parameters of the default float dtype (float64 unless
    ``lucid.set_default_dtype`` chose float32, or ``dtype=`` as PyTorch), initialised as
    lucid 2.x does: the weight by ``kaiming_uniform`` (a = 0: uniform in
    ±sqrt(6/in_features)), the bias uniform in ±1/sqrt(in_features). (PyTorch and lucid
    3 use a = sqrt(5), ±1/sqrt(in_features) for both; lucid 2.7.9 takes the fan of a 2-D
    weight from out_features, a bug later 2.x releases fix, whose rule this is.)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        *,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        self.in_features = _check_features("in_features", in_features)
        self.out_features = _check_features("out_features", out_features)
        shape = (self.out_features, self.in_features)
        check_device(device)
        dtype = resolve(dtype, "Linear: dtype")  # None: the default float dtype
        if dtype.kind != "f":
            raise TypeError(f"Linear: dtype must be float32 or float64, got {dtype}")
        self.weight = Parameter(_storage.empty(shape, dtype))
        if bias:
            self.bias = Parameter(_storage.empty((self.out_features,), dtype))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Redraw weight, then bias, from lucid.random (seed it for reproducible layers);
        the one place the default initialisation lives."""
        kaiming_uniform(self.weight)  # lucid 2.x's: a = 0, so ±sqrt(6 / in_features)
        if self.bias is not None:
            fan_in, _ = _calculate_fan_in_and_fan_out(self.weight)
            bound = 1.0 / math.sqrt(fan_in)
            uniform(self.bias, -bound, bound)

    def forward(self, input_: Tensor) -> Tensor:
        return linear(input_, self.weight, self.bias)

    def extra_repr(self) -> str:
        return f"{self.in_features}, {self.out_features}, bias={self.bias is not None}"  # lucid 2.x
