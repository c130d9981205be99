"""DLPack both ways (lucid._dlpack): export views the Rust storage without a copy and
keeps it alive; import copies once into new storage, and refuses what it cannot honour."""

import gc

import numpy as np
import pytest

import lucid

try:
    import torch
except ImportError:
    torch = None

needs_torch = pytest.mark.skipif(torch is None, reason="PyTorch is not installed")
DTYPES = [np.float32, np.float64, np.int64, np.bool_]


@pytest.mark.parametrize("dtype", DTYPES)
def test_numpy_reads_the_tensor_with_its_values_shape_and_dtype(dtype):
    t = lucid.tensor(np.arange(6).reshape(2, 3) % 4, dtype=dtype)
    view = np.from_dlpack(t)
    assert view.dtype == dtype and view.shape == (2, 3)
    assert view.tolist() == t.tolist()
    assert np.shares_memory(view, t.data)


def test_export_is_the_storage_itself_writes_show_both_ways():
    t = lucid.tensor([[1.0, 2.0], [3.0, 4.0]])
    view = np.from_dlpack(t)
    view[0, 1] = 7.5
    assert t.tolist() == [[1.0, 7.5], [3.0, 4.0]]
    t.data[1, 0] = -1.0
    assert view[1, 0] == -1.0
    assert view.ctypes.data == t.data.ctypes.data


def test_zero_dim_and_empty_tensors_export():
    assert np.from_dlpack(lucid.tensor(2.5)).shape == ()
    assert float(np.from_dlpack(lucid.tensor(2.5))) == 2.5
    assert np.from_dlpack(lucid.zeros(0, 3)).shape == (0, 3)


def test_the_storage_stays_alive_while_the_view_does():
    gc.collect()
    before = lucid.memory_allocated()
    t = lucid.tensor(np.arange(1000, dtype=np.float64))
    view = np.from_dlpack(t)
    nbytes = t.data.nbytes
    del t
    gc.collect()
    assert lucid.memory_allocated() - before == nbytes  # still held, by the view
    # New allocations must not land in the memory the view reads.
    others = [lucid.zeros(1000, dtype="float64") + 5.0 for _ in range(4)]
    assert view.tolist() == list(range(1000))
    del others, view
    gc.collect()
    assert lucid.memory_allocated() == before


def test_export_device_is_the_cpu():
    assert lucid.tensor([1.0]).__dlpack_device__() == (1, 0)


def test_export_copy_true_gives_memory_of_its_own():
    t = lucid.tensor([1.0, 2.0])
    copied = np.from_dlpack(t, copy=True)
    copied[0] = 9.0
    assert t.tolist() == [1.0, 2.0] and copied.tolist() == [9.0, 2.0]
    assert not np.shares_memory(copied, t.data)


def test_export_refuses_a_stream_another_device_and_a_bad_copy_flag():
    t = lucid.tensor([1.0])
    with pytest.raises(BufferError, match="stream must be None"):
        t.__dlpack__(stream=1)
    with pytest.raises(BufferError, match=r"dl_device must be \(1, 0\).*\(2, 0\)"):
        t.__dlpack__(dl_device=(2, 0))
    with pytest.raises(TypeError, match="copy must be a bool or None, got 'yes'"):
        t.__dlpack__(copy="yes")
    assert t.__dlpack__(dl_device=(1, 0)) is not None


@pytest.mark.parametrize("dtype", DTYPES)
def test_from_dlpack_copies_a_numpy_array_once_keeping_dtype(dtype):
    src = (np.arange(12).reshape(3, 4) % 3).astype(dtype)
    t = lucid.from_dlpack(src)
    assert isinstance(t, lucid.Tensor) and t.dtype == dtype and t.shape == (3, 4)
    assert t.tolist() == src.tolist()
    assert not np.shares_memory(t.data, src)  # the one copy, into Rust storage
    src[0, 0] = 1
    assert t.tolist()[0][0] == 0
    assert t.is_leaf and not t.requires_grad


def test_from_dlpack_reads_a_strided_array_in_logical_order():
    src = np.arange(12.0).reshape(3, 4)[:, ::2].T
    t = lucid.from_dlpack(src)
    assert t.tolist() == src.tolist() and t.data.flags.c_contiguous


def test_from_dlpack_of_a_tensor_shares_its_storage_unless_copy_is_true():
    t = lucid.tensor([1.0, 2.0], requires_grad=True)
    shared = lucid.from_dlpack(t)
    assert np.shares_memory(shared.data, t.data) and not shared.requires_grad
    assert lucid.from_dlpack(t, copy=False).data.ctypes.data == t.data.ctypes.data
    copied = lucid.from_dlpack(t, copy=True)
    assert copied.tolist() == [1.0, 2.0] and not np.shares_memory(copied.data, t.data)


def test_from_dlpack_refuses_what_it_cannot_honour():
    with pytest.raises(BufferError, match="copy=False cannot be honoured"):
        lucid.from_dlpack(np.zeros(3), copy=False)
    with pytest.raises(TypeError, match="float32, float64, int64 or bool, got int32"):
        lucid.from_dlpack(np.zeros(3, dtype=np.int32))
    with pytest.raises(TypeError, match="float32, float64, int64 or bool, got float16"):
        lucid.from_dlpack(np.zeros(3, dtype=np.float16))
    with pytest.raises(TypeError, match="must support DLPack.*got list"):
        lucid.from_dlpack([1.0, 2.0])
    with pytest.raises(ValueError, match="device must be 'cpu'.*'cuda'"):
        lucid.from_dlpack(np.zeros(3), device="cuda")
    with pytest.raises(TypeError, match="copy must be a bool or None, got 1"):
        lucid.from_dlpack(np.zeros(3), copy=1)


class _OnAnotherDevice:
    """An object whose DLPack device is CUDA (device type 2)."""

    def __dlpack__(self, **kwargs):
        raise AssertionError("must not be asked for its data")

    def __dlpack_device__(self):
        return (2, 0)


def test_from_dlpack_refuses_memory_that_is_not_on_the_cpu():
    with pytest.raises(BufferError, match=r"CPU memory.*got device \(2, 0\)"):
        lucid.from_dlpack(_OnAnotherDevice())


@needs_torch
@pytest.mark.parametrize("dtype", DTYPES)
def test_torch_views_the_tensor_without_a_copy(dtype):
    t = lucid.tensor(np.arange(6).reshape(3, 2) % 2, dtype=dtype)
    theirs = torch.from_dlpack(t)
    assert tuple(theirs.shape) == (3, 2) and theirs.tolist() == t.tolist()
    assert theirs.data_ptr() == t.data.ctypes.data
    theirs[0, 0] = 1
    assert t.tolist()[0][0] == 1


@needs_torch
def test_from_dlpack_copies_a_torch_cpu_tensor_once():
    src = torch.arange(6, dtype=torch.float64).reshape(2, 3)
    t = lucid.from_dlpack(src)
    assert t.dtype == np.float64 and t.tolist() == src.tolist()
    assert t.data.ctypes.data != src.data_ptr()
    with pytest.raises(TypeError, match="got int32"):
        lucid.from_dlpack(torch.zeros(2, dtype=torch.int32))
