"""The dropout family: dropout, dropout1d/2d/3d, alpha_dropout, feature_alpha_dropout.

Each is one affine map for kept elements and one value for dropped ones, run in the
Rust core; the forward keeps only the bit mask for backward. With keep probability
1 − p (exact to 2⁻³², see the README's randomness contract):

- dropout: kept y = x / (1 − p), dropped y = 0; ∂L/∂x = mask·∂L/∂y / (1 − p).
- alpha dropout, which keeps SELU networks self-normalising: with α' = −λα,
  A = ((1 − p)(1 + p·α'²))^(−1/2) and B = −A·α'·p, kept y = A·x + B, dropped
  y = A·α' + B; ∂L/∂x = A·mask·∂L/∂y. Inputs of mean 0 and variance 1 keep both.

The mask has the noise shape: the input's shape for dropout and alpha_dropout, one
value per channel (N, C) for dropout1d/2d/3d and feature_alpha_dropout, or any shape
that broadcasts to the input for alpha_dropout's ``noise_shape=`` (Keras semantics).
A dropped element is set to the dropped value, so a NaN there does not survive.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import lucid._C as _C
from lucid import random as _random
from lucid._ops import inplace as _inplace
from lucid._tensor import Tensor
from lucid.autograd.function import Kernel

__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]


_NAMES = {"standard": "dropout", "alpha": "alpha_dropout"}  # for errors

#: p as a float in [0, 1]: the core's rule (a non-number is a TypeError, anything else
#: outside [0, 1] a ValueError), called by the functions and the modules alike.
check_p = _C.check_p


# ---- the operations: each keeps only the bit mask (and a row length) for backward ----


class DropoutKernel(Kernel):
    """What the three share: the mask, and dx = A·mask·dy from it."""

    mask: _C.Mask

    def kernel_backward(self, dy: np.ndarray) -> Any:
        return _C.dropout_backward(dy, self.mask)


class ElementDropout(DropoutKernel):
    """One keep decision per element, drawn and applied in one fused pass."""

    def kernel(self, x: np.ndarray, p: float, generator: Any, kind: str) -> Any:  # type: ignore[override]
        y, self.mask = _C.dropout_forward(x, p, generator, kind)
        return y


class RowDropout(DropoutKernel):
    """One decision per row: the noise shape is x's first k dimensions then ones (one
    per channel, say), so x is rows of equal length and the mask one bit per row."""

    def kernel(self, x: np.ndarray, mask: _C.Mask, row: int) -> Any:  # type: ignore[override]
        self.mask, self.row = mask, row
        return _C.dropout_rows_forward(x, mask, row)

    def kernel_backward(self, dy: np.ndarray) -> Any:
        return _C.dropout_rows_backward(dy, self.mask, self.row)


class MaskDropout(DropoutKernel):
    """Any other noise shape: the mask drawn over it, broadcast to x's shape in Rust
    (one bit per element of x)."""

    def kernel(self, x: np.ndarray, mask: _C.Mask) -> Any:  # type: ignore[override]
        self.mask = mask
        return _C.dropout_apply(x, mask)


def _node(
    shape: tuple[int, ...], noise: tuple[int, ...], p: float, generator: Any, kind: str
) -> tuple[DropoutKernel, dict[str, Any], _C.Mask | None]:
    """The operation that a mask of ``noise`` shape (checked to broadcast to ``shape``
    at the same rank) calls for, its arguments, and the mask when drawn before it.

    Inside ``lucid.random.global_rows`` a mask drawn per row is the held rows' part of
    the whole batch's mask (``_rows_mask``); one element per bit is then a row kernel
    with rows of one element."""
    held = _random.current_rows()
    if held is not None and shape and noise[0] == shape[0]:
        mask = _rows_mask(held, shape, noise, p, generator, kind)
        if noise == shape:
            return RowDropout(), {"mask": mask, "row": 1}, mask
    elif noise == shape:
        return ElementDropout(), {"p": p, "generator": generator, "kind": kind}, None
    else:
        mask = _C.dropout_mask(int(np.prod(noise, dtype=np.int64)), p, generator, kind)
    k = len(shape)
    while k and noise[k - 1] == 1:
        k -= 1
    if noise[:k] == shape[:k]:
        rows = int(np.prod(noise, dtype=np.int64))
        return RowDropout(), {"mask": mask, "row": int(np.prod(shape)) // rows if rows else 0}, mask
    return MaskDropout(), {"mask": mask.broadcast(noise, shape)}, mask


def _rows_mask(
    held: tuple[tuple[int, ...], int],
    shape: tuple[int, ...],
    noise: tuple[int, ...],
    p: float,
    generator: Any,
    kind: str,
) -> _C.Mask:
    """The bits of rows ``held[0]`` of the mask a batch of ``held[1]`` rows draws."""
    rows, total = held
    if shape[0] != len(rows):
        raise ValueError(
            f"input_ has {shape[0]} rows but lucid.random.global_rows holds {len(rows)} "
            f"rows of {total}"
        )
    row = int(np.prod(noise[1:], dtype=np.int64))
    whole = _C.dropout_mask(total * row, p, generator, kind)
    return whole.rows(rows, row)


# ---- argument checks ------------------------------------------------------------------


def check_input(input_: Any) -> Tensor:
    if not isinstance(input_, Tensor):
        raise TypeError(f"input_ must be a lucid Tensor, got {type(input_).__name__}")
    if input_.dtype not in (np.float32, np.float64):
        raise TypeError(f"input_ must be a float32 or float64 tensor, got dtype {input_.dtype}")
    return input_


def check_noise_shape(noise_shape: Any, shape: tuple[int, ...]) -> tuple[int, ...]:
    """``noise_shape`` as a tuple of the input's rank that broadcasts to ``shape``.

    As in Keras, None entries take the input's size; as in numpy, a shorter shape is
    padded with ones on the left.
    """
    if not isinstance(noise_shape, Sequence) or isinstance(noise_shape, str):
        raise TypeError(
            f"noise_shape must be a tuple of ints, got {type(noise_shape).__name__} {noise_shape!r}"
        )
    items = tuple(noise_shape)
    if len(items) > len(shape):
        raise ValueError(f"noise_shape {items} has more dimensions than the input's shape {shape}")
    items = (1,) * (len(shape) - len(items)) + items
    resolved = []
    for n, size in zip(items, shape, strict=True):
        if n is None:
            n = size
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"noise_shape must hold ints or None, got {noise_shape!r}")
        if n != size and n != 1:
            raise ValueError(
                f"noise_shape {tuple(noise_shape)} does not broadcast to the input's shape {shape}"
            )
        resolved.append(int(n))
    return tuple(resolved)


def _channel_lead(shape: tuple[int, ...], spatial: int | None) -> int | None:
    """How many leading dimensions pick a channel (2 for (N, C, ...), 1 for (C, ...)),
    or None when the rank does not fit."""
    if spatial is None:
        return 2 if len(shape) >= 2 else None
    return len(shape) - spatial if len(shape) in (spatial + 1, spatial + 2) else None


def channel_noise_shape(name: str, shape: tuple[int, ...], spatial: int | None) -> tuple[int, ...]:
    """One mask value per channel, broadcast over the ``spatial`` trailing dimensions:
    (N, C, 1, ...) for batched inputs, (C, 1, ...) for unbatched ones. ``spatial`` None
    takes any (N, C, ...) input of at least two dimensions."""
    lead = _channel_lead(shape, spatial)
    if lead is None and spatial is None:
        raise ValueError(
            f"{name}: expected an (N, C, ...) input of at least 2 dimensions, got shape {shape}"
        )
    if lead is None:
        assert spatial is not None
        raise ValueError(
            f"{name}: expected a {spatial + 1}-D (C, ...) or {spatial + 2}-D (N, C, ...) "
            f"input, got shape {shape}"
        )
    return shape[:lead] + (1,) * (len(shape) - lead)


def _identity(
    input_: Any, channels: tuple[str, int | None] | None
) -> tuple[Tensor, None, tuple[int, ...]]:
    """Eval mode or p = 0: the input itself, whatever its rank and dtype (as lucid, whose
    eval mode returns before anything else is looked at), with the shape of an all-kept
    mask: one value per channel when the rank has channels, else the input's shape."""
    if not isinstance(input_, Tensor):
        raise TypeError(f"input_ must be a lucid Tensor, got {type(input_).__name__}")
    shape = tuple(input_.shape)
    lead = None if channels is None else _channel_lead(shape, channels[1])
    noise = shape if lead is None else shape[:lead] + (1,) * (len(shape) - lead)
    return input_, None, noise


def run(
    input_: Any,
    p: Any,
    training: bool,
    generator: Any,
    inplace: bool,
    kind: str,
    noise_shape: Any = None,
    channels: tuple[str, int | None] | None = None,
) -> tuple[Tensor, Any, tuple[int, ...]]:
    """The family's one code path: checks, eval mode, the noise shape, in-place.

    Returns the output, the mask drawn (a ``_C.Mask`` over the noise shape, None when
    nothing was drawn: eval mode or p = 0) and the noise shape; the layers keep the last
    two. Eval mode and p = 0 check only p and that ``input_`` is a Tensor: any rank and
    dtype (integers included) come back unchanged; in training, ``input_`` must be a
    float tensor of a rank the noise shape fits. ``inplace=True`` writes the result into
    ``input_``'s storage and returns it, recorded as its new history; in grad mode a leaf
    that requires grad is refused (RuntimeError) before anything is drawn.
    """
    p = check_p(p)
    if not training or p == 0.0:
        return _identity(input_, channels)
    x = check_input(input_)
    shape = tuple(x.shape)
    if channels is not None:
        noise = channel_noise_shape(channels[0], shape, channels[1])
    elif noise_shape is None:
        noise = shape
    else:
        noise = check_noise_shape(noise_shape, shape)
    gen = _random.default_generator if generator is None else generator
    if inplace:
        # Checked before the mask is drawn, so a refused write draws nothing.
        name = channels[0] if channels is not None else _NAMES[kind]
        op = f"{name}(inplace=True)"
        _inplace.check_writable(op, x)
    node, kwargs, mask = _node(shape, noise, p, gen, kind)
    if not inplace:
        y = node.run(x, **kwargs)
    else:
        # The values are made out of place and copied in (the kernels write new
        # storage), so they are bit for bit those of inplace=False.
        y = _inplace.apply_inplace(op, node, x, **kwargs)
    return y, node.mask if mask is None else mask, noise


def dropout(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Zero each element with probability p and scale the rest by 1 / (1 − p).

    Eval mode (``training=False``) and p = 0 return ``input_`` itself; p = 1 gives
    zeros and a zero gradient. ``generator`` defaults to lucid.random's default.
    """
    return run(input_, p, training, generator, inplace, "standard")[0]


def dropout1d(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Zero whole channels of an (N, C, L) or (C, L) input; scale the rest by 1 / (1 − p)."""
    return run(input_, p, training, generator, inplace, "standard", channels=("dropout1d", 1))[0]


def dropout2d(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input; scale the rest by 1 / (1 − p)."""
    return run(input_, p, training, generator, inplace, "standard", channels=("dropout2d", 2))[0]


def dropout3d(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input; scale the rest."""
    return run(input_, p, training, generator, inplace, "standard", channels=("dropout3d", 3))[0]


def alpha_dropout(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None, noise_shape: Sequence[int | None] | None = None,
) -> Tensor:  # fmt: skip
    """Alpha dropout of ``input_`` (float32 or float64, any shape).

    ``noise_shape`` is the mask's shape (Keras): it broadcasts to the input's, so
    (N, 1, F) shares one mask over the time axis of an (N, T, F) input. Eval mode and
    p = 0 return ``input_`` itself; p = 1 gives zeros and a zero gradient, as PyTorch.
    """
    return run(input_, p, training, generator, inplace, "alpha", noise_shape)[0]


def feature_alpha_dropout(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Alpha dropout of whole channels: one mask value per (N, C) of an (N, C, ...)
    input, broadcast over the rest, with alpha dropout's A and B."""
    channels = ("feature_alpha_dropout", None)
    return run(input_, p, training, generator, inplace, "alpha", channels=channels)[0]
