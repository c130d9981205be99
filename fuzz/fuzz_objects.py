"""The fuzz target's ops for what Python does with lucid._C besides calling it with
plausible arguments: the buffer protocol with any request flags (through the C API),
copying, pickling, subclassing and constructing its objects, and every module function
with arbitrary positional and keyword arguments."""

from __future__ import annotations

import copy
import ctypes
import pickle
import weakref

import fuzz_checks as fc
import fuzz_inputs as fi
from fuzz_inputs import STORAGE_DTYPES, Ctx, one_in

from lucid import _C


class PyBuffer(ctypes.Structure):
    """CPython's Py_buffer, to ask Storage for its buffer with any flags."""

    _fields_ = [
        ("buf", ctypes.c_void_p),
        ("obj", ctypes.py_object),
        ("len", ctypes.c_ssize_t),
        ("itemsize", ctypes.c_ssize_t),
        ("readonly", ctypes.c_int),
        ("ndim", ctypes.c_int),
        ("format", ctypes.c_char_p),
        ("shape", ctypes.POINTER(ctypes.c_ssize_t)),
        ("strides", ctypes.POINTER(ctypes.c_ssize_t)),
        ("suboffsets", ctypes.POINTER(ctypes.c_ssize_t)),
        ("internal", ctypes.c_void_p),
    ]


def op_buffer(ctx: Ctx) -> None:
    """Storage.__getbuffer__ with arbitrary request flags, through the C API."""
    fdp = ctx.fdp
    s = _C.Storage(fdp.PickValueInList(STORAGE_DTYPES), fdp.ConsumeIntInRange(0, 100))
    flags = (
        fdp.ConsumeIntInRange(0, 0x3FF)
        if fdp.ConsumeBool()
        else fdp.PickValueInList(
            [0, 0x1, 0x4, 0x8, 0x18, 0x1C, 0x3C, 0x5C, 0x9C, 0x11C, 0x1D, 0x11D]
        )
    )
    view = PyBuffer()
    get = ctypes.pythonapi.PyObject_GetBuffer
    get.argtypes = [ctypes.py_object, ctypes.POINTER(PyBuffer), ctypes.c_int]
    get(s, ctypes.byref(view), flags)  # a refusal raises BufferError (not one here)
    try:
        assert view.len == s.nbytes and view.obj is s and view.readonly == 0, flags
        assert view.buf % 64 == 0 or not s.nbytes, "buffers are 64-byte aligned"
        assert bool(view.shape) == bool(flags & 0x8) and bool(view.format) == bool(flags & 0x4)
        if view.shape:
            assert view.shape[0] == s.numel and view.ndim == 1
        if view.strides:
            assert view.strides[0] == view.itemsize == s.nbytes // max(s.numel, 1) or not s.numel
    finally:
        ctypes.pythonapi.PyBuffer_Release(ctypes.byref(view))


def op_objects(ctx: Ctx) -> None:
    """What else Python may do with a _C object: copy, pickle, subclass, set attributes,
    construct a Mask, call a method with the wrong arguments."""
    fdp = ctx.fdp
    mask = _C.dropout_mask(fdp.ConsumeIntInRange(0, 9), 0.5, _C.Generator(1))
    obj = fdp.PickValueInList([_C.Storage("float64", 3), _C.Generator(1), mask])
    pick = fdp.ConsumeIntInRange(0, 6)
    try:
        if pick == 0:
            how = fdp.PickValueInList(["copy", "deepcopy", "pickle", "weakref"])
            if how == "weakref":
                weakref.ref(obj)
            elif isinstance(obj, _C.Storage):  # tensors pickle their values, not storages
                fdp.PickValueInList([copy.copy, copy.deepcopy, pickle.dumps])(obj)
            else:
                protocol = fdp.ConsumeIntInRange(2, 5)
                copies = {"copy": copy.copy, "deepcopy": copy.deepcopy}
                twin = (
                    copies[how](obj) if how in copies else pickle.loads(pickle.dumps(obj, protocol))
                )
                fc.twin(obj, twin)
        elif pick == 1:
            type("Sub", (type(obj),), {})
        elif pick == 2:
            setattr(obj, fdp.PickValueInList(["dtype", "seed", "a", "numel", "x"]), 1)
        elif pick == 3:
            type(obj)(*[fi.wild(ctx) for _ in range(fdp.ConsumeIntInRange(0, 3))])
        else:
            shown = ("__len__", "__repr__", "__reduce__", "__setstate__")
            names = [n for n in dir(obj) if not n.startswith("__") or n in shown]
            method = getattr(obj, fdp.PickValueInList(sorted(names)))
            if callable(method):
                args = [fi.wild(ctx) for _ in range(fdp.ConsumeIntInRange(0, 3))]
                kwargs = {"bogus": 1} if one_in(fdp, 4) else {}
                method(*args, **kwargs)
    except AttributeError:  # read-only attributes of a frozen class
        if pick != 2:
            raise


def op_arity(ctx: Ctx) -> None:
    """A module function with arbitrary positional and keyword arguments."""
    fdp = ctx.fdp
    f = fdp.PickValueInList(FUNCTIONS)
    args = [fi.wild(ctx) for _ in range(fdp.ConsumeIntInRange(0, 6))]
    names = ["x", "dy", "p", "kind", "chunk", "mask", "row", "numel", "generator", "src", "q",
             "approximate", "alpha", "scale"]  # fmt: skip
    kwargs = {fdp.PickValueInList(names): fi.wild(ctx) for _ in range(fdp.ConsumeIntInRange(0, 2))}
    if f.__name__ == "dropout_mask" and args and isinstance(args[0], int) and args[0] > fi.LARGE:
        ctx.absurd = True
    f(*args, **kwargs)


# set_num_threads is left out: a wild count would start thousands of threads per call
# (its refusals are tested in tests/hardening/test_fork.py).
FUNCTIONS = [
    getattr(_C, n) for n in sorted(vars(_C)) if callable(getattr(_C, n)) and not n.startswith("_")
    and not isinstance(getattr(_C, n), type) and n != "set_num_threads"
]  # fmt: skip
