"""SELU then alpha dropout as one operation: ``selu_alpha_dropout``.

One Rust pass each way instead of two: the forward reads z and writes
y = alpha_dropout(selu(z)) and the 1-bit mask, the backward reads the upstream
gradient, z and the mask and writes dz = selu'(z)·A·mask·dy. The SELU values in between
are never stored. Values, masks and gradients are bit for bit those of
``alpha_dropout(selu(z), p, generator=g)`` from the same generator state, for any thread
count and SIMD level; ``nn.Sequential`` runs an ``nn.SELU`` directly followed by an
``nn.AlphaDropout`` (or ``nn.FeatureAlphaDropout``, one bit per channel) in training
mode through it (lucid.nn.modules.container).
"""

from __future__ import annotations

from typing import Any

import numpy as np

import lucid._C as _C
from lucid import random as _random
from lucid._tensor import Tensor
from lucid.autograd.function import Function, Kernel, kernel_gradient
from lucid.nn.functional.activation import check_input, selu
from lucid.nn.functional.dropout import (
    ElementDropout,
    RowDropout,
    _identity,
    _node,
    _rows_mask,
    channel_noise_shape,
    check_p,
)
from lucid.nn.functional.linear import affine, affine_grads

__all__ = ["selu_alpha_dropout"]


class SeluAlphaDropout(Kernel):
    """SELU and alpha dropout in one node: backward reads z and the bit mask."""

    saved_inputs = {0: None}
    mask: _C.Mask

    def kernel(self, x: np.ndarray, p: float, generator: Any) -> Any:  # type: ignore[override]
        y, self.mask = _C.selu_alpha_dropout_forward(x, p, generator)
        return y

    def kernel_backward(self, dy: np.ndarray) -> Any:
        return _C.selu_alpha_dropout_backward(self.x, dy, self.mask)


class SeluRowAlphaDropout(Kernel):
    """The same for a mask of one bit per row (FeatureAlphaDropout's channels)."""

    saved_inputs = {0: None}
    mask: _C.Mask

    def kernel(self, x: np.ndarray, mask: _C.Mask, row: int) -> Any:  # type: ignore[override]
        self.mask, self.row = mask, row
        return _C.selu_alpha_dropout_rows_forward(x, mask, row)

    def kernel_backward(self, dy: np.ndarray) -> Any:
        return _C.selu_alpha_dropout_rows_backward(self.x, dy, self.mask, self.row)


class LinearSeluAlphaDropout(Function):
    """Linear, SELU and alpha dropout in one node: z = x Wᵀ + b by the Linear node's own
    code (:func:`lucid.nn.functional.linear.affine`), then the fused SELU → alpha
    dropout kernel on z; backward runs that kernel's backward and the Linear node's
    gradients. The same calls in the same order as the two nodes, so the same bits, with
    one node's bookkeeping instead of two and z kept inside the node. Inside
    ``lucid.random.global_rows`` the mask is the held rows' part of the whole batch's
    (``_rows_mask``) and the kernels are the per-row ones, as the pair's would be."""

    saved_inputs = {0: (1,), 1: (0,)}  # x for W's gradient, W for x's (as Linear's)
    fresh_grads = True  # as Linear's
    mask: _C.Mask

    def forward(  # type: ignore[override]
        self, x: np.ndarray, w: np.ndarray, b: np.ndarray | None, p: float, generator: Any
    ) -> np.ndarray:
        z = affine(self, x, w, b)
        self.z = z.reshape(-1)
        held = _random.current_rows()
        self.rows = held is not None
        if held is None:
            y, self.mask = _C.selu_alpha_dropout_forward(self.z, p, generator)
        else:  # one bit per element: rows of one element
            self.mask = _rows_mask(held, z.shape, z.shape, p, generator, "alpha")
            y = _C.selu_alpha_dropout_rows_forward(self.z, self.mask, 1)
        return np.asarray(y).reshape(z.shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:  # type: ignore[override]
        dy = kernel_gradient(grad, self.z.dtype)
        if self.rows:
            dz = _C.selu_alpha_dropout_rows_backward(self.z, dy, self.mask, 1)
        else:
            dz = _C.selu_alpha_dropout_backward(self.z, dy, self.mask)
        return (*affine_grads(self, np.asarray(dz).reshape(grad.shape)), None, None)


def linear_run(
    input_: Tensor, weight: Tensor, bias: Tensor | None, p: float, generator: Any
) -> tuple[Tensor, _C.Mask]:
    """``alpha_dropout(selu(linear(input_, weight, bias)), p)`` in training mode and the
    mask drawn, for a 2-D ``input_`` of the parameters' float dtype and 0 < p (what
    ``nn.Sequential`` checks before it calls this; see its ``_fuses_linear``)."""
    gen = _random.default_generator if generator is None else generator
    node = LinearSeluAlphaDropout()
    return node.run(input_, weight, bias, p, gen), node.mask


def run(
    input_: Any,
    p: Any,
    training: bool,
    generator: Any,
    channels: tuple[str, int | None] | None = None,
) -> tuple[Tensor, _C.Mask | None, tuple[int, ...]]:
    """The output, the mask drawn (None when nothing was: eval mode or p = 0, which are
    plain SELU) and its shape, as alpha dropout's ``run`` gives them for selu(input_):
    one bit per element, or per channel with ``channels`` (feature alpha dropout's),
    drawn by the same rule (``_node``). p is checked first, in eval mode too."""
    p = check_p(p)
    if not training or p == 0.0:
        y = selu(input_)
        return y, None, _identity(y, channels)[2]
    x = check_input(input_, "selu_alpha_dropout")
    shape = tuple(x.shape)
    noise = shape if channels is None else channel_noise_shape(channels[0], shape, channels[1])
    gen = _random.default_generator if generator is None else generator
    drop, kwargs, mask = _node(shape, noise, p, gen, "alpha")
    if isinstance(drop, ElementDropout):
        node: SeluAlphaDropout | SeluRowAlphaDropout = SeluAlphaDropout()
        y = node.run(x, p=p, generator=gen)
        return y, node.mask, noise
    assert isinstance(drop, RowDropout)  # channel masks are rows
    node = SeluRowAlphaDropout()
    return node.run(x, **kwargs), mask, noise


def selu_alpha_dropout(
    input_: Tensor, p: float = 0.5, training: bool = True, generator: Any = None
) -> Tensor:
    """``alpha_dropout(selu(input_), p, training, generator=generator)`` in one pass each
    way, bit for bit the same (output, gradient and the generator's state after).

    ``input_`` is a float32 or float64 tensor; eval mode (``training=False``) and p = 0
    give ``selu(input_)``; p = 1 gives zeros and a zero gradient. ``generator``
    defaults to lucid.random's default.
    """
    return run(input_, p, training, generator)[0]
