"""Activation functions, one small Function each, backward next to forward: numpy ones
compute into new Rust storage in the input's dtype; Rust ones (ELU, SELU, GELU) name
their formula in the core's table (lucid._C.activation_forward) through the Kernel
adapter.

``selu``, ``elu``, ``leaky_relu`` and ``relu`` take ``inplace=True``: the result is
written into the input's storage, the input is returned, and the op is recorded as the
input's new history (lucid._inplace); a leaf that requires grad is refused in grad mode
(RuntimeError), as in PyTorch.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

import lucid._C as _C
from lucid._ops import inplace as _inplace
from lucid._ops._common import new as _new
from lucid._tensor import Tensor
from lucid.autograd.function import Function, Kernel

__all__ = [
    "SELU_ALPHA",
    "SELU_SCALE",
    "elu",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "relu",
    "selu",
    "sigmoid",
    "softmax",
    "tanh",
]

#: Klambauer et al. (2017): the fixed point of mean 0 and variance 1 (the core's values).
SELU_ALPHA: float = _C.SELU_ALPHA
SELU_SCALE: float = _C.SELU_SCALE

_GELU_APPROXIMATIONS = ("none", "tanh")


# ---- argument checks --------------------------------------------------------------


def check_input(input_: Any, op: str) -> Tensor:
    if not isinstance(input_, Tensor):
        raise TypeError(f"{op}: input_ must be a lucid Tensor, got {type(input_).__name__}")
    if input_.dtype not in (np.float32, np.float64):
        raise TypeError(
            f"{op}: input_ must be a float32 or float64 tensor, got dtype {input_.dtype}"
        )
    return input_


def check_real(name: str, value: Any, nonnegative: bool = False) -> float:
    """``value`` as a finite float (and >= 0 when asked); names ``name`` when it is not."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value) or (nonnegative and value < 0):
        kind = "a finite number >= 0" if nonnegative else "a finite number"
        raise ValueError(f"{name} must be {kind}, got {value}")
    return value


def check_approximate(approximate: Any) -> str:
    if approximate not in _GELU_APPROXIMATIONS:
        raise ValueError(f"approximate must be 'none' or 'tanh', got {approximate!r}")
    return str(approximate)


def check_axis_type(axis: Any) -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"axis must be an int, got {type(axis).__name__} {axis!r}")
    return int(axis)


def pick_axis(axis: Any, dim: Any) -> int:
    """``axis`` or PyTorch's ``dim`` (keyword only); -1 when neither is given."""
    if dim is not None:
        if axis != -1:
            raise TypeError(f"pass axis= or dim=, not both (got axis={axis!r}, dim={dim!r})")
        axis = dim
    return check_axis_type(axis)


def _normalize_axis(axis: int, shape: tuple[int, ...], op: str) -> int:
    ndim = max(len(shape), 1)  # a 0-d tensor has one axis to normalise over, as in PyTorch
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"{op}: axis {axis} is out of range for a tensor of shape {shape} "
            f"(expected {-ndim} <= axis < {ndim})"
        )
    return axis % ndim


def _like(x: np.ndarray, op: str) -> np.ndarray:
    return _new(x.shape, x.dtype, op)


def _run(cls: type[Function], input_: Tensor, inplace: bool, op: str, **kwargs: Any) -> Tensor:
    if not inplace:
        return cls.apply(input_, **kwargs)
    if not issubclass(cls, Kernel):  # numpy ops write into out=; kernels' values are copied in
        kwargs["out"] = input_.data
    return _inplace.apply_inplace(f"{op}(inplace=True)", cls, input_, **kwargs)


# ---- element-wise activations -------------------------------------------------------


class ReLU(Function):
    def forward(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        self.positive = x > 0
        out = _like(x, "relu") if out is None else out
        np.maximum(x, 0, out=out)  # NaN stays NaN, as in PyTorch
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (np.where(self.positive, grad, 0),)  # derivative 0 at x = 0, as PyTorch


class LeakyReLU(Function):
    def forward(
        self, x: np.ndarray, negative_slope: float, out: np.ndarray | None = None
    ) -> np.ndarray:
        self.factor = np.where(x > 0, x.dtype.type(1), x.dtype.type(negative_slope))
        out = _like(x, "leaky_relu") if out is None else out
        np.multiply(x, self.factor, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * self.factor,)


class RustActivation(Kernel):
    """An element-wise activation of the core's table, named by ``name``: one pass each
    way in Rust; backward reads x."""

    name = ""
    saved_inputs = {0: None}

    def kernel(self, x: np.ndarray, params: tuple[float, ...] = ()) -> Any:  # type: ignore[override]
        self.params = params
        return _C.activation_forward(self.name, x, params)

    def kernel_backward(self, dy: np.ndarray) -> Any:
        return _C.activation_backward(self.name, self.x, dy, self.params)


class ELU(RustActivation):
    """scale·x for x > 0, scale·alpha·(eˣ − 1) otherwise, params (alpha, scale); at
    x = 0 the slope of the negative branch, as PyTorch's elu_backward."""

    name = "elu"


class SELU(RustActivation):
    """ELU with the SELU constants, which the core holds."""

    name = "selu"


class GELU(RustActivation):
    """x·Φ(x), Φ from erfc (exact in the lower tail), or the tanh approximation."""

    def kernel(self, x: np.ndarray, approximate: str = "tanh") -> Any:  # type: ignore[override]
        self.name = "gelu" if approximate == "none" else "gelu_tanh"
        return super().kernel(x)


class Tanh(Function):
    saved_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        self.y = _like(x, "tanh")
        np.tanh(x, out=self.y)
        return self.y

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * (1 - self.y * self.y),)


class Sigmoid(Function):
    """1/(1 + e⁻ˣ) for x >= 0 and eˣ/(1 + eˣ) below: exp only ever sees −|x|."""

    saved_output = True

    def forward(self, x: np.ndarray) -> np.ndarray:
        e = np.exp(-np.abs(x))
        self.y = _like(x, "sigmoid")
        np.divide(np.where(x >= 0, 1, e), 1 + e, out=self.y)
        return self.y

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad * (self.y * (1 - self.y)),)


# ---- along an axis ------------------------------------------------------------------


class _AlongAxis(Function):
    op = ""
    saved_output = True  # softmax's y, log_softmax's log y

    def _setup(self, x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(the output, a view of it where a 0-d input is seen as 1-d, x − max along axis)."""
        self.axis = _normalize_axis(axis, x.shape, self.op)
        out = _like(x, self.op)
        # PyTorch treats a 0-d tensor as having one axis here.
        view, x = (out.reshape(1), x.reshape(1)) if x.ndim == 0 else (out, x)
        # Subtracting the maximum keeps exp from overflowing (initial: empty axes work).
        shifted = x - np.max(x, axis=self.axis, keepdims=True, initial=-np.inf)
        return out, view, shifted


class Softmax(_AlongAxis):
    op = "softmax"

    def forward(self, x: np.ndarray, axis: int = -1) -> np.ndarray:
        out, self.y, shifted = self._setup(x, axis)
        e = np.exp(shifted)
        np.divide(e, e.sum(axis=self.axis, keepdims=True), out=self.y)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = grad.reshape(self.y.shape)
        dot = (g * self.y).sum(axis=self.axis, keepdims=True)
        return ((self.y * (g - dot)).reshape(grad.shape),)


class LogSoftmax(_AlongAxis):
    op = "log_softmax"

    def forward(self, x: np.ndarray, axis: int = -1) -> np.ndarray:
        out, self.y, shifted = self._setup(x, axis)
        log_total = np.log(np.exp(shifted).sum(axis=self.axis, keepdims=True))
        np.subtract(shifted, log_total, out=self.y)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = grad.reshape(self.y.shape)
        total = g.sum(axis=self.axis, keepdims=True)
        return ((g - np.exp(self.y) * total).reshape(grad.shape),)


# ---- the functional forms -----------------------------------------------------------


def relu(input_: Tensor, inplace: bool = False) -> Tensor:
    """max(0, x) element-wise."""
    return _run(ReLU, check_input(input_, "relu"), bool(inplace), "relu")


def leaky_relu(input_: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """x for x > 0, negative_slope·x otherwise (any finite slope)."""
    slope = check_real("negative_slope", negative_slope)
    x = check_input(input_, "leaky_relu")
    return _run(LeakyReLU, x, bool(inplace), "leaky_relu", negative_slope=slope)


def elu(input_: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """x for x > 0, alpha·(eˣ − 1) otherwise; alpha must be finite and >= 0."""
    alpha = check_real("alpha", alpha, nonnegative=True)
    x = check_input(input_, "elu")
    return _run(ELU, x, bool(inplace), "elu", params=(alpha,))


def selu(input_: Tensor, inplace: bool = False) -> Tensor:
    """SELU_SCALE · elu(x, SELU_ALPHA): keeps N(0, 1) inputs at mean 0 and variance 1."""
    return _run(SELU, check_input(input_, "selu"), bool(inplace), "selu")


def gelu(input_: Tensor, approximate: str = "tanh") -> Tensor:
    """GELU, x·Φ(x) with Φ the standard normal CDF.

    The default is lucid's tanh form 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the
    only one lucid 2.x has (PyTorch's ``approximate="tanh"``); ``approximate="none"``
    gives the exact x·Φ(x), Φ from erfc (the default of PyTorch and lucid 3)."""
    approximate = check_approximate(approximate)
    return GELU.apply(check_input(input_, "gelu"), approximate=approximate)


def tanh(input_: Tensor) -> Tensor:
    """The hyperbolic tangent, element-wise."""
    return Tanh.apply(check_input(input_, "tanh"))


def sigmoid(input_: Tensor) -> Tensor:
    """1 / (1 + e⁻ˣ), element-wise, without overflow for any x."""
    return Sigmoid.apply(check_input(input_, "sigmoid"))


def softmax(input_: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """exp(x) / Σ exp(x) along ``axis`` (or PyTorch's ``dim``), computed stably."""
    axis = pick_axis(axis, dim)
    return Softmax.apply(check_input(input_, "softmax"), axis=axis)


def log_softmax(input_: Tensor, axis: int = -1, *, dim: int | None = None) -> Tensor:
    """x − log Σ exp(x) along ``axis`` (or ``dim``), computed stably."""
    axis = pick_axis(axis, dim)
    return LogSoftmax.apply(check_input(input_, "log_softmax"), axis=axis)
