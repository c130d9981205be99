"""Transposed convolutions of any rank: the adjoint of lucid.nn.functional.conv's.

conv_transposeNd(x, w) is the gradient of convNd with respect to its input, with
x in the place of the output gradient: each input element, times the kernel, is added
into the output window it would have been read from (the same tensordot per group and
col2im scatter as conv's backward). Its backward is then conv's forward (for x) and
conv's weight gradient with the roles of input and output exchanged (for w).

The weight is (in_channels, out_channels / groups, *kernel), as in lucid 2.x and
PyTorch; the output length per axis is (L − 1)·stride − 2·padding
+ dilation·(K − 1) + output_padding + 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import new as _new
from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.nn.functional import _conv_kernels as _k
from lucid.nn.functional import conv as _conv

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d"]


class _ConvTranspose(Function):
    """y = conv_transpose(x, w) + b for x (N, C_in, *L), w (C_in, C_out / groups, *K)."""

    saved_inputs = {0: (1,), 1: (0,)}  # x for w's gradient, w for x's

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        w: np.ndarray,
        b: np.ndarray | None,
        *,
        pads: _k.Pads,
        stride: tuple[int, ...],
        dilation: tuple[int, ...],
        groups: int,
        out_size: tuple[int, ...],
        op: str,
    ) -> np.ndarray:
        self.x, self.w, self.pads = x, w, pads
        self.stride, self.dilation, self.groups = stride, dilation, groups
        padded = tuple(n + lo + hi for n, (lo, hi) in zip(out_size, pads, strict=True))
        cols = _k.window_grads(x, w, groups)
        full = _k.scatter(cols, padded, stride, dilation)
        dtype = np.result_type(x, w, *(() if b is None else (b,)))
        out = _new((x.shape[0], w.shape[1] * groups, *out_size), dtype, op)
        out[...] = _k.crop(full, pads, out_size)
        if b is not None:
            out += b.reshape(-1, *(1,) * len(out_size))
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_x, need_w, need_b = self.needs_input_grad
        kernel, size = self.w.shape[2:], self.x.shape[2:]
        win = _k.windows(_k.pad(grad, self.pads), size, kernel, self.stride, self.dilation)
        dx = dw = None
        if need_x:
            dx = np.empty(self.x.shape, np.result_type(grad, self.w))
            _k.correlate(win, self.w, self.groups, dx)
        if need_w:
            dw = _k.weight_grad(win, self.x, self.groups)
        return dx, dw, _k.bias_grad(grad) if need_b else None


def conv_transpose_nd(
    op: str,
    rank: int,
    input_: Any,
    weight: Any,
    bias: Any,
    stride: Any,
    padding: Any,
    output_padding: Any,
    dilation: Any,
    groups: Any,
) -> Tensor:
    """The checks and the call shared by conv_transpose1d, 2d and 3d."""
    x = _conv.check_tensor(op, "input_", input_)
    w = _conv.check_tensor(op, "weight", weight)
    b = None if bias is None else _conv.check_tensor(op, "bias", bias)
    shapes = f"input_ {x.shape}, weight {w.shape}" + ("" if b is None else f", bias {b.shape}")
    if x.ndim != rank + 2 or w.ndim != rank + 2:
        raise ValueError(
            f"{op}: input_ (N, C_in, *spatial) and weight (C_in, C_out / groups, *kernel) "
            f"must be {rank + 2}-D; got {shapes}"
        )
    groups = _conv.check_int(op, "groups", groups, 1)
    if w.shape[0] != x.shape[1] or x.shape[1] % groups:
        raise ValueError(
            f"{op}: weight's first dimension must equal input_'s channels, which must be "
            f"divisible by groups={groups}; got {shapes}"
        )
    out_channels = w.shape[1] * groups
    if b is not None and tuple(b.shape) != (out_channels,):
        raise ValueError(f"{op}: bias must have shape ({out_channels},); got {shapes}")
    kernel = tuple(w.shape[2:])
    if 0 in kernel:
        raise ValueError(f"{op}: weight's kernel must not be empty; got {shapes}")
    stride = _conv.tuple_arg(op, "stride", stride, rank, 1)
    dilation = _conv.tuple_arg(op, "dilation", dilation, rank, 1)
    padding = _conv.tuple_arg(op, "padding", padding, rank, 0)
    extra = _conv.tuple_arg(op, "output_padding", output_padding, rank, 0)
    if any(e >= s for e, s in zip(extra, stride, strict=True)):
        raise ValueError(
            f"{op}: output_padding must be smaller than stride on each axis; got "
            f"output_padding {extra}, stride {stride}"
        )
    out_size = tuple(
        (n - 1) * s - 2 * p + d * (k - 1) + e + 1
        for n, s, p, d, k, e in zip(
            x.shape[2:], stride, padding, dilation, kernel, extra, strict=True
        )
    )
    if any(o <= 0 for o in out_size):
        raise ValueError(
            f"{op}: padding {padding} leaves no output (size {out_size}); got {shapes}"
        )
    return _ConvTranspose.apply(
        x, w, b, pads=tuple((p, p) for p in padding), stride=stride, dilation=dilation,
        groups=groups, out_size=out_size, op=op,
    )  # fmt: skip


def conv_transpose1d(
    input_: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] = 0,
    output_padding: int | tuple[int, ...] = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
) -> Tensor:
    """1-D transposed convolution: input_ (N, C_in, L), weight (C_in, C_out / groups, K)."""
    return conv_transpose_nd(
        "conv_transpose1d", 1, input_, weight, bias, stride, padding, output_padding,
        dilation, groups,
    )  # fmt: skip


def conv_transpose2d(
    input_: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] = 0,
    output_padding: int | tuple[int, ...] = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
) -> Tensor:
    """2-D transposed convolution: input_ (N, C_in, H, W), weight (C_in, C_out / groups,
    KH, KW)."""
    return conv_transpose_nd(
        "conv_transpose2d", 2, input_, weight, bias, stride, padding, output_padding,
        dilation, groups,
    )  # fmt: skip


def conv_transpose3d(
    input_: Tensor,
    weight: Tensor,
    bias: Tensor | None = None,
    stride: int | tuple[int, ...] = 1,
    padding: int | tuple[int, ...] = 0,
    output_padding: int | tuple[int, ...] = 0,
    dilation: int | tuple[int, ...] = 1,
    groups: int = 1,
) -> Tensor:
    """3-D transposed convolution: input_ (N, C_in, D, H, W), weight (C_in,
    C_out / groups, *K)."""
    return conv_transpose_nd(
        "conv_transpose3d", 3, input_, weight, bias, stride, padding, output_padding,
        dilation, groups,
    )  # fmt: skip
