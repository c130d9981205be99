"""lucid.load and lucid.save against hostile files and hostile surroundings.

Every hostile archive (tests/hardening/_hostile_archives.py) is loaded in a child
interpreter whose address space is capped at 1 GiB above what it uses at the start, and
each load has its own timeout: a hang, a crash or a large allocation fails that case
alone. Each must be a ValueError naming the path, with the fragment of the message that
says which check refused it, and nothing in any of them may be unpickled.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import tempfile

import pytest
from _hostile_archives import corpus, selu_state

import lucid

CAP = 1 << 30  # bytes of address space the child may add

_CHILD = r"""
import json, re, resource, sys
import lucid

size = int(re.search(r"VmSize:\s+(\d+)", open("/proc/self/status").read())[1]) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + int(sys.argv[1]), size + int(sys.argv[1])))
print("ready", flush=True)
for line in sys.stdin:
    try:
        lucid.load(json.loads(line))
        record = ["returned", ""]
    except BaseException as e:
        record = [type(e).__name__, str(e)]
    print(json.dumps(record), flush=True)
"""


def load_each(paths: list[str], timeout: float = 10.0, cap: int = CAP) -> list[tuple[str, str]]:
    """(exception name or "returned", message) for lucid.load of each path, each in a
    capped child; a case that hangs or kills the child is charged to that case alone."""
    results: list[tuple[str, str]] = []
    while len(results) < len(paths):
        with tempfile.TemporaryFile() as stderr:
            child = subprocess.Popen(
                [sys.executable, "-c", _CHILD, str(cap)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
            assert child.stdin is not None and child.stdout is not None
            waiting = selectors.DefaultSelector()
            waiting.register(child.stdout, selectors.EVENT_READ)
            ready = waiting.select(60) and child.stdout.readline() == "ready\n"
            for path in paths[len(results) :] if ready else []:
                child.stdin.write(json.dumps(path) + "\n")
                child.stdin.flush()
                line = child.stdout.readline() if waiting.select(timeout) else None
                if not line:
                    child.kill()
                    child.wait()
                    stderr.seek(0)
                    tail = stderr.read()[-1500:].decode(errors="replace")
                    what = "hang" if line is None else f"crash (exit {child.returncode})"
                    results.append((what, tail))
                    break
                results.append(tuple(json.loads(line)))
            else:
                child.stdin.close()
                child.wait(10)
                if not ready:
                    stderr.seek(0)
                    raise RuntimeError(f"the child did not start: {stderr.read()[-1500:]!r}")
    return results


def _checkpoint(directory: str) -> bytes:
    path = os.path.join(directory, "selu.ckpt")
    lucid.save(selu_state(), path)
    with open(path, "rb") as f:
        return f.read()


with tempfile.TemporaryDirectory() as _scratch:
    CASES = sorted(corpus(_checkpoint(_scratch), os.path.join(_scratch, "marker")))


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Each case's path, fragment and outcome, and the marker a pickle would create."""
    directory = tmp_path_factory.mktemp("hostile")
    marker = directory / "UNPICKLED"
    cases = corpus(_checkpoint(str(directory)), str(marker))
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
