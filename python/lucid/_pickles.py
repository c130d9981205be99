"""Reading the pickles lucid 2.x's ``lucid.save`` wrote, without running their code.

lucid 2.x pickles ``{"type": ..., "format_version": 1.1, "content": ...}``: a Tensor's
values as a numpy array (type "Tensor"), or a state dict of numpy arrays (type "dict" or
"OrderedDict"). The unpickler here admits only what such files hold: numpy arrays and
scalars of bool, integer, float and complex dtypes, lucid 2.x Tensors and Parameters
(as a plain class pickles them: the class, then its attribute dict), OrderedDict, and
what pickle builds without a global (numbers, strings, bytes, None, lists, tuples,
dicts). Every admitted global is a stand-in of this module, never numpy's or lucid's
own constructor, so no size the file claims is allocated before it is checked against
the bytes present. Any other global is refused by name before it is looked up.
"""

from __future__ import annotations

import io
import pickle
from collections import OrderedDict
from typing import Any

import numpy as np

from lucid import _storage
from lucid._tensor import Tensor
from lucid.nn.parameter import Parameter

__all__ = ["FORMAT_VERSION", "RefusedGlobal", "load_lucid2"]

FORMAT_VERSION = 1.1  # lucid 2.x's lucid.port.FORMAT_VERSION
_MAX_DEPTH = 1000  # as lucid.save's manifest
_KINDS = "biufc"  # bool, ints, floats, complex: never object, void or structured


class RefusedGlobal(pickle.UnpicklingError):
    """The pickle names a global that loading a checkpoint does not admit."""


class _Dtype:
    """numpy.dtype(descr, align, copy) and its BUILD state, checked before numpy sees it."""

    def __init__(self, descr: Any, align: Any = False, copy: Any = False) -> None:
        if not isinstance(descr, str) or len(descr) > 8:
            raise pickle.UnpicklingError(f"a dtype is described by {descr!r:.40}")
        self.dtype = np.dtype(descr)
        if self.dtype.kind not in _KINDS or self.dtype.fields is not None:
            raise pickle.UnpicklingError(
                f"an array has dtype {self.dtype}: lucid reads bool, integer, float and "
                "complex arrays, and never loads pickled objects"
            )

    def __setstate__(self, state: Any) -> None:
        # (version, byteorder, subarray, names, fields, elsize, alignment, flags)
        if not (
            isinstance(state, tuple)
            and len(state) == 8
            and state[1] in ("<", ">", "|", "=")
            and state[2:5] == (None, None, None)
        ):
            raise pickle.UnpicklingError(f"a dtype has the state {state!r:.80}")
        if state[1] != "|":
            self.dtype = self.dtype.newbyteorder(state[1])


_NDARRAY = object()  # numpy.ndarray, only ever an argument of _reconstruct


class _Array:
    """numpy's _reconstruct(ndarray, (0,), b'b') and its BUILD state, the real array."""

    def __init__(self, subtype: Any, *_: Any) -> None:
        if subtype is not _NDARRAY:
            raise pickle.UnpicklingError("an array of a class other than numpy.ndarray")
        self.array: np.ndarray | None = None

    def __setstate__(self, state: Any) -> None:
        # (version, shape, dtype, is_fortran, raw bytes)
        if not (isinstance(state, tuple) and len(state) == 5):
            raise pickle.UnpicklingError(f"an array has the state {state!r:.80}")
        _, shape, dtype, fortran, raw = state
        if not (
            isinstance(shape, tuple)
            and all(type(n) is int and n >= 0 for n in shape)
            and isinstance(dtype, _Dtype)
            and isinstance(fortran, bool)
            and isinstance(raw, bytes)
        ):
            raise pickle.UnpicklingError(f"an array has the state {state!r:.80}")
        size = 1
        for n in shape:
            size *= n
        if size * dtype.dtype.itemsize != len(raw):
            raise pickle.UnpicklingError(
                f"an array of shape {shape} and dtype {dtype.dtype} needs "
                f"{size * dtype.dtype.itemsize} bytes, but the file holds {len(raw)}"
            )
        flat = np.frombuffer(raw, dtype.dtype)  # read-only over the file's bytes: copied
        view = flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
        native = dtype.dtype in _storage.DTYPES  # native byte order: into storage
        self.array = _storage.copy_of(view, dtype.dtype) if native else view.copy()


def _scalar(dtype: Any, raw: Any) -> np.generic:
    """numpy's multiarray.scalar(dtype, bytes)."""
    if not (isinstance(dtype, _Dtype) and isinstance(raw, bytes)):
        raise pickle.UnpicklingError("a numpy scalar without a dtype and its bytes")
    if len(raw) != dtype.dtype.itemsize:
        raise pickle.UnpicklingError(f"a {dtype.dtype} scalar of {len(raw)} bytes")
    return np.frombuffer(raw, dtype.dtype)[0]


def _complex(real: Any, imag: Any = 0.0) -> complex:
    """builtins.complex(real, imag), as pickle writes a complex number."""
    if not all(type(part) in (int, float) for part in (real, imag)):
        raise pickle.UnpicklingError(f"complex of {real!r:.40} and {imag!r:.40}")
    return complex(real, imag)


class _Tensor2:
    """A lucid 2.x Tensor as pickle rebuilds a plain object: new, then its attributes."""

    parameter = False

    def __setstate__(self, state: Any) -> None:
        if not isinstance(state, dict) or not isinstance(state.get("data"), _Array):
            raise pickle.UnpicklingError("a lucid 2.x Tensor without its data array")
        self.state = state


class _Parameter2(_Tensor2):
    parameter = True


_NUMPY = {"numpy.core.multiarray", "numpy._core.multiarray"}
_ADMITTED: dict[tuple[str, str], Any] = {
    **{(module, "_reconstruct"): _Array for module in _NUMPY},
    **{(module, "scalar"): _scalar for module in _NUMPY},
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _Dtype,
    ("collections", "OrderedDict"): OrderedDict,
    ("builtins", "complex"): _complex,
    ("lucid._tensor.tensor", "Tensor"): _Tensor2,
    ("lucid.nn.parameter", "Parameter"): _Parameter2,
}


class _Unpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        found = _ADMITTED.get((module, name))
        if found is None:
            raise RefusedGlobal(
                f"it refuses the global {module}.{name}: a checkpoint may hold only numpy "
                "arrays, lucid Tensors, numbers, strings, bytes and containers"
            )
        return found

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("it refers to a persistent object")


def _leaf(node: Any) -> Any:
    if node is None or isinstance(node, (bool, int, float, complex, str, bytes, np.generic)):
        return node
    if isinstance(node, _Array):
        if node.array is None:
            raise pickle.UnpicklingError("an array without its state")
        return node.array
    if isinstance(node, _Tensor2):
        data = node.state["data"].array
        if data is None or data.dtype.newbyteorder("=") not in _storage.DTYPES:
            raise pickle.UnpicklingError("a lucid 2.x Tensor's data is not a tensor's dtype")
        cls = Parameter if node.parameter else Tensor
        requires_grad = node.state.get("requires_grad", node.parameter) is True
        return cls._wrap(_storage.copy_of(data, data.dtype.newbyteorder("=")), requires_grad)
    if isinstance(node, _Dtype):
        return node.dtype
    raise pickle.UnpicklingError(f"it holds a {type(node).__name__}")


def _children(node: Any) -> list[Any]:
    if isinstance(node, dict):
        return [item for pair in node.items() for item in pair]
    return list(node)


def _rebuild(node: Any, done: dict[int, Any]) -> Any:
    if isinstance(node, dict):
        out = OrderedDict() if isinstance(node, OrderedDict) else {}
        for key, value in node.items():
            out[done[id(key)]] = done[id(value)]
        return out
    items = [done[id(child)] for child in node]
    return items if type(node) is list else tuple(items)


def _resolve(root: Any) -> Any:
    """The stand-ins in ``root`` replaced by arrays and Tensors, without recursion; a
    cycle or nesting deeper than _MAX_DEPTH is refused."""
    done: dict[int, Any] = {}  # id of an unpickled object → what it becomes
    open_: set[int] = set()  # the containers on the path from the root
    stack: list[tuple[Any, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, closing = stack.pop()
        key = id(node)
        if closing:
            open_.discard(key)
            done[key] = _rebuild(node, done)
            continue
        if key in open_:
            raise pickle.UnpicklingError("it contains itself")
        if key in done:
            continue
        if type(node) not in (list, tuple, dict, OrderedDict):
            done[key] = _leaf(node)
            continue
        if depth >= _MAX_DEPTH:
            raise pickle.UnpicklingError(f"it nests deeper than {_MAX_DEPTH} levels")
        open_.add(key)
        stack.append((node, depth, True))
        stack.extend((child, depth + 1, False) for child in reversed(_children(node)))
    return done[id(root)]


def load_lucid2(data: bytes) -> Any:
    """What lucid 2.x's lucid.load returns for the file holding ``data``, with our Tensors:
    a Tensor for type "Tensor", the state dict for "dict" and "OrderedDict"."""
    doc = _Unpickler(io.BytesIO(data)).load()
    if not (isinstance(doc, dict) and {"type", "format_version", "content"} <= doc.keys()):
        raise pickle.UnpicklingError("it is not a lucid 2.x checkpoint")
    if doc["format_version"] != FORMAT_VERSION:
        raise pickle.UnpicklingError(
            f"incompatible format version: {doc['format_version']!r} != {FORMAT_VERSION}"
        )
    kind, content = doc["type"], _resolve(doc["content"])
    if kind == "Tensor" and isinstance(content, np.ndarray):
        dtype = content.dtype.newbyteorder("=")
        if dtype not in _storage.DTYPES:
            raise pickle.UnpicklingError(f"a Tensor of dtype {content.dtype}")
        return Tensor._wrap(_storage.copy_of(content, dtype), requires_grad=False)
    if kind in ("dict", "OrderedDict") and isinstance(content, dict):
        return content
    raise pickle.UnpicklingError(f"unsupported data type in file: {kind!r:.40}")
