"""Fuzz target for lucid.load: hostile archives made from a real checkpoint.

Each input starts from a checkpoint written by lucid.save (a SELU MLP's state_dict and
a few other values), stored or deflated, and mutates it: it rebuilds the archive with
a member duplicated, dropped, added, cut, padded, replaced by noise or by a pickle, a
.npy header or the JSON manifest rewritten; moves the end records to zip64 ones; forges
a size, offset, count or CRC field (end records, central directory, local headers,
zip64 extras, .npy header length); flips, overwrites, splices, inserts and cuts bytes;
and sometimes fixes the CRCs, so the checks behind them are reached.

lucid.load must raise ValueError naming the path, or return what the file holds: the
manifest decoded by the format's rules with every array as numpy.load reads it (for an
unmutated file, what was saved). Anything else is a finding: another exception, a
MemoryError (--random caps the address space at 1 GiB above the start), a hang, a file
lucid took that numpy cannot read, the marker file an unpickled payload creates.

    python fuzz/fuzz_load.py -max_total_time=600 -timeout=10 -rss_limit_mb=2048
    python fuzz/fuzz_load.py --random 2000 --seed 0    # no atheris: seeded random inputs
    python fuzz/fuzz_load.py crash-<sha1>              # replay one atheris input
"""

from __future__ import annotations

import atexit
import io
import json
import math
import os
import re
import resource
import shutil
import struct
import sys
import tempfile
import warnings
import zipfile
import zlib
from collections import Counter, OrderedDict

import numpy as np
from fuzz_inputs import RandomProvider

import lucid
import lucid.nn as nn
from lucid import Tensor, _archive, _files, _serialization
from lucid.nn.parameter import Parameter

WORK = tempfile.mkdtemp(prefix="lucid-fuzz-load-")
atexit.register(shutil.rmtree, WORK, ignore_errors=True)
PATH = os.path.join(WORK, "input.ckpt")
MARKER = os.path.join(WORK, "UNPICKLED")  # created if anything is ever unpickled
INTERESTING = [0, 1, 2, 7, 0x7F, 0xFF, 0xFFFE, 0xFFFF, 2**31, 0xFFFFFFFE, 0xFFFFFFFF, 32 << 30]
DESCRS = ["<f4", "<f8", ">f4", "<i8", "<i4", "|b1", "|u1", "<c8", "<f2", "|O", "<U4", "|V8"]
SHAPES = ["()", "(0,)", "(1,)", "(3)", "(-1,)", "(True,)", f"({2**61},)", "(" * 300 + ")" * 300]


class Marker:
    """Unpickling this creates MARKER."""

    def __reduce__(self):
        return (open, (MARKER, "w"))


def _checkpoint() -> object:
    lucid.random.seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.SELU(), nn.AlphaDropout(0.1), nn.Linear(64, 2))
    return {
        "model": model.state_dict(),
        "step": 3,
        "rates": (0.01, math.nan, -math.inf),
        ("key", 1): [None, True, "naïve"],
        "mask": Tensor(np.array([[True], [False]])),
        "param": Parameter(np.ones((2, 2))),
        "ids": np.arange(5, dtype=np.int32),
        "scalar": np.float32(1.5),
        "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        "swapped": np.arange(3, dtype=">f8"),
    }


def _members(data: bytes) -> list[list]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return [[i.filename, archive.read(i), i.compress_type] for i in archive.infolist()]


def _rebuild(members: list[list]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore")  # "Duplicate name": wanted
        for name, data, method in members:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=method)
    return buffer.getvalue()


lucid.save(_checkpoint(), PATH)
with open(PATH, "rb") as _f:
    STORED = _f.read()
BASES = [STORED, _rebuild([[n, d, zipfile.ZIP_DEFLATED] for n, d, _ in _members(STORED)])]


# ---- mutations -----------------------------------------------------------------------


def _npy(fdp, data: bytes) -> bytes:
    """A .npy member with its header rewritten (descr, order, shape, length, version)."""
    if len(data) < 10 or data[:6] != b"\x93NUMPY":
        return data
    length = struct.unpack("<H", data[8:10])[0]
    text, rest = data[10 : 10 + length].decode("latin-1"), data[10 + length :]
    found = re.search(r"'descr': '([^']*)', 'fortran_order': (\w+), 'shape': (\([^)]*\))", text)
    if found is None:
        return data
    descr, order, shape = found.groups()
    pick = fdp.ConsumeIntInRange(0, 4)
    if pick == 0:
        descr = fdp.PickValueInList(DESCRS)
    elif pick == 1:
        order = fdp.PickValueInList(["True", "False", "1", "None"])
    elif pick == 2:
        dims = [fdp.PickValueInList(INTERESTING + [2**61, 4, 16, 64]) for _ in range(3)]
        shape = "(" + ", ".join(map(str, dims[: fdp.ConsumeIntInRange(0, 3)])) + ",)"
    elif pick == 3:
        shape = fdp.PickValueInList(SHAPES)
    header = f"{{'descr': '{descr}', 'fortran_order': {order}, 'shape': {shape}, }}"
    body = header.encode("latin-1")
    forged = len(body) if pick != 4 else fdp.PickValueInList([0, 1, 65535, len(body) + 1])
    version = bytes([1, 0]) if fdp.ConsumeIntInRange(0, 7) else fdp.ConsumeBytes(2).ljust(2)
    return b"\x93NUMPY" + version + struct.pack("<H", forged) + body + rest


def _manifest(fdp, data: bytes) -> bytes:
    """The manifest's JSON nested deeper, a byte of it changed, or a reference moved."""
    try:
        text = np.lib.format.read_array(io.BytesIO(data)).tobytes()
        start = text.index(b'"object":') + len(b'"object":')  # lucid.save writes it last
    except Exception:  # an earlier mutation broke it
        return data
    pick = fdp.ConsumeIntInRange(0, 2)
    if pick == 0:
        depth = fdp.PickValueInList([10, 400, 499, 501, 100_000])  # 2 levels each
        nested = b'{"list":[' * depth + text[start:-1] + b"]}" * depth
        text = text[:start] + nested + b"}"
    elif pick == 1 and text:
        at = fdp.ConsumeIntInRange(0, len(text) - 1)
        char = fdp.PickValueInList([b"[", b"]", b"{", b'"', b"0", b"9", b"\\"])
        text = text[:at] + char + text[at + 1 :]
    else:
        number = str(fdp.PickValueInList([0, 1, 3, 99, -1, 2**64])).encode()
        text = re.sub(rb'("(?:tensor|ndarray|scalar)":)\d+', rb"\g<1>" + number, text, count=1)
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, np.frombuffer(text, np.uint8))
    return buffer.getvalue()


def _member_op(fdp, members: list[list]) -> None:
    i = fdp.ConsumeIntInRange(0, len(members) - 1) if members else 0
    if members and members[0][0] == "__lucid__.npy" and fdp.ConsumeIntInRange(0, 3) == 0:
        i = 0  # the manifest, more often than its share
    pick = fdp.ConsumeIntInRange(0, 9)
    if not members or pick == 0:  # add one holding noise, under a new name or a taken one
        name = fdp.PickValueInList(["extra.npy", "a99.npy", "__lucid__.npy", "a0.npy", "x/../a1"])
        members.append([name, fdp.ConsumeBytes(fdp.ConsumeIntInRange(0, 64)), 0])
    elif pick == 1:
        members.append(list(members[i]))
    elif pick == 2:
        del members[i]
    elif pick == 3:
        members[i][1] = members[i][1][: fdp.ConsumeIntInRange(0, len(members[i][1]))]
    elif pick == 4:
        members[i][1] += fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 16))
    elif pick == 5:
        buffer = io.BytesIO()
        np.lib.format.write_array(buffer, np.array([Marker()], dtype=object), allow_pickle=True)
        members[i][1] = buffer.getvalue()
    elif pick == 6:
        members[i][2] = zipfile.ZIP_DEFLATED - members[i][2]
    elif members[i][0] == "__lucid__.npy":
        members[i][1] = _manifest(fdp, members[i][1])
    else:
        members[i][1] = _npy(fdp, members[i][1])


def _entries(data: bytes):
    """(offset, name length, extra length, comment length, local header offset) of each
    central directory entry, found by following the end records."""
    at = data.rfind(b"PK\x05\x06")
    p = struct.unpack_from("<L", data, at + 16)[0] if 0 <= at <= len(data) - 22 else -1
    if at >= 20 and data[at - 20 : at - 16] == b"PK\x06\x07":
        record = struct.unpack_from("<Q", data, at - 12)[0]
        if record + 56 <= len(data):
            p = struct.unpack_from("<Q", data, record + 48)[0]
    while 0 <= p <= len(data) - 46 and data[p : p + 4] == b"PK\x01\x02":
        n, e, c = struct.unpack_from("<3H", data, p + 28)
        yield p, n, e, c, struct.unpack_from("<L", data, p + 42)[0]
        p += 46 + n + e + c


def _fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, width) of every size, offset, count and CRC field of a well-formed zip."""
    at = data.rfind(b"PK\x05\x06")
    if at < 0:
        return []
    fields = [(at + 8, 2), (at + 10, 2), (at + 12, 4), (at + 16, 4), (at + 20, 2)]
    if at >= 20 and data[at - 20 : at - 16] == b"PK\x06\x07":
        record = struct.unpack_from("<Q", data, at - 12)[0]
        fields += [(at - 12, 8)] + [(record + k, 8) for k in (4, 24, 32, 40, 48)]
    for p, n, e, _, local in _entries(data):
        fields += [(p + k, w) for k, w in [(8, 2), (10, 2), (16, 4), (20, 4), (24, 4), (28, 2)]]
        fields += [(p + 30, 2), (p + 32, 2), (p + 34, 2), (p + 42, 4)]
        fields += [(p + 46 + n + k, 8) for k in range(4, e - 7, 8)]  # a zip64 extra's values
        if data[local : local + 4] == b"PK\x03\x04" and local + 30 <= len(data):
            ln, le = struct.unpack_from("<2H", data, local + 26)
            fields += [(local + k, w) for k, w in [(6, 2), (8, 2), (14, 4), (18, 4), (22, 4)]]
            fields += [(local + 26, 2), (local + 28, 2), (local + 30 + ln + le + 8, 2)]  # .npy
            fields += [(local + 30 + ln + k, 8) for k in range(4, le - 7, 8)]
    return [(o, w) for o, w in fields if 0 <= o and o + w <= len(data)]


def _zip64_end(data: bytes) -> bytes:
    """The same archive with zip64 end records before its end record."""
    at = data.rfind(b"PK\x05\x06")
    count, size, offset = struct.unpack_from("<H2L", data, at + 10)
    record = struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, size, offset)
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, at, 1)
    end = data[at : at + 8] + struct.pack("<2H2L", 0xFFFF, 0xFFFF, 2**32 - 1, 2**32 - 1)
    return data[:at] + record + locator + end + data[at + 20 :]


def _fix_crcs(data: bytes) -> bytes:
    """Each stored member's CRC made right again, so the checks of its contents are reached."""
    out = bytearray(data)
    for p, _, _, _, local in list(_entries(data)):
        if struct.unpack_from("<H", out, p + 10)[0] == 0 and local + 30 <= len(out):
            n, e = struct.unpack_from("<2H", out, local + 26)
            start = local + 30 + n + e
            crc = zlib.crc32(out[start : start + struct.unpack_from("<L", out, p + 20)[0]])
            struct.pack_into("<L", out, p + 16, crc)
            struct.pack_into("<L", out, local + 14, crc)
    return bytes(out)


def mutate(fdp) -> bytes:
    data = fdp.PickValueInList(BASES)
    if fdp.ConsumeBool():
        members = _members(data)
        for _ in range(fdp.ConsumeIntInRange(1, 3)):
            _member_op(fdp, members)
        data = _rebuild(members)
    if fdp.ConsumeIntInRange(0, 3) == 0:
        data = _zip64_end(data)
    fields = _fields(data)
    for _ in range(fdp.ConsumeIntInRange(0, 2) if fields else 0):
        offset, width = fdp.PickValueInList(fields)
        old = int.from_bytes(data[offset : offset + width], "little")
        value = fdp.PickValueInList(INTERESTING + [len(data), len(data) + 1, old + 1, old - 1])
        value %= 1 << (8 * width)
        data = data[:offset] + value.to_bytes(width, "little") + data[offset + width :]
    for _ in range(max(0, fdp.ConsumeIntInRange(-3, 3))):  # none, half the time
        data = _byte_op(fdp, data)
    return _fix_crcs(data) if fdp.ConsumeIntInRange(0, 3) == 0 else data


def _byte_op(fdp, data: bytes) -> bytes:
    at = fdp.ConsumeIntInRange(0, len(data))
    pick = fdp.ConsumeIntInRange(0, 5)
    if pick == 0 and at < len(data):  # flip bits
        return data[:at] + bytes([data[at] ^ fdp.ConsumeIntInRange(1, 255)]) + data[at + 1 :]
    if pick == 1 and fdp.ConsumeBool():  # cut, often at a KiB
        return data[: at - at % 1024 if fdp.ConsumeBool() else at]
    if pick == 2:
        run = fdp.PickValueInList(
            [b"\0" * 4, b"\xff" * 4, b"PK\x01\x02", b"PK\x03\x04", b"\x93NUMPY"]
        )
        return data[:at] + run + data[at + len(run) :]
    if pick == 3:
        return data[:at] + fdp.ConsumeBytes(fdp.ConsumeIntInRange(1, 32)) + data[at:]
    if pick == 4:
        return data[:at] + data[at + fdp.ConsumeIntInRange(1, 64) :]
    src = fdp.ConsumeIntInRange(0, len(data))
    chunk = data[src : src + fdp.ConsumeIntInRange(1, 256)]
    return data[:at] + chunk + data[at + len(chunk) :]


# ---- what a load must give -----------------------------------------------------------


class Want:
    """A tensor as the manifest and numpy.load describe it."""

    def __init__(self, array: np.ndarray, requires_grad: bool, parameter: bool) -> None:
        self.array, self.requires_grad, self.parameter = array, requires_grad, parameter


def expected(node, npz, memo: dict):
    """The manifest's ``node`` decoded by the format's rules, arrays from numpy.load."""
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    tag, value = next(iter(node.items()))
    if tag in ("tensor", "ndarray", "scalar"):
        if (tag, value) not in memo:
            array = npz[f"a{value}"]
            if tag == "tensor":
                array = Want(array, node["requires_grad"] is True, node["parameter"] is True)
            memo[tag, value] = array[()] if tag == "scalar" else array
        return memo[tag, value]
    if tag in ("list", "tuple"):
        items = [expected(v, npz, memo) for v in value]
        return items if tag == "list" else tuple(items)
    if tag in ("dict", "odict"):
        pairs = ((expected(k, npz, memo), expected(v, npz, memo)) for k, v in value)
        return OrderedDict(pairs) if tag == "odict" else dict(pairs)
    assert tag == "float", f"lucid loaded a manifest entry {node!r:.80}"
    return float(value)


def same(got, want, where: str = "obj") -> None:
    if isinstance(want, Want):
        a = want.array
        assert type(got) is (Parameter if want.parameter else Tensor), (where, type(got))
        assert got.requires_grad is want.requires_grad, where
        assert got.dtype == a.dtype.newbyteorder("=") and got.shape == a.shape, (where, a.dtype)
        assert np.array_equal(got.data, a, equal_nan=a.dtype.kind in "fc"), where
    elif isinstance(want, (np.ndarray, np.generic)):
        assert type(got) is type(want) and got.dtype == want.dtype, (where, type(got))
        assert np.shape(got) == np.shape(want) and got.tobytes() == want.tobytes(), where
    elif isinstance(want, (list, tuple)):
        assert type(got) is type(want) and len(got) == len(want), (where, type(got))
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            same(g, w, f"{where}[{i}]")
    elif isinstance(want, dict):
        assert type(got) is type(want) and len(got) == len(want), (where, type(got))
        for (gk, gv), (wk, wv) in zip(got.items(), want.items(), strict=True):
            same(gk, wk, f"{where} key")
            same(gv, wv, f"{where}[{wk!r}]")
    else:
        assert type(got) is type(want), (where, type(got), type(want))
        assert got == want or (isinstance(want, float) and math.isnan(want) and math.isnan(got))


def test_one_input(fdp, stats: Counter | None = None) -> None:
    """One mutated checkpoint: a ValueError naming the path, or what the file holds."""
    data = mutate(fdp)
    with open(PATH, "wb") as f:
        f.write(data)
    try:
        got = lucid.load(PATH)
    except ValueError as e:
        prefix = f"{PATH!r} is not a readable lucid file: "
        assert str(e).startswith(prefix), f"a ValueError not naming the path: {e}"
        outcome = re.sub(r"\d+|'[^']*'", "_", str(e)[len(prefix) :])[:48]
    else:
        with np.load(PATH, allow_pickle=False) as npz:  # lucid took it: numpy must too
            doc = json.loads(npz["__lucid__"].tobytes())
            same(got, expected(doc["object"], npz, {}))
        outcome = "loaded"
    assert not os.path.exists(MARKER), "lucid.load unpickled a payload"
    if stats is not None:
        stats[outcome] += 1


def main(argv: list[str]) -> None:
    warnings.simplefilter("ignore")  # numpy's and zipfile's
    with np.load(PATH, allow_pickle=False) as npz:  # the unmutated checkpoint: what was saved
        same(lucid.load(PATH), expected(json.loads(npz["__lucid__"].tobytes())["object"], npz, {}))
    if "--random" in argv:  # no atheris needed: inputs from seeded random numbers
        n = int(argv[argv.index("--random") + 1])
        first = int(argv[argv.index("--seed") + 1]) if "--seed" in argv else 0
        with open("/proc/self/status") as f:
            size = int(re.search(r"VmSize:\s+(\d+)", f.read())[1]) * 1024
        resource.setrlimit(resource.RLIMIT_AS, (size + (1 << 30), size + (1 << 30)))
        stats: Counter = Counter()
        for s in range(first, first + n):
            try:
                test_one_input(RandomProvider(s), stats)
            except BaseException:
                print(f"finding: python fuzz/fuzz_load.py --random 1 --seed {s}", file=sys.stderr)
                raise
        if "--stats" in argv:  # how the inputs ended: loaded, or the check that refused them
            for outcome, count in stats.most_common():
                print(f"{count:7d}  {outcome}")
        print(f"{n} inputs, no finding")
        return
    import atheris

    # Coverage of the loader and of the mutations; not of the comparisons of arrays
    # (atheris keeps the result of each, see fuzz_c.py).
    for module in (_archive, _serialization, _files, sys.modules[__name__]):
        for obj in list(vars(module).values()):
            inside = vars(obj).values() if isinstance(obj, type) else [obj]
            functions = [f for f in inside if hasattr(f, "__code__")]
            for f in functions:
                if f.__module__ == module.__name__ and f.__name__ not in ("same", "main"):
                    atheris.instrument_func(f)
    atheris.Setup(argv, lambda data: test_one_input(atheris.FuzzedDataProvider(data)))
    atheris.Fuzz()


if __name__ == "__main__":
    main(sys.argv)
