"""The normalisation layers: BatchNorm1d/2d/3d, InstanceNorm1d/2d/3d, LayerNorm,
GroupNorm and GlobalResponseNorm, over the functions of lucid.nn.functional.norm.

Parameters and buffers are made in the default float dtype (float64 unless
lucid.set_default_dtype chose float32), as lucid 2.x's.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from lucid import _dtypes, _storage
from lucid._ops import inplace as _inplace
from lucid._tensor import Tensor
from lucid.nn.functional._norm_args import normalized_shape_arg
from lucid.nn.functional.norm import (
    batch_norm,
    global_response_norm,
    group_norm,
    instance_norm,
    layer_norm,
)
from lucid.nn.module import Module
from lucid.nn.parameter import Buffer, Parameter

__all__ = [
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GlobalResponseNorm",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
]


def _positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive int, got {type(value).__name__} {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value}")
    return int(value)


def _real(name: str, value: Any, allow_none: bool = False) -> Any:
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return value


def _filled(shape: tuple[int, ...], value: float) -> np.ndarray:
    out = _storage.empty(shape, _dtypes.default_float())
    out[...] = value
    return out


def _fill(tensor: Tensor, value: float) -> None:
    """Write ``value`` into every element of ``tensor`` in place, counting the write."""
    tensor.data[...] = value
    _inplace.bump(tensor)


def _check_ndim(layer: Module, input_: Any, ndims: tuple[int, ...]) -> None:
    if isinstance(input_, Tensor) and input_.ndim not in ndims:
        want = " or ".join(f"{n}D" for n in ndims)
        raise ValueError(
            f"{type(layer).__name__}: expected {want} input, got {input_.ndim}D input "
            f"of shape {tuple(input_.shape)}"
        )


class _NormBase(Module):
    """What the batch and instance norms share: num_features, eps, momentum, affine,
    track_running_stats; weight (ones) and bias (zeros) Parameters when affine;
    running_mean (zeros) and running_var (ones) buffers when tracking.

    lucid 2.7.9 starts running_mean at ones and running_var at zeros (its
    reset_running_stats has them the right way round); here they start as PyTorch's.
    ``momentum=None`` is PyTorch's cumulative average (each batch weighs 1/n, n counted
    in ``num_batches_tracked``, a plain attribute, not a buffer, so that the state dict
    is lucid 2.x's); lucid 2.x takes None as 0.1.
    """

    _ndims: tuple[int, ...] = ()
    _function: Any = None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ) -> None:
        super().__init__()
        self.num_features = _positive_int("num_features", num_features)
        self.eps = _real("eps", eps)
        self.momentum = _real("momentum", momentum, allow_none=True)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        self.num_batches_tracked = 0
        shape = (self.num_features,)
        if self.affine:
            self.weight = Parameter(_filled(shape, 1.0))
            self.bias = Parameter(_filled(shape, 0.0))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if self.track_running_stats:
            self.running_mean = Buffer(_filled(shape, 0.0))
            self.running_var = Buffer(_filled(shape, 1.0))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)

    def reset_running_stats(self) -> None:
        """running_mean to zeros and running_var to ones, in place."""
        self.num_batches_tracked = 0
        if self.running_mean is not None and self.running_var is not None:
            _fill(self.running_mean, 0.0)
            _fill(self.running_var, 1.0)

    def reset_parameters(self) -> None:
        """The running statistics, then weight to ones and bias to zeros, in place (the
        Parameters stay the same objects, so an optimizer holding them keeps working)."""
        self.reset_running_stats()
        if self.weight is not None and self.bias is not None:
            _fill(self.weight, 1.0)
            _fill(self.bias, 0.0)

    def _momentum(self) -> float:
        if self.momentum is None and self.training and self.running_mean is not None:
            self.num_batches_tracked += 1
            return 1.0 / self.num_batches_tracked
        return 0.1 if self.momentum is None else float(self.momentum)

    def forward(self, input_: Tensor) -> Tensor:
        _check_ndim(self, input_, self._ndims)
        return type(self)._function(
            input_,
            self.running_mean,
            self.running_var,
            self.weight,
            self.bias,
            self.training,
            self._momentum(),
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_NormBase):
    """Batch norm of (N, C) or (N, C, L) inputs (lucid 2.x refuses (N, C); PyTorch
    takes both)."""

    _ndims = (2, 3)
    _function = staticmethod(batch_norm)


class BatchNorm2d(_NormBase):
    """Batch norm of (N, C, H, W) inputs."""

    _ndims = (4,)
    _function = staticmethod(batch_norm)


class BatchNorm3d(_NormBase):
    """Batch norm of (N, C, D, H, W) inputs."""

    _ndims = (5,)
    _function = staticmethod(batch_norm)


class InstanceNorm1d(_NormBase):
    """Instance norm of (N, C, L) inputs. As lucid 2.x, affine and track_running_stats
    default to True (PyTorch's default to False), so eval uses the running statistics."""

    _ndims = (3,)
    _function = staticmethod(instance_norm)


class InstanceNorm2d(_NormBase):
    """Instance norm of (N, C, H, W) inputs; defaults as InstanceNorm1d."""

    _ndims = (4,)
    _function = staticmethod(instance_norm)


class InstanceNorm3d(_NormBase):
    """Instance norm of (N, C, D, H, W) inputs; defaults as InstanceNorm1d."""

    _ndims = (5,)
    _function = staticmethod(instance_norm)


class LayerNorm(Module):
    """Normalises over the trailing ``normalized_shape`` (an int or a tuple of ints);
    ``weight`` (ones) and, unless ``bias=False``, ``bias`` (zeros) of that shape when
    ``elementwise_affine``."""

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.normalized_shape = normalized_shape_arg(normalized_shape, "LayerNorm")
        self.eps = _real("eps", eps)
        self.elementwise_affine = bool(elementwise_affine)
        if self.elementwise_affine:
            self.weight = Parameter(_filled(self.normalized_shape, 1.0))
        else:
            self.register_parameter("weight", None)
        if self.elementwise_affine and bias:
            self.bias = Parameter(_filled(self.normalized_shape, 0.0))
        else:
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """weight to ones and bias to zeros, in place."""
        if self.weight is not None:
            _fill(self.weight, 1.0)
        if self.bias is not None:
            _fill(self.bias, 0.0)

    def forward(self, input_: Tensor) -> Tensor:
        return layer_norm(input_, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"normalized_shape={self.normalized_shape}, eps={self.eps}, "
            f"elementwise_affine={self.elementwise_affine}"
        )


class GroupNorm(Module):
    """Normalises each of ``num_groups`` groups of consecutive channels of (N, C, ...);
    ``weight`` (ones) and ``bias`` (zeros) of shape (num_channels,) when ``affine``."""

    def __init__(
        self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True
    ) -> None:
        super().__init__()
        self.num_groups = _positive_int("num_groups", num_groups)
        self.num_channels = _positive_int("num_channels", num_channels)
        if self.num_channels % self.num_groups:
            raise ValueError(
                f"num_channels ({self.num_channels}) must be divisible by num_groups "
                f"({self.num_groups})"
            )
        self.eps = _real("eps", eps)
        self.affine = bool(affine)
        if self.affine:
            self.weight = Parameter(_filled((self.num_channels,), 1.0))
            self.bias = Parameter(_filled((self.num_channels,), 0.0))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def reset_parameters(self) -> None:
        """weight to ones and bias to zeros, in place."""
        if self.weight is not None and self.bias is not None:
            _fill(self.weight, 1.0)
            _fill(self.bias, 0.0)

    def forward(self, input_: Tensor) -> Tensor:
        return group_norm(input_, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"num_groups={self.num_groups}, num_channels={self.num_channels}, affine={self.affine}"
        )


class GlobalResponseNorm(Module):
    """ConvNeXt V2's global response normalisation of (N, C, H, W) inputs, with
    ``gamma`` and ``beta`` Parameters of shape (1, C, 1, 1), both zeros (so the layer
    starts as the identity). See lucid.nn.functional.global_response_norm."""

    def __init__(self, channels: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.channels = _positive_int("channels", channels)
        self.gamma = Parameter(_filled((1, self.channels, 1, 1), 0.0))
        self.beta = Parameter(_filled((1, self.channels, 1, 1), 0.0))
        self.eps = _real("eps", eps)

    def reset_parameters(self) -> None:
        """gamma and beta to zeros, in place."""
        _fill(self.gamma, 0.0)
        _fill(self.beta, 0.0)

    def forward(self, input_: Tensor) -> Tensor:
        return global_response_norm(input_, self.gamma, self.beta, self.eps)

    def extra_repr(self) -> str:
        # lucid 2.7.9 prints channels=None (it never stores channels).
        return f"channels={self.channels}, eps={self.eps}"
