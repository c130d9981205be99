"""The file-system side of lucid.save and lucid.load: paths, opening a file to read,
replacing one atomically."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Callable
from typing import IO, Any

try:
    import fcntl
except ImportError:  # not POSIX: no flock, so stale temporary files are left alone
    fcntl = None  # type: ignore[assignment]

__all__ = ["PathArg", "check_path", "open_regular", "replace"]

PathArg = str | bytes | os.PathLike[str] | os.PathLike[bytes]

_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
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
        kind = _KINDS.get(stat.S_IFMT(mode), "another kind of file")
        raise ValueError(f"{path!r} is not a regular file (it is {kind})")


def open_regular(path: str) -> IO[bytes]:
    """``path`` opened to read, unbuffered; it must be a regular file (a device or a FIFO
    could never end, or block, and a directory or a socket holds no checkpoint)."""
    _regular(_stat(path).st_mode, path)
    # O_NONBLOCK: had the path become a FIFO since the stat, open still returns at once.
    flags = os.O_RDONLY | _NONBLOCK | getattr(os, "O_BINARY", 0)
    fd = os.open(path, flags)
    try:
        _regular(os.fstat(fd).st_mode, path)
        os.set_blocking(fd, True)
        return open(fd, "rb", buffering=0)
    except BaseException:
        os.close(fd)
        raise


def _lock(fd: int, wait: bool) -> bool | None:
    """True once ``fd`` is locked, False if another process holds its lock, None if the
    file system (or the platform) cannot lock."""
    if fcntl is None:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
    except BlockingIOError:
        return False
    except OSError:
        return None
    return True


def _names(fd: int, path: str) -> bool:
    """Whether ``path`` still names the file open as ``fd``."""
    try:
        named, opened = os.stat(path, follow_symlinks=False), os.fstat(fd)
    except FileNotFoundError:
        return False
    return (named.st_dev, named.st_ino) == (opened.st_dev, opened.st_ino)


def _remove_stale(directory: str, name: str) -> None:
    """Remove the temporary files of saves to ``name`` that died: no process holds
    their lock (a save holds its own until its file is renamed)."""
    pattern = re.compile(re.escape(f".{name}.lucid-save-") + r"[0-9a-f]{16}\.tmp")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    for entry in filter(pattern.fullmatch, entries):
        stale = os.path.join(directory, entry)
        try:
            fd = os.open(stale, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | _NONBLOCK)
        except OSError:
            continue
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode) and _lock(fd, wait=False) and _names(fd, stale):
                os.unlink(stale)
        except OSError:
            pass  # another save removed it first, or it is not ours to remove
        finally:
            os.close(fd)


def _create_temp(directory: str, name: str, path: str, mode: int) -> tuple[int, str]:
    """A new temporary file beside ``path``, open to write and locked."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp = os.path.join(directory, f".{name}.lucid-save-{secrets.token_hex(8)}.tmp")
        try:
            fd = os.open(temp, flags, mode)  # O_EXCL: never reuse someone's file
        except FileNotFoundError as err:
            message = f"no directory {directory!r} to save in"
            raise FileNotFoundError(err.errno, message, path) from None
        # Another save may have taken it for stale between the open and the lock, and
        # removed it: then the name is gone, and a new one is drawn.
        if _lock(fd, wait=True) is None or _names(fd, temp):
            return fd, temp
        os.close(fd)


def replace(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Call ``write`` on a new file beside ``path``, then move it over ``path``, which
    must be a regular file if it exists; the new file keeps its permission bits."""
    try:
        target: os.stat_result | None = _stat(path)
    except FileNotFoundError:
        target = None
    if target is not None:
        _regular(target.st_mode, path)  # never rename over a device or a directory
    directory, name = os.path.split(os.path.abspath(path))
    _remove_stale(directory, name)
    # A new file gets 0o666 less the umask, as open() gives; a replacing one is never
    # more open than the file it replaces, even while empty, then gets its exact bits.
    mode = 0o666 if target is None else stat.S_IMODE(target.st_mode) & 0o777
    fd, temp = _create_temp(directory, name, path, mode)
    try:
        with os.fdopen(fd, "wb") as file:
            if target is not None:
                os.fchmod(file.fileno(), mode)
            write(file)
            file.flush()
            os.fsync(file.fileno())
            if fcntl is not None:  # renamed under the lock, so no save takes it for stale
                os.replace(temp, path)
        if fcntl is None:  # elsewhere an open file cannot be renamed
            os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)
        raise
