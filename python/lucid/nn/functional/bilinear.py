"""The bilinear map y_o = Σᵢⱼ x1ᵢ W_oij x2ⱼ + b_o, one autograd node."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import new
from lucid._tensor import Tensor
from lucid.autograd.function import Function, unbroadcast

__all__ = ["bilinear"]


class _Bilinear(Function):
    """x1 (..., in1), x2 (..., in2), W (out, in1, in2), b (out,) or None → (..., out).

    np.einsum contracts both inputs with W in one call, so the (..., in1, in2) outer
    product lucid 2.x builds is never made; the leading dimensions broadcast.
    """

    saved_inputs = {0: (1, 2), 1: (0, 2), 2: (0, 1)}

    def forward(
        self, x1: np.ndarray, x2: np.ndarray, w: np.ndarray, b: np.ndarray | None
    ) -> np.ndarray:
        self.x1, self.x2, self.w = x1, x2, w
        lead = np.broadcast_shapes(x1.shape[:-1], x2.shape[:-1])
        dtypes = [x1.dtype, x2.dtype, w.dtype] + ([] if b is None else [b.dtype])
        out = new((*lead, w.shape[0]), np.result_type(*dtypes), "bilinear")
        np.einsum("...i,oij,...j->...o", x1, w, x2, out=out, optimize=True)
        if b is not None:
            np.add(out, b, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        x1, x2, w = self.x1, self.x2, self.w
        need_x1, need_x2, need_w, need_b = self.needs_input_grad
        g1 = g2 = gw = gb = None
        if need_x1:
            g1 = unbroadcast(np.einsum("...o,oij,...j->...i", grad, w, x2, optimize=True), x1.shape)
        if need_x2:
            g2 = unbroadcast(np.einsum("...o,oij,...i->...j", grad, w, x1, optimize=True), x2.shape)
        if need_w:
            # Broadcast the inputs to the gradient's leading shape so every term is counted.
            lead = grad.shape[:-1]
            b1 = np.broadcast_to(x1, (*lead, x1.shape[-1]))
            b2 = np.broadcast_to(x2, (*lead, x2.shape[-1]))
            gw = np.einsum("...o,...i,...j->oij", grad, b1, b2, optimize=True)
        if need_b:
            gb = grad.reshape(-1, grad.shape[-1]).sum(axis=0)
        return (g1, g2, gw, gb)


def _check(name: str, value: Any) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"bilinear: {name} must be a lucid Tensor, got {type(value).__name__}")
    if value.dtype not in (np.float32, np.float64):
        raise TypeError(f"bilinear: {name} must be a float32 or float64 tensor, got {value.dtype}")
    return value


def bilinear(
    input_1: Tensor, input_2: Tensor, weight: Tensor, bias: Tensor | None = None
) -> Tensor:
    """``x1ᵀ W_o x2 + b_o`` for every output o: input_1 (..., in1), input_2 (..., in2),
    weight (out, in1, in2), bias (out,) or None; the result is (..., out), its leading
    dimensions those of the two inputs broadcast, its dtype their promoted one."""
    x1, x2, w = _check("input_1", input_1), _check("input_2", input_2), _check("weight", weight)
    b = None if bias is None else _check("bias", bias)
    shapes = f"input_1 {x1.shape}, input_2 {x2.shape}, weight {w.shape}" + (
        "" if b is None else f", bias {b.shape}"
    )
    if len(w.shape) != 3:
        raise ValueError(f"bilinear: weight must be 3-D (out, in1, in2); got {shapes}")
    out_features, in1, in2 = w.shape
    if len(x1.shape) == 0 or x1.shape[-1] != in1:
        raise ValueError(f"bilinear: input_1's last dimension must be {in1}; got {shapes}")
    if len(x2.shape) == 0 or x2.shape[-1] != in2:
        raise ValueError(f"bilinear: input_2's last dimension must be {in2}; got {shapes}")
    try:
        np.broadcast_shapes(x1.shape[:-1], x2.shape[:-1])
    except ValueError:
        raise ValueError(
            f"bilinear: the leading dimensions of the inputs do not broadcast; got {shapes}"
        ) from None
    if b is not None and tuple(b.shape) != (out_features,):
        raise ValueError(f"bilinear: bias must have shape ({out_features},); got {shapes}")
    return _Bilinear.apply(x1, x2, w, b)
