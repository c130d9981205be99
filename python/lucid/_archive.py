"""Reading a .npz file that may be hostile: the zip and .npy checks behind lucid.load.

Every size the file claims (the end records, the central directory, each local header,
the zip64 extras, the .npy header's shape times its itemsize) is checked against the
file's real length, and a deflated member's against the most deflate can expand its
bytes to, before anything is allocated. Members may not share a name or overlap, so
no byte of the file is read twice. The .npy header is parsed by a strict grammar, never
evaluated, and only bool, integer, float and complex arrays are read: nothing is ever
unpickled.
"""

from __future__ import annotations

import math
import re
import struct
import zlib
from dataclasses import dataclass
from typing import IO

import numpy as np

from lucid import _storage

__all__ = ["ArchiveError", "Member", "members", "read_array"]

_CHUNK = 1 << 24  # bytes read or inflated per call
_INFLATE = 1032  # deflate's largest expansion: one bit for a 258-byte match, both codes
_MAX_HEADER = 10_000  # numpy's own limit for a .npy header it reads without trust
_MAX_NDIM = 64  # numpy's

_EOCD = struct.Struct("<4s4H2LH")
_LOCATOR = struct.Struct("<4sLQL")
_EOCD64 = struct.Struct("<4sQ2H2L4Q")
_CENTRAL = struct.Struct("<4s6H3L5H2L")
_LOCAL = struct.Struct("<4s5H3L2H")
_STORED, _DEFLATED = 0, 8
_ENCRYPTED, _DESCRIPTOR, _UTF8 = 0x1, 0x8, 0x800
_FLAGS = 0x2 | 0x4 | _DESCRIPTOR | _UTF8  # besides these: encryption, patches, masking


class ArchiveError(ValueError):
    """The file is damaged, forged or not a .npz archive."""


@dataclass(frozen=True)
class Member:
    """One member of the archive, its sizes checked against the file."""

    name: str
    method: int
    crc: int
    size: int  # uncompressed
    compressed: int
    offset: int  # of its local header
    data: int  # of its first byte of data


def _pread(file: IO[bytes], offset: int, count: int) -> bytes:
    file.seek(offset)
    data = file.read(count)
    if len(data) != count:
        raise ArchiveError("the file changed or is truncated")
    return data


def _end_records(file: IO[bytes], length: int) -> tuple[int, int, int]:
    """The central directory's entry count, offset and size, from the end records."""
    span = min(length, _EOCD.size + 0xFFFF)  # the record and a comment of at most 64 KiB
    tail = _pread(file, length - span, span)
    at = tail.rfind(b"PK\x05\x06")  # the last one, as zipfile takes it
    if at < 0 or at + _EOCD.size > span:
        raise ArchiveError("it is not a zip archive (no end of central directory record)")
    _, disk, cd_disk, on_disk, count, size, offset, comment = _EOCD.unpack_from(tail, at)
    if at + _EOCD.size + comment != span:
        raise ArchiveError("its end record and comment do not end the file")
    eocd = length - span + at
    if disk or cd_disk or on_disk != count:
        raise ArchiveError("it is a multi-disk zip archive")
    end = eocd  # where the central directory must end
    locator = eocd - _LOCATOR.size
    if locator >= 0 and _pread(file, locator, 4) == b"PK\x06\x07":
        _, disk, record, disks = _LOCATOR.unpack(_pread(file, locator, _LOCATOR.size))
        if disk or disks > 1 or record > locator - _EOCD64.size:
            raise ArchiveError("its zip64 end record locator is forged")
        fields = _EOCD64.unpack(_pread(file, record, _EOCD64.size))
        if fields[0] != b"PK\x06\x06" or fields[1] != 44 or record + _EOCD64.size != locator:
            raise ArchiveError("its zip64 end record is forged")
        disk, cd_disk, on_disk, count64, size64, offset64 = fields[4:]
        if disk or cd_disk or on_disk != count64:
            raise ArchiveError("it is a multi-disk zip archive")
        for small, big, sentinel in [
            (count, count64, 0xFFFF),
            (size, size64, 0xFFFFFFFF),
            (offset, offset64, 0xFFFFFFFF),
        ]:
            if small not in (sentinel, big):
                raise ArchiveError("its end records disagree")
        count, size, offset, end = count64, size64, offset64, record
    if offset + size != end:
        raise ArchiveError(f"its central directory ({size} bytes at {offset}) is forged")
    if count * _CENTRAL.size > size:
        raise ArchiveError(f"its central directory cannot hold the {count} entries it claims")
    return count, offset, size


def _zip64(extra: bytes, wanted: list[bool]) -> list[int | None]:
    """The zip64 extra's values for the fields whose 32-bit value was its sentinel."""
    values: list[int | None] = [None] * len(wanted)
    at, seen = 0, False
    while at < len(extra):
        if at + 4 > len(extra):
            raise ArchiveError("a member's extra field is truncated")
        kind, size = struct.unpack_from("<HH", extra, at)
        block = extra[at + 4 : at + 4 + size]
        if len(block) != size:
            raise ArchiveError("a member's extra field is truncated")
        if kind == 1:
            if seen:
                raise ArchiveError("a member has two zip64 extra fields")
            seen, used = True, 0
            for i, (want, width) in enumerate(zip(wanted, [8, 8, 8, 4], strict=False)):
                if want:
                    if used + width > size:
                        raise ArchiveError("a member's zip64 extra field is truncated")
                    values[i] = int.from_bytes(block[used : used + width], "little")
                    used += width
        at += 4 + size
    return values


def _central(cd: bytes, at: int) -> tuple[Member, bytes, int, int]:
    """The entry at ``at``: the member (data offset not yet known), its raw name, flags and
    where the next entry starts."""
    if at + _CENTRAL.size > len(cd) or cd[at : at + 4] != b"PK\x01\x02":
        raise ArchiveError("its central directory is damaged")
    fields = _CENTRAL.unpack_from(cd, at)
    flags, method, crc, compressed, size = fields[3], fields[4], fields[7], fields[8], fields[9]
    name_length, extra_length, comment_length, disk, offset = *fields[10:14], fields[16]
    end = at + _CENTRAL.size + name_length + extra_length + comment_length
    if end > len(cd):
        raise ArchiveError("its central directory is damaged")
    raw = cd[at + _CENTRAL.size : at + _CENTRAL.size + name_length]
    extra = cd[at + _CENTRAL.size + name_length : at + _CENTRAL.size + name_length + extra_length]
    wanted = [size == 0xFFFFFFFF, compressed == 0xFFFFFFFF, offset == 0xFFFFFFFF, disk == 0xFFFF]
    big = _zip64(extra, wanted)
    if any(w and v is None for w, v in zip(wanted, big, strict=True)):
        raise ArchiveError("a member's zip64 sizes are missing")
    size, compressed, offset, disk = (
        small if value is None else value
        for small, value in zip([size, compressed, offset, disk], big, strict=True)
    )
    try:
        name = raw.decode("utf-8" if flags & _UTF8 else "cp437")
    except UnicodeDecodeError:
        raise ArchiveError(f"a member's name {raw!r} is not UTF-8, as its flags say") from None
    if fields[2] & 0xFF > 63:  # zipfile's limit: a later version's features
        raise ArchiveError(f"member {name!r} needs zip version {(fields[2] & 0xFF) / 10}")
    if disk:
        raise ArchiveError(f"member {name!r} is on another disk")
    if flags & _ENCRYPTED:
        raise ArchiveError(f"member {name!r} is encrypted")
    if flags & ~_FLAGS:
        raise ArchiveError(f"member {name!r} has flags {flags:#06x}, which lucid does not read")
    if method not in (_STORED, _DEFLATED):
        raise ArchiveError(f"member {name!r} is compressed with method {method}, not deflate")
    if method == _STORED and size != compressed:
        raise ArchiveError(f"member {name!r} claims {size} bytes but stores {compressed}")
    if method == _DEFLATED and size > compressed * _INFLATE:
        raise ArchiveError(
            f"member {name!r} claims {size} bytes from {compressed} deflated ones, "
            "more than deflate can give"
        )
    return Member(name, method, crc, size, compressed, offset, -1), raw, flags, end


def _local(file: IO[bytes], member: Member, raw: bytes, flags: int, limit: int) -> Member:
    """``member`` with its data offset, after its local header agrees with the directory."""
    name, offset = member.name, member.offset
    if offset + _LOCAL.size > limit:
        raise ArchiveError(f"member {name!r} starts at {offset}, past the end of the data")
    fields = _LOCAL.unpack(_pread(file, offset, _LOCAL.size))
    signature, local_flags, method = fields[0], fields[2], fields[3]
    crc, compressed, size, name_length, extra_length = fields[6:11]
    data = offset + _LOCAL.size + name_length + extra_length
    if (
        signature != b"PK\x03\x04"
        or (local_flags, method) != (flags, member.method)
        or data > limit
    ):
        raise ArchiveError(f"member {name!r} has a damaged local header")
    rest = _pread(file, offset + _LOCAL.size, name_length + extra_length)
    if rest[:name_length] != raw:
        raise ArchiveError(f"member {name!r} has another name in its local header")
    if not flags & _DESCRIPTOR:  # otherwise the sizes follow the data
        if 0xFFFFFFFF in (size, compressed):  # a local zip64 extra holds both sizes
            size, compressed = _zip64(rest[name_length:], [True, True])[:2]
        if (crc, size, compressed) != (member.crc, member.size, member.compressed):
            raise ArchiveError(f"member {name!r} has other sizes in its local header")
    if data + member.compressed > limit:
        raise ArchiveError(
            f"member {name!r} claims {member.compressed} bytes at {data}, past the end of the data"
        )
    return Member(name, member.method, member.crc, member.size, member.compressed, offset, data)


def members(file: IO[bytes], length: int) -> dict[str, Member]:
    """The members of the zip archive ``file`` of ``length`` bytes, by name, each checked."""
    count, cd_offset, cd_size = _end_records(file, length)
    cd = _pread(file, cd_offset, cd_size)
    found: dict[str, Member] = {}
    at = 0
    for _ in range(count):
        member, raw, flags, at = _central(cd, at)
        if member.name in found:
            raise ArchiveError(f"it has two members named {member.name!r}")
        found[member.name] = _local(file, member, raw, flags, cd_offset)
    if at != cd_size:
        raise ArchiveError(f"its central directory holds more than the {count} entries it claims")
    ordered = sorted(found.values(), key=lambda m: m.offset)
    if ordered and ordered[0].offset:  # numpy.load knows a .npz by its first bytes
        raise ArchiveError(f"its first member starts at byte {ordered[0].offset}, not 0")
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.data + before.compressed > after.offset:
            raise ArchiveError(f"members {before.name!r} and {after.name!r} overlap")
    return found


class _Reader:
    """A member's bytes, inflated if deflated, each byte checked against the stated size."""

    def __init__(self, file: IO[bytes], member: Member) -> None:
        self._file, self._member = file, member
        self._at, self._in_left, self._out_left = member.data, member.compressed, member.size
        self._crc = 0
        self._inflate = zlib.decompressobj(-15) if member.method == _DEFLATED else None
        self._tail = b""  # compressed bytes read and not yet inflated

    def _raw(self, count: int) -> bytes:
        count = min(count, self._in_left)
        data = _pread(self._file, self._at, count)
        self._at += count
        self._in_left -= count
        return data

    def _decompress(self, most: int) -> bytes:
        assert self._inflate is not None
        try:
            return self._inflate.decompress(self._tail, most)
        except zlib.error as err:
            raise ArchiveError(
                f"member {self._member.name!r} is not valid deflate: {err}"
            ) from None

    def _some(self, count: int) -> bytes:
        """Up to ``count`` (> 0) more inflated bytes; at least one."""
        assert self._inflate is not None
        while True:
            if not self._tail:
                self._tail = self._raw(1 << 20)
            out = self._decompress(min(count, _CHUNK))
            self._tail = self._inflate.unconsumed_tail
            if out:
                return out
            if self._inflate.eof or not (self._tail or self._in_left):
                raise ArchiveError(f"member {self._member.name!r} inflates to too few bytes")

    def readinto(self, view: memoryview) -> None:
        """Fill ``view`` (at most the bytes left in the member)."""
        if len(view) > self._out_left:
            raise ArchiveError(f"member {self._member.name!r} is shorter than its contents")
        done = 0
        while done < len(view):
            if self._inflate is None:  # stored: straight from the file into ``view``
                part = view[done : done + min(len(view) - done, _CHUNK)]
                self._file.seek(self._at)
                count = self._file.readinto(part)  # type: ignore[attr-defined]
                if not count:
                    raise ArchiveError("the file changed or is truncated")
                self._at, self._in_left = self._at + count, self._in_left - count
                self._crc = zlib.crc32(part[:count], self._crc)
            else:
                data = self._some(len(view) - done)
                count = len(data)
                view[done : done + count] = data
                self._crc = zlib.crc32(data, self._crc)
            done += count
        self._out_left -= len(view)

    def read(self, count: int) -> bytes:
        out = bytearray(count)
        self.readinto(memoryview(out))
        return bytes(out)

    def finish(self) -> None:
        """Check that the member ended where it said, with its CRC."""
        name = self._member.name
        if self._out_left:
            raise ArchiveError(f"member {name!r} holds {self._out_left} bytes more than read")
        if self._inflate is not None:
            while not self._inflate.eof:
                if not self._tail:
                    if not self._in_left:
                        raise ArchiveError(f"member {name!r} has a truncated deflate stream")
                    self._tail = self._raw(1 << 20)
                if self._decompress(1):
                    raise ArchiveError(f"member {name!r} inflates to more than its stated size")
                self._tail = self._inflate.unconsumed_tail
            if self._inflate.unused_data or self._tail or self._in_left:
                raise ArchiveError(f"member {name!r} has bytes after its deflate stream")
        if self._crc != self._member.crc:
            raise ArchiveError(f"member {name!r} fails its CRC-32 check")


# One entry of a .npy header's dict, as numpy writes it: key, value, an optional comma.
_ENTRY = re.compile(
    r"""\s*(['"])(descr|fortran_order|shape)\1\s*:\s*"""
    r"""('[^'"\\]{0,64}'|"[^'"\\]{0,64}"|True|False|\([\d\s,]*\))\s*(,?)""",
    re.ASCII,
)
_DESCR = re.compile(r"[<>|=]?[biufc]\d{1,2}")  # bool, integer, float and complex only


def _parse_header(text: str, name: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """Shape, Fortran order and dtype from a .npy header, parsed, never evaluated."""
    bad = ArchiveError(f"array {name!r} has a .npy header lucid does not read: {text[:80]!r}")
    body = text.rstrip(" \n")
    if not (body.startswith("{") and body.endswith("}")):
        raise bad
    found: dict[str, str] = {}
    at, end = 1, len(body) - 1
    while body[at:end].strip():
        entry = _ENTRY.match(body, at, end)
        if entry is None or entry[2] in found:
            if re.search(r"""['"]descr['"]\s*:\s*[\[(]""", body):
                raise ArchiveError(
                    f"array {name!r} has a structured dtype, which lucid does not read"
                )
            raise bad
        found[entry[2]] = entry[3]
        at = entry.end()
        if not entry[4] and body[at:end].strip():
            raise bad
    descr, fortran, shape = (found.get(k, "") for k in ("descr", "fortran_order", "shape"))
    if descr[:1] not in ("'", '"') or fortran not in ("True", "False") or shape[:1] != "(":
        raise bad
    parts = [part.strip() for part in shape[1:-1].split(",")]
    if parts[-1] == "":
        parts.pop()
    elif len(parts) == 1:  # "(3)" is an int, not a tuple
        raise bad
    if not all(part.isdigit() for part in parts) or len(parts) > _MAX_NDIM:
        raise bad
    try:
        dtype = np.dtype(descr[1:-1]) if _DESCR.fullmatch(descr[1:-1]) else None
    except TypeError:
        dtype = None
    if dtype is None or dtype.kind not in "biufc":
        raise ArchiveError(
            f"array {name!r} has dtype {descr[1:-1]}: lucid reads bool, integer, float and "
            "complex arrays, and never loads pickled objects"
        )
    return tuple(int(part) for part in parts), fortran == "True", dtype


def read_array(file: IO[bytes], member: Member, name: str) -> np.ndarray:
    """Array ``name`` from ``member``; float32/64, int64 and bool ones straight into storage."""
    reader = _Reader(file, member)
    preamble = reader.read(min(10, member.size))
    if len(preamble) < 10 or preamble[:6] != b"\x93NUMPY":
        raise ArchiveError(f"array {name!r} is not a .npy file")
    version = (preamble[6], preamble[7])
    if version == (1, 0):
        header_length, start = struct.unpack("<H", preamble[8:10])[0], 10
    elif version == (2, 0):
        more = reader.read(min(2, member.size - 10))
        header_length, start = struct.unpack("<L", preamble[8:10] + more)[0], 12
    else:
        raise ArchiveError(f"array {name!r} has .npy format version {version}")
    if header_length > min(_MAX_HEADER, member.size - start):
        raise ArchiveError(f"array {name!r} claims a {header_length}-byte .npy header")
    shape, fortran, dtype = _parse_header(reader.read(header_length).decode("latin-1"), name)
    expected = math.prod(shape) * dtype.itemsize  # exact: Python ints
    present = member.size - start - header_length
    if present != expected:
        raise ArchiveError(
            f"array {name!r} of shape {shape} and dtype {dtype} needs {expected} bytes, "
            f"but the file holds {present}"
        )
    if fortran:
        out = np.empty(shape[::-1], dtype)
    elif dtype in _storage.DTYPES:
        out = _storage.empty(shape, dtype)
    else:
        out = np.empty(shape, dtype)
    reader.readinto(out.reshape(-1).view(np.uint8).data)
    reader.finish()
    return out.T if fortran else out
