"""Resampling: interpolate (resize), affine_grid, grid_sample and rotate, for 1-, 2- and
3-d inputs where the kind allows, each differentiable.

interpolate is separable: along each spatial axis every output reads one input
(nearest) or blends two (linear), so one implementation resamples one axis after the
other, and backward scatters the gradient back to those inputs axis by axis. grid_sample
reads the input at arbitrary points: the 2^d corners around each point are gathered at
once, weighted, and summed; backward scatters the gradient back to those corners
(np.add.at) and differentiates the weights for the grid. rotate samples its input on a
rotated grid of pixel positions with the same code.

Where lucid 2.x's code is broken these follow PyTorch: its bilinear mode did not blend
(every output was one input value), its area mode raised IndexError, its grid_sample
gave weights beyond [0, 1] for points more than a pixel outside and its "border" mode
resized the input instead of repeating the edge, and its rotate transposed the image
(rotate by 0 was a transpose). lucid 2.x's defaults are kept (interpolate's mode
"bilinear", grid_sample's and affine_grid's align_corners=True).
"""

from __future__ import annotations

import itertools
import math
import numbers
from typing import Any

import numpy as np

from lucid._ops._common import new as _new
from lucid._tensor import Tensor
from lucid.autograd.function import Function
from lucid.nn.functional import pool as _pool

__all__ = ["affine_grid", "grid_sample", "interpolate", "rotate"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_LINEAR = {1: "linear", 2: "bilinear", 3: "trilinear"}


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def _check_float_tensor(name: str, value: Any, op: str) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{op}: {name} must be a lucid Tensor, got {type(value).__name__}")
    if value.dtype not in _FLOATS:
        raise TypeError(f"{op}: {name} must be a float32 or float64 tensor, got {value.dtype}")
    return value


def _check_batched(input_: Any, ranks: tuple[int, ...], op: str) -> Tensor:
    x = _check_float_tensor("input_", input_, op)
    if len(x.shape) not in ranks or 0 in x.shape[2:]:
        wanted = " or ".join(f"{r}-d" for r in ranks)
        raise ValueError(
            f"{op}: input_ must be {wanted} (N, C, *spatial) with positive spatial sizes, "
            f"got shape {tuple(x.shape)}"
        )
    return x


# ---- interpolate --------------------------------------------------------------------


def _linear_taps(n_in: int, n_out: int, align_corners: bool) -> tuple:
    """Per output position o: the two inputs around o's source position and the weight
    of the upper one (PyTorch's: with align_corners the end pixels' centres meet,
    without it the pixels' edges do)."""
    o = np.arange(n_out)
    if align_corners:
        src = o * ((n_in - 1) / (n_out - 1)) if n_out > 1 else np.zeros(n_out)
    else:
        src = np.maximum((o + 0.5) * (n_in / n_out) - 0.5, 0.0)
    low = np.minimum(np.floor(src).astype(np.int64), n_in - 1)
    return low, np.minimum(low + 1, n_in - 1), src - low


def _nearest_taps(n_in: int, n_out: int) -> tuple:
    """The input at floor(o · in / out), PyTorch's "nearest", computed in integers."""
    return (np.arange(n_out) * n_in) // n_out, None, None


def _scatter(grad: np.ndarray, index: np.ndarray, n_in: int, axis: int) -> np.ndarray:
    """The sum of grad's entries along ``axis`` into n_in places at ``index`` (sorted,
    as every tap table is): runs of one index are added by reduceat."""
    places, starts = np.unique(index, return_index=True)
    shape = list(grad.shape)
    shape[axis] = n_in
    out = np.zeros(shape, dtype=grad.dtype)
    into: tuple[Any, ...] = (slice(None),) * axis + (places,)
    out[into] = np.add.reduceat(grad, starts, axis=axis)
    return out


class _Separable(Function):
    """Along each spatial axis in turn, every output reads one input (nearest) or blends
    two (linear); None leaves an axis as it is. Only the inputs read enter an output, so
    an inf or NaN stays where it is (a matrix product would spread it over the row)."""

    def forward(self, x: np.ndarray, taps: list, op: str) -> np.ndarray:
        self.taps, self.first = taps, x.ndim - len(taps)
        self.sizes = x.shape[self.first :]
        y = x
        for a, tap in enumerate(taps):
            if tap is not None:
                low, high, frac = tap
                axis = self.first + a
                if high is None:
                    y = np.take(y, low, axis=axis)
                else:
                    f = self._along(frac.astype(x.dtype), axis, x.ndim)
                    y = np.take(y, low, axis=axis) * (1 - f) + np.take(y, high, axis=axis) * f
        out = _new(y.shape, x.dtype, op)
        out[...] = y
        return out

    @staticmethod
    def _along(values: np.ndarray, axis: int, ndim: int) -> np.ndarray:
        return values.reshape((-1,) + (1,) * (ndim - axis - 1))

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        for a, tap in reversed(list(enumerate(self.taps))):
            if tap is not None:
                low, high, frac = tap
                axis, n = self.first + a, self.sizes[a]
                if high is None:
                    grad = _scatter(grad, low, n, axis)
                else:
                    f = self._along(frac.astype(grad.dtype), axis, grad.ndim)
                    grad = _scatter(grad * (1 - f), low, n, axis) + _scatter(
                        grad * f, high, n, axis
                    )
        return (grad, None, None)


def interpolate(
    input_: Tensor, size: Any, mode: str = "bilinear", align_corners: bool = False
) -> Tensor:
    """Resize the spatial axes of (N, C, *spatial) to ``size`` (an int or one per axis).

    ``mode``: "nearest" (the input at floor(o · in / out)), "area" (adaptive average
    pooling) for any of 1-3 spatial axes, or linear interpolation named by the rank as
    in PyTorch: "linear" (3-d input), "bilinear" (4-d), "trilinear" (5-d).
    ``align_corners`` applies to the linear modes only."""
    op = "interpolate"
    x = _check_batched(input_, (3, 4, 5), op)
    d = len(x.shape) - 2
    align_corners = _check_bool("align_corners", align_corners)
    if mode not in ("nearest", "area", _LINEAR[d]):
        raise ValueError(
            f"interpolate: mode must be 'nearest', 'area' or '{_LINEAR[d]}' for a "
            f"{d + 2}-d input, got {mode!r}"
        )
    out_size = _pool.ints("size", size, d, 1)
    if mode == "area":
        return _pool._adaptive(x, out_size, d, "avg")
    taps = [
        None
        if n_in == n_out
        else (
            _nearest_taps(n_in, n_out)
            if mode == "nearest"
            else _linear_taps(n_in, n_out, align_corners)
        )
        for n_in, n_out in zip(x.shape[2:], out_size, strict=True)
    ]
    return _Separable.apply(x, taps, op)


# ---- affine_grid --------------------------------------------------------------------


def _base_coordinates(n: int, align_corners: bool) -> np.ndarray:
    """The normalised positions of n pixels in [-1, 1] (0 for a single pixel, as PyTorch)."""
    if n <= 1:
        return np.zeros(n)
    if align_corners:
        return np.linspace(-1.0, 1.0, n)
    return (2 * np.arange(n) + 1) / n - 1


class _AffineGrid(Function):
    """grid[n, p] = θ[n] · (x, y, [z,] 1) at every output position p."""

    def forward(self, theta: np.ndarray, spatial: tuple, align_corners: bool) -> np.ndarray:
        axes = [_base_coordinates(n, align_corners) for n in spatial]
        mesh = np.meshgrid(*axes, indexing="ij")
        base = np.stack([*mesh[::-1], np.ones(spatial)], axis=-1)  # x first, as PyTorch
        self.base = base.reshape(-1, len(spatial) + 1).astype(theta.dtype)
        self.shape = theta.shape
        out = _new((theta.shape[0], *spatial, len(spatial)), theta.dtype, "affine_grid")
        out.reshape(theta.shape[0], -1, len(spatial))[...] = np.matmul(
            self.base, theta.transpose(0, 2, 1)
        )
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        flat = grad.reshape(self.shape[0], -1, self.shape[1])
        return (np.matmul(flat.transpose(0, 2, 1), self.base), None, None)


def affine_grid(theta: Tensor, size: Any, align_corners: bool = True) -> Tensor:
    """The sampling grid of the affine maps θ (N, 2, 3) for an output of ``size``
    (N, C, H, W), or θ (N, 3, 4) for (N, C, D, H, W): (N, H, W, 2) or (N, D, H, W, 3),
    the last axis (x, y[, z]) in [-1, 1] coordinates, for grid_sample."""
    op = "affine_grid"
    theta = _check_float_tensor("theta", theta, op)
    align_corners = _check_bool("align_corners", align_corners)
    if not isinstance(size, (tuple, list)) or len(size) not in (4, 5):
        raise ValueError(f"affine_grid: size must be (N, C, H, W) or (N, C, D, H, W), got {size!r}")
    size = _pool.ints("size", size, len(size), 1)
    d = len(size) - 2
    if tuple(theta.shape) != (size[0], d, d + 1):
        raise ValueError(
            f"affine_grid: theta must have shape {(size[0], d, d + 1)} for size {size}, "
            f"got {tuple(theta.shape)}"
        )
    return _AffineGrid.apply(theta, size[2:], align_corners)


# ---- grid_sample and rotate ---------------------------------------------------------


class _Sample(Function):
    """The input (N, C, *spatial) read at points ``grid`` (N, *out, d), the last axis
    (x, y[, z]): in [-1, 1] units when ``align`` is a bool (grid_sample's), in pixel
    indices when it is None (rotate's). Bilinear (trilinear for 3 axes) or nearest;
    points outside read zeros, or the nearest edge with padding "border"."""

    saved_inputs = {0: (1,)}  # backward reads x for the grid's gradient

    def forward(
        self, x: np.ndarray, grid: np.ndarray, mode: str, padding: str, align: Any, op: str
    ) -> np.ndarray:
        dtype = np.result_type(x, grid)
        self.x, self.mode, self.x_dtype = x, mode, x.dtype
        self.spatial = spatial = x.shape[2:]
        d = len(spatial)
        self.scales, self.keep, self.low, self.frac = [], [], [], []
        for s, n in enumerate(spatial):
            g = grid[..., d - 1 - s].astype(dtype)
            scale = 1.0 if align is None else ((n - 1) / 2 if align else n / 2)
            c = g if align is None else (g + 1) * scale - (0 if align else 0.5)
            # Anything past a pixel outside reads zeros: clipping there keeps the casts
            # below finite (NaN and inf points read zeros too).
            c = np.clip(np.nan_to_num(c, nan=-2.0), -2.0, n + 1.0)
            keep = np.ones(c.shape, dtype=bool)
            if padding == "border":
                keep = (c >= 0) & (c <= n - 1)
                c = np.clip(c, 0, n - 1)
            low = np.rint(c) if mode == "nearest" else np.floor(c)
            self.scales.append(scale)
            self.keep.append(keep)
            self.low.append(low.astype(np.int64))
            self.frac.append(c - low)
        self.batch = np.arange(x.shape[0]).reshape((-1,) + (1,) * d)
        total = np.zeros(grid.shape[:-1] + (x.shape[1],), dtype=dtype)
        for index, inside, weight, _ in self._corners():
            total += self._gather(index, inside) * weight[..., None]
        out = _new(total.shape[:1] + total.shape[-1:] + total.shape[1:-1], dtype, op)
        out[...] = np.moveaxis(total, -1, 1)
        return out

    def _corners(self) -> Any:
        """(index, inside, weight, weights per axis) of each corner around the points."""
        d = len(self.spatial)
        nearest = self.mode == "nearest"
        for bits in [(0,) * d] if nearest else itertools.product((0, 1), repeat=d):
            index = [low + b for low, b in zip(self.low, bits, strict=True)]
            if nearest:
                weights = [np.ones_like(f) for f in self.frac]
            else:
                weights = [f if b else 1 - f for f, b in zip(self.frac, bits, strict=True)]
            inside = np.ones(index[0].shape, dtype=bool)
            for i, n in zip(index, self.spatial, strict=True):
                inside &= (i >= 0) & (i < n)
            weight = np.prod(weights, axis=0) if d > 1 else weights[0]
            yield index, inside, weight * inside, (bits, weights)

    def _clipped(self, index: list) -> tuple:
        return (
            self.batch,
            *(np.clip(i, 0, n - 1) for i, n in zip(index, self.spatial, strict=True)),
        )

    def _gather(self, index: list, inside: np.ndarray) -> np.ndarray:
        values = np.moveaxis(self.x, 1, -1)[self._clipped(index)]  # (N, *out, C)
        return np.where(inside[..., None], values, 0)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_x, need_grid = self.needs_input_grad[:2]
        d = len(self.spatial)
        g = np.moveaxis(grad, 1, -1)  # (N, *out, C)
        dx = np.zeros((self.x.shape[0], *self.spatial, self.x.shape[1]), dtype=grad.dtype)
        dcoords = [np.zeros(g.shape[:-1], dtype=grad.dtype) for _ in range(d)]
        for index, inside, weight, (bits, weights) in self._corners():
            if need_x:
                np.add.at(dx, self._clipped(index), g * weight[..., None])
            if need_grid and self.mode != "nearest":
                dot = (g * self._gather(index, inside)).sum(axis=-1)
                for s in range(d):
                    others = [w for t, w in enumerate(weights) if t != s]
                    slope = np.prod(others, axis=0) if others else 1.0
                    dcoords[s] += dot * slope * (1 if bits[s] else -1)
        dgrid = None
        if need_grid:
            dgrid = np.stack(
                [dcoords[s] * self.scales[s] * self.keep[s] for s in reversed(range(d))], -1
            )
        return (np.moveaxis(dx, -1, 1) if need_x else None, dgrid, None, None, None, None)


def grid_sample(
    input_: Tensor,
    grid: Tensor,
    mode: str = "bilinear",
    padding_mode: str = "zeros",
    align_corners: bool = True,
) -> Tensor:
    """Read ``input_`` (N, C, H, W) at the points of ``grid`` (N, H_out, W_out, 2), or
    (N, C, D, H, W) at (N, D_out, H_out, W_out, 3); the grid's last axis is (x, y[, z])
    with -1 and 1 the edges (align_corners=False) or the centres (True) of the end
    pixels. ``mode``: "bilinear" (trilinear in 3-d) or "nearest"; ``padding_mode``:
    "zeros" or "border" (the nearest edge pixel). Output (N, C, *grid's middle axes)."""
    op = "grid_sample"
    x = _check_batched(input_, (4, 5), op)
    grid = _check_float_tensor("grid", grid, op)
    d = len(x.shape) - 2
    if len(grid.shape) != d + 2 or grid.shape[0] != x.shape[0] or grid.shape[-1] != d:
        raise ValueError(
            f"grid_sample: grid must have shape (N, *out, {d}) with N = {x.shape[0]} for "
            f"input_ of shape {tuple(x.shape)}, got {tuple(grid.shape)}"
        )
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"grid_sample: mode must be 'bilinear' or 'nearest', got {mode!r}")
    if padding_mode not in ("zeros", "border"):
        raise ValueError(
            f"grid_sample: padding_mode must be 'zeros' or 'border', got {padding_mode!r}"
        )
    align_corners = _check_bool("align_corners", align_corners)
    return _Sample.apply(x, grid, mode, padding_mode, align_corners, op)


def _real(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"rotate: {name} must be a real number, got {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"rotate: {name} must be finite, got {value!r}")
    return float(value)


def rotate(input_: Tensor, angle: float, center: Any = None) -> Tensor:
    """Rotate the images in the last two axes of ``input_`` (H, W) by ``angle`` degrees
    counter-clockwise about ``center`` (x, y), the image's centre (W/2, H/2) by default,
    in pixel units where pixel (i, j) covers [j, j+1) × [i, i+1). Each output pixel takes
    the nearest source pixel; pixels from outside the image are 0, as torchvision's."""
    x = _check_float_tensor("input_", input_, "rotate")
    if len(x.shape) < 2 or 0 in x.shape[-2:]:
        raise ValueError(f"rotate: input_ must have 2 or more dims (..., H, W), got {x.shape}")
    theta = math.radians(_real("angle", angle))
    height, width = x.shape[-2:]
    if center is None:
        cx, cy = width / 2, height / 2
    elif isinstance(center, (tuple, list)) and len(center) == 2:
        cx, cy = _real("center[0]", center[0]), _real("center[1]", center[1])
    else:
        raise TypeError(f"rotate: center must be None or (x, y), got {center!r}")
    # Each output pixel's centre, turned back by the angle, lands on its source.
    dy, dx = np.meshgrid(np.arange(height) + 0.5 - cy, np.arange(width) + 0.5 - cx, indexing="ij")
    cos, sin = math.cos(theta), math.sin(theta)
    source = np.stack([cos * dx - sin * dy + cx - 0.5, sin * dx + cos * dy + cy - 0.5], -1)
    images = x.reshape(1, -1, height, width)
    out = _Sample.apply(images, source[None].astype(x.dtype), "nearest", "zeros", None, "rotate")
    return out.reshape(*x.shape)
