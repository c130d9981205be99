"""A short run of the fuzz target for lucid._C (fuzz/fuzz_c.py): a fixed set of inputs
in a fresh process, so an abort or a segfault fails the test instead of pytest."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

TARGET = Path(__file__).resolve().parent.parent / "fuzz" / "fuzz_c.py"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(TARGET), *args], capture_output=True, text=True, timeout=60
    )


def test_seeded_random_inputs_find_nothing():
    done = run("--random", "1000", "--seed", "0")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1000 inputs, no finding" in done.stdout


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed")
def test_atheris_runs_find_nothing():
    done = run("-runs=1000", "-seed=1", "-max_len=4096")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done 1000 runs" in done.stderr
