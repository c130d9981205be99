"""Alpha dropout, the dropout that keeps SELU networks self-normalising.

With α' = −λα (SELU's negative saturation) and drop probability p, in training mode:

    A = ((1 − p)(1 + p·α'²))^(−1/2)      B = −A·α'·p
    y = A·x + B where kept,  y = A·α' + B where dropped,  ∂L/∂x = A·mask·∂L/∂y

so inputs of mean 0 and variance 1 keep mean 0 and variance 1. The mask and both
passes run in the Rust core; the forward keeps only the bit mask for backward.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable
from typing import Any

import numpy as np

from lucid import _C, _storage
from lucid._tensor import Tensor
from lucid.autograd import Function, grad_enabled
from lucid.random import check_generator

__all__ = ["alpha_dropout"]


def check_p(p: Any) -> float:
    """p as a float in [0, 1]; a non-number is a TypeError and anything else a ValueError."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be a number in [0, 1], got {type(p).__name__} {p!r}")
    p = float(p)
    if math.isnan(p) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")
    return p


def check_input(input_: Any) -> Tensor:
    if not isinstance(input_, Tensor):
        raise TypeError(f"input_ must be a lucid Tensor, got {type(input_).__name__}")
    if input_.dtype not in (np.float32, np.float64):
        raise TypeError(f"input_ must be a float32 or float64 tensor, got dtype {input_.dtype}")
    return input_


class AlphaDropoutFunction(Function):
    """Forward draws the mask in Rust and keeps only its bits (n / 8 bytes) and A."""

    fresh_grads = True  # backward's dx is a new Rust storage

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        p: float,
        generator: _C.Generator,
        on_mask: Callable[[_C.Mask], None] | None = None,
    ) -> np.ndarray:
        y, self.mask = _C.alpha_dropout_forward(x.reshape(-1), p, generator)
        self.shape, self.dtype = x.shape, x.dtype
        if on_mask is not None:
            on_mask(self.mask)
        return _storage.wrap(y, x.shape)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:  # type: ignore[override]
        if grad.size > 1 and not any(grad.strides):
            dy = np.asarray(grad.flat[0], dtype=self.dtype).reshape(1)  # one value everywhere
        else:
            dy = np.ascontiguousarray(grad, dtype=self.dtype).reshape(-1)
        return (_storage.wrap(_C.alpha_dropout_backward(dy, self.mask), self.shape),)


def alpha_dropout(
    input_: Tensor,
    p: float = 0.5,
    training: bool = True,
    generator: _C.Generator | None = None,
    inplace: bool = False,
) -> Tensor:
    """Alpha dropout of ``input_`` (float32 or float64, any shape).

    Eval mode (``training=False``) and p = 0 return ``input_`` itself; p = 1 gives zeros
    and a zero gradient, as PyTorch. ``generator`` defaults to lucid.random's default.
    """
    return _alpha_dropout(input_, p, training, generator, inplace)


def _alpha_dropout(
    input_: Tensor,
    p: Any,
    training: bool,
    generator: Any,
    inplace: bool,
    on_mask: Callable[[_C.Mask], None] | None = None,
) -> Tensor:
    p = check_p(p)
    x = check_input(input_)
    gen = check_generator(generator)
    if not training or p == 0.0:
        return x
    if not inplace:
        return AlphaDropoutFunction.apply(x, p=p, generator=gen, on_mask=on_mask)
    if grad_enabled() and x.requires_grad:
        # Overwriting x would corrupt what earlier ops saved for their backward.
        raise ValueError(
            "inplace=True needs a tensor that does not require grad (or lucid.no_grad()); "
            "got one with requires_grad=True"
        )
    y = AlphaDropoutFunction.apply(x, p=p, generator=gen, on_mask=on_mask)
    np.copyto(x.data, y.data)
    return x
