"""Element-wise functions of one value: the trigonometric and hyperbolic functions and
their inverses, square, cube, reciprocal and log2, each differentiable; and the
piecewise-constant sign, floor, ceil and round, which have no gradient.

Integer and bool inputs compute in float64 (as exp and log do), except square and cube,
which stay integers as numpy's multiplication does. sign, floor, ceil and round keep
the input's dtype and, as in lucid 2.x, their results never require grad: the slope is
0 wherever it exists, so they cut the graph instead of recording a node that always
sends back zeros.

Outside a function's domain the result follows numpy: ``arcsin(2)`` is nan (with
numpy's invalid-value warning), ``reciprocal(0)`` is inf and ``log2(0)`` is -inf
(those two silently, as the limits are exact).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage
from lucid._ops._common import as_tensor, ufunc_into
from lucid._tensor import Tensor
from lucid.autograd.function import Function

__all__ = [
    "Arccos",
    "Arcsin",
    "Arctan",
    "Cos",
    "Cosh",
    "Cube",
    "Log2",
    "Reciprocal",
    "Sin",
    "Sinh",
    "Square",
    "Tan",
    "arccos",
    "arcsin",
    "arctan",
    "ceil",
    "cos",
    "cosh",
    "cube",
    "floor",
    "log2",
    "reciprocal",
    "round",
    "sign",
    "sin",
    "sinh",
    "square",
    "tan",
]

_F64 = np.dtype(np.float64)
_LN2 = float(np.log(2.0))


def _floats(a: Any) -> Any:
    a = np.asarray(a)
    return a if a.dtype.kind == "f" else a.astype(_F64)


class _OfInput(Function):
    """y = f(x) whose slope is a function of x: backward reads the input."""

    saved_inputs = {0: None}
    ufunc: np.ufunc

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = _floats(a)
        return ufunc_into(self.ufunc, self.a)

    def slope(self, a: np.ndarray) -> Any:
        raise NotImplementedError

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * self.slope(self.a),)


class Sin(_OfInput):
    ufunc = np.sin

    def slope(self, a: np.ndarray) -> Any:
        return np.cos(a)


class Cos(_OfInput):
    ufunc = np.cos

    def slope(self, a: np.ndarray) -> Any:
        return -np.sin(a)


class Arcsin(_OfInput):
    """The slope 1/sqrt(1 - x²) is inf at ±1 and nan outside [-1, 1]."""

    ufunc = np.arcsin

    def slope(self, a: np.ndarray) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return 1.0 / np.sqrt(1.0 - a * a)


class Arccos(_OfInput):
    ufunc = np.arccos

    def slope(self, a: np.ndarray) -> Any:
        with np.errstate(divide="ignore", invalid="ignore"):
            return -1.0 / np.sqrt(1.0 - a * a)


class Arctan(_OfInput):
    ufunc = np.arctan

    def slope(self, a: np.ndarray) -> Any:
        return 1.0 / (1.0 + a * a)


class Sinh(_OfInput):
    ufunc = np.sinh

    def slope(self, a: np.ndarray) -> Any:
        return np.cosh(a)


class Cosh(_OfInput):
    ufunc = np.cosh

    def slope(self, a: np.ndarray) -> Any:
        return np.sinh(a)


class Log2(_OfInput):
    ufunc = np.log2

    def forward(self, a: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):  # log2(0) = -inf, exactly
            return super().forward(a)

    def slope(self, a: np.ndarray) -> Any:
        with np.errstate(divide="ignore"):
            return 1.0 / (a * _LN2)


class Tan(Function):
    """The slope 1 + tan(x)² comes from the output."""

    saved_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.out = ufunc_into(np.tan, _floats(a))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * (1.0 + self.out * self.out),)


class Reciprocal(Function):
    """1 / x; the slope -1/x² is -(output)²."""

    saved_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore"):  # 1 / 0 = inf, exactly
            self.out = ufunc_into(np.reciprocal, _floats(a))
        return self.out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (-grad * self.out * self.out,)


class Square(Function):
    saved_inputs = {0: None}

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return ufunc_into(np.square, a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * 2.0 * self.a,)


class Cube(Function):
    saved_inputs = {0: None}

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return ufunc_into(np.multiply, ufunc_into(np.square, a), a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * 3.0 * self.a * self.a,)


# ---- function forms -----------------------------------------------------------------


def sin(input_: Any) -> Any:
    """Sine, element-wise (radians)."""
    return Sin.apply(as_tensor(input_, "sin"))


def cos(input_: Any) -> Any:
    """Cosine, element-wise (radians)."""
    return Cos.apply(as_tensor(input_, "cos"))


def tan(input_: Any) -> Any:
    """Tangent, element-wise (radians)."""
    return Tan.apply(as_tensor(input_, "tan"))


def arcsin(input_: Any) -> Any:
    """Inverse sine in [-pi/2, pi/2]; nan outside [-1, 1]."""
    return Arcsin.apply(as_tensor(input_, "arcsin"))


def arccos(input_: Any) -> Any:
    """Inverse cosine in [0, pi]; nan outside [-1, 1]."""
    return Arccos.apply(as_tensor(input_, "arccos"))


def arctan(input_: Any) -> Any:
    """Inverse tangent in (-pi/2, pi/2)."""
    return Arctan.apply(as_tensor(input_, "arctan"))


def sinh(input_: Any) -> Any:
    """Hyperbolic sine, element-wise."""
    return Sinh.apply(as_tensor(input_, "sinh"))


def cosh(input_: Any) -> Any:
    """Hyperbolic cosine, element-wise."""
    return Cosh.apply(as_tensor(input_, "cosh"))


def square(input_: Any) -> Any:
    """x², element-wise (integers stay integers)."""
    return Square.apply(as_tensor(input_, "square"))


def cube(input_: Any) -> Any:
    """x³, element-wise (integers stay integers)."""
    return Cube.apply(as_tensor(input_, "cube"))


def reciprocal(input_: Any) -> Any:
    """1 / x, element-wise, in float64 for integer input; 1 / 0 is inf."""
    return Reciprocal.apply(as_tensor(input_, "reciprocal"))


def log2(input_: Any) -> Any:
    """Base-2 logarithm; log2(0) = -inf, log2(x < 0) = nan."""
    return Log2.apply(as_tensor(input_, "log2"))


def _constant(op: str, input_: Any, ufunc: Any, decimals: int = 0) -> Tensor:
    """A piecewise-constant function of ``input_``: a new tensor outside the graph, in
    the input's dtype (numpy would turn floor and ceil of integers into float64)."""
    a = as_tensor(input_, op).data
    if a.dtype.kind == "b" or (a.dtype.kind == "i" and ufunc is not np.sign and decimals >= 0):
        return Tensor._wrap(_storage.copy_of(a))  # whole numbers already
    if ufunc is np.round and a.dtype.kind == "i":  # to tens, hundreds, ...: no out= cast
        return Tensor._wrap(_storage.copy_of(np.round(a, decimals), a.dtype))
    if ufunc is np.round:
        out = _storage.empty(a.shape, a.dtype)
        np.round(a, decimals, out=out)
        return Tensor._wrap(out)
    return Tensor._wrap(ufunc_into(ufunc, a))


def sign(input_: Any) -> Tensor:
    """-1, 0 or 1 by the sign of each value (nan stays nan); no gradient."""
    return _constant("sign", input_, np.sign)


def floor(input_: Any) -> Tensor:
    """The largest whole number <= x, in the input's dtype; no gradient."""
    return _constant("floor", input_, np.floor)


def ceil(input_: Any) -> Tensor:
    """The smallest whole number >= x, in the input's dtype; no gradient."""
    return _constant("ceil", input_, np.ceil)


def round(input_: Any, decimals: int = 0) -> Tensor:
    """Rounded to ``decimals`` places, halves to even (numpy's rule); no gradient."""
    if isinstance(decimals, bool) or not isinstance(decimals, (int, np.integer)):
        raise TypeError(f"round: decimals must be an int, got {decimals!r}")
    return _constant("round", input_, np.round, int(decimals))
