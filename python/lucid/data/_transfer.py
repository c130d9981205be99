"""A batch sent from a worker process to the loader's process in one transfer.

The worker sends a header (the batch's structure, each array replaced by a slot naming
its dtype and shape) through its result pipe, then every array's raw bytes on the same
pipe. The loader reads the header, makes each array's new Rust storage and reads the
bytes straight into it (``os.readv`` on the pipe's descriptor), so each value is copied
once, by the kernel, from the worker's memory into the Tensor's storage; nothing
pickles the values. Where ``os.readv`` is missing (Windows) the bytes go as messages of
the connection instead, which copies once more.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from lucid import _storage
from lucid._tensor import Tensor

__all__ = ["read_batch", "send_batch", "skip_batch"]

_RAW = hasattr(os, "readv")


class _Slot:
    """Array ``index`` of the batch; a Tensor of ``cls`` if cls is not None."""

    __slots__ = ("cls", "index", "requires_grad")

    def __init__(self, index: int, cls: Any, requires_grad: bool) -> None:
        self.index, self.cls, self.requires_grad = index, cls, requires_grad

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Slot, (self.index, self.cls, self.requires_grad))


def _split(obj: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(obj, Tensor):
        arrays.append(np.ascontiguousarray(obj.data))
        return _Slot(len(arrays) - 1, type(obj), bool(obj.requires_grad))
    if isinstance(obj, np.ndarray) and obj.dtype.kind in "biufc":
        arrays.append(np.ascontiguousarray(obj))
        return _Slot(len(arrays) - 1, None, False)
    if isinstance(obj, tuple):
        items = [_split(x, arrays) for x in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    if isinstance(obj, list):
        return [_split(x, arrays) for x in obj]
    if isinstance(obj, dict):
        return {k: _split(v, arrays) for k, v in obj.items()}
    return obj


def _join(obj: Any, arrays: list[np.ndarray]) -> Any:
    if isinstance(obj, _Slot):
        values = arrays[obj.index]
        return values if obj.cls is None else obj.cls._wrap(values, obj.requires_grad)
    if isinstance(obj, tuple):
        items = [_join(x, arrays) for x in obj]
        return type(obj)(*items) if hasattr(obj, "_fields") else tuple(items)
    if isinstance(obj, list):
        return [_join(x, arrays) for x in obj]
    if isinstance(obj, Mapping):
        return {k: _join(v, arrays) for k, v in obj.items()}
    return obj


def _bytes(array: np.ndarray) -> memoryview:
    flat: Any = array.reshape(-1).view(np.uint8)
    return memoryview(flat)


def send_batch(conn: Connection, head: tuple[Any, ...], batch: Any) -> None:
    """Send ``head + (structure, layouts)`` and then the arrays' bytes."""
    arrays: list[np.ndarray] = []
    structure = _split(batch, arrays)
    conn.send((*head, structure, [(a.dtype.str, a.shape) for a in arrays]))
    for array in arrays:
        if not array.nbytes:
            continue
        view = _bytes(array)
        if not _RAW:
            conn.send_bytes(view)
            continue
        fd = conn.fileno()
        while view.nbytes:
            view = view[os.write(fd, view) :]


def _read_into(conn: Connection, out: np.ndarray) -> None:
    if not out.nbytes:
        return
    view = _bytes(out)
    if not _RAW:
        conn.recv_bytes_into(view)
        return
    fd, done = conn.fileno(), 0
    while done < view.nbytes:
        got = os.readv(fd, [view[done:]])
        if got == 0:
            raise EOFError("the worker's pipe closed in the middle of a batch")
        done += got


def _new_array(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    resolved = np.dtype(dtype)
    if resolved.newbyteorder("=") in _storage.DTYPES and resolved.isnative:
        return _storage.empty(tuple(shape), resolved)
    return np.empty(shape, resolved)


def read_batch(conn: Connection, structure: Any, layouts: list[tuple[str, Any]]) -> Any:
    """The batch whose header gave ``structure`` and ``layouts``: its arrays read into
    new storage (Tensors' dtypes) or numpy arrays (other dtypes)."""
    arrays = []
    for dtype, shape in layouts:
        out = _new_array(dtype, shape)
        _read_into(conn, out)
        arrays.append(out)
    return _join(structure, arrays)


def skip_batch(conn: Connection, layouts: list[tuple[str, Any]]) -> None:
    """Read and drop the arrays of a batch nobody waits for any more."""
    for dtype, shape in layouts:
        _read_into(conn, np.empty(shape, np.dtype(dtype)))
