"""Element-wise ops: arithmetic (add, sub, mul, div, neg, pow and its reflection
``2 ** t``), exp, log, sqrt, abs, clip, maximum, minimum, comparisons, casts and clone,
with their function forms. (Floor division and the bitwise ops, which have integer
results and no gradient, are in lucid._ops.integer.)

Forward computes with numpy on views of Rust storage and writes into new storage
(``out=``), or into the first input's for the in-place operators (lucid._ops.inplace);
backward returns one gradient per input, summed back to the input's shape where numpy
broadcasting stretched it. Python scalars pass to numpy as they are, so numpy's
weak-scalar rule applies: a float32 tensor times 2.0 stays float32.

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

from lucid import _dtypes, _storage
from lucid._ops._common import REAL, as_tensor, new, real_operand, shape_of, ufunc_into
from lucid.autograd.function import Function, unbroadcast

__all__ = [
    "Abs",
    "Add",
    "Cast",
    "Clip",
    "Div",
    "Exp",
    "Log",
    "Maximum",
    "Minimum",
    "Mul",
    "Neg",
    "Pow",
    "Sqrt",
    "Sub",
    "abs",
    "astype",
    "clip",
    "clone",
    "compare",
    "exp",
    "log",
    "maximum",
    "minimum",
    "pow",
    "rpow",
    "sqrt",
]

_F64 = np.dtype(np.float64)


def _floats(a: Any) -> Any:
    """``a`` itself when floating-point, else as float64 (numpy would pick float16 for bool)."""
    a = np.asarray(a)
    return a if a.dtype.kind == "f" else a.astype(_F64)


def compare(ufunc: np.ufunc, a: Any, b: Any) -> np.ndarray:
    """A comparison (np.equal, np.less, ...) as a bool array in storage; no gradient."""
    return ufunc_into(ufunc, a, b)


# ---- arithmetic ---------------------------------------------------------------------


class Add(Function):
    def forward(self, a: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
        self.shapes = (  # shape_of, inline for arrays: Add and Mul are the hottest ops
            a.shape if type(a) is np.ndarray else shape_of(a),
            b.shape if type(b) is np.ndarray else shape_of(b),
        )
        return ufunc_into(np.add, a, b, out=out)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_a, need_b = self.needs_input_grad
        shape_a, shape_b = self.shapes
        # unbroadcast, skipped inline when the shape is the input's already
        return (
            (grad if grad.shape == shape_a else unbroadcast(grad, shape_a)) if need_a else None,
            (grad if grad.shape == shape_b else unbroadcast(grad, shape_b)) if need_b else None,
        )


class Sub(Function):
    def forward(self, a: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
        self.shapes = shape_of(a), shape_of(b)
        return ufunc_into(np.subtract, a, b, out=out)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_a, need_b = self.needs_input_grad
        return (
            unbroadcast(grad, self.shapes[0]) if need_a else None,
            unbroadcast(-grad, self.shapes[1]) if need_b else None,
        )


class Mul(Function):
    saved_inputs = {0: (1,), 1: (0,)}  # each for the other's gradient

    def forward(self, a: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
        # Each value only when the other's gradient needs it, so that a chain of
        # x * 2.0 frees each intermediate as soon as the next op has read it.
        need_a, need_b = self.needs_input_grad
        self.a, self.b = a if need_b else None, b if need_a else None
        self.shapes = (
            a.shape if type(a) is np.ndarray else shape_of(a),
            b.shape if type(b) is np.ndarray else shape_of(b),
        )
        return ufunc_into(np.multiply, a, b, out=out)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_a, need_b = self.needs_input_grad
        return (
            unbroadcast(grad * self.b, self.shapes[0]) if need_a else None,
            unbroadcast(grad * self.a, self.shapes[1]) if need_b else None,
        )


class Div(Function):
    saved_inputs = {0: (1,), 1: None}

    def forward(self, a: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
        self.a, self.b = a, b
        return ufunc_into(np.true_divide, a, b, out=out)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_a, need_b = self.needs_input_grad
        grad_a = grad / self.b
        return (
            unbroadcast(grad_a, np.shape(self.a)) if need_a else None,
            unbroadcast(-grad_a * self.a / self.b, np.shape(self.b)) if need_b else None,
        )


class Neg(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return ufunc_into(np.negative, a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (-grad,)


class Pow(Function):
    """``a ** b`` where either may be the tensor: ``x ** 3`` and ``2 ** x``.

    d/da = b * a**(b - 1), 0 where b is 0 (the formula would give 0 * inf at a = 0);
    d/db = a**b * log(a), 0 where a is 0 and the power finite (b >= 0), as in PyTorch,
    not the formula's 0 * -inf.
    """

    saved_inputs = {0: None, 1: None}

    def forward(self, a: Any, exponent: Any) -> np.ndarray:
        self.a, self.exponent = a, exponent
        return ufunc_into(np.power, a, exponent)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        a, e = self.a, self.exponent
        need_a, need_e = self.needs_input_grad
        grad_a = grad_e = None
        if need_a:
            if np.ndim(e) == 0 and e == 0:
                grad_a = np.zeros_like(grad)
            else:
                slope = e * a ** (e - 1)
                if np.ndim(e):
                    slope = np.where(e == 0, 0, slope)
                grad_a = unbroadcast(grad * slope, np.shape(a))
        if need_e:
            base = np.asarray(a, dtype=grad.dtype)
            with np.errstate(divide="ignore", invalid="ignore"):
                power = base**e
                slope = np.where((base == 0) & np.isfinite(power), 0, power * np.log(base))
            grad_e = unbroadcast(grad * slope, np.shape(e))
        return (grad_a, grad_e)


def pow(input_: Any, exponent: Any) -> Any:
    """``input_ ** exponent`` for a Python or numpy scalar exponent."""
    if isinstance(exponent, bool) or not isinstance(exponent, (int, float, np.number)):
        raise TypeError(f"exponent must be a Python or numpy scalar, got {type(exponent).__name__}")
    return Pow.apply(input_, exponent)


def rpow(exponent: Any, base: Any) -> Any:
    """``base ** exponent`` for a tensor ``exponent`` (``2 ** t``) and a real scalar or
    array ``base``; differentiable in the exponent. A base that requires grad is a
    TypeError: powers with two tensors are not supported."""
    base = real_operand(base, "rpow", "base")
    if getattr(base, "requires_grad", False):
        raise TypeError("rpow: base must not require grad; only the exponent gets a gradient")
    return Pow.apply(base, as_tensor(exponent, "rpow", "exponent"))


# ---- functions of one value ---------------------------------------------------------


class Exp(Function):
    saved_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = ufunc_into(np.exp, _floats(a))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * self.out,)


class Log(Function):
    saved_inputs = {0: None}

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = _floats(a)
        with np.errstate(divide="ignore"):  # log(0) = -inf, exactly
            return ufunc_into(np.log, self.a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        with np.errstate(divide="ignore"):
            return (grad / self.a,)


class Sqrt(Function):
    saved_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = ufunc_into(np.sqrt, _floats(a))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        with np.errstate(divide="ignore"):
            return (grad * 0.5 / self.out,)


class Abs(Function):
    saved_inputs = {0: None}

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return ufunc_into(np.abs, a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * np.sign(self.a),)  # sign(0) = 0: no gradient at the kink


class Clip(Function):
    """Values limited to [lo, hi]; the gradient is 1 where lo <= x <= hi (the bounds
    included, as PyTorch's clamp) and 0 outside."""

    saved_inputs = {0: None}

    def forward(self, a: np.ndarray, lo: Any, hi: Any) -> np.ndarray:
        self.a, self.lo, self.hi = a, lo, hi
        bounds = [b for b in (lo, hi) if b is not None]
        out = new(a.shape, np.result_type(a.dtype, *bounds), "clip")
        np.clip(a, lo, hi, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        inside = np.ones(self.a.shape, dtype=bool)
        if self.lo is not None:
            inside &= self.a >= self.lo
        if self.hi is not None:
            inside &= self.a <= self.hi
        return (np.where(inside, grad, 0), None, None)


class Cast(Function):
    """A copy in another dtype; between floats the gradient is cast back (by the graph).
    Integer and bool results have no gradient."""

    def forward(self, a: np.ndarray, dtype: np.dtype) -> np.ndarray:
        return _storage.copy_of(a, dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad, None)


# ---- maximum and minimum of two -----------------------------------------------------


class _Pairwise(Function):
    """maximum / minimum: the winning operand gets the gradient; a tie splits it evenly.
    Where either operand is nan, neither gets one."""

    saved_inputs = {0: None, 1: None}  # each gradient compares both
    ufunc: np.ufunc
    wins: np.ufunc  # wins(a, b): a is the one the result takes

    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = a, b
        return ufunc_into(self.ufunc, a, b)

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


# ---- function forms -----------------------------------------------------------------


def exp(input_: Any) -> Any:
    """e ** input_, element-wise."""
    return Exp.apply(as_tensor(input_, "exp"))


def log(input_: Any) -> Any:
    """Natural logarithm; log(0) = -inf and log(x < 0) = nan, as numpy."""
    return Log.apply(as_tensor(input_, "log"))


def sqrt(input_: Any) -> Any:
    """Square root; sqrt(x < 0) = nan, and the gradient at 0 is inf."""
    return Sqrt.apply(as_tensor(input_, "sqrt"))


def abs(input_: Any) -> Any:
    """Absolute value; the gradient is sign(x), 0 at 0."""
    return Abs.apply(as_tensor(input_, "abs"))


def _bound(name: str, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, REAL):
        raise TypeError(f"clip: {name} must be a real number or None, got {value!r}")
    if math.isnan(value):
        raise ValueError(f"clip: {name} must not be nan, got {value!r}")
    return value


def clip(input_: Any, min_value: Any = None, max_value: Any = None) -> Any:
    """Values limited to [min_value, max_value] (either may be None; with both None the
    input passes through, as a new tensor in the graph, as lucid 2.x's).

    The gradient is 1 where min_value <= x <= max_value, bounds included (x passes
    through unchanged there, as in PyTorch's clamp), and 0 outside.
    """
    lo, hi = _bound("min_value", min_value), _bound("max_value", max_value)
    if lo is None and hi is None:
        return clone(input_)
    if lo is not None and hi is not None and lo > hi:
        raise ValueError(f"clip: min_value {lo!r} is greater than max_value {hi!r}")
    return Clip.apply(as_tensor(input_, "clip"), lo, hi)


def maximum(a: Any, b: Any) -> Any:
    """Element-wise maximum with broadcasting; on a tie each side gets half the gradient."""
    return Maximum.apply(real_operand(a, "maximum", "a"), real_operand(b, "maximum", "b"))


def minimum(a: Any, b: Any) -> Any:
    """Element-wise minimum with broadcasting; on a tie each side gets half the gradient."""
    return Minimum.apply(real_operand(a, "minimum", "a"), real_operand(b, "minimum", "b"))


def astype(input_: Any, dtype: Any) -> Any:
    """A copy in ``dtype`` (float32, float64, int64 or bool; Python float means the
    default float dtype; lucid's dtype objects too: lucid.Float keeps a float tensor's
    width, lucid.Int is int64). A dtype storage cannot hold (float16, int32, ...) is a
    TypeError."""
    input_ = as_tensor(input_, "astype")
    return Cast.apply(input_, _dtypes.cast_dtype(dtype, input_.dtype))


def clone(input_: Any) -> Any:
    """A copy in new storage, in the graph: its gradient flows back unchanged (unlike
    ``detach()``, which shares the storage and leaves the graph)."""
    input_ = as_tensor(input_, "clone")
    return Cast.apply(input_, input_.dtype)
