"""Pooling: the average and the maximum over windows, and their adaptive forms, for
1-, 2- and 3-d inputs (N, C, *spatial), or unbatched (C, *spatial).

One implementation serves every kind and rank. Each spatial axis gets a table of the
input positions its windows read (output position × place in the window) and which of
them lie inside the input. The regular pools read their windows through a strided view
of the padded input (numpy's sliding_window_view); the adaptive ones, whose windows
differ in length, gather them through the table. Backward sends each output's gradient
back through the same table, bincount adding up what lands on one input (the regular
average instead adds one strided slice of a padded buffer per place in the window).

As lucid 2.x: ``stride`` defaults to 1 (PyTorch's to kernel_size), average pooling
counts the padding in its divisor (PyTorch's count_include_pad=True). As PyTorch, where
lucid 2.x differs: max pooling pads with -inf, not 0, so padding never wins; the
adaptive pools use PyTorch's windows, from floor(i·L/out) to ceil((i+1)·L/out), where
lucid 2.x's single kernel and stride gave the wrong output size when out does not
divide L (and its 3-d forms raised).
"""

from __future__ import annotations

import itertools
import math
import numbers
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from lucid._ops._common import new as _new
from lucid._tensor import Tensor
from lucid.autograd.function import Function

__all__ = [
    "adaptive_avg_pool1d",
    "adaptive_avg_pool2d",
    "adaptive_avg_pool3d",
    "adaptive_max_pool1d",
    "adaptive_max_pool2d",
    "adaptive_max_pool3d",
    "avg_pool1d",
    "avg_pool2d",
    "avg_pool3d",
    "max_pool1d",
    "max_pool2d",
    "max_pool3d",
]

_POOL_DTYPES = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64))


# ---- argument checks ----------------------------------------------------------------


def ints(name: str, value: Any, d: int, minimum: int, allow_none: bool = False) -> tuple:
    """``value`` (an int, or a tuple or list of ``d`` of them) as a tuple of ``d`` ints
    >= ``minimum``; None entries stay None where ``allow_none``."""
    items = tuple(value) if isinstance(value, (tuple, list)) else (value,) * d
    if len(items) != d:
        raise ValueError(f"{name} must be an int or {d} ints, got {value!r}")
    for item in items:
        if item is None and allow_none:
            continue
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            raise TypeError(f"{name} must be an int or {d} ints, got {value!r}")
        if item < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return tuple(None if i is None else int(i) for i in items)


def check_spatial(input_: Any, d: int, op: str, dtypes: tuple = _POOL_DTYPES) -> Tensor:
    """``input_`` as a Tensor of shape (N, C, *spatial) or (C, *spatial) with ``d``
    spatial axes and a dtype in ``dtypes``."""
    if not isinstance(input_, Tensor):
        raise TypeError(f"{op}: input_ must be a lucid Tensor, got {type(input_).__name__}")
    if input_.dtype not in dtypes:
        names = ", ".join(str(t) for t in dtypes)
        raise TypeError(f"{op}: input_ must have dtype {names}; got {input_.dtype}")
    shape = tuple(input_.shape)
    if len(shape) not in (d + 1, d + 2):
        raise ValueError(
            f"{op}: input_ must be {d + 2}-d (N, C, *spatial) or {d + 1}-d (C, *spatial), "
            f"got shape {shape}"
        )
    if 0 in shape[-d:]:
        raise ValueError(f"{op}: input_'s spatial sizes must be positive, got shape {shape}")
    return input_


# ---- window tables ------------------------------------------------------------------


class _Windows:
    """Per spatial axis, ``index`` (out, k): the input position of each place in each
    window (clipped into the input), and ``inside`` (out, k): whether it is an input
    position (not padding, not past an adaptive window's end).

    ``regular`` windows (kernel, stride, padding) are read through a strided view;
    ``divisor`` is what average pooling divides by (an int, or an array (out...))."""

    def __init__(self, index: list, inside: list, regular: tuple | None, divisor: Any) -> None:
        self.index, self.inside, self.regular, self.divisor = index, inside, regular, divisor
        self.out = tuple(i.shape[0] for i in index)
        self.kernel = tuple(i.shape[1] for i in index)

    def inside_flat(self) -> np.ndarray:
        """``inside`` of every window place, as (out..., K) with K the window's size."""
        d = len(self.out)
        mask = np.ones((1,) * (2 * d), dtype=bool)
        for a, m in enumerate(self.inside):
            shape = [1] * (2 * d)
            shape[a], shape[d + a] = m.shape
            mask = mask & m.reshape(shape)
        return mask.reshape(self.out + (-1,))

    def flat_positions(self, spatial: tuple[int, ...]) -> np.ndarray:
        """The flat position in ``spatial`` of every window place, as (out..., K)."""
        d = len(self.out)
        flat = np.zeros((1,) * (2 * d), dtype=np.int64)
        for a, i in enumerate(self.index):
            shape = [1] * (2 * d)
            shape[a], shape[d + a] = i.shape
            flat = flat + i.reshape(shape) * math.prod(spatial[a + 1 :])
        return flat.reshape(self.out + (-1,))


def _table(starts: np.ndarray, k: int, ends: np.ndarray, size: int) -> tuple:
    positions = starts[:, None] + np.arange(k)
    inside = (positions >= 0) & (positions < ends[:, None])
    return np.clip(positions, 0, size - 1), inside


def regular_windows(
    spatial: tuple[int, ...], kernel: tuple, stride: tuple, padding: tuple, op: str
) -> _Windows:
    index, inside = [], []
    for size, k, s, p in zip(spatial, kernel, stride, padding, strict=True):
        n = (size + 2 * p - k) // s + 1
        if n < 1:
            raise ValueError(
                f"{op}: kernel_size {kernel} is larger than the padded input "
                f"(spatial size {spatial}, padding {padding})"
            )
        starts = np.arange(n) * s - p
        i, m = _table(starts, k, np.full(n, size), size)
        index.append(i)
        inside.append(m)
    return _Windows(index, inside, (kernel, stride, padding), int(np.prod(kernel)))


def adaptive_windows(spatial: tuple[int, ...], output_size: tuple) -> _Windows:
    index, inside, counts = [], [], []
    for size, n in zip(spatial, output_size, strict=True):
        n = size if n is None else n
        o = np.arange(n)
        starts, ends = (o * size) // n, -((-(o + 1) * size) // n)  # floor and ceil
        i, m = _table(starts, int((ends - starts).max()), ends, size)
        index.append(i)
        inside.append(m)
        counts.append(ends - starts)
    divisor = np.ones((), dtype=np.float64)
    for count in counts:
        divisor = np.multiply.outer(divisor, count)
    return _Windows(index, inside, None, divisor)


def _window_values(x: np.ndarray, w: _Windows, fill: Any) -> np.ndarray:
    """Every window of ``x``: an array (lead..., out..., k...), padding set to ``fill``."""
    d = len(w.out)
    if w.regular is not None:
        kernel, stride, padding = w.regular
        pads = [(0, 0)] * (x.ndim - d) + [(p, p) for p in padding]
        padded = np.pad(x, pads, constant_values=fill) if any(padding) else x
        view = sliding_window_view(padded, kernel, axis=tuple(range(-d, 0)))
        steps = tuple(slice(0, (n - 1) * s + 1, s) for n, s in zip(w.out, stride, strict=True))
        where: tuple[Any, ...] = (Ellipsis, *steps) + (slice(None),) * d
        return view[where]
    grids = []
    for a, i in enumerate(w.index):
        shape = [1] * (2 * d)
        shape[2 * a], shape[2 * a + 1] = i.shape
        grids.append(i.reshape(shape))
    values = x[(Ellipsis, *grids)]  # (lead..., o1, k1, o2, k2, ...)
    lead = x.ndim - d
    order = list(range(lead)) + [lead + 2 * a for a in range(d)]
    values = values.transpose(order + [lead + 2 * a + 1 for a in range(d)])
    return np.where(w.inside_flat().reshape(w.out + w.kernel), values, fill)


def _fill_low(dtype: np.dtype) -> Any:
    return -np.inf if dtype.kind == "f" else np.iinfo(dtype).min


class _Pool(Function):
    """Average or maximum of every window of x. Backward: the average spreads each
    gradient evenly over its window's input positions (padding takes its share and
    drops it); the maximum sends it to the first position holding the maximum."""

    def forward(self, x: np.ndarray, windows: _Windows, mode: str, op: str) -> np.ndarray:
        self.windows, self.mode, self.shape = windows, mode, x.shape
        d = len(windows.out)
        lead = x.shape[: x.ndim - d]
        if mode == "avg":
            values = _window_values(x, windows, 0)
            total = values.sum(axis=tuple(range(-d, 0)), dtype=np.result_type(x, np.float32))
            out = _new(total.shape, total.dtype, op)
            np.divide(total, windows.divisor, out=out, casting="unsafe")
            self.dtype = out.dtype
            return out
        flat = _window_values(x, windows, _fill_low(x.dtype)).reshape(lead + windows.out + (-1,))
        where = flat.argmax(axis=-1)  # the first maximum (and the first NaN), as PyTorch
        # A window whose inputs are all -inf may pick its padding: use its first input.
        inside = np.broadcast_to(windows.inside_flat(), flat.shape)
        chosen = np.take_along_axis(inside, where[..., None], -1)[..., 0]
        self.where = np.where(chosen, where, inside.argmax(axis=-1))
        out = _new(self.where.shape, x.dtype, op)
        out[...] = np.take_along_axis(flat, self.where[..., None], -1)[..., 0]
        self.dtype = out.dtype
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        w = self.windows
        d = len(w.out)
        if self.mode == "avg" and w.regular is not None:
            return (self._spread_regular(grad / w.divisor), None, None, None)
        # Every (output, window place) as a flat input position; bincount adds the
        # shares that land on one position (windows overlap, adaptive ones repeat).
        lead, spatial = self.shape[: len(self.shape) - d], self.shape[len(self.shape) - d :]
        places = w.flat_positions(spatial)  # (out..., K)
        if self.mode == "max":
            full = np.broadcast_to(places, self.where.shape + places.shape[-1:])
            targets = np.take_along_axis(full, self.where[..., None], -1)[..., 0]
            shares = grad
        else:
            targets = np.broadcast_to(places, lead + places.shape)
            shares = (grad / w.divisor)[..., None] * w.inside_flat()
        rows, size = math.prod(lead), math.prod(spatial)
        row = np.arange(rows).reshape(lead + (1,) * (targets.ndim - len(lead))) * size
        flat = (row + targets).ravel()
        total = np.bincount(flat, np.broadcast_to(shares, targets.shape).ravel(), rows * size)
        return (total.reshape(self.shape), None, None, None)

    def _spread_regular(self, grad: np.ndarray) -> np.ndarray:
        """Average pooling's gradient: each window place adds its share to a strided
        slice of a padded buffer (no position repeats within one slice)."""
        kernel, stride, padding = self.windows.regular  # type: ignore[misc]
        d = len(kernel)
        pads = [(0, 0)] * (len(self.shape) - d) + [(p, p) for p in padding]
        buffer = np.pad(np.zeros(self.shape, dtype=self.dtype), pads)
        for place in itertools.product(*(range(k) for k in kernel)):
            steps = tuple(
                slice(j, j + (n - 1) * s + 1, s)
                for j, n, s in zip(place, self.windows.out, stride, strict=True)
            )
            into: tuple[Any, ...] = (Ellipsis, *steps)
            buffer[into] += grad
        crop = tuple(slice(p, p + n) for p, n in zip(padding, self.shape[-d:], strict=True))
        inner: tuple[Any, ...] = (Ellipsis, *crop)
        return buffer[inner]


# ---- the functional forms -----------------------------------------------------------


def _pool(input_: Any, kernel_size: Any, stride: Any, padding: Any, d: int, mode: str) -> Tensor:
    op = f"{mode}_pool{d}d"
    x = check_spatial(input_, d, op)
    kernel = ints("kernel_size", kernel_size, d, 1)
    steps = ints("stride", stride, d, 1)
    pads = ints("padding", padding, d, 0)
    if mode == "max" and any(2 * p > k for p, k in zip(pads, kernel, strict=True)):
        raise ValueError(
            f"{op}: padding must be at most half of kernel_size, got padding {pads} "
            f"and kernel_size {kernel}"
        )
    windows = regular_windows(tuple(x.shape[-d:]), kernel, steps, pads, op)
    return _Pool.apply(x, windows, mode, op)


def _adaptive(input_: Any, output_size: Any, d: int, mode: str) -> Tensor:
    op = f"adaptive_{mode}_pool{d}d"
    x = check_spatial(input_, d, op)
    size = ints("output_size", output_size, d, 1, allow_none=True)
    return _Pool.apply(x, adaptive_windows(tuple(x.shape[-d:]), size), mode, op)


def avg_pool1d(input_: Tensor, kernel_size: Any = 1, stride: Any = 1, padding: Any = 0) -> Tensor:
    """The mean of each window along L of (N, C, L); padding counts as zeros."""
    return _pool(input_, kernel_size, stride, padding, 1, "avg")


def avg_pool2d(input_: Tensor, kernel_size: Any = 1, stride: Any = 1, padding: Any = 0) -> Tensor:
    """The mean of each window over (H, W) of (N, C, H, W); padding counts as zeros."""
    return _pool(input_, kernel_size, stride, padding, 2, "avg")


def avg_pool3d(input_: Tensor, kernel_size: Any = 1, stride: Any = 1, padding: Any = 0) -> Tensor:
    """The mean of each window over (D, H, W) of (N, C, D, H, W); padding counts as zeros."""
    return _pool(input_, kernel_size, stride, padding, 3, "avg")


def max_pool1d(input_: Tensor, kernel_size: Any = 1, stride: Any = 1, padding: Any = 0) -> Tensor:
    """The maximum of each window along L of (N, C, L); padding never wins."""
    return _pool(input_, kernel_size, stride, padding, 1, "max")


def max_pool2d(input_: Tensor, kernel_size: Any = 1, stride: Any = 1, padding: Any = 0) -> Tensor:
    """The maximum of each window over (H, W) of (N, C, H, W); padding never wins."""
    return _pool(input_, kernel_size, stride, padding, 2, "max")


def max_pool3d(input_: Tensor, kernel_size: Any = 1, stride: Any = 1, padding: Any = 0) -> Tensor:
    """The maximum of each window over (D, H, W) of (N, C, D, H, W); padding never wins."""
    return _pool(input_, kernel_size, stride, padding, 3, "max")


def adaptive_avg_pool1d(input_: Tensor, output_size: Any) -> Tensor:
    """Means over ``output_size`` windows that cover L, from floor(i·L/out) to
    ceil((i+1)·L/out)."""
    return _adaptive(input_, output_size, 1, "avg")


def adaptive_avg_pool2d(input_: Tensor, output_size: Any) -> Tensor:
    """Means over windows that cover (H, W) in ``output_size`` (an int, or (h, w); None
    keeps that axis's size)."""
    return _adaptive(input_, output_size, 2, "avg")


def adaptive_avg_pool3d(input_: Tensor, output_size: Any) -> Tensor:
    """Means over windows that cover (D, H, W) in ``output_size`` (an int or 3 of them)."""
    return _adaptive(input_, output_size, 3, "avg")


def adaptive_max_pool1d(input_: Tensor, output_size: Any) -> Tensor:
    """Maxima over ``output_size`` windows that cover L, as adaptive_avg_pool1d's."""
    return _adaptive(input_, output_size, 1, "max")


def adaptive_max_pool2d(input_: Tensor, output_size: Any) -> Tensor:
    """Maxima over windows that cover (H, W) in ``output_size`` (an int, or (h, w))."""
    return _adaptive(input_, output_size, 2, "max")


def adaptive_max_pool3d(input_: Tensor, output_size: Any) -> Tensor:
    """Maxima over windows that cover (D, H, W) in ``output_size`` (an int or 3)."""
    return _adaptive(input_, output_size, 3, "max")
