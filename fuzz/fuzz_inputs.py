"""Arbitrary arguments for lucid._C, built from a data provider.

The provider is atheris's FuzzedDataProvider, or `RandomProvider` below when atheris is
missing (the same few methods, fed by a seeded `random.Random`). Sizes are capped: a
size argument is either small (so a run never allocates much) or absurd (2**47 elements
and more, which no machine can allocate, so the call must fail at once).
"""

from __future__ import annotations

import random
import struct

import numpy as np

from lucid import _C

SMALL = 5000  # most arrays: up to this many elements
LARGE = 70_000  # now and then: more than DEFAULT_CHUNK (65,536), so several chunks
# The smallest "absurd" size: 2**47 elements need more bytes than a 47-bit address
# space holds, so the allocation fails at once whatever the overcommit policy.
ABSURD = 1 << 47

# Native float32 / float64 are what the kernels take; the rest must be refused cleanly.
FLOATS = [np.dtype(np.float32), np.dtype(np.float64)]
OTHERS = [
    np.dtype(">f4"),
    np.dtype(">f8"),
    np.dtype(np.float16),
    np.dtype(np.int64),
    np.dtype(np.int32),
    np.dtype(np.bool_),
    np.dtype(np.uint8),
    np.dtype(np.complex64),
    np.dtype(np.complex128),
    np.dtype(object),
    np.dtype("U2"),
    np.dtype([("a", "<f4"), ("b", "<f4")]),
]
SPECIAL = [0.0, -0.0, 1.0, -1.0, np.nan, -np.nan, np.inf, -np.inf, 5e-324, 1e-45, 3.4e38, 1e308]
STORAGE_DTYPES = ["float32", "float64", "int64", "bool"]
FLOAT_NAMES = ["float32", "float64"]
KINDS = ["alpha", "standard"]
GELU_FORMS = ["none", "tanh"]
WEIRD_STRINGS = ["", "ALPHA", "alpha\x00", "alpha ", "float32\x00", "é", "\U0001f600", "float"]


class RandomProvider:
    """The methods of atheris.FuzzedDataProvider that the target uses, from a seed."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def ConsumeIntInRange(self, lo: int, hi: int) -> int:  # noqa: N802 (atheris's names)
        return self.rng.randint(lo, hi)

    def ConsumeBool(self) -> bool:  # noqa: N802
        return self.rng.random() < 0.5

    def PickValueInList(self, values: list):  # noqa: N802
        return self.rng.choice(values)

    def ConsumeBytes(self, n: int) -> bytes:  # noqa: N802
        return self.rng.randbytes(n)

    def ConsumeFloat(self) -> float:  # noqa: N802
        return struct.unpack("<d", self.rng.randbytes(8))[0]

    def ConsumeUnicodeNoSurrogates(self, n: int) -> str:  # noqa: N802
        return "".join(chr(self.rng.randint(1, 0xD7FF)) for _ in range(self.rng.randint(0, n)))


class Ctx:
    """One input's provider and what its arguments were: `tame` inputs (half of them)
    get only plausible arguments, so the calls get past the checks to the kernels;
    `absurd` says a size was absurd, so a MemoryError is an answer, not a finding."""

    def __init__(self, fdp) -> None:
        self.fdp = fdp
        self.tame = fdp.ConsumeBool()
        self.absurd = False

    def odd(self, n: int) -> bool:
        """True one time in n, never for a tame input."""
        return not self.tame and one_in(self.fdp, n)


def one_in(fdp, n: int) -> bool:
    return fdp.ConsumeIntInRange(0, n - 1) == 0


def float_value(fdp) -> float:
    """A float that is often special (NaN, infinities, signed zero, subnormal, huge)."""
    if fdp.ConsumeBool():
        return fdp.PickValueInList(SPECIAL)
    return fdp.ConsumeFloat()


def probability(ctx: Ctx) -> object:
    """Mostly a valid p in [0, 1] (0 and 1 included); sometimes anything."""
    fdp = ctx.fdp
    if ctx.odd(4):
        return float_value(fdp) if fdp.ConsumeBool() else wild(ctx)
    if one_in(fdp, 3):
        return fdp.PickValueInList([0.0, 1.0, 0.5, 1e-300, 1 - 1e-16, np.float32(0.3), 0, 1])
    return fdp.ConsumeIntInRange(0, 1000) / 1000


def size(ctx: Ctx, cap: int = SMALL) -> object:
    """A count: small, absurd (2**47 and up), out of range, or not an int at all."""
    fdp = ctx.fdp
    if ctx.odd(4):
        pick = fdp.ConsumeIntInRange(0, 4)
        if pick < 2:
            ctx.absurd = True
            return fdp.ConsumeIntInRange(ABSURD, (1 << 64) - 1)
        if pick < 4:
            return fdp.PickValueInList([-1, -(1 << 63), 1 << 64, 1 << 200])
        return wild(ctx)
    return fdp.ConsumeIntInRange(0, cap)


def chunk(ctx: Ctx) -> object:
    """None (the default), a multiple of 4096 (or only of 64), or something invalid."""
    fdp = ctx.fdp
    if ctx.odd(5):
        if fdp.ConsumeBool():
            return fdp.PickValueInList([0, 1, 63, 65, 4095, 4097, -4096, 1 << 64, 1 << 63])
        return wild(ctx)
    pick = fdp.ConsumeIntInRange(0, 4)
    if pick < 2:
        return None
    if pick < 4:
        return 4096 * fdp.ConsumeIntInRange(1, 20)
    return 64 * fdp.ConsumeIntInRange(1, 100)  # refused unless a multiple of 4096


def kind(ctx: Ctx, names: list[str] = KINDS) -> object:
    """One of `names` (a dropout kind, by default), now and then any string or object."""
    fdp = ctx.fdp
    if ctx.odd(5):
        if fdp.ConsumeBool():
            return fdp.PickValueInList(WEIRD_STRINGS + [fdp.ConsumeUnicodeNoSurrogates(8)])
        return wild(ctx)
    return fdp.PickValueInList(names)


def elu_parameter(ctx: Ctx) -> object:
    """alpha or scale: plausible values (SELU's among them), now and then a
    non-finite, out-of-type or any other value."""
    fdp = ctx.fdp
    if ctx.odd(6):
        return (
            fdp.PickValueInList([np.nan, np.inf, -np.inf, True, "1.0", None, 10**400])
            if fdp.ConsumeBool()
            else wild(ctx)
        )
    return fdp.PickValueInList(
        [1.0, 1.6732632423543772, 1.0507009873554805, 0.5, 0.0, 2, -1.0, 1e-3]
    )


def seed(ctx: Ctx) -> object:
    fdp = ctx.fdp
    if ctx.odd(5):
        odd = [-1, -(1 << 63), -(1 << 63) - 1, 1 << 64, 1.0, None, "0", True, np.int64(-5)]
        return fdp.PickValueInList(odd + [np.uint64(7)])
    if one_in(fdp, 3):
        return fdp.PickValueInList([0, 1, (1 << 64) - 1, (1 << 64) - 64, (1 << 63)])
    return fdp.ConsumeIntInRange(0, (1 << 64) - 1)


def storage_dtype(ctx: Ctx) -> object:
    fdp = ctx.fdp
    if ctx.odd(5):
        return fdp.PickValueInList(WEIRD_STRINGS + ["float16", "complex64", "Float32", None, 4])
    return fdp.PickValueInList(STORAGE_DTYPES)


def wild(ctx: Ctx) -> object:
    """Any Python object: the wrong type for most parameters. An int is small or
    absurd, as `size` makes them, since it may land on a size parameter."""
    fdp = ctx.fdp
    pick = fdp.ConsumeIntInRange(0, 11)
    if pick == 0:
        return None
    if pick == 1:
        v = fdp.ConsumeIntInRange(-(1 << 70), 1 << 70)
        if v > LARGE:
            ctx.absurd = True
            v = max(v, ABSURD)
        return np.int64(v) if -(1 << 63) <= v < 1 << 63 and one_in(fdp, 4) else v
    if pick == 2:
        return float_value(fdp)
    if pick == 3:
        return fdp.ConsumeUnicodeNoSurrogates(6)
    if pick == 4:
        return fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 16))
    if pick == 5:
        return [float_value(fdp) for _ in range(fdp.ConsumeIntInRange(0, 4))]
    if pick == 6:
        return complex(float_value(fdp), 1.0)
    if pick == 7:
        return _C.Storage("float32", fdp.ConsumeIntInRange(0, 8))
    if pick == 8:
        return _C.Generator(fdp.ConsumeIntInRange(0, 9))
    if pick == 9:
        return _C.dropout_mask(fdp.ConsumeIntInRange(0, 130), 0.5, _C.Generator(0))
    if pick == 10:
        return memoryview(bytearray(fdp.ConsumeBytes(8)))
    return np.float32(float_value(fdp))


def array(ctx: Ctx) -> object:
    """An array of arbitrary dtype, shape, strides, alignment and flags (a tame input
    gets a native float32 / float64 array the kernels take), or now and then not an
    array at all."""
    fdp = ctx.fdp
    if ctx.odd(8):
        return wild(ctx)
    dtype = fdp.PickValueInList(OTHERS if ctx.odd(4) else FLOATS)
    a = _values(fdp, dtype, _shape(fdp))
    for _ in range(fdp.ConsumeIntInRange(1, 3) if fdp.ConsumeBool() else 0):
        a = _layout(fdp, a, 6 if ctx.tame else 16)
    if one_in(fdp, 6):
        a.flags.writeable = False
    return a


def _shape(fdp) -> tuple[int, ...]:
    if one_in(fdp, 24):
        return (fdp.ConsumeIntInRange(SMALL, LARGE),)
    rank = fdp.ConsumeIntInRange(0, 32 if one_in(fdp, 16) else 4)
    dims, total = [], 1
    for _ in range(rank):
        d = fdp.ConsumeIntInRange(0, 1 if rank > 8 else 70)
        if total * d > SMALL:
            d = 1
        dims.append(d)
        total *= max(d, 1)
    return tuple(dims)


def _values(fdp, dtype: np.dtype, shape: tuple[int, ...]) -> np.ndarray:
    n = int(np.prod(shape, dtype=np.int64))
    if dtype.kind == "O":
        return np.array(
            [float_value(fdp) for _ in range(min(n, 8))] + [None] * (n - min(n, 8)), dtype=object
        ).reshape(shape)
    how = fdp.ConsumeIntInRange(0, 3)
    with np.errstate(all="ignore"):
        if how == 0:  # raw bytes: every bit pattern, NaN payloads included
            raw = fdp.ConsumeBytes(n * dtype.itemsize).ljust(n * dtype.itemsize, b"\x00")
            return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()
        if how == 1:
            vals = [float_value(fdp) for _ in range(min(n, 16))]
            base = np.array(vals or [0.0]).astype(dtype) if dtype.kind != "U" else np.array(["x"])
            return np.resize(base, shape).astype(dtype)
        gen = np.random.default_rng(fdp.ConsumeIntInRange(0, 1 << 32))
        return (gen.standard_normal(shape) * 10.0 ** fdp.ConsumeIntInRange(-40, 40)).astype(dtype)


def _layout(fdp, a: np.ndarray, picks: int) -> np.ndarray:
    """One view or copy that changes strides, order, alignment, ownership or class.
    The first six keep an array the binding takes; the rest may not (`picks` > 6)."""
    pick = fdp.ConsumeIntInRange(0, picks - 1)
    if pick == 0:
        return a.T
    if pick == 1:
        return np.asfortranarray(a)
    if pick == 2 and a.dtype in FLOATS:
        # Memory a lucid Storage owns: the input aliases another native object.
        s = _C.Storage(a.dtype.name, a.size, False)
        b = np.frombuffer(s, dtype=a.dtype).reshape(a.shape)
        b[...] = a
        return b
    if pick == 3:
        return a.reshape(-1)
    if pick == 4:
        return a.view(_Sub) if a.dtype.kind != "O" else a
    if pick == 5:
        return a[None, ..., None]
    if pick == 6 and a.ndim:
        return a[:: fdp.ConsumeIntInRange(2, 3)]
    if pick in (7, 12) and a.ndim:
        return a[::-1]
    if pick in (8, 13):
        return np.broadcast_to(a, (fdp.ConsumeIntInRange(0, 3),) + a.shape)
    if pick in (9, 14) and a.dtype.kind != "O":
        return _misaligned(a, fdp.ConsumeIntInRange(1, 15))
    if pick in (10, 15) and a.dtype.kind != "O":
        return _strided(fdp, a.dtype)
    if pick == 11 and a.dtype.kind in "fc" and a.dtype.byteorder == "=":
        return a.byteswap().view(a.dtype.newbyteorder())
    return a


class _Sub(np.ndarray):
    """A subclass of ndarray, as numpy.matrix or masked arrays are."""


def _misaligned(a: np.ndarray, offset: int) -> np.ndarray:
    raw = bytearray(offset) + bytearray(a.tobytes())
    return np.frombuffer(raw, dtype=a.dtype, offset=offset).reshape(a.shape)


def _strided(fdp, dtype: np.dtype) -> np.ndarray:
    """A view with arbitrary (also negative, zero or unaligned) byte strides, kept
    inside its buffer."""
    shape = tuple(fdp.ConsumeIntInRange(0, 6) for _ in range(fdp.ConsumeIntInRange(0, 3)))
    strides = tuple(fdp.ConsumeIntInRange(-24, 24) for _ in shape)
    low = sum(min(0, (d - 1) * s) for d, s in zip(shape, strides, strict=True) if d)
    high = sum(max(0, (d - 1) * s) for d, s in zip(shape, strides, strict=True) if d)
    base = np.frombuffer(fdp.ConsumeBytes(512).ljust(512, b"\x01"), dtype=np.uint8).copy()
    try:
        return np.ndarray(shape, dtype, buffer=base, offset=-low, strides=strides)
    except (ValueError, TypeError):  # numpy refused the view: not what is under test
        return np.zeros(shape if high - low < 256 else (1,), dtype)


# --- arguments built from the others ---------------------------------------------


def generator(ctx: Ctx) -> _C.Generator:
    fdp = ctx.fdp
    g = _C.Generator(fdp.ConsumeIntInRange(0, (1 << 64) - 1), fdp.ConsumeIntInRange(0, 3))
    if one_in(fdp, 8):  # near the end of the stream: reserving must fail cleanly
        g.set_state((g.seed, g.stream, (1 << 64) - fdp.ConsumeIntInRange(1, 1 << 20)))
    return g


def a_mask(ctx: Ctx, numel: int = 300) -> object:
    """A Mask of up to `numel` bits (p in 0, 1/4, ..., 1), now and then anything else."""
    if ctx.odd(8):
        return wild(ctx)
    fdp = ctx.fdp
    n, p = fdp.ConsumeIntInRange(0, numel), fdp.ConsumeIntInRange(0, 4) / 4
    return _C.dropout_mask(n, p, _C.Generator(7), fdp.PickValueInList(KINDS))


def like(ctx: Ctx, n: int, dtype: np.dtype) -> object:
    """An upstream gradient for n elements: n values or one, now and then any array."""
    fdp = ctx.fdp
    if ctx.odd(3):
        return array(ctx)
    values = [float_value(fdp), 1.5, -2.0]
    return np.resize(np.array(values), 1 if one_in(fdp, 4) else n).astype(dtype)


def a_row(ctx: Ctx, rows: int, n: int) -> object:
    """Usually the row length that fits n elements; else a size whose product with
    `rows` is small or absurd, never a real allocation of gigabytes."""
    fdp = ctx.fdp
    if ctx.tame or not one_in(fdp, 3):
        return n // rows if rows and not ctx.tame else fdp.ConsumeIntInRange(0, 70)
    row = size(ctx, cap=300)
    if isinstance(row, int) and SMALL * 20 < rows * row < ABSURD:
        ctx.absurd = True
        return (ABSURD + fdp.ConsumeIntInRange(0, 99)) // max(rows, 1)
    return row
