"""Run expressions in a child interpreter, so that a crash fails a test, not the run.

``run_isolated(prelude, cases)`` starts ``sys.executable``, runs ``prelude`` once, then
evaluates every case's expression in turn and reports each as a value (anything JSON
can carry), an exception (its type name, message and notes) or a crash (the child's
exit code and the end of its stderr). A case that kills the child is charged to that
case alone: the cases after it run again in a fresh child. ``run_script(script)`` runs
one whole script (forks, threads, resource limits) in a child with a timeout and
returns the JSON object it prints last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass

import pytest

_CHILD = r"""
import json, sys
prelude, cases = json.loads(sys.stdin.read())
exec(prelude)
for key, expr in cases:
    print(json.dumps(["start", key]), flush=True)
    try:
        record = ["value", key, eval(expr)]
    except Exception as e:
        record = ["raised", key, type(e).__name__, str(e), list(getattr(e, "__notes__", []))]
    print(json.dumps(record), flush=True)
"""


@dataclass
class Outcome:
    """What one case did: ``kind`` is "value", "raised" or "crash"."""

    kind: str
    value: object = None
    error: str = ""
    message: str = ""  # the exception's message, then its notes (pyo3 names arguments there)
    detail: str = ""  # for a crash: exit code and stderr

    def __str__(self) -> str:
        if self.kind == "value":
            return f"returned {self.value!r}"
        if self.kind == "raised":
            return f"raised {self.error}: {self.message}"
        return f"crashed the interpreter: {self.detail}"


def run_isolated(prelude: str, cases: dict[str, str], timeout: float = 120) -> dict[str, Outcome]:
    """Each case's Outcome, by key."""
    results: dict[str, Outcome] = {}
    pending = list(cases.items())
    while pending:
        proc = subprocess.run(
            # faulthandler prints the Python stack of a segfault or abort; a Rust
            # backtrace would push the panic's message out of the reported tail.
            [sys.executable, "-X", "faulthandler", "-c", _CHILD],
            input=json.dumps([prelude, pending]),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "RUST_BACKTRACE": "0"},
        )
        started = 0
        for line in proc.stdout.splitlines():
            record = json.loads(line)
            if record[0] == "start":
                started += 1
            elif record[0] == "value":
                results[record[1]] = Outcome("value", value=record[2])
            else:
                _, key, error, message, notes = record
                results[key] = Outcome("raised", error=error, message=" ".join([message, *notes]))
        rest = [case for case in pending if case[0] not in results]
        if not rest:
            break
        detail = f"exit code {proc.returncode}, stderr: ...{proc.stderr[-1500:]}"
        # The first unfinished case killed the child; if none started, the prelude did.
        culprits = rest[:1] if started else rest
        for key, _ in culprits:
            results[key] = Outcome("crash", detail=detail)
        pending = rest[len(culprits) :]
    return results


def run_script(script: str, timeout: float = 120, env: dict[str, str] | None = None) -> dict:
    """Run ``script`` (dedented) in a fresh interpreter and return the JSON object on
    the last line of its output; a hang past ``timeout`` seconds or a non-zero exit
    fails the calling test with what the child printed."""
    try:
        done = subprocess.run(
            [sys.executable, "-c", textwrap.dedent(script)],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=env,
        )
    except subprocess.TimeoutExpired as err:
        out = err.stdout.decode(errors="replace") if isinstance(err.stdout, bytes) else err.stdout
        pytest.fail(f"the child interpreter hung for {timeout} s: {(out or '')[-2000:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
