"""What a dtype or device argument means: lucid 2.x's dtype objects (``lucid.Float32``,
``lucid.Int64``, ...), the one rule that turns any dtype argument into the numpy dtype a
tensor stores, and the one device, "cpu".

In lucid 2.x a dtype is a ``Numeric``: a kind (int, float, complex) and a width in bits,
or no width (``lucid.Float``, ``lucid.Int``: a float or an int of whatever width fits).
Here each sized one has a ``dtype`` attribute holding its numpy dtype, so numpy reads it
as that dtype (``np.dtype(lucid.Float64)``, ``np.zeros(2, lucid.Float64)``) and it
compares equal to it (``tensor.dtype == lucid.Float32``).

Storage holds float32, float64, int64 and bool only. lucid 2.x stores int8, int16,
int32 and float16 as they are rather than widening them, so here they are a TypeError
naming the dtype, never a silent change of width.

Tensors live in CPU memory; there is no GPU backend. A device argument is "cpu" (lucid
2.x's spelling) or None; anything else is an ``UnknownDeviceError`` (lucid 2.x's name), a
ValueError here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _storage

__all__ = [
    "NO",
    "YES",
    "Bool",
    "Char",
    "Complex",
    "Complex64",
    "DeviceFlag",
    "Double",
    "Float",
    "Float16",
    "Float32",
    "Float64",
    "Half",
    "Int",
    "Int8",
    "Int16",
    "Int32",
    "Int64",
    "Long",
    "Numeric",
    "Short",
    "UnknownDeviceError",
    "cast_dtype",
    "check_device",
    "default_float",
    "check_fits",
    "get_default_dtype",
    "inferred",
    "resolve",
    "set_default_dtype",
]

_F32, _F64, _I64 = np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int64)
_I64_MAX = np.iinfo(np.int64).max
_STORED = "tensors hold float32, float64, int64 or bool"

#: The dtype of a float tensor made without one (float64 unless set_default_dtype ran).
default_float = _storage.default_float


def get_default_dtype() -> np.dtype:
    """The default float dtype: float64 (lucid 2.x's), or what set_default_dtype chose."""
    return _storage.default_float()


def set_default_dtype(dtype: Any) -> None:
    """Make ``dtype`` (float32 or float64, in any spelling ``dtype=`` takes) the dtype of
    floats made without one: Python floats, factories such as zeros and randn, and new
    layers' parameters. Tensors that exist keep theirs. Other dtypes are a TypeError."""
    if dtype is Float:
        raise TypeError("set_default_dtype: dtype must be float32 or float64, got Float")
    resolved = resolve(dtype, "set_default_dtype: dtype")
    if resolved.kind != "f":
        raise TypeError(f"set_default_dtype: dtype must be float32 or float64, got {dtype!r}")
    _storage.set_default_float(resolved)


class Numeric:
    """A lucid 2.x dtype: ``base_dtype`` (int, float, complex or bool) and ``bits``
    (None for the unsized ``lucid.Int``, ``lucid.Float`` and ``lucid.Complex``).

    Two of them are equal only when they are the same object, as in lucid 2.x; a sized
    one also equals its numpy dtype (and hashes as it does, so either finds the other in
    a dict).
    """

    __slots__ = ("_name", "_numpy", "base_dtype", "bits")

    def __init__(self, name: str, base_dtype: type, bits: int | None, numpy_type: Any) -> None:
        self._name = name
        self.base_dtype = base_dtype
        self.bits = bits
        self._numpy = None if numpy_type is None else np.dtype(numpy_type)

    @property
    def is_bit_free(self) -> bool:
        """True for the unsized ``lucid.Int``, ``lucid.Float`` and ``lucid.Complex``."""
        return self._numpy is None

    @property
    def dtype(self) -> np.dtype:
        """The numpy dtype; unsized ones have none (AttributeError, so numpy refuses them)."""
        if self._numpy is None:
            raise AttributeError(f"lucid.{self._name} has no width, so no numpy dtype")
        return self._numpy

    @property
    def cpu(self) -> Any:
        """The numpy scalar type (lucid 2.x's name for it), None when unsized."""
        return None if self._numpy is None else self._numpy.type

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Numeric) or self._numpy is None:
            return self is other
        if not isinstance(other, (np.dtype, type, str)):
            return NotImplemented  # a tensor, say, has a dtype but is not one
        try:
            return bool(self._numpy == np.dtype(other))  # type: ignore[call-overload]
        except (TypeError, ValueError):
            return False

    def __hash__(self) -> int:
        return id(self) if self._numpy is None else hash(self._numpy)

    def __repr__(self) -> str:
        return f"lucid.{self._name}"

    def __str__(self) -> str:
        return self._name.lower()


Int = Numeric("Int", int, None, None)
Int8 = Numeric("Int8", int, 8, np.int8)
Int16 = Numeric("Int16", int, 16, np.int16)
Int32 = Numeric("Int32", int, 32, np.int32)
Int64 = Numeric("Int64", int, 64, np.int64)
Char, Short, Long = Int8, Int16, Int64

Float = Numeric("Float", float, None, None)
Float16 = Numeric("Float16", float, 16, np.float16)
Float32 = Numeric("Float32", float, 32, np.float32)
Float64 = Numeric("Float64", float, 64, np.float64)
Half, Double = Float16, Float64

Complex = Numeric("Complex", complex, None, None)
Complex64 = Numeric("Complex64", complex, 64, np.complex64)

#: Not a lucid 2.x name (there a bool tensor's dtype is Python's ``bool``): the same
#: dtype as ``bool`` and ``lucid.bool_``, spelled like the others.
Bool = Numeric("Bool", bool, 8, np.bool_)

# What an unsized dtype means where a tensor is made: Python's float and int mean the
# same here (the default float dtype, and int64). lucid 2.x refuses them there.
_UNSIZED: dict[int, Any] = {id(Float): _storage.default_float, id(Int): lambda: _I64}


def resolve(dtype: Any, name: str = "dtype") -> np.dtype:
    """The numpy dtype a tensor made with ``dtype`` stores: a lucid dtype object, a numpy
    dtype or type, its name, or Python's float (the default float dtype), int (int64) or
    bool.

    A dtype storage cannot hold is a TypeError naming it.
    """
    if isinstance(dtype, Numeric):
        if dtype._numpy is None:
            if id(dtype) not in _UNSIZED:
                raise TypeError(f"{name} must be float32, float64, int64 or bool, got {dtype!r}")
            return _UNSIZED[id(dtype)]()
        if dtype._numpy not in _storage.DTYPES:
            raise TypeError(
                f"{name} {dtype!r} ({dtype._numpy}) cannot be stored: {_STORED}; "
                "cast to one of them"
            )
        return dtype._numpy
    try:
        return _storage.resolve_dtype(dtype)
    except TypeError as err:
        raise TypeError(f"{name}: {err}") from None


def cast_dtype(dtype: Any, current: np.dtype) -> np.dtype:
    """The dtype ``astype(dtype)`` gives a tensor of dtype ``current``.

    As ``resolve``, except the unsized ones, which keep the width as in lucid 2.x where
    storage allows: ``lucid.Float`` leaves a float tensor's dtype as it is and makes
    int64 and bool float64 (lucid 2.x's results); ``lucid.Int`` gives int64, the one
    integer dtype stored (lucid 2.x gives float32 int32 and bool int8).
    """
    if dtype is Float:
        return current if current.kind == "f" else _F64
    if dtype is Int:
        return _I64
    return resolve(dtype)


# ---- inference from data ------------------------------------------------------------


def inferred(src: np.ndarray, from_python: bool) -> np.dtype:
    """The dtype a tensor made from ``src`` gets when none is asked for (see ``Tensor``):
    numpy's inference, with Python floats in the default float dtype."""
    dtype = src.dtype.newbyteorder("=")  # a big-endian float64 is a float64 all the same
    if dtype == np.bool_:
        return dtype
    if dtype.kind in "iu":
        return _I64 if dtype not in _storage.DTYPES else dtype
    if from_python:
        return _storage.default_float()  # numpy infers float64; set_default_dtype may differ
    return dtype if dtype in _storage.DTYPES else _F32


def check_fits(src: np.ndarray, target: np.dtype, name: str) -> None:
    """Unsigned values above 2**63 - 1 would wrap to negative int64s: a ValueError."""
    if src.dtype.kind == "u" and target == _I64 and src.size and src.max() > _I64_MAX:
        raise ValueError(f"{name} must fit int64, got {src.dtype} value {src.max()} > 2**63 - 1")


# ---- devices ------------------------------------------------------------------------


class UnknownDeviceError(ValueError):
    """A device other than the CPU (lucid 2.x's name for the error; a ValueError here)."""


def check_device(device: Any, name: str = "device") -> str:
    """``device`` as lucid's one device, "cpu"; None means it too. Anything else ("gpu",
    "cuda", "mps", an index) is an UnknownDeviceError naming it."""
    if device is None or (isinstance(device, str) and device == "cpu"):
        return "cpu"
    raise UnknownDeviceError(
        f"{name} must be 'cpu' (tensors live in CPU memory here; there is no GPU backend), "
        f"got {device!r}"
    )


class DeviceFlag(int):
    """A bool that may also be called: lucid 2.x's ``t.is_cpu()`` and PyTorch's
    ``t.is_cpu`` both read it."""

    def __call__(self) -> bool:
        return bool(self)

    def __repr__(self) -> str:
        return repr(bool(self))


YES, NO = DeviceFlag(1), DeviceFlag(0)
