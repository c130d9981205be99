"""The file-system side of lucid.save and lucid.load: paths, opening a file to read,
replacing one atomically."""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Callable
from typing import IO, Any

__all__ = ["PathArg", "check_path", "open_regular", "replace"]

PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]

_KINDS = {
    stat.S_IFDIR: "a directory",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO",
    stat.S_IFSOCK: "a socket",
}


def check_path(path: Any) -> str:
    """``path`` as a str: a str, bytes (as open() takes them) or an os.PathLike."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        raise TypeError(f"path must be a str, bytes or os.PathLike, got {type(path).__name__}")
    # On POSIX, fsdecode round-trips any bytes (surrogateescape), so the str names the
    # same file.
    return os.fsdecode(os.fspath(path))


def _stat(path: str) -> os.stat_result:
    try:
        return os.stat(path)
    except ValueError as err:  # an embedded NUL
        raise ValueError(f"{path!r} is not a valid path: {err}") from None


def _regular(mode: int, path: str) -> None:
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a file")
        raise ValueError(f"{path!r} is not a regular file (it is {kind})")


def open_regular(path: str) -> IO[bytes]:
    """``path`` opened to read, unbuffered; it must be a regular file (a device or a FIFO
    could never end, or block, and a directory or a socket holds no checkpoint)."""
    _regular(_stat(path).st_mode, path)
    # O_NONBLOCK: had the path become a FIFO since the stat, open still returns at once.
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        _regular(os.fstat(fd).st_mode, path)
        os.set_blocking(fd, True)
        return open(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def replace(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a new file beside ``path``, then move it over ``path``, which
    must be a regular file if it exists."""
    with contextlib.suppress(FileNotFoundError):
        _regular(_stat(path).st_mode, path)  # never rename over a device or a directory
    directory, name = os.path.split(os.path.abspath(path))
    temp = os.path.join(directory, f".{name}.{secrets.token_hex(8)}.tmp")
    # 0o666 less the umask, as open() would give; O_EXCL: never reuse someone's file.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(temp, flags, 0o666)
    except FileNotFoundError as err:
        raise FileNotFoundError(err.errno, f"no directory {directory!r} to save in", path) from None
    try:
        with os.fdopen(fd, "wb") as file:
            write(file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
