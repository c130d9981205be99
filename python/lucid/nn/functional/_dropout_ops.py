"""The dropout family's differentiable operations, over the Rust kernels.

Every member is one affine map for kept elements (y = A·x + B) and one value for
dropped ones, with dx = A·mask·dy; ``kind`` picks the coefficients ("alpha" or
"standard"). The mask has a shape of its own (the noise shape) that broadcasts to the
input's, and it is drawn with the keep rule over its own elements:

- ``ElementDropout``: one decision per element, drawn and applied in one fused pass.
- ``RowDropout``: the noise shape is the input's leading dimensions then ones (one
  decision per channel, say): the input is rows of equal length, one bit per row.
- ``BroadcastDropout``: any other noise shape; the bits are broadcast by numpy.

Each keeps only the bit mask and the scalars for backward.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lucid import _C, _storage
from lucid._ops import inplace as _inplace
from lucid.autograd import Function

__all__ = ["BroadcastDropout", "ElementDropout", "OnMask", "RowDropout"]

#: Told the bits and the noise shape of every training forward (modules keep them).
OnMask = Callable[[_C.Mask, tuple[int, ...]], None]


def _gradient(grad: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """``grad`` flat and contiguous; a gradient with zero strides (one value
    everywhere, as the seed of a sum) becomes that single value."""
    if grad.size > 1 and not any(grad.strides):
        return np.asarray(grad.flat[0], dtype=dtype).reshape(1)
    return np.ascontiguousarray(grad, dtype=dtype).reshape(-1)


class ElementDropout(Function):
    """One keep decision per element; forward draws and applies the mask in one pass."""

    fresh_grads = True  # backward's dx is a new Rust storage

    def forward(  # type: ignore[override]
        self, x: np.ndarray, p: float, generator: _C.Generator, kind: str, on_mask: OnMask | None
    ) -> np.ndarray:
        y, self.mask = _C.dropout_forward(x.reshape(-1), p, generator, kind)
        self.shape, self.dtype = x.shape, x.dtype
        if on_mask is not None:
            on_mask(self.mask, x.shape)
        return _storage.wrap(y, x.shape)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:  # type: ignore[override]
        dx = _C.dropout_backward(_gradient(grad, self.dtype), self.mask)
        return (_storage.wrap(dx, self.shape),)


class RowDropout(Function):
    """One decision per row: ``noise_shape`` is x's first k dimensions then ones."""

    fresh_grads = True

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        p: float,
        generator: _C.Generator,
        kind: str,
        noise_shape: tuple[int, ...],
        on_mask: OnMask | None,
    ) -> np.ndarray:
        rows = int(np.prod(noise_shape, dtype=np.int64))
        self.row = x.size // rows if rows else 0
        self.mask = _C.dropout_mask(rows, p, generator, kind)
        self.shape, self.dtype = x.shape, x.dtype
        if on_mask is not None:
            on_mask(self.mask, noise_shape)
        y = _C.dropout_rows_forward(x.reshape(-1), self.mask, self.row)
        return _storage.wrap(y, x.shape)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:  # type: ignore[override]
        dx = _C.dropout_rows_backward(_gradient(grad, self.dtype), self.mask, self.row)
        return (_storage.wrap(dx, self.shape),)


class BroadcastDropout(Function):
    """Any noise shape that broadcasts to x's: the bits, unpacked to the noise shape,
    are broadcast by numpy (a temporary of x's size, unlike the other two)."""

    fresh_grads = True

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        p: float,
        generator: _C.Generator,
        kind: str,
        noise_shape: tuple[int, ...],
        on_mask: OnMask | None,
    ) -> np.ndarray:
        self.mask = _C.dropout_mask(int(np.prod(noise_shape, dtype=np.int64)), p, generator, kind)
        self.noise_shape, self.dtype = noise_shape, x.dtype
        if on_mask is not None:
            on_mask(self.mask, noise_shape)
        keep = self._keep()
        a, b, dropped = (x.dtype.type(v) for v in (self.mask.a, self.mask.b, self.mask.dropped))
        y = _storage.empty(x.shape, x.dtype)
        np.multiply(x, a, out=y)
        np.add(y, b, out=y)
        np.copyto(y, dropped, where=~np.broadcast_to(keep, x.shape))
        return y

    def _keep(self) -> np.ndarray:
        return _storage.wrap(self.mask.to_storage("bool"), self.noise_shape)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:  # type: ignore[override]
        scale = np.where(self._keep(), self.dtype.type(self.mask.a), self.dtype.type(0))
        dx = _storage.empty(grad.shape, self.dtype)
        np.multiply(grad, scale, out=dx)  # dy·(A or 0): NaN in dy stays NaN
        return (dx,)


def noise_plan(shape: tuple[int, ...], noise_shape: tuple[int, ...]) -> type[Function]:
    """The operation for a mask of ``noise_shape`` (already checked to broadcast to
    ``shape`` at the same rank)."""
    if noise_shape == shape:
        return ElementDropout
    k = len(shape)
    while k and noise_shape[k - 1] == 1:
        k -= 1
    if noise_shape[:k] == shape[:k]:
        return RowDropout
    return BroadcastDropout


def apply(
    x: Any,
    p: float,
    generator: _C.Generator,
    kind: str,
    noise_shape: tuple[int, ...],
    on_mask: OnMask | None,
    inplace_as: str | None = None,
) -> Any:
    """Run the dropout that ``noise_shape`` calls for on the Tensor ``x``; in place into
    x when ``inplace_as`` names the function (for errors), else into new storage."""
    op = noise_plan(tuple(x.shape), noise_shape)
    kwargs: dict[str, Any] = {"p": p, "generator": generator, "kind": kind, "on_mask": on_mask}
    if op is not ElementDropout:
        kwargs["noise_shape"] = noise_shape
    if inplace_as is None:
        return op.apply(x, **kwargs)
    # The values are made out of place and copied in (the kernels write new storage),
    # so they are bit for bit those of inplace=False.
    return _inplace.apply_inplace(f"{inplace_as}(inplace=True)", op, x, **kwargs)
