"""In-place initialisation of tensors, drawing from lucid.random.

Each function writes into the tensor's existing storage (``tensor.data[...] = ...``),
so a Parameter already registered in a Module keeps its identity, and returns the
tensor. Like PyTorch's (which run under no_grad), they write leaves that require grad
outside the graph, and count the write in the tensor's version. Draws come from
``generator`` or lucid.random's default generator, so ``lucid.random.seed(s)`` makes
them reproducible.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from lucid import random as _random
from lucid._ops import inplace as _inplace
from lucid._tensor import Tensor

__all__ = [
    "calculate_gain",
    "constant",
    "constant_",
    "kaiming_normal",
    "kaiming_normal_",
    "kaiming_uniform",
    "kaiming_uniform_",
    "lecun_normal",
    "lecun_normal_",
    "lecun_uniform",
    "lecun_uniform_",
    "normal",
    "normal_",
    "uniform",
    "uniform_",
    "xavier_normal",
    "xavier_normal_",
    "xavier_uniform",
    "xavier_uniform_",
]


def _check_tensor(tensor: Any) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor must be a lucid Tensor, got {type(tensor).__name__}")
    return tensor


def _check_real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _calculate_fan_in_and_fan_out(tensor: Tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight (out, in, *kernel): in·k and out·k, k = prod(kernel)."""
    shape = tuple(_check_tensor(tensor).shape)
    if len(shape) < 2:
        raise ValueError(
            "fan in and fan out can not be computed for a tensor with fewer than 2 "
            f"dimensions, got shape {shape}"
        )
    receptive_field = math.prod(shape[2:])
    return shape[1] * receptive_field, shape[0] * receptive_field


_LINEAR_GAINS = ("linear", "identity", "conv1d", "conv2d", "conv3d", "sigmoid")
_FIXED_GAINS = {"tanh": 5.0 / 3.0, "relu": math.sqrt(2.0), "selu": 3.0 / 4.0}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for ``nonlinearity``, as PyTorch's table gives it.

    ``param`` is leaky_relu's negative slope (default 0.01).
    """
    if nonlinearity in _LINEAR_GAINS or nonlinearity.startswith("conv_transpose"):
        return 1.0
    if nonlinearity in _FIXED_GAINS:
        return _FIXED_GAINS[nonlinearity]
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else _check_real("negative slope (param)", param)
        return math.sqrt(2.0 / (1.0 + slope**2))
    raise ValueError(f"unsupported nonlinearity {nonlinearity!r}")


def uniform(tensor: Tensor, a: float = 0.0, b: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``tensor`` with values from U(a, b), in its dtype."""
    tensor = _check_tensor(tensor)
    a, b = _check_real("a", a), _check_real("b", b)
    if a > b:
        raise ValueError(f"uniform needs a <= b, got a={a}, b={b}")
    draw = _random.uniform(a, b, tensor.shape, dtype=tensor.dtype, generator=generator)
    tensor.data[...] = draw.data
    _inplace.bump(tensor)
    return tensor


def normal(tensor: Tensor, mean: float = 0.0, std: float = 1.0, generator: Any = None) -> Tensor:
    """Fill ``tensor`` with values from N(mean, std²), in its dtype."""
    tensor = _check_tensor(tensor)
    mean, std = _check_real("mean", mean), _check_real("std", std)
    if std < 0:
        raise ValueError(f"std must be non-negative, got {std}")
    draw = _random.randn(*tensor.shape, dtype=tensor.dtype, generator=generator).data
    draw *= std
    draw += mean
    tensor.data[...] = draw
    _inplace.bump(tensor)
    return tensor


def constant(tensor: Tensor, val: float) -> Tensor:
    """Fill ``tensor`` with ``val``."""
    tensor = _check_tensor(tensor)
    if isinstance(val, Tensor) or not isinstance(val, numbers.Number):
        raise TypeError(f"val must be a number, got {type(val).__name__}")
    tensor.data[...] = val
    _inplace.bump(tensor)
    return tensor


def _kaiming_fan(tensor: Tensor, mode: str) -> int:
    if mode not in ("fan_in", "fan_out"):
        hint = ""
        if isinstance(mode, (int, float)):  # PyTorch's order puts a there
            hint = " (lucid's order is (tensor, mode); pass a= by keyword or use the _ form)"
        raise ValueError(f"mode must be 'fan_in' or 'fan_out', got {mode!r}{hint}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def kaiming_uniform(
    tensor: Tensor,
    mode: str = "fan_in",
    *,
    a: float = 0,
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """He et al. (2015): U(-bound, bound) with bound = gain·sqrt(3 / fan).

    ``fan`` is fan_in (keeps the forward variance) or fan_out (keeps the backward one);
    ``a`` is leaky_relu's negative slope. The order is lucid's, ``(tensor, mode)``;
    :func:`kaiming_uniform_` takes PyTorch's, ``(tensor, a, mode, nonlinearity)``.
    An empty tensor is returned unchanged.
    """
    fan = _kaiming_fan(_check_tensor(tensor), mode)
    if fan == 0:
        return tensor
    bound = math.sqrt(3.0) * calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return uniform(tensor, -bound, bound, generator=generator)


def kaiming_normal(
    tensor: Tensor,
    mode: str = "fan_in",
    *,
    a: float = 0,
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """He et al. (2015): N(0, std²) with std = gain / sqrt(fan), ``fan`` and ``a`` as in
    :func:`kaiming_uniform` (lucid's order; :func:`kaiming_normal_` takes PyTorch's).
    An empty tensor is returned unchanged."""
    fan = _kaiming_fan(_check_tensor(tensor), mode)
    if fan == 0:
        return tensor
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal(tensor, 0.0, std, generator=generator)


def kaiming_uniform_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """:func:`kaiming_uniform` in PyTorch's (and lucid 3's) argument order."""
    return kaiming_uniform(tensor, mode, a=a, nonlinearity=nonlinearity, generator=generator)


def kaiming_normal_(
    tensor: Tensor,
    a: float = 0,
    mode: str = "fan_in",
    nonlinearity: str = "leaky_relu",
    generator: Any = None,
) -> Tensor:
    """:func:`kaiming_normal` in PyTorch's (and lucid 3's) argument order."""
    return kaiming_normal(tensor, mode, a=a, nonlinearity=nonlinearity, generator=generator)


def _xavier_std(tensor: Tensor, gain: float) -> float | None:
    gain = _check_real("gain", gain)
    fan_in, fan_out = _calculate_fan_in_and_fan_out(_check_tensor(tensor))
    if fan_in + fan_out == 0:
        return None
    return gain * math.sqrt(2.0 / (fan_in + fan_out))


def xavier_uniform(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot & Bengio (2010): U(-bound, bound), bound = gain·sqrt(6 / (fan_in + fan_out)).

    An empty tensor is returned unchanged.
    """
    std = _xavier_std(tensor, gain)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform(tensor, -bound, bound, generator=generator)


def xavier_normal(tensor: Tensor, gain: float = 1.0, generator: Any = None) -> Tensor:
    """Glorot & Bengio (2010): N(0, std²), std = gain·sqrt(2 / (fan_in + fan_out)).

    An empty tensor is returned unchanged.
    """
    std = _xavier_std(tensor, gain)
    if std is None:
        return tensor
    return normal(tensor, 0.0, std, generator=generator)


def _lecun_std(tensor: Tensor) -> float | None:
    fan_in, _ = _calculate_fan_in_and_fan_out(_check_tensor(tensor))
    return None if fan_in == 0 else 1.0 / math.sqrt(fan_in)


def lecun_normal(tensor: Tensor, generator: Any = None) -> Tensor:
    """LeCun et al. (1998), the SELU initialisation: N(0, 1 / fan_in).

    An empty tensor is returned unchanged.
    """
    std = _lecun_std(tensor)
    return tensor if std is None else normal(tensor, 0.0, std, generator=generator)


def lecun_uniform(tensor: Tensor, generator: Any = None) -> Tensor:
    """LeCun's variance 1 / fan_in from U(-bound, bound), bound = sqrt(3 / fan_in).

    An empty tensor is returned unchanged.
    """
    std = _lecun_std(tensor)
    if std is None:
        return tensor
    bound = math.sqrt(3.0) * std
    return uniform(tensor, -bound, bound, generator=generator)


# PyTorch's in-place spellings (kaiming's two, whose order differs, are defined above).
uniform_ = uniform
normal_ = normal
constant_ = constant
xavier_uniform_ = xavier_uniform
xavier_normal_ = xavier_normal
lecun_normal_ = lecun_normal
lecun_uniform_ = lecun_uniform
