"""Module's lucid 2.x parameter tools: count_parameters, parameter_size, reset_parameters,
register_buffer with arrays and dtype, nn.Buffer, and to(device, dtype)."""

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage, nn


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(Tensor([2.0]))
        self.fc = nn.Linear(3, 4)  # 12 + 4
        self.head = nn.Sequential(nn.Linear(4, 2), nn.Linear(2, 1, bias=False))  # 10 + 2
        self.register_buffer("steps", np.array([5]))
        self.register_buffer("running", np.arange(4.0))

    def forward(self, x):
        return self.head(self.fc(x) * self.scale)


def test_count_parameters_and_parameter_size_count_elements():
    m = Net()
    assert m.count_parameters() == 1 + 16 + 10 + 2 == m.parameter_size
    assert m.count_parameters(recurse=False) == 1
    assert m.head.count_parameters() == 12 and nn.Module().parameter_size == 0
    tied = nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))
    tied[1].weight = tied[0].weight
    assert tied.count_parameters() == 4 + 2 + 2  # a shared parameter counts once


def test_module_reset_parameters_zeros_every_parameter_of_the_tree_in_place():
    m = Net()
    weight, versions = m.fc.weight, [p._version for p in m.parameters()]
    nn.Module.reset_parameters(m)
    assert m.fc.weight is weight
    assert all(not p.data.any() for p in m.parameters())
    assert [p._version for p in m.parameters()] == [v + 1 for v in versions]
    assert m.steps.data.tolist() == [5]  # buffers are not parameters


def test_linear_reset_parameters_redraws_its_default_init():
    lucid.random.seed(3)
    layer = nn.Linear(5, 4)
    first = (layer.weight.data.copy(), layer.bias.data.copy())
    lucid.random.seed(3)
    weight = layer.weight
    layer.reset_parameters()
    assert layer.weight is weight
    np.testing.assert_array_equal(layer.weight.data, first[0])
    np.testing.assert_array_equal(layer.bias.data, first[1])


def test_register_buffer_takes_arrays_lists_and_numbers_in_rust_storage():
    m = nn.Module()
    m.register_buffer("counts", np.array([1, 2], dtype=np.int32))
    m.register_buffer("mean", [0.5, 1.5], dtype=np.float64)
    m.register_buffer("one", 1.0, "float64")
    m.register_buffer("flags", np.array([True, False]))
    assert [n for n, _ in m.named_buffers()] == ["counts", "mean", "one", "flags"]
    for buffer in m.buffers():
        assert isinstance(buffer, nn.Buffer) and not buffer.requires_grad
        assert _storage.is_storage_view(buffer.data)
    assert m.counts.dtype == np.int64 and m.counts.data.tolist() == [1, 2]
    assert m.mean.dtype == np.float64 and m.one.shape == () and m.one.dtype == np.float64
    assert m.flags.dtype == np.bool_
    assert list(m.state_dict()) == ["counts", "mean", "one", "flags"]


def test_register_buffer_keeps_a_tensor_and_casts_it_when_dtype_differs():
    m = nn.Module()
    t = Tensor([1.0, 2.0], dtype=np.float32)
    m.register_buffer("kept", t)
    m.register_buffer("same", t, dtype=np.float32)
    m.register_buffer("cast", t, dtype=np.float64)
    assert m.kept is t and m.same is t
    assert m.cast is not t and m.cast.dtype == np.float64 and m.cast.data.tolist() == [1.0, 2.0]
    assert not np.shares_memory(m.cast.data, t.data)


def test_register_buffer_takes_pytorchs_persistent_by_keyword_or_in_third_place():
    m = nn.Module()
    m.register_buffer("a", Tensor([1.0]), persistent=False)
    m.register_buffer("b", Tensor([1.0]), False)  # PyTorch's positional persistent
    m.register_buffer("c", np.zeros(2), np.float32, persistent=True)
    assert list(m.state_dict()) == ["c"] and m.c.dtype == np.float32


def test_register_buffer_refuses_what_it_cannot_store():
    m = nn.Module()
    with pytest.raises(TypeError, match="buffer 'x'"):
        m.register_buffer("x", "text")
    with pytest.raises(TypeError, match="dtype"):
        m.register_buffer("y", [1.0], dtype=np.float16)
    with pytest.raises(KeyError, match="contain"):
        m.register_buffer("a.b", [1.0])


def test_assigning_a_buffer_registers_it_and_parameters_take_lucids_device():
    m = nn.Module()
    m.stats = nn.Buffer([1.0, 2.0], dtype=np.float64)
    assert dict(m.named_buffers())["stats"] is m.stats and list(m.parameters()) == []
    assert repr(m.stats).startswith("Tensor(")  # lucid 2.x's repr for every kind of tensor
    assert nn.Parameter([1.0], device="cpu").requires_grad
    for make in (nn.Parameter, nn.Buffer):
        with pytest.raises(ValueError, match="device must be 'cpu'.*got 'gpu'"):
            make([1.0], device="gpu")


def test_to_cpu_returns_self_and_refuses_other_devices():
    m = Net()
    before = [p.data for p in m.parameters()]
    assert m.to("cpu") is m and m.to(device="cpu") is m and m.device == "cpu"
    assert all(p.data is b for p, b in zip(m.parameters(), before, strict=True))
    for device in ("gpu", "cuda", 0):
        with pytest.raises(ValueError, match=f"device must be 'cpu'.*got {device!r}"):
            m.to(device)


def test_to_a_dtype_casts_floating_parameters_grads_and_buffers_in_place():
    m = Net().to(np.float32)
    x = Tensor(np.ones((2, 3), np.float32))
    m(x).sum().backward()
    params = list(m.parameters())
    values = [p.data.astype(np.float64) for p in params]
    grads = [p.grad.astype(np.float64) for p in params]
    versions = [p._version for p in params]
    assert m.to(np.float64) is m
    for p, v, g, version in zip(params, values, grads, versions, strict=True):
        assert p.dtype == np.float64 and p.grad.dtype == np.float64
        assert _storage.is_storage_view(p.data) and _storage.is_storage_view(p.grad)
        np.testing.assert_array_equal(p.data, v)
        np.testing.assert_array_equal(p.grad, g)
        assert p._version == version + 1
    assert all(a is b for a, b in zip(m.parameters(), params, strict=True))
    assert m.running.dtype == np.float64 and m.steps.dtype == np.int64
    assert m(Tensor(np.ones((2, 3)))).dtype == np.float64
    version = m.fc.weight._version
    m.to("cpu", "float64")  # already float64: nothing is written
    assert m.fc.weight._version == version
    m.to(dtype=lucid.float32)
    assert all(p.dtype == np.float32 for p in m.parameters())
    m.to(lucid.Float64)  # lucid 2.x's dtype objects
    assert m.fc.weight.dtype == np.float64


def test_to_keeps_the_optimizers_parameters():
    m = nn.Linear(3, 2)
    opt = lucid.optim.SGD(m.parameters(), lr=0.1)
    m.to(np.float64)
    assert all(p is q for p, q in zip(opt.param_groups[0]["params"], m.parameters(), strict=True))
    m(Tensor(np.ones((1, 3)))).sum().backward()
    before = m.bias.data.copy()
    opt.step()
    np.testing.assert_allclose(m.bias.data, before - 0.1)


def test_to_refuses_integer_dtypes_and_unknown_arguments():
    m = Net().to(np.float32)
    with pytest.raises(TypeError, match="floating dtype only, got dtype=<class 'numpy.int64'>"):
        m.to(np.int64)
    with pytest.raises(TypeError, match="to\\(\\) takes a device and/or a dtype"):
        m.to("cpu", np.float64, "extra")
    with pytest.raises(TypeError, match="copy"):
        m.to(copy=True)
    assert all(p.dtype == np.float32 for p in m.parameters())
