"""Rust storage as Python sees it: zero-copy views, typing, and memory accounting."""

import gc
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import lucid
from lucid import _C, _storage


def test_numpy_views_storage_without_copying():
    s = _C.Storage("float64", 6)
    a = np.asarray(s)
    b = np.asarray(s)
    a[2] = 5.0
    assert b[2] == 5.0 and a.dtype == np.float64 and a.shape == (6,)
    assert np.asarray(s).ctypes.data % 64 == 0, "buffers are 64-byte aligned"
    assert (s.dtype, s.numel, s.nbytes, len(s)) == ("float64", 6, 48, 6)
    for name, dt in [("float32", np.float32), ("int64", np.int64), ("bool", np.bool_)]:
        assert np.asarray(_C.Storage(name, 3)).dtype == dt


def test_bad_dtype_is_a_type_error_naming_it():
    with pytest.raises(
        TypeError, match='dtype must be one of float32, float64, int64, bool, got "complex64"'
    ):
        _C.Storage("complex64", 3)
    with pytest.raises(TypeError, match="dtype"):
        _storage.resolve_dtype(np.complex64)


def test_memory_allocated_returns_to_its_baseline():
    gc.collect()
    base = lucid.memory_allocated()
    t = lucid.random.randn(1000, 100, dtype=np.float64)
    u = lucid.random.rand(500, dtype=np.float32)
    assert lucid.memory_allocated() == base + 1000 * 100 * 8 + 500 * 4
    del t, u
    gc.collect()
    assert lucid.memory_allocated() == base


def test_large_freed_buffers_are_cached_and_can_be_released():
    lucid.empty_cache()
    big = lucid.random.rand(1 << 20)  # 4 MiB: above the 1 MiB pooling size
    del big
    assert lucid.memory_cached() >= 4 << 20
    again = lucid.random.rand(1 << 20)  # reuses the cached buffer
    assert lucid.memory_cached() == 0
    del again
    lucid.empty_cache()
    assert lucid.memory_cached() == 0


def test_parallel_copy_copies():
    x = lucid.random.randn(70_000).data
    np.testing.assert_array_equal(np.asarray(_C.parallel_copy(x)), x)
    with pytest.raises(TypeError, match="src must be a float32 or float64 array, got int64"):
        _C.parallel_copy(np.arange(3))


def test_quickstart_example_runs():
    script = Path(__file__).resolve().parents[1] / "examples" / "quickstart.py"
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("[[") and lines[0].endswith("]]")  # str(): the values
    assert lines[1].startswith("[[")


def test_results_never_show_a_reused_buffers_old_values():
    # Fill a pooled-size buffer with NaN and free it: the next results of that size
    # reuse it, so every op must write its whole output (and zeros must zero it).
    n = 1 << 20
    junk = lucid.random.rand(n)
    junk.data[:] = np.nan
    del junk
    x = lucid.ones(n)
    assert not np.isnan(x.data).any()
    del x
    junk = lucid.random.rand(n)
    junk.data[:] = np.nan
    del junk
    z = lucid.zeros(n)
    np.testing.assert_array_equal(z.data, np.zeros(n, np.float32))
    y = z + 1.0
    np.testing.assert_array_equal(y.data, np.ones(n, np.float32))
