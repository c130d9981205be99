"""Runs compatibility snippets in whichever lucid this interpreter imports, one fork each.

Run by scripts/compat_diff.py as ``python worker.py`` under both interpreters (this
repository's and the side environment's lucid 2.x), so it imports only the standard
library, numpy and lucid. It reads a JSON list of snippets ({"id", "code", "repr"}) on
stdin and writes one JSON list of outcomes on stdout, in the same order.

lucid is imported once; each snippet then runs in a child forked from that state, in its
own empty working directory, so no snippet sees another's effects and a hang or a crash
is confined to its child. The child sends its outcome through a pipe; the parent kills
it after the timeout. An outcome is plain JSON (arrays as dtype + shape + values), so
the two interpreters never share an object.
"""

import ast
import json
import math
import os
import select
import signal
import sys
import tempfile
import time

import numpy as np

import lucid
import lucid.nn as nn
import lucid.nn.functional as F

PRELUDE = {"lucid": lucid, "nn": nn, "F": F, "np": np}
MAX_DEPTH = 6


def _number(x: float | int | bool) -> object:
    if isinstance(x, float) and not math.isfinite(x):
        return repr(x)  # "nan", "inf", "-inf": JSON has no such numbers
    return x


def _array(kind: str, arr: np.ndarray) -> dict:
    arr = np.asarray(arr)
    if arr.dtype.kind in "fiub":
        values = [_number(v) for v in arr.ravel().tolist()]
    else:
        values = [repr(v) for v in arr.ravel().tolist()]
    return {"kind": kind, "dtype": str(arr.dtype), "shape": list(arr.shape), "values": values}


def encode(value: object, depth: int = 0) -> dict:
    """The JSON form of a snippet's outcome."""
    if depth > MAX_DEPTH:
        return {"kind": "object", "type": type(value).__name__}
    if isinstance(value, lucid.Tensor):
        out = _array("tensor", np.asarray(value.data))
        out["type"] = type(value).__name__
        out["requires_grad"] = bool(getattr(value, "requires_grad", False))
        return out
    if isinstance(value, np.ndarray):
        return _array("ndarray", value)
    if isinstance(value, np.generic):
        item = value.item()
        return {"kind": "scalar", "dtype": str(value.dtype), "value": _number(item)}
    if isinstance(value, np.dtype) or type(value).__name__ == "Numeric":
        return {"kind": "dtype", "value": str(value)}
    if isinstance(value, type) and issubclass(value, np.generic):
        return {"kind": "dtype", "value": str(np.dtype(value))}
    if value is None:
        return {"kind": "none"}
    if isinstance(value, bool | int | float):
        return {"kind": type(value).__name__, "value": _number(value)}
    if isinstance(value, str):
        return {"kind": "str", "value": value}
    if isinstance(value, list | tuple):
        items = [encode(v, depth + 1) for v in value]
        return {"kind": type(value).__name__, "items": items}
    if isinstance(value, dict):
        pairs = [[str(k), encode(v, depth + 1)] for k, v in value.items()]
        return {"kind": "dict", "items": pairs}
    if isinstance(value, type):
        return {"kind": "class", "value": value.__name__}
    return {"kind": "object", "type": type(value).__name__}


def evaluate(code: str) -> object:
    """Run a snippet: its variable ``result`` if it sets one, else its last expression."""
    tree = ast.parse(code)
    last = None
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body[-1].value)
        tree.body.pop()
    scope = dict(PRELUDE)
    exec(compile(tree, "<snippet>", "exec"), scope)
    value = eval(compile(last, "<snippet>", "eval"), scope) if last is not None else None
    return scope["result"] if "result" in scope else value


def outcome(snippet: dict) -> dict:
    try:
        value = evaluate(snippet["code"])
    except Exception as exc:  # the outcome of a snippet that raises is its error
        types = [t.__name__ for t in type(exc).__mro__ if issubclass(t, Exception)]
        return {"kind": "error", "type": types[0], "types": types, "message": str(exc)[:300]}
    out = encode(value)
    if snippet.get("repr"):
        out["repr"] = repr(value)
    return out


def _child(snippet: dict, fd: int) -> None:
    os.chdir(tempfile.mkdtemp(prefix="lucid-compat-"))
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)  # a snippet's prints must not reach the JSON on stdout
    os.dup2(devnull, 2)
    try:
        data = json.dumps(outcome(snippet)).encode()
    except Exception as exc:  # an outcome that cannot be encoded is reported, not lost
        data = json.dumps({"kind": "crash", "why": f"encode: {type(exc).__name__}"}).encode()
    with os.fdopen(fd, "wb") as pipe:
        pipe.write(data)


def run_forked(snippet: dict, timeout: float) -> dict:
    """One snippet's outcome from a forked child, or a crash if it dies or hangs."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        code = 0
        try:
            _child(snippet, write_fd)
        except BaseException:
            code = 3
        os._exit(code)
    os.close(write_fd)
    chunks, deadline, timed_out = [], time.monotonic() + timeout, False
    with os.fdopen(read_fd, "rb") as pipe:
        while True:
            left = deadline - time.monotonic()
            ready = select.select([pipe], [], [], max(left, 0))[0] if left > 0 else []
            if not ready:
                timed_out = True
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    if timed_out:
        return {"kind": "crash", "why": f"timeout after {timeout:g} s"}
    if not chunks:
        return {"kind": "crash", "why": f"child exited with status {status}"}
    return json.loads(b"".join(chunks))


def main() -> None:
    timeout = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    snippets = json.load(sys.stdin)
    outcomes = [run_forked(s, timeout) for s in snippets]
    json.dump({"lucid": getattr(lucid, "__version__", None), "outcomes": outcomes}, sys.stdout)


if __name__ == "__main__":
    main()
