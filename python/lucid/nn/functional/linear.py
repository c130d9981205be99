"""The affine map y = x Wᵀ + b, one autograd node for the matmul and the bias."""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _gemm, _storage
from lucid._tensor import Tensor
from lucid.autograd.function import Function

# affine and affine_grads also serve the fused Linear → SELU → AlphaDropout node.
__all__ = ["linear"]


class _Linear(Function):
    """y = x Wᵀ + b for 2-D x (batch, in), W (out, in), b (out,) or None.

    One node instead of a transpose, a matmul and an add: Wᵀ stays a strided view
    (lucid's matmul kernel reads it transposed, nothing is copied) and the bias is added
    in place into the new output. The arithmetic is the same as ``x @ W.T + b``: a
    matmul, then an add. The products run on lucid's kernel and thread pool
    (``lucid._gemm``), numpy's BLAS only for what the kernel does not take.
    """

    saved_inputs = {0: (1,), 1: (0,)}  # x for W's gradient, W for x's
    fresh_grads = True  # each gradient is a new array (affine_grads)

    def forward(self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
        return affine(self, x, w, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return affine_grads(self, grad)


def affine(node: Function, x: np.ndarray, w: np.ndarray, b: np.ndarray | None) -> np.ndarray:
    """x Wᵀ + b as a new array in Rust storage: a matmul, then an add in place. Keeps x
    and W (in the computing dtype) on ``node`` for :func:`affine_grads`."""
    # Mixed dtypes compute in numpy's promotion of them (a float32 input to float64
    # weights gives float64); the engine casts each gradient back to its input's.
    dtype = np.result_type(x, w) if b is None else np.result_type(x, w, b)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    node.x, node.w = x, w  # type: ignore[attr-defined]
    out = _storage.empty((x.shape[0], w.shape[0]), dtype)
    _gemm.matmul_into(x, w.T, out)
    if b is not None:
        np.add(out, b, out=out)
    return out


def affine_grads(node: Function, grad: np.ndarray) -> tuple[Any, Any, Any]:
    """The gradients of x, W and b from that of x Wᵀ + b, each only where
    ``node.needs_input_grad`` asks (the inputs kept by :func:`affine`): new arrays that
    nothing else holds (in Rust storage where lucid's kernels make them), so a
    parameter may keep its first gradient uncopied."""
    need_x, need_w, need_b = node.needs_input_grad[:3]
    x, w = node.x, node.w  # type: ignore[attr-defined]
    db = None
    if need_b:
        db = _storage.empty(grad.shape[1:], grad.dtype)
        np.sum(grad, axis=0, out=db)  # the bits of grad.sum(axis=0)
    return (
        _gemm.matmul(grad, w) if need_x else None,
        _gemm.matmul(grad.T, x) if need_w else None,
        db,
    )


def _check_tensor(name: str, value: object) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a lucid Tensor, got {type(value).__name__}")
    return value


def linear(input_: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input_ @ weight.T + bias`` for input (..., in), weight (out, in), bias (out,).

    The leading dimensions of ``input_`` (any number, including none) are kept: the
    output has shape (..., out). Its dtype is numpy's promotion of the three (lucid
    2.x's rule; PyTorch requires one dtype): a float32 input to float64 weights gives a
    float64 output, and each gradient has its own tensor's dtype.
    """
    x = _check_tensor("input_", input_)
    w = _check_tensor("weight", weight)
    shapes = f"input_ {x.shape}, weight {w.shape}" + (
        "" if bias is None else f", bias {_check_tensor('bias', bias).shape}"
    )
    if len(w.shape) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features); got {shapes}")
    out_features, in_features = w.shape
    if len(x.shape) == 0 or x.shape[-1] != in_features:
        raise ValueError(
            f"linear: input_'s last dimension must equal weight's in_features "
            f"({in_features}); got {shapes}"
        )
    if bias is not None and tuple(bias.shape) != (out_features,):
        raise ValueError(f"linear: bias must have shape ({out_features},); got {shapes}")
    if np.result_type(*(t.dtype for t in (x, w, bias) if t is not None)).kind != "f":
        names = ", ".join(
            f"{n} {t.dtype}"
            for n, t in (("input_", x), ("weight", w), ("bias", bias))
            if t is not None
        )
        raise TypeError(f"linear: input_, weight and bias must not all be integers; got {names}")

    if len(x.shape) == 2:
        return _Linear.apply(x, w, bias)
    # Fold leading dimensions into one so only a 2-D matmul is needed.
    lead = tuple(x.shape[:-1])
    y = _Linear.apply(x.reshape(-1, in_features), w, bias)
    return y.reshape(*lead, out_features)
