"""The differentiable operations behind Tensor's operators, one small Function each.

Forward computes with numpy on views of Rust storage and writes into new storage
(``out=``), or into the first input's for the in-place operators (lucid._inplace);
backward returns one gradient per input, summed back to the input's shape where numpy
broadcasting stretched it. Each declares what its backward reads (``saved_inputs``).
Python scalars pass to numpy as they are, so numpy's weak-scalar rule applies: a
float32 tensor times 2.0 stays float32.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage
from lucid.autograd.function import Function, unbroadcast

try:
    from numpy.lib.array_utils import normalize_axis_tuple
except ImportError:  # numpy < 2
    from numpy.core.numeric import normalize_axis_tuple  # type: ignore[no-redef]

__all__ = [
    "Add",
    "Div",
    "GetItem",
    "MatMul",
    "Mean",
    "Mul",
    "Neg",
    "Pow",
    "Reshape",
    "SetItem",
    "Sub",
    "Sum",
    "Transpose",
    "compare",
    "normalize_axes",
]


def _new(shape: tuple[int, ...], dtype: np.dtype, op: str) -> np.ndarray:
    if dtype not in _storage.DTYPES:
        raise TypeError(
            f"{op}: the result would have dtype {dtype}; tensors hold float32, float64, "
            "int64 or bool"
        )
    return _storage.empty(shape, dtype)


def _dtype_of(x: Any) -> Any:
    """What ``ufunc.resolve_dtypes`` takes: Python int/float/complex stay weak."""
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype  # numpy scalars are strongly typed (np.float64 is a float subclass)
    if isinstance(x, bool):
        return np.dtype(np.bool_)
    for kind in (int, float, complex):
        if isinstance(x, kind):
            return kind
    return np.asarray(x).dtype


def _ufunc(ufunc: np.ufunc, *operands: Any, out: np.ndarray | None = None) -> np.ndarray:
    """``ufunc(*operands)`` into ``out``, or new storage of numpy's result shape and dtype."""
    if out is None:
        dtype = ufunc.resolve_dtypes(tuple(_dtype_of(x) for x in operands) + (None,))[-1]
        shape = np.broadcast_shapes(*(np.shape(x) for x in operands))
        out = _new(shape, dtype, ufunc.__name__)
    ufunc(*operands, out=out)
    return out


def compare(ufunc: np.ufunc, a: Any, b: Any) -> np.ndarray:
    """A comparison (np.equal, np.less, ...) as a bool array in storage; no gradient."""
    return _ufunc(ufunc, a, b)


class Add(Function):
    def forward(self, a: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
        self.shapes = np.shape(a), np.shape(b)
        return _ufunc(np.add, a, b, out=out)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return tuple(
            unbroadcast(grad, s) if need else None
            for s, need in zip(self.shapes, self.needs_input_grad, strict=True)
        )


class Sub(Function):
    def forward(self, a: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
        self.shapes = np.shape(a), np.shape(b)
        return _ufunc(np.subtract, a, b, out=out)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_a, need_b = self.needs_input_grad
        return (
            unbroadcast(grad, self.shapes[0]) if need_a else None,
            unbroadcast(-grad, self.shapes[1]) if need_b else None,
        )


class Mul(Function):
    saved_inputs = {0: (1,), 1: (0,)}  # each for the other's gradient

    def forward(self, a: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
        self.a, self.b = a, b
        return _ufunc(np.multiply, a, b, out=out)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_a, need_b = self.needs_input_grad
        return (
            unbroadcast(grad * self.b, np.shape(self.a)) if need_a else None,
            unbroadcast(grad * self.a, np.shape(self.b)) if need_b else None,
        )


class Div(Function):
    saved_inputs = {0: (1,), 1: None}

    def forward(self, a: Any, b: Any, out: np.ndarray | None = None) -> np.ndarray:
        self.a, self.b = a, b
        return _ufunc(np.true_divide, a, b, out=out)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_a, need_b = self.needs_input_grad
        grad_a = grad / self.b
        return (
            unbroadcast(grad_a, np.shape(self.a)) if need_a else None,
            unbroadcast(-grad_a * self.a / self.b, np.shape(self.b)) if need_b else None,
        )


class Neg(Function):
    def forward(self, a: np.ndarray) -> np.ndarray:
        return _ufunc(np.negative, a)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (-grad,)


class Pow(Function):
    """``a ** exponent`` for a scalar exponent."""

    saved_inputs = {0: None}

    def forward(self, a: np.ndarray, exponent: Any) -> np.ndarray:
        self.a, self.exponent = a, exponent
        return _ufunc(np.power, a, exponent)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        if self.exponent == 0:
            # d(a**0)/da = 0 everywhere; the formula below would give 0 * inf at a = 0.
            return (np.zeros_like(grad),)
        return (grad * self.exponent * self.a ** (self.exponent - 1),)


def _matmul_shape(sa: tuple[int, ...], sb: tuple[int, ...]) -> tuple[int, ...]:
    """np.matmul's output shape, with an error that names both shapes."""
    if not sa or not sb:
        raise ValueError(f"matmul needs operands of at least 1 dimension, got {sa} and {sb}")
    ra = sa if len(sa) > 1 else (1, *sa)
    rb = sb if len(sb) > 1 else (*sb, 1)
    try:
        if ra[-1] != rb[-2]:
            raise ValueError
        batch = np.broadcast_shapes(ra[:-2], rb[:-2])
    except ValueError:
        raise ValueError(f"matmul: shapes {sa} and {sb} do not match") from None
    rows = (ra[-2],) if len(sa) > 1 else ()
    cols = (rb[-1],) if len(sb) > 1 else ()
    return (*batch, *rows, *cols)


class MatMul(Function):
    """``a @ b`` with np.matmul's rules: 1-D operands and broadcast batch dimensions."""

    saved_inputs = {0: (1,), 1: (0,)}

    def forward(self, a: Any, b: Any) -> np.ndarray:
        self.a, self.b = np.asarray(a), np.asarray(b)
        dtype = np.matmul.resolve_dtypes((self.a.dtype, self.b.dtype, None))[-1]
        out = _new(_matmul_shape(self.a.shape, self.b.shape), dtype, "matmul")
        np.matmul(self.a, self.b, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        a, b = self.a, self.b
        # Give 1-D operands (and the gradient) the axis matmul added, then drop it again.
        if b.ndim == 1:
            b, grad = b[:, None], grad[..., None]
        if a.ndim == 1:
            a, grad = a[None, :], grad[..., None, :]
        need_a, need_b = self.needs_input_grad
        grad_a = unbroadcast(grad @ np.swapaxes(b, -1, -2), a.shape) if need_a else None
        grad_b = unbroadcast(np.swapaxes(a, -1, -2) @ grad, b.shape) if need_b else None
        return (
            None if grad_a is None else grad_a.reshape(self.a.shape),
            None if grad_b is None else grad_b.reshape(self.b.shape),
        )


def normalize_axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """``axis`` (None, an int or a sequence of ints) as sorted non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if isinstance(axis, (tuple, list)) else (axis,)
    if any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in items):
        raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")
    return tuple(sorted(normalize_axis_tuple(tuple(items), ndim)))


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
        out = _new(shape, dtype, "sum")
        np.sum(a, axis=self.axes, keepdims=keepdims, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (self._spread(grad),)


class Mean(_Reduce):
    def forward(self, a: np.ndarray, axis: Any = None, keepdims: bool = False) -> np.ndarray:
        shape = self._setup(a, axis, keepdims)
        dtype = a.dtype if a.dtype.kind == "f" else np.dtype(np.float64)
        out = _new(shape, dtype, "mean")
        np.mean(a, axis=self.axes, keepdims=keepdims, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (self._spread(grad / self.count),)


class Reshape(Function):
    """A new shape over the same storage: tensors are C-contiguous, so no copy is made."""

    is_view = True

    def forward(self, a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
        self.in_shape = a.shape
        return a.reshape(shape)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad.reshape(self.in_shape),)


class Transpose(Function):
    """Axes permuted (reversed when ``axes`` is None), copied to stay C-contiguous."""

    def forward(self, a: np.ndarray, axes: Any = None) -> np.ndarray:
        if axes is None:
            axes = tuple(reversed(range(a.ndim)))
        items = tuple(axes)
        if any(isinstance(i, bool) or not isinstance(i, (int, np.integer)) for i in items):
            raise TypeError(f"transpose: axes must be ints, got {axes!r}")
        self.axes = normalize_axis_tuple(items, a.ndim)
        if len(self.axes) != a.ndim:
            raise ValueError(
                f"transpose: axes {axes!r} must list each of the {a.ndim} dimensions of "
                f"shape {a.shape} once"
            )
        view = a.transpose(self.axes)
        out = _new(view.shape, a.dtype, "transpose")
        np.copyto(out, view)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (grad.transpose(np.argsort(self.axes)),)


def _is_basic(index: Any) -> bool:
    items = index if isinstance(index, tuple) else (index,)
    return all(
        i is None or i is Ellipsis or isinstance(i, slice)
        or (isinstance(i, (int, np.integer)) and not isinstance(i, bool))
        for i in items
    )  # fmt: skip


def _own_index(index: Any) -> Any:
    """``index`` with its arrays copied: an index tensor written in place later must not
    move the positions backward scatters to."""
    if isinstance(index, tuple):
        return tuple(np.array(i) if isinstance(i, np.ndarray) else i for i in index)
    return np.array(index) if isinstance(index, np.ndarray) else index


def _fit(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """``grad`` summed to ``shape``, which numpy's assignment broadcast to grad's shape
    (leading ones included, which assignment drops but broadcasting does not)."""
    if grad.ndim < len(shape):
        grad = grad.reshape((1,) * (len(shape) - grad.ndim) + grad.shape)
    return unbroadcast(grad, shape)


class GetItem(Function):
    """numpy indexing, copied into new storage; backward scatters into zeros."""

    def forward(self, a: np.ndarray, index: Any) -> np.ndarray:
        view = a[index]
        self.index, self.in_shape = _own_index(index), a.shape
        out = _new(np.shape(view), a.dtype, "getitem")
        np.copyto(out, view)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        full = np.zeros(self.in_shape, grad.dtype)
        if _is_basic(self.index):
            full[self.index] = grad  # basic indexing never repeats an element
        else:
            np.add.at(full, self.index, grad)  # integer arrays may repeat one
        return (full,)


class SetItem(Function):
    """``x[index] = value`` in place (lucid._inplace): x's gradient is zero where it was
    overwritten, value's is the gradient there, summed over the axes it was broadcast."""

    def forward(self, x: np.ndarray, value: Any, index: Any) -> np.ndarray:
        self.index, self.value_shape = _own_index(index), np.shape(value)
        x[index] = value
        return x

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_x, need_value = self.needs_input_grad
        grad_x = None
        if need_x:
            grad_x = np.array(grad)  # a copy: the gradient given may be read-only
            grad_x[self.index] = 0
        grad_value = _fit(grad[self.index], self.value_shape) if need_value else None
        return (grad_x, grad_value)
