"""Convolutions of any rank and ``unfold`` (im2col), each one Function over numpy.

One N-d implementation serves conv1d, conv2d and conv3d (and the transposed forms in
lucid.nn.functional.conv_transpose): the padded input is viewed through numpy stride
tricks as its sliding windows (batch, channels, *out, *kernel), without a copy, and
each group is one ``tensordot`` of those windows with the weight, so the work is one
BLAS matrix product per group rather than Python loops over output pixels. The
gradient of the input scatters the window gradients back (col2im), one strided
slice-add per kernel offset.

Arguments are lucid 2.x's: ``stride``, ``padding`` and ``dilation`` are an int or a
tuple of one int per spatial axis; ``groups`` splits the channels. ``padding`` may also
be ``"valid"`` (none) or ``"same"`` (output as long as the input, stride 1 only), as in
PyTorch; lucid 2.x's functional forms refuse strings.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from lucid._ops._common import new as _new
from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.nn.functional._conv_kernels import (
    Pads,
    bias_grad,
    correlate,
    crop,
    pad,
    scatter,
    weight_grad,
    window_grads,
    windows,
)

__all__ = ["conv1d", "conv2d", "conv3d", "unfold"]

# ---- argument checks ----------------------------------------------------------------


def check_tensor(op: str, name: str, value: Any) -> Tensor:
    """``value`` as a Tensor of a dtype a convolution takes (not bool)."""
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a lucid Tensor, got {type(value).__name__}")
    if value.dtype == np.bool_:
        raise TypeError(f"{op}: {name} must be a numeric tensor, got dtype bool")
    return value


def check_int(op: str, name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{op}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value < minimum:
        raise ValueError(f"{op}: {name} must be >= {minimum}, got {value}")
    return int(value)


def tuple_arg(op: str, name: str, value: Any, rank: int, minimum: int) -> tuple[int, ...]:
    """An int (the same on every spatial axis) or a tuple or list of ``rank`` ints, each
    at least ``minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != rank:
            raise ValueError(
                f"{op}: {name} must be an int or {rank} ints (one per spatial axis), got {value!r}"
            )
        items = tuple(value)
    elif isinstance(value, numbers.Integral) and not isinstance(value, bool):
        items = (value,) * rank
    else:
        raise TypeError(
            f"{op}: {name} must be an int or a tuple of {rank} ints, got "
            f"{type(value).__name__} {value!r}"
        )
    for v in items:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise TypeError(f"{op}: {name} must hold ints, got {value!r}")
        if v < minimum:
            raise ValueError(f"{op}: {name} must hold ints >= {minimum}, got {value!r}")
    return tuple(int(v) for v in items)


def same_pads(kernel: tuple[int, ...], dilation: tuple[int, ...]) -> Pads:
    """The padding that keeps the length at stride 1: d·(k − 1) in all, the odd one at
    the end (PyTorch's split)."""
    totals = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
    return tuple((t // 2, t - t // 2) for t in totals)


def padding_arg(
    op: str,
    value: Any,
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> Pads:
    """``padding`` as (before, after) per spatial axis."""
    if isinstance(value, str):
        if value == "valid":
            return ((0, 0),) * len(kernel)
        if value == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' needs stride 1, got stride {stride}")
            return same_pads(kernel, dilation)
        raise ValueError(f"{op}: padding must be 'valid', 'same', an int or ints, got {value!r}")
    return tuple((p, p) for p in tuple_arg(op, "padding", value, len(kernel), 0))


def conv_out_size(
    op: str,
    spatial: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    pads: Pads,
    dilation: tuple[int, ...],
) -> tuple[int, ...]:
    """The number of window positions per spatial axis; none is a ValueError."""
    out = tuple(
        (n + lo + hi - d * (k - 1) - 1) // s + 1
        for n, k, s, (lo, hi), d in zip(spatial, kernel, stride, pads, dilation, strict=True)
    )
    if any(o <= 0 for o in out):
        raise ValueError(
            f"{op}: the (dilated) kernel {kernel} (dilation {dilation}) is larger than the "
            f"padded input {spatial} (padding {pads}): the output would have size {out}"
        )
    return out


# ---- the Functions --------------------------------------------------------------------


class _Conv(Function):
    """y = conv(x, w) + b for x (N, C, *S), w (O, C/groups, *K), b (O,) or None."""

    saved_inputs = {0: (1,), 1: (0,)}  # x for w's gradient, w for x's

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        w: np.ndarray,
        b: np.ndarray | None,
        *,
        pads: Pads,
        stride: tuple[int, ...],
        dilation: tuple[int, ...],
        groups: int,
        out_size: tuple[int, ...],
        op: str,
    ) -> np.ndarray:
        self.w, self.x_size, self.pads = w, x.shape[2:], pads
        self.stride, self.dilation, self.groups = stride, dilation, groups
        # The padded copy (or x itself) is what w's gradient reads.
        self.xp = pad(x, pads)
        win = windows(self.xp, out_size, w.shape[2:], stride, dilation)
        dtype = np.result_type(x, w, *(() if b is None else (b,)))
        out = correlate(win, w, groups, _new((x.shape[0], w.shape[0], *out_size), dtype, op))
        if b is not None:
            out += b.reshape(-1, *(1,) * len(out_size))
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_x, need_w, need_b = self.needs_input_grad
        dx = dw = None
        if need_x:
            cols = window_grads(grad, self.w, self.groups)
            dxp = scatter(cols, self.xp.shape[2:], self.stride, self.dilation)
            dx = crop(dxp, self.pads, self.x_size)
        if need_w:
            win = windows(self.xp, grad.shape[2:], self.w.shape[2:], self.stride, self.dilation)
            dw = weight_grad(win, grad, self.groups)
        return dx, dw, bias_grad(grad) if need_b else None


class _Unfold(Function):
    """Every window of the padded input as one row: (N·L, C·∏K), rows by batch then
    window position, columns by channel then kernel offset (lucid 2.x's layout)."""

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        *,
        pads: Pads,
        kernel: tuple[int, ...],
        stride: tuple[int, ...],
        dilation: tuple[int, ...],
        out_size: tuple[int, ...],
        op: str,
    ) -> np.ndarray:
        self.x_shape, self.pads, self.stride, self.dilation = x.shape, pads, stride, dilation
        self.padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[2:], pads, strict=True))
        rank = len(kernel)
        n, c = x.shape[:2]
        self.cols_shape = (n, *out_size, c, *kernel)
        out = _new((n * int(np.prod(out_size)), c * int(np.prod(kernel))), x.dtype, op)
        win = windows(pad(x, pads), out_size, kernel, stride, dilation)
        order = (0, *range(2, 2 + rank), 1, *range(2 + rank, 2 + 2 * rank))
        out.reshape(self.cols_shape)[...] = win.transpose(order)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        dxp = scatter(grad.reshape(self.cols_shape), self.padded, self.stride, self.dilation)
        return (crop(dxp, self.pads, self.x_shape[2:]),)


# ---- the functional forms -----------------------------------------------------------


def conv_nd(
    op: str,
    rank: int,
    input_: Any,
    weight: Any,
    bias: Any,
    stride: Any,
    padding: Any,
    dilation: Any,
    groups: Any,
) -> Tensor:
    """The checks and the call shared by conv1d, conv2d and conv3d."""
    x, w = check_tensor(op, "input_", input_), check_tensor(op, "weight", weight)
    b = None if bias is None else check_tensor(op, "bias", bias)
    shapes = f"input_ {x.shape}, weight {w.shape}" + ("" if b is None else f", bias {b.shape}")
    if x.ndim != rank + 2 or w.ndim != rank + 2:
        raise ValueError(
            f"{op}: input_ (N, C, *spatial) and weight (out_channels, C / groups, *kernel) "
            f"must be {rank + 2}-D; got {shapes}"
        )
    groups = check_int(op, "groups", groups, 1)
    out_channels, group_channels = w.shape[:2]
    if out_channels % groups or group_channels * groups != x.shape[1]:
        raise ValueError(
            f"{op}: with groups={groups}, weight's out_channels must be divisible by groups "
            f"and its in_channels times groups must equal input_'s channels; got {shapes}"
        )
    if b is not None and tuple(b.shape) != (out_channels,):
        raise ValueError(f"{op}: bias must have shape ({out_channels},); got {shapes}")
    kernel = tuple(w.shape[2:])
    if 0 in kernel:
        raise ValueError(f"{op}: weight's kernel must not be empty; got {shapes}")
    stride = tuple_arg(op, "stride", stride, rank, 1)
    dilation = tuple_arg(op, "dilation", dilation, rank, 1)
    pads = padding_arg(op, padding, kernel, stride, dilation)
    out_size = conv_out_size(op, tuple(x.shape[2:]), kernel, stride, pads, dilation)
    return _Conv.apply(
        x, w, b, pads=pads, stride=stride, dilation=dilation, groups=groups,
        out_size=out_size, op=op,
    )  # fmt: skip


def conv1d(
    input_: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] | str = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D cross-correlation: input_ (N, C, L), weight (O, C / groups, K), bias (O,)."""
    return conv_nd("conv1d", 1, input_, weight, bias, stride, padding, dilation, groups)


def conv2d(
    input_: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] | str = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D cross-correlation: input_ (N, C, H, W), weight (O, C / groups, KH, KW)."""
    return conv_nd("conv2d", 2, input_, weight, bias, stride, padding, dilation, groups)


def conv3d(
    input_: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] | str = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
) -> Tensor:
    """3-D cross-correlation: input_ (N, C, D, H, W), weight (O, C / groups, *K)."""
    return conv_nd("conv3d", 3, input_, weight, bias, stride, padding, dilation, groups)


def unfold(
    input_: Tensor,
    filter_size: int | tuple[int, ...],
    stride: int | tuple[int, ...],
    padding: int | tuple[int, ...],
    dilation: int | tuple[int, ...],
) -> Tensor:
    """The windows of input_ (N, C, *S) as rows: shape (N·L, C·∏filter_size), L the
    number of window positions, as lucid 2.x's ``F.unfold`` (nn.Unfold gives PyTorch's
    (N, C·∏K, L)). Each argument is an int or one int per spatial axis."""
    op = "unfold"
    x = check_tensor(op, "input_", input_)
    if x.ndim < 3:
        raise ValueError(f"{op}: input_ must be (N, C, *spatial), at least 3-D; got {x.shape}")
    rank = x.ndim - 2
    kernel = tuple_arg(op, "filter_size", filter_size, rank, 1)
    stride = tuple_arg(op, "stride", stride, rank, 1)
    dilation = tuple_arg(op, "dilation", dilation, rank, 1)
    pads = tuple((p, p) for p in tuple_arg(op, "padding", padding, rank, 0))
    out_size = conv_out_size(op, tuple(x.shape[2:]), kernel, stride, pads, dilation)
    return _Unfold.apply(
        x, pads=pads, kernel=kernel, stride=stride, dilation=dilation, out_size=out_size, op=op
    )
