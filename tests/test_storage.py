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


def test_storage_array_is_a_shaped_view_of_new_storage():
    gc.collect()
    base = lucid.memory_allocated()
    a = _C.storage_array((3, 4), "float32")
    assert (a.shape, a.dtype) == ((3, 4), np.float32)
    assert a.flags.c_contiguous and a.flags.writeable
    assert _C.is_storage_view(a) and isinstance(a.base, _C.Storage)
    assert a.base.numel == 12 and _C.is_storage_view(a[1:].reshape(-1))
    assert a.ctypes.data % 64 == 0 and not a.any(), "aligned and zero-filled"
    assert lucid.memory_allocated() == base + 48
    for name, dt in [("float64", np.float64), ("int64", np.int64), ("bool", np.bool_)]:
        made = _C.storage_array((2,), name, False)
        assert made.dtype == dt and made.dtype in _storage.DTYPES
    assert _C.storage_array((), "float64").shape == ()
    assert _C.storage_array((0, 5), "int64").shape == (0, 5)
    del a, made
    gc.collect()
    assert lucid.memory_allocated() == base


def test_storage_array_names_a_bad_argument():
    with pytest.raises(ValueError, match=r"shape must be in \[0, 2\*\*64\), got -1"):
        _C.storage_array((2, -1), "float32")
    with pytest.raises(TypeError, match="shape must be a tuple of ints, got list"):
        _C.storage_array([2], "float32")
    with pytest.raises(TypeError, match='got "int32"'):
        _C.storage_array((2,), "int32")
    with pytest.raises(ValueError, match="more elements than memory can hold"):
        _C.storage_array((1 << 40, 1 << 40), "float32")


def test_is_tensor_values_is_the_check_of_what_a_tensor_holds():
    a = _C.storage_array((4, 6), "float64")
    assert _C.is_tensor_values(a) and _C.is_tensor_values(a[1:3])
    assert not _C.is_tensor_values(a.T), "not C-contiguous"
    assert not _C.is_tensor_values(a[:, ::2])
    assert not _C.is_tensor_values(np.zeros(3)), "numpy's memory"
    assert not _C.is_tensor_values(a.view(np.int32)), "a dtype no storage holds"
    assert not _C.is_tensor_values(3.0) and not _C.is_tensor_values(None)
