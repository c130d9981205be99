"""lucid.load and lucid.save against hostile files and hostile surroundings.

Each hostile archive (_hostile_archives.py) is loaded in a child whose address space is
capped at 1 GiB above its start, with a timeout per load: a hang, a crash or a large
allocation fails that case alone. Each must be a ValueError naming the path, with the
fragment of the message that says which check refused it; nothing may be unpickled."""

from __future__ import annotations

import contextlib
import fcntl
import io
import json
import os
import pickle
import re
import selectors
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import pytest
from _hostile_archives import checkpoint, corpus, pickles, valid_archives

import lucid
from lucid import _serialization

CAP = 1 << 30  # bytes of address space the child may add

_CHILD = r"""
import json, re, resource, sys
import lucid

size = int(re.search(r"VmSize:\s+(\d+)", open("/proc/self/status").read())[1]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[1]), size + int(sys.argv[1])))
exec(sys.argv[2])
for line in sys.stdin:
    try:
        lucid.load(json.loads(line))
        record = ["returned", ""]
    except BaseException as e:
        record = [type(e).__name__, str(e)]
    print(json.dumps(record), flush=True)
"""


def load_each(paths: list[str], timeout: float = 10.0, setup: str = "") -> list[tuple[str, str]]:
    """(exception name or "returned", message) for lucid.load of each path, in a capped
    child that first runs ``setup``; a case that hangs or kills it is charged to it alone."""
    results: list[tuple[str, str]] = []
    while len(results) < len(paths):
        with (
            tempfile.TemporaryFile() as stderr,
            subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(CAP), setup],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                bufsize=0,  # nothing left to flush into a dead child's pipe
            ) as child,
        ):
            answered = selectors.DefaultSelector()
            answered.register(child.stdout, selectors.EVENT_READ)
            for i, path in enumerate(paths[len(results) :]):
                with contextlib.suppress(BrokenPipeError):  # it died: no line, a crash
                    child.stdin.write(json.dumps(path).encode() + b"\n")
                # The first case's time includes the child's start.
                line = child.stdout.readline() if answered.select(timeout + 60 * (i == 0)) else None
                if not line:
                    child.kill()
                    stderr.seek(0)
                    tail = stderr.read()[-1500:].decode(errors="replace")
                    results.append(("hang" if line is None else "crash", tail))
                    break
                results.append(tuple(json.loads(line)))
    return results


with tempfile.TemporaryDirectory() as _scratch:
    CASES = sorted(corpus(checkpoint(_scratch), os.path.join(_scratch, "marker")))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Each case's path, fragment and outcome, and the marker a pickle would create."""
    directory = tmp_path_factory.mktemp("hostile")
    marker = directory / "UNPICKLED"
    cases = corpus(checkpoint(str(directory)), str(marker))
    assert sorted(cases) == CASES
    paths = {}
    for i, (name, (data, _)) in enumerate(sorted(cases.items())):
        paths[name] = str(directory / f"case-{i:03d}.npz")
        with open(paths[name], "wb") as f:
            f.write(data)
    outcomes = dict(zip(CASES, load_each([paths[name] for name in CASES]), strict=True))
    return {name: (paths[name], cases[name][1], outcomes[name]) for name in CASES}, marker


@pytest.mark.parametrize("name", CASES)
def test_a_hostile_file_is_a_value_error_naming_its_path(hostile, name):
    cases, marker = hostile
    path, fragment, (error, message) = cases[name]
    assert error == "ValueError", f"{name}: {error}: {message}"
    assert message.startswith(f"{path!r} is not a readable lucid file: "), message
    assert fragment in message, f"{name}: expected {fragment!r} in {message!r}"
    assert not marker.exists(), "something was unpickled"


def test_the_corpus_pickles_would_create_the_marker_if_unpickled(tmp_path):
    marker = tmp_path / "UNPICKLED"
    cases = pickles(str(marker))
    pickle.loads(cases["pickle as the file"][0])
    assert marker.exists()
    marker.unlink()
    with zipfile.ZipFile(io.BytesIO(cases["pickle as an array"][0])) as archive:
        with archive.open("a0.npy") as member:
            np.lib.format.read_array(member, allow_pickle=True)
    assert marker.exists()


def test_deep_json_is_refused_before_json_recurses_under_a_raised_recursion_limit(hostile):
    # With the limit raised, json.loads would recurse in C until the stack overflowed.
    cases, _ = hostile
    deep = [name for name in CASES if name.startswith("JSON")]
    raised = "import sys; sys.setrecursionlimit(10**6)"
    outcomes = load_each([cases[name][0] for name in deep], setup=raised)
    for name, outcome in zip(deep, outcomes, strict=True):
        assert outcome[0] == "ValueError" and "nests deeper than 1000" in outcome[1], name


def test_the_child_charges_a_large_allocation_and_a_hang_to_their_cases_alone():
    setup = """
import os, time
def load(path):
    if path == "big":
        return bytearray(2 << 30)
    if path == "hang":
        time.sleep(60)
    if path == "crash":
        os.abort()
    raise ValueError(path)
lucid.load = load
"""
    outcomes = load_each(["big", "hang", "crash", "after"], timeout=1, setup=setup)
    assert [error for error, _ in outcomes] == ["MemoryError", "hang", "crash", "ValueError"]


def test_archives_other_writers_make_are_read(tmp_path):
    text = json.dumps({"format": "lucid", "version": 1, "object": {"list": [{"ndarray": 0}]}})
    arrays = {"__lucid__": np.frombuffer(text.encode(), np.uint8), "a0": np.arange(5.0)}
    for name, data in valid_archives(arrays).items():
        (tmp_path / "f").write_bytes(data)
        [loaded] = lucid.load(tmp_path / "f")
        np.testing.assert_array_equal(loaded, np.arange(5.0), err_msg=name)


def test_deep_but_allowed_nesting_and_brackets_in_strings_load(tmp_path):
    nested: list = []
    for _ in range(200):
        nested = [nested]
    tricky = ["[" * 100_000, '\\"[[[', "\\", '"', "{" * 2000]
    path = lucid.save({"nested": nested, "tricky": tricky}, tmp_path / "f")  # f.lcd
    assert lucid.load(path) == {"nested": nested, "tricky": tricky}


# ---- paths that are not regular files, and bytes paths ------------------------------


def test_non_regular_files_are_refused_without_reading_or_blocking(tmp_path):
    fifo = str(tmp_path / "fifo")
    os.mkfifo(fifo)
    link = str(tmp_path / "zero-link")
    os.symlink("/dev/zero", link)
    with tempfile.TemporaryDirectory(dir="/tmp") as short:  # AF_UNIX paths are short
        sock = os.path.join(short, "sock")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(sock)
            kinds = {
                "/dev/zero": "a character device",
                "/dev/urandom": "a character device",
                "/dev/null": "a character device",
                link: "a character device",
                fifo: "a FIFO",
                str(tmp_path): "a directory",
                sock: "a socket",
            }
            outcomes = load_each(list(kinds), timeout=5)
    for (path, kind), (error, message) in zip(kinds.items(), outcomes, strict=True):
        assert (error, message) == ("ValueError", f"{path!r} is not a regular file (it is {kind})")


def test_a_path_that_becomes_a_fifo_after_the_stat_is_refused_without_blocking(tmp_path):
    # The stat says "regular file"; by the open it is a FIFO with no writer: a blocking
    # open would wait for ever, the fstat of the opened descriptor refuses it.
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    code = f"""
import os, sys, lucid, lucid._files as files
files._stat = lambda path, regular=os.stat(sys.executable): regular
try:
    lucid.load({str(fifo)!r})
except ValueError as e:
    print(e)
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=20)
    assert done.stdout.strip() == f"{str(fifo)!r} is not a regular file (it is a FIFO)", done


@pytest.mark.parametrize("target", ["/dev/null", "fifo", "directory"])
def test_saving_over_a_non_regular_file_is_refused_and_leaves_it(tmp_path, target):
    path = target if target.startswith("/") else str(tmp_path / target)
    if target == "fifo":
        os.mkfifo(path)
    elif target == "directory":
        os.mkdir(path)
    before = os.stat(path)
    with pytest.raises(ValueError, match=rf"^'{path}' is not a regular file \(it is a"):
        lucid.save([1], path)
    after = os.stat(path)
    assert (after.st_ino, after.st_mode) == (before.st_ino, before.st_mode)
    beside = os.listdir(os.path.dirname(path))
    assert not [n for n in beside if n.startswith(f".{os.path.basename(path)}.")]  # no temp


class BytesPath:
    def __init__(self, path: bytes) -> None:
        self.path = path

    def __fspath__(self) -> bytes:
        return self.path


@pytest.mark.parametrize("wrap", [bytes, BytesPath], ids=["bytes", "PathLike of bytes"])
def test_a_bytes_path_is_taken_as_open_takes_it(tmp_path, wrap):
    raw = os.fsencode(tmp_path) + b"/caf\xc3\xa9-\xff.ckpt"  # UTF-8, then a byte that is not
    lucid.save({"w": lucid.Tensor([1.0, 2.0])}, wrap(raw))
    assert os.listdir(os.fsencode(tmp_path)) == [os.path.basename(raw)]
    assert lucid.load(wrap(raw))["w"].data.tolist() == [1.0, 2.0]
    with open(raw, "wb") as f:
        f.write(b"not an archive")
    shown = repr(os.fsdecode(raw))
    with pytest.raises(ValueError, match=f"^{re.escape(shown)} is not a readable lucid file"):
        lucid.load(wrap(raw))
    with pytest.raises(FileNotFoundError):
        lucid.load(wrap(raw + b"-missing"))


@pytest.mark.parametrize("bad", [3, None, 1.5, bytearray(b"f"), memoryview(b"f"), io.BytesIO()])
def test_a_path_of_another_type_is_a_type_error_naming_it(tmp_path, bad):
    expected = f"path must be a str, bytes or os.PathLike, got {type(bad).__name__}"
    for call in (lambda: lucid.save([1], bad), lambda: lucid.load(bad)):
        with pytest.raises(TypeError) as info:
            call()
        assert str(info.value) == expected


# ---- permission bits and temporary files ---------------------------------------------

TEMP = re.compile(r"\.f\.lucid-save-[0-9a-f]{16}\.tmp")


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@contextlib.contextmanager
def umask(mask: int):
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o400, 0o755, 0o666])
def test_replacing_a_file_keeps_its_permission_bits(tmp_path, mode):
    path = tmp_path / "f"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    with umask(0o077):  # the umask narrows new files, not the bits of a replaced one
        lucid.save([1], path)
    assert mode_of(path) == mode and lucid.load(path) == [1]


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_new_file_gets_0o666_less_the_umask(tmp_path, mask, mode):
    with umask(mask):
        lucid.save([1], tmp_path / "f")
    assert mode_of(tmp_path / "f") == mode


def test_the_temporary_file_is_named_locked_and_never_more_open_than_the_target(
    tmp_path, monkeypatch
):
    path = tmp_path / "f"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    seen = []
    write = _serialization._write_npz

    def watch(file, arrays):
        (temp,) = [n for n in os.listdir(tmp_path) if n != "f"]
        with open(tmp_path / temp, "rb") as other:  # another open file: the lock is taken
            with pytest.raises(BlockingIOError):
                fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
        seen.append((temp, mode_of(tmp_path / temp)))
        write(file, arrays)

    monkeypatch.setattr(_serialization, "_write_npz", watch)
    lucid.save([1], path)
    [(temp, mode)] = seen
    assert TEMP.fullmatch(temp) and mode == 0o600
    assert os.listdir(tmp_path) == ["f"]


def test_stale_temporary_files_of_the_same_path_are_removed(tmp_path):
    names = [
        ".f.lucid-save-0123456789abcdef.tmp",  # stale: removed
        ".f.lucid-save-fedcba9876543210.tmp",  # stale: removed
        ".g.lucid-save-0123456789abcdef.tmp",  # another path's
        ".f.lucid-save-0123.tmp",  # not the pattern
        ".f.lucid-save-0123456789abcdef.tmp.keep",
        "f.lucid-save-0123456789abcdef.tmp",
    ]
    for name in names:
        (tmp_path / name).write_bytes(bytes(1000))
    lucid.save([1], tmp_path / "f")
    assert sorted(os.listdir(tmp_path)) == sorted(["f", *names[2:]])


_HOLD = r"""
import fcntl, os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
sys.stdin.read()
"""


def test_a_temporary_file_locked_by_a_live_save_is_kept(tmp_path):
    live = tmp_path / ".f.lucid-save-00000000000000aa.tmp"
    with subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(live)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout.readline() == "locked\n"
        lucid.save([1], tmp_path / "f")
        assert live.exists()  # its lock is held: another save is writing it
        holder.stdin.close()
        holder.wait(10)
    lucid.save([2], tmp_path / "f")
    assert not live.exists() and lucid.load(tmp_path / "f") == [2]


_KILLED = r"""
import sys, time
import numpy as np
import lucid
from lucid import _serialization

write = _serialization._write_npz

def write_then_stall(file, arrays):
    write(file, arrays)
    file.flush()
    print("written", flush=True)
    time.sleep(60)  # killed here, the temporary file full and locked

_serialization._write_npz = write_then_stall
lucid.save([lucid.Tensor(np.ones(2_000_000, np.float32))], sys.argv[1])  # a list: no suffix
"""


def test_a_save_killed_by_sigkill_leaves_its_temp_file_until_the_next_save(tmp_path):
    path = tmp_path / "f"
    with subprocess.Popen(
        [sys.executable, "-c", _KILLED, str(path)], stdout=subprocess.PIPE, text=True
    ) as child:
        try:
            assert child.stdout.readline() == "written\n"
            (temp,) = os.listdir(tmp_path)
            assert TEMP.fullmatch(temp) and os.path.getsize(tmp_path / temp) > 8_000_000
            lucid.save([1], path)  # while the child lives: its temp is kept
            assert sorted(os.listdir(tmp_path)) == sorted(["f", temp])
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(10)
    assert child.returncode == -signal.SIGKILL
    assert sorted(os.listdir(tmp_path)) == sorted(["f", temp])  # left behind by the kill
    lucid.save([2], path)
    assert os.listdir(tmp_path) == ["f"] and lucid.load(path) == [2]
