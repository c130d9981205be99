"""Dropping whole regions: drop_path (whole samples) and drop_block (square blocks).

Both multiply the input by a 0/1 keep mask and a scale: kept y = x·scale, dropped
y = 0 (so a NaN there does not survive, as in lucid.nn.functional.dropout), and
∂L/∂x = mask·scale·∂L/∂y. The mask is drawn from lucid.random's generator (the default
one, or ``generator=``), so a seed fixes it. Eval mode (``training=False``) and p = 0
return the input itself.

- drop_path (stochastic depth): one keep decision per sample, probability 1 − p, over
  the first axis; scale 1/(1 − p) when ``scale_by_keep`` (and p < 1), else 1.
- drop_block (Ghiasi et al., 2018) on (N, C, H, W): block seeds are drawn
  independently, per sample and channel, with probability
  γ = p·H·W / (b²·((H − b + 1)(W − b + 1) + eps)) (lucid 2.x's) at each of the
  (H − b + 1)(W − b + 1) positions where a b×b block fits (the paper's valid region,
  as torchvision), and each seed drops the block whose top-left corner it is, so that
  about a fraction p of the map is dropped (less where blocks overlap); the scale is
  1/(1 − p), as lucid 2.x's. lucid 2.x draws seeds at all H·W positions (centred
  blocks, clipped at the border) with the same γ, which drops more than p: a block the
  size of the map with p = 0.5 drops the map with probability 1 − 2⁻ᴴᵂ. b is
  ``block_size`` clipped to min(H, W), as torchvision does (lucid 2.x's γ is negative
  or huge for a larger block).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import lucid._C as _C
from lucid import _storage
from lucid._ops._common import new as _new
from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.random import check_generator

__all__ = ["drop_block", "drop_path"]


class MaskScale(Function):
    """y = x·scale where ``keep`` (a bool array that broadcasts to x), 0 elsewhere."""

    def forward(self, x: np.ndarray, keep: np.ndarray, scale: float) -> np.ndarray:  # type: ignore[override]
        self.keep, self.scale = keep, x.dtype.type(scale)
        out = _new(x.shape, x.dtype, "drop")
        np.multiply(x, self.scale, out=out)
        np.copyto(out, 0, where=~keep)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (np.where(self.keep, grad * self.scale, 0), None, None)


# ---- argument checks ------------------------------------------------------------------


def _check_tensor(op: str, input_: Any) -> Tensor:
    if not isinstance(input_, Tensor):
        raise TypeError(f"{op}: input_ must be a lucid Tensor, got {type(input_).__name__}")
    return input_


def _check_float(op: str, input_: Tensor) -> Tensor:
    if input_.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{op}: input_ must be a float32 or float64 tensor, got dtype {input_.dtype}"
        )
    return input_


def check_block_size(op: str, block_size: Any) -> int:
    if isinstance(block_size, bool) or not isinstance(block_size, (int, np.integer)):
        raise TypeError(
            f"{op}: block_size must be an int, got {type(block_size).__name__} {block_size!r}"
        )
    if block_size < 1:
        raise ValueError(f"{op}: block_size must be >= 1, got {block_size}")
    return int(block_size)


def check_block_p(op: str, p: Any) -> float:
    """p in [0, 1): at p = 1 the scale 1/(1 − p) is infinite (lucid 2.x gives NaN)."""
    value = _C.check_p(p)
    if value == 1.0:
        raise ValueError(f"{op}: p must be in [0, 1) (the scale is 1/(1 - p)), got {p!r}")
    return value


def check_eps(op: str, eps: Any) -> float:
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"{op}: eps must be a real number, got {type(eps).__name__} {eps!r}")
    value = float(eps)
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{op}: eps must be a finite number >= 0, got {eps!r}")
    return value


# ---- the masks ------------------------------------------------------------------------


def _bernoulli(shape: tuple[int, ...], prob: float, generator: Any) -> np.ndarray:
    """A bool array of ``shape``, each True with probability ``prob`` (exact to 2⁻³²)."""
    numel = math.prod(shape)
    return _storage.wrap(generator.bernoulli(np.full(numel, prob)), shape)


def block_gamma(p: float, h: int, w: int, block: int, eps: float) -> float:
    """The seed probability γ: (H − b + 1)(W − b + 1) positions, each dropping b² cells
    with probability γ, drop p·H·W cells on average, overlaps aside."""
    return p * (h * w) / (block * block) / ((h - block + 1) * (w - block + 1) + eps)


def grow_blocks(seeds: np.ndarray, block: int) -> np.ndarray:
    """The (N, C, H, W) map of the b×b blocks whose top-left corners are the True of an
    (N, C, H − b + 1, W − b + 1) bool array: spread along H then along W (separable, as
    the block is a square)."""
    n, c, hs, ws = seeds.shape
    h, w = hs + block - 1, ws + block - 1
    rows = np.zeros((n, c, h, ws), bool)
    for i in range(block):
        rows[:, :, i : i + hs, :] |= seeds
    out = np.zeros((n, c, h, w), bool)
    for j in range(block):
        out[:, :, :, j : j + ws] |= rows
    return out


def drop_path_mask(
    shape: tuple[int, ...], p: float, generator: Any
) -> np.ndarray:  # fmt: skip
    """drop_path's keep mask for an input of ``shape``: (N, 1, ..., 1), True = kept."""
    return _bernoulli((shape[0],) + (1,) * (len(shape) - 1), 1.0 - p, generator)


def drop_block_mask(
    shape: tuple[int, ...], block_size: int, p: float, eps: float, generator: Any
) -> np.ndarray:
    """drop_block's keep mask (True = kept) for an (N, C, H, W) input of ``shape``."""
    h, w = shape[2], shape[3]
    if math.prod(shape) == 0:
        return np.ones(shape, bool)
    block = min(block_size, h, w)
    seed_shape = (shape[0], shape[1], h - block + 1, w - block + 1)
    seeds = _bernoulli(seed_shape, block_gamma(p, h, w, block, eps), generator)
    return ~grow_blocks(seeds, block)


# ---- the functional forms -------------------------------------------------------------


def run_drop_path(
    input_: Any, p: Any, scale_by_keep: bool, training: bool, generator: Any
) -> tuple[Tensor, np.ndarray | None]:
    """drop_path's output and its keep mask (None when nothing was drawn)."""
    p = _C.check_p(p)
    gen = check_generator(generator)
    x = _check_tensor("drop_path", input_)
    if not training or p == 0.0:
        return x, None
    _check_float("drop_path", x)
    if x.ndim == 0:
        raise ValueError("drop_path: input_ must have a batch axis, got a 0-d tensor")
    keep = drop_path_mask(tuple(x.shape), p, gen)
    scale = 1.0 / (1.0 - p) if scale_by_keep and p < 1.0 else 1.0
    return MaskScale.apply(x, keep, scale), keep


def run_drop_block(
    input_: Any, block_size: Any, p: Any, eps: Any, training: bool, generator: Any
) -> tuple[Tensor, np.ndarray | None]:
    """drop_block's output and its keep mask (None when nothing was drawn)."""
    block_size = check_block_size("drop_block", block_size)
    p = check_block_p("drop_block", p)
    eps = check_eps("drop_block", eps)
    gen = check_generator(generator)
    x = _check_tensor("drop_block", input_)
    if not training or p == 0.0:
        return x, None
    _check_float("drop_block", x)
    if x.ndim != 4:
        raise ValueError(f"drop_block: input_ must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
    keep = drop_block_mask(tuple(x.shape), block_size, p, eps, gen)
    return MaskScale.apply(x, keep, 1.0 / (1.0 - p)), keep


def drop_path(
    input_: Tensor, p: float = 0.1, scale_by_keep: bool = True, training: bool = True, *,
    generator: Any = None,
) -> Tensor:  # fmt: skip
    """Drop whole samples (stochastic depth): each slice input_[i] is kept with
    probability 1 − p, scaled by 1/(1 − p) when ``scale_by_keep``, else zeroed.

    The positional order is lucid's (input_, p, scale_by_keep); lucid 2.x has no
    ``training`` and drops in eval mode too; here ``training=False`` returns input_.
    p = 1 drops every sample (zeros, zero gradient).
    """
    return run_drop_path(input_, p, bool(scale_by_keep), training, generator)[0]


def drop_block(
    input_: Tensor, block_size: int, p: float = 0.1, eps: float = 1e-7, training: bool = True,
    *, generator: Any = None,
) -> Tensor:  # fmt: skip
    """DropBlock of an (N, C, H, W) input: zero b×b blocks at random seeds, per sample
    and channel, about a fraction p of each map, and scale the rest by 1/(1 − p); p
    must be in [0, 1).

    ``block_size`` b is an int >= 1, clipped to min(H, W); the seeds and γ are described
    in the module docstring (``eps`` guards γ's denominator, as lucid 2.x's).
    ``training=False`` returns input_ (lucid 2.x's function has no such argument).
    """
    return run_drop_block(input_, block_size, p, eps, training, generator)[0]
