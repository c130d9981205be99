"""Reductions over axes: sum, mean, max, min, var, std (differentiable) and argmax,
argmin (int64 indices, no gradient), with their function forms, which the Tensor methods
are too.

``axis`` is None (all axes), an int or a tuple; PyTorch's ``dim=`` and ``keepdim=`` are
accepted for ``axis=`` and ``keepdims=`` (lucid._ops._common.axis_args). Two rules follow
lucid 2.x where PyTorch differs: ``var`` and ``std`` divide by n (``correction=0``)
unless asked for ``correction=1`` or ``unbiased=True``, and argmax / argmin without an
axis run along axis 0, not over the flattened tensor.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from lucid._ops._common import as_tensor, axis_args, new, normalize_axes
from lucid._ops.elementwise import Cast, Div, Mul, Sqrt, Sub
from lucid._tensor import Tensor
from lucid.autograd.function import Function

__all__ = [
    "Max",
    "Mean",
    "Min",
    "Sum",
    "argmax",
    "argmin",
    "max",
    "mean",
    "min",
    "std",
    "sum",
    "var",
]

_I64, _F64 = np.dtype(np.int64), np.dtype(np.float64)


class _Reduce(Function):
    def _setup(self, a: np.ndarray, axis: Any, keepdims: bool) -> tuple[int, ...]:
        self.axes = normalize_axes(axis, a.ndim)
        self.in_shape = a.shape
        self.kept_shape = tuple(1 if i in self.axes else n for i, n in enumerate(a.shape))
        self.count = int(np.prod([a.shape[i] for i in self.axes]))
        if keepdims:
            return self.kept_shape
        return tuple(n for i, n in enumerate(a.shape) if i not in self.axes)

    def _spread(self, grad: np.ndarray) -> np.ndarray:
        # A copy, not a broadcast view: later backward functions may write into it.
        return np.broadcast_to(grad.reshape(self.kept_shape), self.in_shape).copy()


class Sum(_Reduce):
    def forward(self, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        shape = self._setup(a, axis, keepdims)
        dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.int64)
        out = new(shape, dtype, "sum")
        np.sum(a, axis=self.axes, keepdims=keepdims, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (self._spread(grad),)


class Mean(_Reduce):
    def forward(self, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        shape = self._setup(a, axis, keepdims)
        dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
        out = new(shape, dtype, "mean")
        np.mean(a, axis=self.axes, keepdims=keepdims, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (self._spread(grad / self.count),)


class _Extreme(_Reduce):
    """max / min over axes; every element equal to the result shares its gradient evenly
    (one element: all of it), as PyTorch's amax / amin do."""

    saved_inputs = {0: None}
    saved_output = True
    ufunc: np.ufunc

    def forward(self, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        name = "max" if self.ufunc is np.maximum else "min"
        shape = self._setup(a, axis, keepdims)
        if self.count == 0:
            raise ValueError(
                f"{name}: cannot reduce an empty axis (shape {a.shape}, axis {axis!r})"
            )
        out = new(shape, a.dtype, name)
        self.ufunc.reduce(a, axis=self.axes, keepdims=keepdims, out=out)
        self.a, self.out = a, out
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        result = self.out.reshape(self.kept_shape)
        # nan propagates, so a nan result came from the nan elements.
        hit = (self.a == result) | (np.isnan(self.a) & np.isnan(result))
        count = hit.sum(axis=self.axes, keepdims=True).astype(grad.dtype)
        return (np.where(hit, grad.reshape(self.kept_shape) / count, 0),)


class Max(_Extreme):
    ufunc = np.maximum


class Min(_Extreme):
    ufunc = np.minimum


def _arg_extreme(fn: Any, name: str, input_: Any, axis: Any, keepdims: bool) -> Any:
    a = as_tensor(input_, name).data
    if axis is None:
        if a.ndim == 0:
            raise ValueError(
                f"{name}: a 0-d tensor has no axis 0, which {name} without an axis runs "
                "along (as lucid 2.x)"
            )
        axis = 0
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name}: axis must be None or an int, got {axis!r}")
    (axis,) = normalize_axes(axis, a.ndim)
    if a.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor (shape {a.shape})")
    shape = tuple(1 if i == axis else n for i, n in enumerate(a.shape) if keepdims or i != axis)
    out = new(shape, _I64, name)
    fn(a, axis=axis, out=out, keepdims=keepdims)
    return Tensor._wrap(out)


def sum(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """Sum over ``axis`` (or PyTorch's ``dim``); all axes when None."""
    input_ = as_tensor(input_, "sum")
    axis, keep = axis_args(axis, keepdims, dim, keepdim)
    return Sum.apply(input_, axis=axis, keepdims=keep)


def mean(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """Mean over ``axis`` (or ``dim``); integer tensors give float64."""
    input_ = as_tensor(input_, "mean")
    axis, keep = axis_args(axis, keepdims, dim, keepdim)
    return Mean.apply(input_, axis=axis, keepdims=keep)


def max(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """Largest value over ``axis`` (None: all; an int or a tuple), ``keepdims`` False by
    default. Elements tied for the maximum share its gradient evenly."""
    axis, keep = axis_args(axis, keepdims, dim, keepdim)
    return Max.apply(as_tensor(input_, "max"), axis=axis, keepdims=keep)


def min(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """Smallest value over ``axis``; elements tied for the minimum share its gradient evenly."""
    axis, keep = axis_args(axis, keepdims, dim, keepdim)
    return Min.apply(as_tensor(input_, "min"), axis=axis, keepdims=keep)


def _correction(op: str, correction: Any, unbiased: Any) -> Any:
    """PyTorch's ``correction=`` or ``unbiased=`` (True: 1), not both; 0 when neither."""
    if unbiased is not None:
        if correction is not None:
            raise TypeError(f"{op}: pass correction= or unbiased=, not both")
        if not isinstance(unbiased, (bool, np.bool_)):
            raise TypeError(f"{op}: unbiased must be a bool, got {unbiased!r}")
        return int(unbiased)
    if correction is None:
        return 0
    if isinstance(correction, bool) or not isinstance(correction, (int, float, np.number)):
        raise TypeError(f"{op}: correction must be a number, got {correction!r}")
    if not 0 <= correction < float("inf"):
        raise ValueError(f"{op}: correction must be finite and >= 0, got {correction!r}")
    return correction


def _variance(op: str, input_: Any, axis: Any, keepdims: bool, correction: Any) -> Any:
    """sum((x - mean)**2) / (n - correction), composed of the ops above and in
    lucid._ops.elementwise, whose gradients give 2 (x - mean) / (n - correction)."""
    x = as_tensor(input_, op)
    axes = normalize_axes(axis, x.ndim)
    count = int(np.prod([x.shape[i] for i in axes]))
    if x.dtype.kind != "f":
        x = Cast.apply(x, _F64)  # as mean: integer and bool tensors give float64
    centred = Sub.apply(x, Mean.apply(x, axis=axes, keepdims=True))
    squares = Sum.apply(Mul.apply(centred, centred), axis=axes, keepdims=keepdims)
    # n <= correction divides by zero: inf or nan, as PyTorch.
    with np.errstate(divide="ignore", invalid="ignore"):
        return Div.apply(squares, float(builtins.max(count - correction, 0)))


def var(
    input_: Any,
    axis: Any = None,
    keepdims: Any = None,
    *,
    dim: Any = None,
    keepdim: Any = None,
    correction: Any = None,
    unbiased: Any = None,
) -> Any:
    """Variance over ``axis`` (or ``dim``; None: all axes), dividing by n - correction.
    The default correction is 0 (the population variance), as lucid 2.x's ``var``;
    PyTorch's default, the sample variance, is ``correction=1`` or ``unbiased=True``.
    Integer and bool tensors give float64."""
    axis, keep = axis_args(axis, keepdims, dim, keepdim)
    return _variance("var", input_, axis, keep, _correction("var", correction, unbiased))


def std(
    input_: Any,
    axis: Any = None,
    keepdims: Any = None,
    *,
    dim: Any = None,
    keepdim: Any = None,
    correction: Any = None,
    unbiased: Any = None,
) -> Any:
    """Standard deviation: the square root of ``var`` with the same arguments and the
    same default (correction 0, so ``std ** 2 == var``); its gradient is nan where it is
    0, as PyTorch's."""
    axis, keep = axis_args(axis, keepdims, dim, keepdim)
    fix = _correction("std", correction, unbiased)
    return Sqrt.apply(_variance("std", input_, axis, keep, fix))


def argmax(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """int64 index of the largest value along ``axis``; the first one on a tie, as numpy.
    Without an axis it runs along axis 0, as lucid 2.x (PyTorch and numpy flatten). No
    gradient."""
    axis, keep = axis_args(axis, keepdims, dim, keepdim)
    return _arg_extreme(np.argmax, "argmax", input_, axis, keep)


def argmin(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """int64 index of the smallest value along ``axis`` (without one: axis 0, as lucid
    2.x); the first one on a tie."""
    axis, keep = axis_args(axis, keepdims, dim, keepdim)
    return _arg_extreme(np.argmin, "argmin", input_, axis, keep)
