"""Tensor: values in Rust storage, seen by numpy without a copy, with autograd.

``Tensor.data`` is a C-contiguous numpy view of a Rust ``Storage``. Every operation
writes its result into new storage, except ``reshape`` and ``detach``, which return a
tensor over the same storage (as PyTorch's ``view`` and ``detach`` do): a write through
one shows in the other, and they share one version counter (``_version``), which every
in-place write through lucid bumps (lucid._inplace, lucid.autograd.versions).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from lucid import _copying, _indexing, _inplace, _math, _ops, _storage, _tensor_args
from lucid.autograd import function, graph
from lucid.autograd.versions import VersionCounter, unshare

__all__ = ["Tensor"]


class Tensor:
    """An n-dimensional array of float32, float64, int64 or bool values with autograd.

    ``data`` may be a Python number, nested lists, a numpy array or a Tensor; it is
    always copied. Without ``dtype``: Python numbers and lists give float32 (lists of
    ints too; bools and lists of bools give bool); numpy arrays keep float32, float64,
    int64 and bool, other integer kinds become int64 and other float kinds float32.
    Complex, string and object data are a TypeError. ``dtype`` takes numpy dtypes and
    names ('float64'). Only floating-point tensors may have ``requires_grad=True``.
    """

    # numpy defers to us, so ``array + tensor`` calls Tensor.__radd__.
    __array_ufunc__ = None

    def __init__(
        self, data: Any, requires_grad: bool = False, keep_grad: bool = False, dtype: Any = None
    ) -> None:
        self._setup(_tensor_args.values(data, dtype), requires_grad, keep_grad)

    def _setup(self, array: np.ndarray, requires_grad: bool, keep_grad: bool) -> None:
        self._data = array
        self._ctx: Any = None  # the node that made the current values, None for a leaf
        self._version_counter = VersionCounter()  # shared over one storage
        self._family: list[Any] | None = None  # weak refs to this tensor and its reshapes
        self._requires_grad = False
        self.grad: np.ndarray | None = None
        self.keep_grad = bool(keep_grad)
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, array: np.ndarray, requires_grad: bool = False, *, _origin: str = "") -> Tensor:
        """A tensor over ``array``, which must already be a C-contiguous storage view."""
        if not (
            isinstance(array, np.ndarray)
            and array.dtype in _storage.DTYPES
            and array.flags.c_contiguous
            and _storage.is_storage_view(array)
        ):
            raise TypeError(
                f"{_origin or 'Tensor._wrap'}: expected a C-contiguous float32, float64, "
                "int64 or bool view of Rust storage (from lucid._storage), got "
                f"{type(array).__name__} {getattr(array, 'dtype', '')}"
            )
        tensor = cls.__new__(cls)
        tensor._setup(array, requires_grad, False)
        return tensor

    # ---- values ---------------------------------------------------------------------

    @property
    def data(self) -> np.ndarray:
        """The values: a numpy view of this tensor's Rust storage (writes show in it)."""
        return self._data

    @data.setter
    def data(self, values: Any) -> None:
        values = values.data if isinstance(values, Tensor) else np.asarray(values)
        _tensor_args.check_fits(values, self.dtype, "data")
        self._data = _storage.copy_of(values, self.dtype)
        unshare(self)  # new storage: its reshapes and detach() no longer see writes to it

    def numpy(self) -> np.ndarray:
        """The same view as ``data``."""
        return self._data

    @property
    def shape(self) -> tuple[int, ...]:
        return self._data.shape

    @property
    def ndim(self) -> int:
        return self._data.ndim

    @property
    def size(self) -> int:
        return self._data.size

    @property
    def dtype(self) -> np.dtype:
        return self._data.dtype

    def item(self) -> Any:
        """The single value as a Python float, int or bool."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor of one element, got shape {self.shape}")
        return self._data.item()

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        if dtype is not None and np.dtype(dtype) != self.dtype:
            if copy is False:
                raise ValueError(f"cannot view a {self.dtype} tensor as {dtype} without a copy")
            return self._data.astype(dtype)
        return self._data.copy() if copy else self._data

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        return f"Tensor({self.data}, grad={self.grad})"

    # ---- autograd -------------------------------------------------------------------

    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self.dtype.kind != "f":
            raise TypeError(
                f"requires_grad=True needs a float tensor (only floats have gradients), "
                f"got dtype {self.dtype}"
            )
        self._requires_grad = bool(value)

    @property
    def is_leaf(self) -> bool:
        """True when no recorded operation made this tensor."""
        return self._ctx is None

    def backward(self, keep_grad: bool = False) -> None:
        """Accumulate gradients into the leaves; ``grad`` (ones if None) is the seed."""
        graph.backward(self, keep_grad)

    def zero_grad(self) -> None:
        """Forget the gradient (``grad = None``), as lucid does."""
        self.grad = None

    @property
    def _version(self) -> int:
        """How many in-place writes through lucid this tensor's storage has had."""
        return self._version_counter.value

    def detach(self) -> Tensor:
        """A leaf over the same storage (and version counter), not part of any graph."""
        out = Tensor._wrap(self._data)
        out._version_counter = self._version_counter
        return out

    # ---- arithmetic -----------------------------------------------------------------

    def _binary(self, fn: Any, other: Any, reflected: bool = False) -> Any:
        other = _tensor_args.operand(other)
        if other is None:
            return NotImplemented
        return fn.apply(other, self) if reflected else fn.apply(self, other)

    def __add__(self, other: Any) -> Tensor:
        return self._binary(_ops.Add, other)

    def __radd__(self, other: Any) -> Tensor:
        return self._binary(_ops.Add, other, reflected=True)

    def __sub__(self, other: Any) -> Tensor:
        return self._binary(_ops.Sub, other)

    def __rsub__(self, other: Any) -> Tensor:
        return self._binary(_ops.Sub, other, reflected=True)

    def __mul__(self, other: Any) -> Tensor:
        return self._binary(_ops.Mul, other)

    def __rmul__(self, other: Any) -> Tensor:
        return self._binary(_ops.Mul, other, reflected=True)

    def __truediv__(self, other: Any) -> Tensor:
        return self._binary(_ops.Div, other)

    def __rtruediv__(self, other: Any) -> Tensor:
        return self._binary(_ops.Div, other, reflected=True)

    def __matmul__(self, other: Any) -> Tensor:
        return self._binary(_ops.MatMul, other)

    def __rmatmul__(self, other: Any) -> Tensor:
        return self._binary(_ops.MatMul, other, reflected=True)

    def __iadd__(self, other: Any) -> Tensor:
        """In place, into this tensor's storage, recorded in the graph (lucid._inplace)."""
        return _inplace.iadd(self, other)

    def __isub__(self, other: Any) -> Tensor:
        return _inplace.isub(self, other)

    def __imul__(self, other: Any) -> Tensor:
        return _inplace.imul(self, other)

    def __itruediv__(self, other: Any) -> Tensor:
        return _inplace.itruediv(self, other)

    def __neg__(self) -> Tensor:
        return _ops.Neg.apply(self)

    def __pow__(self, exponent: Any) -> Tensor:
        if isinstance(exponent, bool) or not isinstance(exponent, (int, float, np.number)):
            raise TypeError(
                f"exponent must be a Python or numpy scalar, got {type(exponent).__name__}"
            )
        return _ops.Pow.apply(self, exponent=exponent)

    # ---- comparisons: bool tensors, never part of a graph ---------------------------

    def _compare(self, ufunc: np.ufunc, other: Any) -> Any:
        other = _tensor_args.operand(other)
        if other is None:
            return NotImplemented
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(_ops.compare(ufunc, self._data, other))

    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        return self._compare(np.equal, other)

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        return self._compare(np.not_equal, other)

    def __lt__(self, other: Any) -> Any:
        return self._compare(np.less, other)

    def __le__(self, other: Any) -> Any:
        return self._compare(np.less_equal, other)

    def __gt__(self, other: Any) -> Any:
        return self._compare(np.greater, other)

    def __ge__(self, other: Any) -> Any:
        return self._compare(np.greater_equal, other)

    # Element-wise == makes tensors unhashable by default; hash by identity, as lucid.
    __hash__ = object.__hash__

    # ---- reductions and shapes ------------------------------------------------------

    def sum(
        self, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Sum over ``axis`` (or PyTorch's ``dim``); all axes when None."""
        axis = _tensor_args.pick("axis", axis, "dim", dim, None)
        keep = bool(_tensor_args.pick("keepdims", keepdims, "keepdim", keepdim, False))
        return _ops.Sum.apply(self, axis=axis, keepdims=keep)

    def mean(
        self, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Mean over ``axis`` (or ``dim``); integer tensors give float64."""
        axis = _tensor_args.pick("axis", axis, "dim", dim, None)
        keep = bool(_tensor_args.pick("keepdims", keepdims, "keepdim", keepdim, False))
        return _ops.Mean.apply(self, axis=axis, keepdims=keep)

    def max(
        self, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Largest value over ``axis`` (or ``dim``); ties share the gradient evenly."""
        return _math.max(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def min(
        self, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """Smallest value over ``axis`` (or ``dim``); ties share the gradient evenly."""
        return _math.min(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmax(
        self, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """int64 index of the largest value along ``axis`` (flattened when None)."""
        return _math.argmax(self, axis, keepdims, dim=dim, keepdim=keepdim)

    def argmin(
        self, axis: Any = None, keepdims: Any = None, *, dim: Any = None, keepdim: Any = None
    ) -> Tensor:
        """int64 index of the smallest value along ``axis`` (flattened when None)."""
        return _math.argmin(self, axis, keepdims, dim=dim, keepdim=keepdim)

    # ---- element-wise math and casts (lucid._math, lucid._indexing) -----------------

    def exp(self) -> Tensor:
        return _math.exp(self)

    def log(self) -> Tensor:
        return _math.log(self)

    def sqrt(self) -> Tensor:
        return _math.sqrt(self)

    def abs(self) -> Tensor:
        return _math.abs(self)

    __abs__ = abs

    def clip(self, min_value: Any = None, max_value: Any = None) -> Tensor:
        return _math.clip(self, min_value, max_value)

    def maximum(self, other: Any) -> Tensor:
        return _math.maximum(self, other)

    def minimum(self, other: Any) -> Tensor:
        return _math.minimum(self, other)

    def where(self, condition: Any, other: Any) -> Tensor:
        """This tensor where ``condition`` is true, ``other`` elsewhere (PyTorch's order)."""
        return _indexing.where(condition, self, other)

    def astype(self, dtype: Any) -> Tensor:
        """A copy in ``dtype``; float-to-float casts pass the gradient back."""
        return _math.astype(self, dtype)

    def reshape(self, *shape: Any) -> Tensor:
        """The same values in ``shape`` (ints or one tuple; one -1 is inferred).

        The result shares this tensor's storage.
        """
        return _ops.Reshape.apply(self, shape=_tensor_args.shape_arg(shape))

    def transpose(self, *axes: Any) -> Tensor:
        """Axes permuted as ``axes`` (ints or one tuple); reversed when none are given."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _ops.Transpose.apply(self, axes=axes or None)

    @property
    def T(self) -> Tensor:
        """All axes reversed."""
        return self.transpose()

    def __getitem__(self, index: Any) -> Tensor:
        return _ops.GetItem.apply(self, index=_tensor_args.index_arg(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        _inplace.setitem(self, index, value)

    # ---- copies and pickles (lucid._copying has the rules and why) ------------------

    def __copy__(self) -> Tensor:
        """``copy.copy``: a leaf with storage of its own holding these values, and a copy
        of ``grad``, as a list's or an ndarray's shallow copy has slots of its own; only
        attributes set on the tensor are shared. ``detach()`` shares the storage."""
        return _copying.copy_tensor(self, None)

    def __deepcopy__(self, memo: dict[int, Any]) -> Tensor:
        """``copy.deepcopy``: as ``copy.copy``, and attributes set on it are copied too.
        A non-leaf's copy is a leaf (its graph is not copied); requires_grad is kept."""
        return _copying.copy_tensor(self, memo)

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, ...]:
        """Pickles hold the raw bytes (a PickleBuffer from protocol 5), not the graph."""
        args, state = _copying.reduce_args(self, protocol)
        return (_rebuild_tensor, args, state)


function.set_tensor_class(Tensor)


def _rebuild_tensor(
    cls: type[Tensor],
    raw: Any,
    dtype: str,
    shape: tuple[int, ...],
    requires_grad: bool,
    keep_grad: bool,
    grad: Any,
) -> Tensor:
    """Unpickle a tensor (pickles name this function; keep its name and arguments)."""
    return _copying.rebuild_tensor(cls, raw, dtype, shape, requires_grad, keep_grad, grad)
