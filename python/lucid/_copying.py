"""Copies and pickles of tensors: new Rust storage with the same values, never the graph.

``Tensor.__copy__``, ``__deepcopy__`` and ``__reduce_ex__`` (lucid._tensor) call these.

- Every copy owns new storage holding the values and, if there is one, the gradient.
  ``copy.copy`` too: a shallow copy of a list, bytearray or numpy array has slots of
  its own, and a Tensor's values are its slots. ``detach()`` shares storage instead.
- A copy is a leaf. The graph that made a non-leaf is not copied (its inputs and saved
  tensors would come along, and gradients would flow into copies of them that nothing
  uses); ``requires_grad``, ``keep_grad``, ``grad``, dtype and type are kept. So a copy
  of a non-leaf is what PyTorch's pickle gives, and a Module that holds one copies.
- Attributes a user set on a tensor are kept: shared by ``copy.copy``, copied by
  ``copy.deepcopy`` and pickle. The same tensor reached twice in one copy or pickle
  stays one tensor (copy's memo, pickle's memo); two tensors over one storage (a tensor
  and its ``detach()``) become two storages.
- A pickle holds each array's raw bytes with its dtype string and shape, so it names no
  numpy internals; from protocol 5 the bytes are a PickleBuffer (out of band with a
  ``buffer_callback``). Unpickling copies them once into new storage.
"""

from __future__ import annotations

import copy
import math
import pickle
from typing import Any, SupportsIndex

import numpy as np

from lucid import _storage

__all__ = ["copy_tensor", "rebuild_tensor", "reduce_args"]

# Per class, the attribute names Tensor._wrap sets: rebuilt fresh, never carried over.
_OWN_KEYS: dict[type, frozenset[str]] = {}


def _own_keys(cls: Any) -> frozenset[str]:
    keys = _OWN_KEYS.get(cls)
    if keys is None:
        fresh = cls._wrap(_storage.empty((0,), np.float32))
        keys = _OWN_KEYS[cls] = frozenset(fresh.__dict__)
    return keys


def _extra(tensor: Any) -> dict[str, Any]:
    own = _own_keys(type(tensor))
    return {k: v for k, v in tensor.__dict__.items() if k not in own}


def copy_tensor(tensor: Any, memo: dict[int, Any] | None) -> Any:
    """A copy of ``tensor`` as described above: shallow for ``memo=None``, else deep."""
    new = type(tensor)._wrap(_storage.copy_of(tensor.data), tensor.requires_grad)
    if memo is not None:
        memo[id(tensor)] = new  # before the attributes, which may refer back to it
    new.keep_grad = tensor.keep_grad
    if tensor.grad is not None:
        new.grad = _storage.copy_of(tensor.grad)
    extra = _extra(tensor)
    new.__dict__.update(extra if memo is None else copy.deepcopy(extra, memo))
    return new


def _packed(array: Any, protocol: int) -> tuple[Any, str, tuple[int, ...]]:
    array = np.asarray(array)
    if not array.flags.c_contiguous:  # not ascontiguousarray, which makes a 0-d array 1-d
        array = array.copy(order="C")
    raw = pickle.PickleBuffer(array) if protocol >= 5 else array.tobytes()
    return raw, array.dtype.str, array.shape


def reduce_args(tensor: Any, protocol: SupportsIndex) -> tuple[tuple[Any, ...], Any]:
    """The arguments of ``lucid._tensor._rebuild_tensor`` for ``tensor``, and the state
    (its extra attributes, or None) that unpickling puts in the new tensor's __dict__."""
    protocol = int(protocol)
    grad = None if tensor.grad is None else _packed(tensor.grad, protocol)
    args = (
        type(tensor),
        *_packed(tensor.data, protocol),
        bool(tensor.requires_grad),
        bool(tensor.keep_grad),
        grad,
    )
    return args, (_extra(tensor) or None)


def _unpacked(raw: Any, dtype: str, shape: Any, name: str) -> np.ndarray:
    source = np.dtype(dtype)
    target = _storage.resolve_dtype(source.newbyteorder("="))
    shape = tuple(int(s) for s in shape)
    nbytes, needed = memoryview(raw).nbytes, source.itemsize * math.prod(shape)
    if nbytes != needed:
        raise ValueError(f"{name} has {nbytes} bytes, shape {shape} of {target} needs {needed}")
    return _storage.copy_of(np.frombuffer(raw, source).reshape(shape), target)


def rebuild_tensor(
    cls: Any, raw: Any, dtype: str, shape: Any, requires_grad: bool, keep_grad: bool, grad: Any
) -> Any:
    """The tensor ``reduce_args`` describes, in new storage."""
    tensor = cls._wrap(_unpacked(raw, dtype, shape, "data"), requires_grad)
    tensor.keep_grad = keep_grad
    if grad is not None:
        grad_raw, grad_dtype, grad_shape = grad
        tensor.grad = _unpacked(grad_raw, grad_dtype, grad_shape, "grad")
    return tensor
