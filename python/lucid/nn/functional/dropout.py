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

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from lucid._tensor import Tensor
from lucid.nn.functional import _dropout_ops
from lucid.nn.functional._dropout_ops import OnMask
from lucid.random import check_generator

__all__ = [
    "alpha_dropout",
    "dropout",
    "dropout1d",
    "dropout2d",
    "dropout3d",
    "feature_alpha_dropout",
]


_NAMES = {"standard": "dropout", "alpha": "alpha_dropout"}  # for errors


def check_p(p: Any) -> float:
    """p as a float in [0, 1]; a non-number is a TypeError and anything else a ValueError."""
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"p must be a number in [0, 1], got {type(p).__name__} {p!r}")
    try:
        p = float(p)
    except OverflowError:  # an int beyond float range
        raise ValueError(f"p must be a probability in [0, 1], got {p}") from None
    if math.isnan(p) or not 0.0 <= p <= 1.0:
        raise ValueError(f"p must be a probability in [0, 1], got {p}")
    return p


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


def channel_noise_shape(name: str, shape: tuple[int, ...], spatial: int | None) -> tuple[int, ...]:
    """One mask value per channel, broadcast over the ``spatial`` trailing dimensions:
    (N, C, 1, ...) for batched inputs, (C, 1, ...) for unbatched ones. ``spatial`` None
    takes any (N, C, ...) input of at least two dimensions."""
    if spatial is None:
        if len(shape) < 2:
            raise ValueError(
                f"{name}: expected an (N, C, ...) input of at least 2 dimensions, got shape {shape}"
            )
        lead = 2
    else:
        if len(shape) not in (spatial + 1, spatial + 2):
            raise ValueError(
                f"{name}: expected a {spatial + 1}-D (C, ...) or {spatial + 2}-D (N, C, ...) "
                f"input, got shape {shape}"
            )
        lead = len(shape) - spatial
    return shape[:lead] + (1,) * (len(shape) - lead)


def run(
    input_: Any,
    p: Any,
    training: bool,
    generator: Any,
    inplace: bool,
    kind: str,
    noise_shape: Any = None,
    on_mask: OnMask | None = None,
    channels: tuple[str, int | None] | None = None,
) -> Tensor:
    """The family's one code path: checks, eval mode, the noise shape, in-place.

    ``inplace=True`` writes the result into ``input_``'s storage and returns it, recorded
    as its new history; in grad mode a leaf that requires grad is refused (RuntimeError)
    before anything is drawn.
    """
    p = check_p(p)
    x = check_input(input_)
    gen = check_generator(generator)
    shape = tuple(x.shape)
    if channels is not None:
        noise = channel_noise_shape(channels[0], shape, channels[1])
    elif noise_shape is None:
        noise = shape
    else:
        noise = check_noise_shape(noise_shape, shape)
    if not training or p == 0.0:
        return x
    name = None
    if inplace:
        name = channels[0] if channels is not None else _NAMES[kind]
    return _dropout_ops.apply(x, p, gen, kind, noise, on_mask, inplace_as=name)


def dropout(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Zero each element with probability p and scale the rest by 1 / (1 − p).

    Eval mode (``training=False``) and p = 0 return ``input_`` itself; p = 1 gives
    zeros and a zero gradient. ``generator`` defaults to lucid.random's default.
    """
    return run(input_, p, training, generator, inplace, "standard")


def dropout1d(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Zero whole channels of an (N, C, L) or (C, L) input; scale the rest by 1 / (1 − p)."""
    return run(input_, p, training, generator, inplace, "standard", channels=("dropout1d", 1))


def dropout2d(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Zero whole channels of an (N, C, H, W) or (C, H, W) input; scale the rest by 1 / (1 − p)."""
    return run(input_, p, training, generator, inplace, "standard", channels=("dropout2d", 2))


def dropout3d(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Zero whole channels of an (N, C, D, H, W) or (C, D, H, W) input; scale the rest."""
    return run(input_, p, training, generator, inplace, "standard", channels=("dropout3d", 3))


def alpha_dropout(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None, noise_shape: Sequence[int | None] | None = None,
) -> Tensor:  # fmt: skip
    """Alpha dropout of ``input_`` (float32 or float64, any shape).

    ``noise_shape`` is the mask's shape (Keras): it broadcasts to the input's, so
    (N, 1, F) shares one mask over the time axis of an (N, T, F) input. Eval mode and
    p = 0 return ``input_`` itself; p = 1 gives zeros and a zero gradient, as PyTorch.
    """
    return run(input_, p, training, generator, inplace, "alpha", noise_shape)


def feature_alpha_dropout(
    input_: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Alpha dropout of whole channels: one mask value per (N, C) of an (N, C, ...)
    input, broadcast over the rest, with alpha dropout's A and B."""
    channels = ("feature_alpha_dropout", None)
    return run(input_, p, training, generator, inplace, "alpha", channels=channels)
