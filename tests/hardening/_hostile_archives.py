"""Hostile .npz files for lucid.load: forged sizes, wrong shapes, deep JSON, pickles,
duplicate and overlapping members, missing arrays, truncations. ``corpus(checkpoint(d),
marker)`` gives each case's bytes and a fragment its ValueError's message must hold;
build_zip lets every size be forged on its own (directory, local header, zip64)."""

from __future__ import annotations

import io
import json
import os
import pickle
import struct
import zipfile
import zlib
from dataclasses import dataclass, field

import numpy as np

import lucid
import lucid.nn as nn

FORGED = 32 << 30  # 32 GiB


@dataclass
class Entry:
    """One member; ``cd`` and ``local`` override fields of the directory entry and of the
    local header (crc, csize, usize, offset); ``cd64`` / ``local64`` put those values in a
    zip64 extra instead, with the 32-bit fields at their sentinel."""

    name: str
    data: bytes
    method: int = 0
    cd: dict = field(default_factory=dict)
    local: dict = field(default_factory=dict)
    cd64: dict = field(default_factory=dict)
    local64: dict = field(default_factory=dict)
    flags: int = 0
    raw: bytes | None = None  # the bytes stored, if not ``data`` (deflated if method 8)


def _extra(values: dict, order: list[str]) -> bytes:
    body = b"".join(struct.pack("<Q", values[k]) for k in order if k in values)
    return struct.pack("<HH", 1, len(body)) + body if body else b""


def build_zip(
    entries: list[Entry], end: dict | None = None, zip64: dict | None = None, prefix: bytes = b""
) -> bytes:
    """A zip archive of ``entries`` after ``prefix``; ``end`` overrides fields of the end
    record (count, cd_size, cd_offset), ``zip64`` adds zip64 end records with those
    fields overridden."""
    out = bytearray(prefix)
    directory = bytearray()
    for e in entries:
        payload = zlib.compress(e.data)[2:-4] if e.method == 8 else e.data
        payload = payload if e.raw is None else e.raw
        real = {"crc": zlib.crc32(e.data), "csize": len(payload), "usize": len(e.data)}
        name = e.name.encode()
        local = {**real, **e.local}
        local_extra = b""
        if e.local64:  # a local zip64 extra holds both sizes
            local_extra = _extra({**local, **e.local64}, ["usize", "csize"])
            local["usize"] = local["csize"] = 0xFFFFFFFF
        offset = len(out)
        out += struct.pack(
            "<4s5H3L2H", b"PK\x03\x04", 45, e.flags, e.method, 0, 33, local["crc"],
            local["csize"], local["usize"], len(name), len(local_extra),
        )  # fmt: skip
        out += name + local_extra + payload
        cd = {**real, "offset": offset, **e.cd}
        cd_extra = _extra(e.cd64, ["usize", "csize", "offset"])
        for k in e.cd64:
            cd[k] = 0xFFFFFFFF
        directory += struct.pack(
            "<4s6H3L5H2L", b"PK\x01\x02", 45, 45, e.flags, e.method, 0, 33, cd["crc"],
            cd["csize"], cd["usize"], len(name), len(cd_extra), 0, 0, 0, 0, cd["offset"],
        )  # fmt: skip
        directory += name + cd_extra
    fields = {"count": len(entries), "cd_size": len(directory), "cd_offset": len(out)}
    out += directory
    if zip64 is not None:
        record = len(out)
        z = {**fields, **zip64}
        out += struct.pack(
            "<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, z["count"], z["count"],
            z["cd_size"], z["cd_offset"],
        )  # fmt: skip
        out += struct.pack("<4sLQL", b"PK\x06\x07", 0, z.get("record", record), 1)
        fields = {"count": 0xFFFF, "cd_size": 0xFFFFFFFF, "cd_offset": 0xFFFFFFFF}
    fields.update(end or {})
    out += struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, fields["count"], fields["count"], fields["cd_size"],
        fields["cd_offset"], 0,
    )  # fmt: skip
    return bytes(out)


def npy(array: np.ndarray, allow_pickle: bool = False) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, allow_pickle=allow_pickle)
    return buffer.getvalue()


def npy_header(
    header: str, data: bytes = b"", version: int = 1, length: int | None = None
) -> bytes:
    """A .npy file with this header text (unpadded) and data; ``length`` forges its size."""
    text = header.encode("latin-1")
    size = len(text) if length is None else length
    prefix = struct.pack("<H", size) if version == 1 else struct.pack("<L", size)
    return b"\x93NUMPY" + bytes([version, 0]) + prefix + text + data


def manifest(obj) -> bytes:
    text = json.dumps({"format": "lucid", "version": 1, "object": obj}).encode()
    return npy(np.frombuffer(text, dtype=np.uint8))


def with_manifest(obj, *arrays: Entry | bytes) -> bytes:
    """An archive of a manifest for ``obj`` and members a0.npy, a1.npy, ... (or Entries)."""
    members = [Entry("__lucid__.npy", manifest(obj))]
    for i, a in enumerate(arrays):
        members.append(a if isinstance(a, Entry) else Entry(f"a{i}.npy", a))
    return build_zip(members)


def valid_archives(arrays: dict[str, np.ndarray]) -> dict[str, bytes]:
    """``arrays`` as numpy.savez and savez_compressed write them; as zipfile writes them
    to an unseekable stream (deflated, sizes in data descriptors, an archive comment);
    and with zip64 extras in the directory and the local headers and zip64 end records."""
    out = {}
    for name, save in [("savez", np.savez), ("savez_compressed", np.savez_compressed)]:
        buffer = io.BytesIO()
        save(buffer, **arrays)
        out[name] = buffer.getvalue()
    stream = io.BytesIO()
    stream.seekable = lambda: False  # type: ignore[method-assign]
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.comment = b"a comment after the end record"
        for key, value in arrays.items():
            with archive.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, value)
    out["data descriptors"] = stream.getvalue()
    entries = []
    for key, value in arrays.items():
        data = npy(value)
        sizes = {"usize": len(data), "csize": len(data)}
        entries.append(Entry(key + ".npy", data, cd64=sizes, local64=sizes))
    out["zip64 everywhere"] = build_zip(entries, zip64={})
    return out


class Marker:
    """Unpickling this creates the file ``path``: the proof that something unpickled."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def checkpoint(directory: str) -> bytes:
    """A real checkpoint: a small SELU MLP's state_dict, written by lucid.save."""
    lucid.random.seed(0)
    model = nn.Sequential(nn.Linear(16, 64), nn.SELU(), nn.AlphaDropout(0.1), nn.Linear(64, 2))
    lucid.save(model.state_dict(), os.path.join(directory, "selu.ckpt"))
    with open(os.path.join(directory, "selu.ckpt"), "rb") as f:
        return f.read()


TENSOR = {"tensor": 0, "requires_grad": False, "parameter": False}
F8 = "{'descr': '<f8', 'fortran_order': False, 'shape': %s, }"


def _forged_sizes() -> dict[str, tuple[bytes, str]]:
    small = npy(np.zeros(3))
    ndarray = {"ndarray": 0}
    big = {"usize": FORGED, "csize": FORGED}
    four = {"usize": 2**32 - 16, "csize": 2**32 - 16}
    cases = {
        "directory zip64 sizes 32 GiB": (Entry("a0.npy", small, cd64=big), "other sizes"),
        "directory and local zip64 sizes 32 GiB": (
            Entry("a0.npy", small, cd64=big, local64=big),
            "past the end",
        ),
        "directory 32-bit sizes 4 GiB": (Entry("a0.npy", small, cd=four), "other sizes"),
        "directory and local 32-bit sizes 4 GiB": (
            Entry("a0.npy", small, cd=four, local=four),
            "past the end",
        ),
        "directory stored size 32 GiB": (
            Entry("a0.npy", small, cd64={"usize": FORGED}),
            "claims 34359738368 bytes",
        ),
        "directory deflated size 32 GiB": (
            Entry("a0.npy", small, 8, cd64={"usize": FORGED}),
            "claims 34359738368 bytes",
        ),
        "directory offset 1 TiB": (Entry("a0.npy", small, cd64={"offset": 1 << 40}), "starts at"),
        "directory CRC": (Entry("a0.npy", small, cd={"crc": 1}, local={"crc": 1}), "CRC"),
        "local zip64 sizes 32 GiB": (Entry("a0.npy", small, local64=big), "other sizes"),
        "local 32-bit size": (Entry("a0.npy", small, local={"csize": 2**32 - 16}), "other sizes"),
        "local CRC": (Entry("a0.npy", small, local={"crc": 7}), "other sizes"),
        "encrypted": (Entry("a0.npy", small, flags=1), "'a0.npy' is encrypted"),
        "patched data": (Entry("a0.npy", small, flags=0x20), "flags 0x0020"),
        "bzip2": (Entry("a0.npy", small, 12), "method 12"),
    }
    # The directory, the local header and the .npy header all agree on a huge array.
    for key, count, method, frag in [
        ("everything claims 32 GiB, stored", FORGED // 8, 0, "past the end"),
        ("everything claims 32 GiB, deflated", FORGED // 8, 8, "more than deflate can give"),
        ("everything claims 2**60 float64s", 2**60, 0, "past the end"),
    ]:
        head = npy_header(F8 % f"({count},)")
        claim = {"usize": len(head) + 8 * count, "csize": len(head) + 8 * count}
        if method:
            del claim["csize"]
        cases[key] = (Entry("a0.npy", head + bytes(8), method, cd64=claim, local64=claim), frag)
    out = {k: (with_manifest(ndarray, e), frag) for k, (e, frag) in cases.items()}
    good = [Entry("__lucid__.npy", manifest(ndarray)), Entry("a0.npy", small)]
    for key, end, zip64, frag in [
        ("end record directory size", {"cd_size": 2**32 - 16}, None, "is forged"),
        ("end record directory offset", {"cd_offset": 0}, None, "is forged"),
        ("end record count", {"count": 0xFFFE}, None, "cannot hold"),
        ("end record count too small", {"count": 1}, None, "more than the 1 entries"),
        ("zip64 end record directory size 32 GiB", None, {"cd_size": FORGED}, "is forged"),
        ("zip64 end record count 2**60", None, {"count": 2**60}, "cannot hold"),
        ("zip64 locator past the end", None, {"record": 1 << 62}, "locator is forged"),
        ("zip64 end record and end record disagree", {"count": 5}, {}, "disagree"),
    ]:
        out[key] = (build_zip(good, end, zip64), frag)
    # What zipfile would read otherwise, so numpy.load could not: lucid refuses it too.
    plain, wide = build_zip(good), build_zip(good, zip64={})
    at, locator = wide.index(b"PK\x06\x06"), wide.index(b"PK\x06\x07")
    extensible = wide[: at + 4] + struct.pack("<Q", 60) + wide[at + 12 : locator] + bytes(16)
    latin = build_zip([good[0], Entry("a0.npy", small, flags=0x800)])
    out["end record in the comment"] = (plain[:-2] + b"\x1a\0PK\x05\x06" + bytes(22), "do not end")
    out["zip64 record with extensible data"] = (extensible + wide[locator:], "record is forged")
    out["member name not UTF-8"] = (latin.replace(b"a0.npy", b"\xff0.npy"), "not UTF-8")
    version = plain.replace(b"PK\x01\x02\x2d\0\x2d", b"PK\x01\x02\x2d\0\x6c")  # 4.5 to 10.8
    out["member needs zip version 10.8"] = (version, "needs zip version 10.8")
    out["bytes before the first member"] = (build_zip(good, prefix=b"#!/bin/sh\n"), "byte 10")

    # The .npy header's own claims.
    def f8(shape: str, data: bytes = bytes(8), version: int = 1, length: int | None = None):
        return npy_header(F8 % shape, data, version, length)

    for key, member, frag in [
        ("npy 2**61 elements", f8(f"({2**61},)"), "needs 18446744073709551616 bytes"),
        ("npy 2**93 elements", f8(f"({2**31}, {2**31}, {2**31})"), "needs"),
        ("npy shape larger than its data", f8("(2, 3)"), "needs 48 bytes"),
        ("npy shape smaller than its data", f8("(1,)", bytes(16)), "holds 16"),
        ("npy header length 65535", f8("(1,)", length=65535), "65535-byte"),
        ("npy header length 2 GiB", f8("(1,)", bytes(8), 2, 1 << 31), "2147483648-byte"),
        ("npy version 3", f8("(1,)", bytes(8), 3), "version (3, 0)"),
        ("npy unary chain", f8("(" + "-" * 9000 + "1,)"), "does not read"),
        ("npy nested tuples", f8("(" * 150 + ")" * 150, b""), "does not read"),
        ("npy negative shape", f8("(-1,)", b""), "does not read"),
        ("npy bool shape", f8("(True,)"), "does not read"),
        ("npy 65 dimensions", f8("(" + "1, " * 65 + ")"), "does not read"),
        ("npy shape not a tuple", f8("(3)", bytes(24)), "does not read"),
        ("npy duplicate key", f8("(1,), 'shape': (1,)"), "does not read"),
        ("npy not npy", b"hello, world", "not a .npy file"),
        ("npy empty", b"", "not a .npy file"),
    ]:
        out[key] = (with_manifest(ndarray, member), frag)
    # Deflate: expanding past the stated size, stopping short of it, garbage.
    prefix = npy(np.zeros(1000, np.uint8))
    sized = {"usize": len(prefix), "crc": zlib.crc32(prefix)}
    bomb = Entry("a0.npy", prefix + bytes(10_000_000), 8, cd=sized, local=sized)
    out["deflate past its size"] = (with_manifest(ndarray, bomb), "more than its stated size")
    stream = zlib.compress(prefix)[2:-4]
    cut = Entry("a0.npy", prefix, 8, raw=stream[: len(stream) // 2])
    out["deflate stream cut"] = (with_manifest(ndarray, cut), "a0.npy")
    noise = Entry("a0.npy", prefix, 8, raw=bytes(range(256)) * 4)
    out["deflate garbage"] = (with_manifest(ndarray, noise), "'a0.npy' is not valid deflate")
    # A deflated member claiming the most its bytes could give: a small, bounded allocation.
    out["deflate claims 1000 times its size"] = (with_manifest(ndarray, _greedy()), "too few")
    return out


def _greedy() -> Entry:
    """A deflated .npy whose sizes and shape claim 1000 times its compressed length."""
    head = "{'descr': '|u1', 'fortran_order': False, 'shape': (%d,), }"
    raw = zlib.compress(npy_header(head % 1) + bytes(100_000))[2:-4]
    claim = len(raw) * 1000
    count = claim - len(npy_header(head % claim))  # as many digits as the final count
    member = npy_header(head % count)
    assert len(member) + count == claim
    sizes = {"usize": claim, "crc": 0}
    raw = zlib.compress(member + bytes(100_000))[2:-4]
    return Entry("a0.npy", member, 8, cd=sizes, local=sizes, raw=raw)


def _structure() -> dict[str, tuple[bytes, str]]:
    """Wrong shapes and dtypes, deep JSON, duplicates, overlaps, missing arrays."""
    text = json.dumps({"format": "lucid", "version": 1, "object": [1]}).encode()
    as_uint8 = np.frombuffer(text, dtype=np.uint8)
    out = {}
    for key, array, frag in [
        ("manifest 2-D", as_uint8.reshape(1, -1), "uint8 array of shape (1,"),
        ("manifest Fortran 2-D", np.asfortranarray(as_uint8.reshape(-1, 1)), "of shape"),
        ("manifest int8", as_uint8.view(np.int8), "int8 array"),
        ("manifest float32", np.zeros(4, np.float32), "float32 array"),
        ("manifest 0-d", np.array(7, np.uint8), "of shape ()"),
        ("manifest not UTF-8", np.frombuffer(b"\xff\xfe{}", np.uint8), "utf-8"),
        ("manifest not JSON", np.frombuffer(b"{not json", np.uint8), "Expecting"),
    ]:
        out[key] = (build_zip([Entry("__lucid__.npy", npy(array))]), frag)
    for key, obj, array, frag in [
        ("scalar with a shape", {"scalar": 0}, np.zeros(3), "a scalar has shape (3,)"),
        ("complex tensor", TENSOR, np.zeros(2, np.complex128), "a tensor has dtype complex128"),
        ("text array", {"ndarray": 0}, np.array(["text"]), "dtype <U4"),
        ("bytes array", {"ndarray": 0}, np.array([b"text"]), "dtype |S4"),
        ("structured array", {"ndarray": 0}, np.zeros(2, "f4,f4"), "structured dtype"),
        ("datetime array", {"ndarray": 0}, np.zeros(2, "M8[s]"), "dtype <M8[s]"),
    ]:
        out[key] = (with_manifest(obj, npy(array)), frag)
    opening = '{"format":"lucid","version":1,"object":'
    for key, body in [
        ("JSON 100,000 nested lists", "[" * 100_000 + "]" * 100_000),
        ("JSON 100,000 nested lucid lists", '{"list":[' * 100_000 + "]}" * 100_000),
        ("JSON 100,000 unclosed lists", "[" * 100_000),
        ("JSON nested past escaped quotes", '["\\\\", "\\"[", ' + "{" * 5000),
    ]:
        member = npy(np.frombuffer((opening + body + "}").encode(), np.uint8))
        out[key] = (build_zip([Entry("__lucid__.npy", member)]), "nests deeper than 1000")
    manifest_entry = Entry("__lucid__.npy", manifest({"ndarray": 0}))
    zeros = npy(np.zeros(2))
    out["duplicate array"] = (
        build_zip([manifest_entry, Entry("a0.npy", zeros), Entry("a0.npy", npy(np.ones(2)))]),
        "two members named 'a0.npy'",
    )
    out["duplicate manifest"] = (
        build_zip([manifest_entry, Entry("a0.npy", zeros), manifest_entry]),
        "two members named '__lucid__.npy'",
    )
    out["overlapping members"] = (_overlapping(), "overlap")
    out["directory name differs from local name"] = (
        with_manifest({"ndarray": 0}, Entry("a0.npy", zeros, cd={"offset": 0})),
        "another name",
    )
    for key, obj, frag in [
        ("missing array", {"ndarray": 0}, "no array 'a0'"),
        ("missing tensor", {"dict": [["w", {**TENSOR, "tensor": 7}]]}, "no array 'a7'"),
        ("missing scalar", {"list": [{"scalar": 3}]}, "no array 'a3'"),
        ("negative reference", {"ndarray": -1}, "no array 'a-1'"),
        ("string reference", {"ndarray": "0"}, "bad array reference"),
    ]:
        out[key] = (with_manifest(obj), frag)
    out["no manifest"] = (build_zip([Entry("a0.npy", zeros)]), "no lucid manifest")
    return out


def _overlapping() -> bytes:
    """a1.npy's local header and data lie inside a0.npy's data: two arrays from one span."""
    inner = npy(np.ones(64))
    alone = build_zip([Entry("a1.npy", inner)])
    record = alone[: 30 + len("a1.npy") + len(inner)]  # a1's local header and data
    outer = npy(np.frombuffer(record, np.uint8))
    first = Entry("__lucid__.npy", manifest({"list": [{"ndarray": 0}, {"ndarray": 1}]}))
    start = 30 + len(first.name) + len(first.data) + 30 + len("a0.npy") + len(outer) - len(record)
    return build_zip([first, Entry("a0.npy", outer), Entry("a1.npy", inner, cd={"offset": start})])


def pickles(marker: str) -> dict[str, tuple[bytes, str]]:
    """Each would create ``marker`` if anything in it were unpickled."""
    payload = np.array([Marker(marker)], dtype=object)
    pickled = npy(payload, allow_pickle=True)
    field = npy(np.array([(Marker(marker),)], dtype=[("a", "O")]), allow_pickle=True)
    subarray = npy_header("{'descr': ('|O', (1,)), 'fortran_order': False, 'shape': (), }")
    raw = pickle.dumps(Marker(marker))
    never = "never loads pickled objects"
    return {
        "pickle as an array": (with_manifest({"ndarray": 0}, pickled), never),
        "pickle as a tensor": (with_manifest(TENSOR, pickled), never),
        "pickle as a scalar": (with_manifest({"scalar": 0}, pickled), never),
        "pickle as the manifest": (build_zip([Entry("__lucid__.npy", pickled)]), never),
        "pickle in a structured field": (with_manifest({"ndarray": 0}, field), "structured"),
        "pickle in a subarray dtype": (with_manifest({"ndarray": 0}, subarray + raw), "structured"),
        "pickle as a member": (with_manifest({"ndarray": 0}, raw), "not a .npy file"),
        "pickle as the file": (raw, "not a zip archive"),
    }


def corpus(checkpoint: bytes, marker: str) -> dict[str, tuple[bytes, str]]:
    """Every hostile case: name → (the file's bytes, a fragment of its error message).
    ``checkpoint`` is a real one (see checkpoint()), cut at every KiB."""
    out = {**_forged_sizes(), **_structure(), **pickles(marker)}
    cuts = [*range(0, len(checkpoint), 1024), len(checkpoint) - 22, len(checkpoint) - 1]
    directory = checkpoint.index(b"PK\x01\x02")
    for n in cuts:
        out[f"checkpoint cut to {n} bytes"] = (checkpoint[:n], "")
        if n < directory:  # the same cut, zeroed, so the directory still finds its members
            zeroed = checkpoint[:n] + bytes(directory - n) + checkpoint[directory:]
            out[f"checkpoint zeroed from byte {n}"] = (zeroed, "")
    return out
