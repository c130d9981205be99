"""Element-wise math, max/min reductions, casts, and the top-level function forms.

Each differentiable op is a small Function, forward next to backward (as in ``_ops``);
the public functions take a Tensor (or anything ``lucid.tensor`` accepts) and are what
the Tensor methods call. Every result is written into new Rust storage.

Numerics follow numpy: ``log(0)`` is -inf (numpy's divide-by-zero warning is silenced,
since the limit is exact), ``log`` and ``sqrt`` of a negative number are nan (numpy's
invalid-value warning is kept, as that usually means a bug). The gradients of ``log``
and ``sqrt`` at 0 are inf. Integer and bool inputs of exp, log and sqrt compute in
float64, as ``mean`` does.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from lucid import _ops, _storage, _tensor, _tensor_args
from lucid._ops import _new, _Reduce, _ufunc, normalize_axes
from lucid.autograd.function import Function, unbroadcast

__all__ = [
    "abs",
    "argmax",
    "argmin",
    "astype",
    "clip",
    "exp",
    "log",
    "matmul",
    "max",
    "maximum",
    "mean",
    "min",
    "minimum",
    "sqrt",
    "sum",
]

_F64, _I64 = np.dtype(np.float64), np.dtype(np.int64)
_REAL = (int, float, np.integer, np.floating)


def _floats(a: Any) -> Any:
    """``a`` itself when floating-point, else as float64 (numpy would pick float16 for bool)."""
    a = np.asarray(a)
    return a if a.dtype.kind == "f" else a.astype(_F64)


# ---- element-wise -------------------------------------------------------------------


class Exp(Function):
    saved_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = _ufunc(np.exp, _floats(a))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * self.out,)


class Log(Function):
    saved_inputs = {0: None}

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = _floats(a)
        with np.errstate(divide="ignore"):  # log(0) = -inf, exactly
            return _ufunc(np.log, self.a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        with np.errstate(divide="ignore"):
            return (grad / self.a,)


class Sqrt(Function):
    saved_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = _ufunc(np.sqrt, _floats(a))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        with np.errstate(divide="ignore"):
            return (grad * 0.5 / self.out,)


class Abs(Function):
    saved_inputs = {0: None}

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return _ufunc(np.abs, a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * np.sign(self.a),)  # sign(0) = 0: no gradient at the kink


class Clip(Function):
    """Values limited to [lo, hi]; the gradient is 1 where lo <= x <= hi (the bounds
    included, as PyTorch's clamp) and 0 outside."""

    saved_inputs = {0: None}

    def forward(self, a: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
        self.a, self.lo, self.hi = a, lo, hi
        bounds = [b for b in (lo, hi) if b is not None]
        out = _new(a.shape, np.result_type(a.dtype, *bounds), "clip")
        np.clip(a, lo, hi, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        inside = np.ones(self.a.shape, dtype=bool)
        if self.lo is not None:
            inside &= self.a >= self.lo
        if self.hi is not None:
            inside &= self.a <= self.hi
        return (np.where(inside, grad, 0), None, None)


class _Pairwise(Function):
    """maximum / minimum: the winning operand gets the gradient; a tie splits it evenly.
    Where either operand is nan, neither gets one."""

    saved_inputs = {0: None, 1: None}  # each gradient compares both
    ufunc: np.ufunc
    wins: np.ufunc  # wins(a, b): a is the one the result takes

    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return _ufunc(self.ufunc, a, b)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        a, b = self.a, self.b
        half = np.where(a == b, grad * 0.5, 0)
        need_a, need_b = self.needs_input_grad
        return (
            unbroadcast(np.where(self.wins(a, b), grad, half), np.shape(a)) if need_a else None,
            unbroadcast(np.where(self.wins(b, a), grad, half), np.shape(b)) if need_b else None,
        )


class Maximum(_Pairwise):
    ufunc, wins = np.maximum, np.greater


class Minimum(_Pairwise):
    ufunc, wins = np.minimum, np.less


# ---- reductions ---------------------------------------------------------------------


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
        out = _new(shape, a.dtype, name)
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
    a = _as_tensor(input_, name).data
    if axis is not None:
        if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
            raise TypeError(f"{name}: axis must be None or an int, got {axis!r}")
        (axis,) = normalize_axes(axis, a.ndim)
    if a.size == 0:
        raise ValueError(f"{name}: cannot reduce an empty tensor (shape {a.shape})")
    if axis is None:
        shape = (1,) * a.ndim if keepdims else ()
    else:
        shape = tuple(1 if i == axis else n for i, n in enumerate(a.shape) if keepdims or i != axis)
    out = _new(shape, _I64, name)
    fn(a, axis=axis, out=out, keepdims=keepdims)
    return _tensor.Tensor._wrap(out)


# ---- casts --------------------------------------------------------------------------


class Cast(Function):
    """A copy in another dtype; between floats the gradient is cast back (by the graph).
    Integer and bool results have no gradient."""

    def forward(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return _storage.copy_of(a, dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad, None)


# ---- public functions ---------------------------------------------------------------


def _as_tensor(value: Any, op: str, name: str = "input_") -> Any:
    """``value`` as a Tensor; anything else goes through Tensor's constructor rules."""
    tensor_cls = _tensor.Tensor
    if isinstance(value, tensor_cls):
        return value
    if not isinstance(value, (np.ndarray, np.generic, list, tuple, *_REAL)):
        raise TypeError(f"{op}: {name} must be a Tensor or array-like, got {value!r}")
    try:
        return tensor_cls(value)
    except (TypeError, ValueError) as err:
        raise type(err)(f"{op}: {name}: {err}") from None


def _operand(value: Any, op: str, name: str) -> Any:
    """A binary op's operand: Tensors, arrays and (weak) Python scalars as operators take."""
    out = _tensor_args.operand(value)
    if out is None or isinstance(out, complex):
        raise TypeError(f"{op}: {name} must be a Tensor, array or real number, got {value!r}")
    return out


def _axis_args(axis: Any, keepdims: Any, dim: Any, keepdim: Any) -> tuple[Any, bool]:
    pick = _tensor_args.pick
    return pick("axis", axis, "dim", dim, None), bool(
        pick("keepdims", keepdims, "keepdim", keepdim, False)
    )


def exp(input_: Any) -> Any:
    """e ** input_, element-wise."""
    return Exp.apply(_as_tensor(input_, "exp"))


def log(input_: Any) -> Any:
    """Natural logarithm; log(0) = -inf and log(x < 0) = nan, as numpy."""
    return Log.apply(_as_tensor(input_, "log"))


def sqrt(input_: Any) -> Any:
    """Square root; sqrt(x < 0) = nan, and the gradient at 0 is inf."""
    return Sqrt.apply(_as_tensor(input_, "sqrt"))


def abs(input_: Any) -> Any:
    """Absolute value; the gradient is sign(x), 0 at 0."""
    return Abs.apply(_as_tensor(input_, "abs"))


def _bound(name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, _REAL):
        raise TypeError(f"clip: {name} must be a real number or None, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"clip: {name} must not be nan, got {value!r}")
    return value


def clip(input_: Any, min_value: Any = None, max_value: Any = None) -> Any:
    """Values limited to [min_value, max_value] (either may be None, not both).

    The gradient is 1 where min_value <= x <= max_value, bounds included (x passes
    through unchanged there, as in PyTorch's clamp), and 0 outside.
    """
    lo, hi = _bound("min_value", min_value), _bound("max_value", max_value)
    if lo is None and hi is None:
        raise ValueError("clip: give min_value, max_value or both; both are None")
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"clip: min_value {lo!r} is greater than max_value {hi!r}")
    return Clip.apply(_as_tensor(input_, "clip"), lo, hi)


def maximum(a: Any, b: Any) -> Any:
    """Element-wise maximum with broadcasting; on a tie each side gets half the gradient."""
    return Maximum.apply(_operand(a, "maximum", "a"), _operand(b, "maximum", "b"))


def minimum(a: Any, b: Any) -> Any:
    """Element-wise minimum with broadcasting; on a tie each side gets half the gradient."""
    return Minimum.apply(_operand(a, "minimum", "a"), _operand(b, "minimum", "b"))


def max(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """Largest value over ``axis`` (None: all; an int or a tuple), ``keepdims`` False by
    default. Elements tied for the maximum share its gradient evenly."""
    axis, keep = _axis_args(axis, keepdims, dim, keepdim)
    return Max.apply(_as_tensor(input_, "max"), axis=axis, keepdims=keep)


def min(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """Smallest value over ``axis``; elements tied for the minimum share its gradient evenly."""
    axis, keep = _axis_args(axis, keepdims, dim, keepdim)
    return Min.apply(_as_tensor(input_, "min"), axis=axis, keepdims=keep)


def argmax(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """int64 index of the largest value along ``axis`` (None: of the flattened tensor); the
    first one on a tie, as numpy. No gradient."""
    axis, keep = _axis_args(axis, keepdims, dim, keepdim)
    return _arg_extreme(np.argmax, "argmax", input_, axis, keep)


def argmin(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """int64 index of the smallest value along ``axis``; the first one on a tie."""
    axis, keep = _axis_args(axis, keepdims, dim, keepdim)
    return _arg_extreme(np.argmin, "argmin", input_, axis, keep)


def astype(input_: Any, dtype: Any) -> Any:
    """A copy in ``dtype`` (float32, float64, int64 or bool; Python float means float32)."""
    return Cast.apply(_as_tensor(input_, "astype"), _storage.resolve_dtype(dtype))


def sum(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """Sum over ``axis`` (or ``dim``); see Tensor.sum."""
    return _as_tensor(input_, "sum").sum(axis, keepdims, dim=dim, keepdim=keepdim)


def mean(
    input_: Any, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
) -> Any:
    """Mean over ``axis`` (or ``dim``); see Tensor.mean."""
    return _as_tensor(input_, "mean").mean(axis, keepdims, dim=dim, keepdim=keepdim)


def matmul(a: Any, b: Any) -> Any:
    """``a @ b`` with np.matmul's rules."""
    return _ops.MatMul.apply(_operand(a, "matmul", "a"), _operand(b, "matmul", "b"))
