"""Short runs of the fuzz targets, for lucid._C (fuzz/fuzz_c.py) and for lucid.load
(fuzz/fuzz_load.py): a fixed set of inputs in a fresh process, so an abort, a segfault
or a hang fails the test instead of pytest."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

TARGET = Path(__file__).resolve().parent.parent / "fuzz" / "fuzz_c.py"
LOADER = TARGET.with_name("fuzz_load.py")


def run(*args: str, target: Path = TARGET, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(target), *args], capture_output=True, text=True, timeout=timeout
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


def test_seeded_random_archives_find_nothing_in_the_loader():
    done = run("--random", "500", "--seed", "0", target=LOADER, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "500 inputs, no finding" in done.stdout


@pytest.mark.skipif(importlib.util.find_spec("atheris") is None, reason="atheris not installed")
def test_atheris_runs_find_nothing_in_the_loader():
    done = run("-runs=500", "-seed=1", "-timeout=10", target=LOADER, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done 500 runs" in done.stderr
