"""Tensor: values in Rust storage, seen by numpy without a copy, with autograd.

This module holds the class and its data plumbing: the constructor's data, dtype and
device rules, the values and their metadata, requires_grad, backward, detach, copies and
pickles. Its operators and math methods are the ops of lucid._ops, which import this
module; lucid._methods binds them onto the class when lucid is imported.

``Tensor.data`` is a C-contiguous numpy view of a Rust ``Storage``. Every operation
writes its result into new storage, except ``reshape`` and ``detach``, which return a
tensor over the same storage (as PyTorch's ``view`` and ``detach`` do): a write through
one shows in the other, and they share one version counter (``_version``), which every
in-place write through lucid bumps (lucid._ops.inplace, lucid.autograd.versions).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from lucid import _copying, _dlpack, _dtypes, _storage
from lucid._dtypes import DeviceFlag, check_device
from lucid.autograd import function, graph
from lucid.autograd.versions import VersionCounter, unshare

__all__ = ["AmbiguousTruthError", "Tensor", "from_dlpack"]


class AmbiguousTruthError(RuntimeError, ValueError):
    """bool() of a Tensor that has not exactly one element: a RuntimeError as in lucid 2.x
    and PyTorch, and a ValueError as in numpy."""


class Tensor:
    """An n-dimensional array of float32, float64, int64 or bool values with autograd.

    ``data`` may be a Python number, nested lists, a numpy array or a Tensor; it is
    always copied. Without ``dtype`` the dtype is numpy's, as in lucid 2.x: Python
    floats give the default float dtype (float64 unless ``lucid.set_default_dtype``
    chose float32), ints int64 and bools bool; numpy arrays keep float32, float64, int64
    and bool, other integer kinds become int64 and other float kinds float32.
    Complex, string and object data are a TypeError. ``dtype`` takes lucid's dtype
    objects (``lucid.Float64``), numpy dtypes and names ('float64'); one storage cannot
    hold (float16, int32, ...) is a TypeError. ``device`` must be "cpu" (or None). Only
    floating-point tensors may have ``requires_grad=True``.
    """

    # numpy defers to us, so ``array + tensor`` calls Tensor.__radd__.
    __array_ufunc__ = None

    if TYPE_CHECKING:
        # The operators and math methods are bound by lucid._methods (its METHODS
        # table), which this module may not import; to mypy they are attributes of Any.
        def __getattr__(self, name: str) -> Any: ...

        def __getitem__(self, index: Any) -> Tensor: ...

    def __init__(
        self,
        data: Any,
        requires_grad: bool = False,
        keep_grad: bool = False,
        dtype: Any = None,
        device: Any = "cpu",
    ) -> None:
        check_device(device)
        self._setup(_values(data, dtype), requires_grad, keep_grad)

    def _setup(self, array: np.ndarray, requires_grad: bool, keep_grad: bool) -> None:
        self._data = array
        self._ctx: Any = None  # the node that made the current values, None for a leaf
        self._counter: VersionCounter | None = None  # see _version_counter
        self._family: list[Any] | None = None  # weak refs to this tensor and its reshapes
        self._requires_grad = False
        self.grad: np.ndarray | None = None
        self.keep_grad = bool(keep_grad)
        self.requires_grad = requires_grad

    @classmethod
    def _wrap(cls, array: np.ndarray, requires_grad: bool = False, *, _origin: str = "") -> Tensor:
        """A tensor over ``array``, which must already be a C-contiguous storage view."""
        if not _storage.is_tensor_values(array):
            raise TypeError(
                f"{_origin or 'Tensor._wrap'}: expected a C-contiguous float32, float64, "
                "int64 or bool view of Rust storage (from lucid._storage), got "
                f"{type(array).__name__} {getattr(array, 'dtype', '')}"
            )
        tensor = cls.__new__(cls)
        if requires_grad:
            tensor._setup(array, requires_grad, False)
        else:  # _setup's assignments, inline: every op's result passes here
            tensor._data = array
            tensor._ctx = None
            tensor._counter = None
            tensor._family = None
            tensor._requires_grad = False
            tensor.grad = None
            tensor.keep_grad = False
        return tensor

    # ---- values ---------------------------------------------------------------------

    @property
    def data(self) -> np.ndarray:
        """The values: a numpy view of this tensor's Rust storage (writes show in it)."""
        return self._data

    @data.setter
    def data(self, values: Any) -> None:
        values = values.data if isinstance(values, Tensor) else np.asarray(values)
        _dtypes.check_fits(values, self.dtype, "data")
        self._data = _storage.copy_of(values, self.dtype)
        unshare(self)  # new storage: its reshapes and detach() no longer see writes to it

    def numpy(self) -> np.ndarray:
        """A copy of the values, as in lucid 2.x (``data`` is the zero-copy view)."""
        return self._data.copy()

    def tolist(self) -> Any:
        """The values as nested Python lists of floats, ints or bools (a scalar when 0-d)."""
        return self._data.tolist()

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

    @property
    def device(self) -> str:
        """Where the values live: always "cpu", lucid 2.x's spelling."""
        return "cpu"

    @property
    def is_cpu(self) -> DeviceFlag:
        """True: a flag that is also callable, for lucid 2.x's ``t.is_cpu()``."""
        return _dtypes.YES

    @property
    def is_gpu(self) -> DeviceFlag:
        """False (there is no GPU backend); callable too, as lucid 2.x's ``t.is_gpu()``."""
        return _dtypes.NO

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

    # DLPack export (np.from_dlpack, torch.from_dlpack): the storage itself, no copy.
    __dlpack__ = _dlpack.export
    __dlpack_device__ = _dlpack.export_device

    def __len__(self) -> int:
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        return (self[i] for i in range(len(self)))

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise AmbiguousTruthError(
                f"the truth value of a Tensor of {self._data.size} elements (shape "
                f"{self.shape}) is ambiguous; use .any() or .all()"
            )
        return bool(self._data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __repr__(self) -> str:
        # lucid 2.x's form, for Parameters and Buffers too.
        return f"Tensor({self.data}, grad={self.grad}, device=cpu)"

    def __str__(self) -> str:
        return str(self.data)

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

    def requires_grad_(self, requires_grad: bool = True, *, mode: Any = None) -> Tensor:
        """Set ``requires_grad`` (``mode=`` is accepted for it) and return this tensor."""
        if mode is not None:
            requires_grad = mode
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self) -> bool:
        """True when no recorded operation made this tensor."""
        return self._ctx is None

    @property
    def grad_fn(self) -> Any:
        """The recorded operation (a lucid.autograd Function) that made the current
        values, None for a leaf; ``_op`` is lucid 2.x's name for it."""
        return self._ctx

    _op = grad_fn

    def backward(
        self,
        *args: Any,
        gradient: Any = None,
        keep_grad: Any = None,
        retain_graph: Any = None,
    ) -> None:
        """Accumulate gradients into the leaves. The seed is ``gradient`` (a Tensor or
        array of this tensor's shape, PyTorch's first argument), else ``grad``, else ones;
        a given seed adds to the grad this tensor keeps (a leaf's, or with keep_grad).
        A bool first argument is lucid 2.x's ``keep_grad`` (keep non-leaf gradients too).
        ``retain_graph`` is moot: the graph is always kept, as in lucid."""
        seed, keep = _backward_args(self, args, gradient, keep_grad, retain_graph)
        if seed is None:
            graph.backward(self, keep)
            return
        if not self.requires_grad:
            return  # as without a seed: nothing in the graph needs a gradient
        previous, self.grad = self.grad, seed
        try:
            graph.backward(self, keep)
        except BaseException:
            self.grad = previous
            raise
        if self._ctx is None or self.keep_grad or keep:
            if previous is not None:
                np.add(seed, previous, out=seed)
            self.grad = seed
        else:
            self.grad = previous

    def zero_grad(self) -> None:
        """Forget the gradient (``grad = None``), as lucid does."""
        self.grad = None

    @property
    def _version_counter(self) -> VersionCounter:
        """The storage's counter of in-place writes, shared with reshapes and detach();
        made on first use, since most tensors are never written nor saved for backward."""
        counter = self._counter
        if counter is None:
            counter = self._counter = VersionCounter()
        return counter

    @_version_counter.setter
    def _version_counter(self, counter: VersionCounter) -> None:
        self._counter = counter

    @property
    def _version(self) -> int:
        """How many in-place writes through lucid this tensor's storage has had."""
        return self._version_counter.value

    def detach(self) -> Tensor:
        """A leaf over the same storage (and version counter), not part of any graph."""
        out = Tensor._wrap(self._data)
        out._version_counter = self._version_counter
        return out

    # Element-wise == (bound by lucid._methods) makes tensors unhashable by default;
    # hash by identity, as lucid.
    __hash__ = object.__hash__

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


# The one reference back up: Function (below this module) wraps every op's output in
# Tensor. It receives the class here instead of importing this module.
function.set_tensor_class(Tensor)


def from_dlpack(x: Any, *, device: Any = None, copy: bool | None = None) -> Tensor:
    """A tensor with the values of ``x`` (anything with ``__dlpack__``). A lucid tensor's
    storage is shared, as ``detach()`` shares it; other memory cannot become Rust storage,
    so it is copied once and ``copy=False`` is a BufferError (lucid._dlpack)."""
    if isinstance(x, Tensor) and copy is not True:
        check_device(device)
        return x.detach()
    return Tensor._wrap(_dlpack.storage_values(x, device, copy))


def _values(data: Any, dtype: Any) -> np.ndarray:
    """A new storage holding ``data`` in the dtype the constructor's rules give."""
    from_python = not isinstance(data, (Tensor, np.ndarray, np.generic))
    try:
        src = data.data if isinstance(data, Tensor) else np.asarray(data)
    except ValueError as err:  # ragged nested lists
        raise ValueError(
            f"data must be rectangular (nested lists of equal length): {err}"
        ) from None
    if src.dtype.kind not in "biuf":
        raise TypeError(
            f"data must hold real numbers or bools; got {type(data).__name__} of dtype {src.dtype}"
        )
    target = _dtypes.inferred(src, from_python) if dtype is None else _dtypes.resolve(dtype)
    _dtypes.check_fits(src, target, "data")
    return _storage.copy_of(src, target)


def _backward_args(
    root: Tensor, args: tuple[Any, ...], gradient: Any, keep_grad: Any, retain_graph: Any
) -> tuple[np.ndarray | None, bool]:
    """backward's arguments, positional in lucid 2.x's order (keep_grad) or PyTorch's
    (gradient, retain_graph): the seed as new storage in the root's dtype, or None."""
    if len(args) > 2:
        raise TypeError(f"backward takes at most 2 positional arguments, got {len(args)}")
    named = {"gradient": gradient, "keep_grad": keep_grad, "retain_graph": retain_graph}
    flag = bool(args) and isinstance(args[0], (bool, np.bool_))
    names = ("keep_grad" if flag else "gradient", "retain_graph")[: len(args)]
    for name, value in zip(names, args, strict=True):
        if named[name] is not None:
            raise TypeError(f"backward: {name} given both positionally and by keyword")
        named[name] = value
    for name in ("keep_grad", "retain_graph"):
        if named[name] is not None and not isinstance(named[name], (bool, np.bool_)):
            raise TypeError(f"backward: {name} must be a bool, got {named[name]!r}")
    gradient, keep = named["gradient"], bool(named["keep_grad"])
    if gradient is None:
        return None, keep
    values = gradient.data if isinstance(gradient, Tensor) else np.asarray(gradient)
    if values.dtype.kind not in "biuf":
        raise TypeError(
            f"backward: gradient must be a Tensor or array of real numbers, got "
            f"{type(gradient).__name__} of dtype {values.dtype}"
        )
    if values.shape != root.shape:
        raise ValueError(
            f"backward: gradient has shape {values.shape} but the tensor has shape "
            f"{root.shape}; the seed gradient must have the tensor's shape"
        )
    return _storage.copy_of(values, root.dtype), keep


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
