"""lucid._dtypes: lucid 2.x's dtype objects, where they are taken, and the one device."""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage

# name: the numpy dtype it stands for
STORED = {
    "Float32": np.float32,
    "Float64": np.float64,
    "Double": np.float64,
    "Int64": np.int64,
    "Long": np.int64,
    "Bool": np.bool_,
}
UNSTORED = {
    "Float16": "float16",
    "Half": "float16",
    "Int8": "int8",
    "Char": "int8",
    "Int16": "int16",
    "Short": "int16",
    "Int32": "int32",
    "Complex64": "complex64",
}


def _factories(dtype):
    """Every way to make a tensor that takes a dtype."""
    base = Tensor([1.0, 0.0])
    return {
        "Tensor": lambda: Tensor([1, 0], dtype=dtype),
        "tensor": lambda: lucid.tensor([1, 0], dtype=dtype),
        "zeros": lambda: lucid.zeros(2, dtype=dtype),
        "ones": lambda: lucid.ones((2,), dtype=dtype),
        "zeros_like": lambda: lucid.zeros_like(base, dtype=dtype),
        "ones_like": lambda: lucid.ones_like(base, dtype=dtype),
        "arange": lambda: lucid.arange(2, dtype=dtype),
        "eye": lambda: lucid.eye(2, dtype=dtype),
        "astype": lambda: base.astype(dtype),
        "to": lambda: base.to(dtype),
    }


@pytest.mark.parametrize("name", STORED)
def test_the_stored_dtype_objects_are_their_numpy_dtypes(name):
    obj, expected = getattr(lucid, name), np.dtype(STORED[name])
    assert np.dtype(obj) == expected and obj.dtype == expected and obj.cpu is expected.type
    assert obj == expected and expected == obj and obj == STORED[name]
    assert hash(obj) == hash(expected) and {expected: name}[obj] == name
    assert np.zeros(2, dtype=obj).dtype == expected
    assert not obj.is_bit_free and repr(obj) == f"lucid.{obj._name}"


def test_aliases_are_the_same_objects_and_dtypes_compare_by_identity():
    assert lucid.Long is lucid.Int64 and lucid.Double is lucid.Float64
    assert lucid.Half is lucid.Float16 and lucid.Char is lucid.Int8 and lucid.Short is lucid.Int16
    assert lucid.Float32 != lucid.Float64 and lucid.Float32 != lucid.Float  # as lucid 2.x
    assert lucid.Float32 != np.float64 and lucid.Float32 != "not a dtype"
    assert lucid.Float32 == "float32" and lucid.Float32 != Tensor([1.0])  # not a dtype
    assert str(lucid.Float32) == "float32" and str(lucid.Float) == "float"
    assert lucid.Float.is_bit_free and lucid.Int.bits is None and lucid.Int8.bits == 8
    assert lucid.Int64.base_dtype is int and lucid.Float16.base_dtype is float
    with pytest.raises(AttributeError, match="no width"):
        lucid.Float.dtype  # noqa: B018
    with pytest.raises(TypeError):
        np.dtype(lucid.Int)


@pytest.mark.parametrize("name", STORED)
def test_every_factory_and_cast_takes_the_stored_dtype_objects(name):
    expected = np.dtype(STORED[name])
    for how, make in _factories(getattr(lucid, name)).items():
        out = make()
        assert out.dtype == expected, how
        assert _storage.is_storage_view(out.data), how
        assert out.dtype == getattr(lucid, name), how  # tensor.dtype == lucid.Float64 holds
    assert Tensor([1.5], dtype=lucid.Float64, requires_grad=True).requires_grad


@pytest.mark.parametrize("name", UNSTORED)
def test_a_dtype_storage_cannot_hold_is_a_type_error_naming_it(name):
    obj = getattr(lucid, name)
    for make in _factories(obj).values():
        with pytest.raises(TypeError, match=rf"{obj!r} \({UNSTORED[name]}\) cannot be stored"):
            make()


@pytest.mark.parametrize("spelling", [lucid.float16, lucid.int32, lucid.int8, "int16"])
def test_numpy_dtypes_storage_cannot_hold_are_type_errors_too(spelling):
    name = np.dtype(spelling).name
    for how, make in _factories(spelling).items():
        if how == "to" and isinstance(spelling, str):
            continue  # to() reads a string as a device, as PyTorch
        with pytest.raises(TypeError, match=f"got {name}"):
            make()


def test_the_unsized_dtypes_make_the_default_float_and_int64_and_astype_keeps_a_float_width():
    assert Tensor([1, 2], dtype=lucid.Float).dtype == np.float64
    assert lucid.zeros(2, dtype=lucid.Int).dtype == np.int64
    x32, x64 = Tensor(np.array([1.5, -2.5], np.float32)), Tensor(np.array([1.5, -2.5]))
    ints, flags = Tensor(np.array([3, -4])), Tensor([True, False])
    # lucid.Float keeps a float's width; int64 and bool become float64, as lucid 2.x.
    assert x32.astype(lucid.Float).dtype == np.float32
    assert x64.astype(lucid.Float).dtype == np.float64
    assert ints.astype(lucid.Float).dtype == np.float64
    assert flags.astype(lucid.Float).data.tolist() == [1.0, 0.0]
    assert flags.astype(lucid.Float).dtype == np.float64
    # lucid.Int is int64, the one integer dtype stored; the cast truncates toward 0.
    assert x32.astype(lucid.Int).data.tolist() == [1, -2] and x32.int().dtype == np.int64
    with pytest.raises(TypeError, match="got lucid.Complex"):
        lucid.zeros(2, dtype=lucid.Complex)
    with pytest.raises(TypeError, match="got lucid.Complex"):
        x32.astype(lucid.Complex)


def test_lowercase_dtypes_are_numpy_types():
    assert lucid.float32 is np.float32 and lucid.double is np.float64
    assert lucid.long is np.int64 and lucid.bool_ is np.bool_ and lucid.half is np.float16
    assert lucid.tensor([1], dtype=lucid.double).dtype == np.float64
    assert lucid.tensor([1], dtype=lucid.long).dtype == np.int64


# ---- the device --------------------------------------------------------------------------


def _made_on(device):
    base = Tensor([1.0, 2.0])
    return {
        "Tensor": lambda: Tensor([1.0], device=device),
        "tensor": lambda: lucid.tensor([1.0], device=device),
        "zeros": lambda: lucid.zeros(2, device=device),
        "ones": lambda: lucid.ones(2, device=device),
        "zeros_like": lambda: lucid.zeros_like(base, device=device),
        "ones_like": lambda: lucid.ones_like(base, device=device),
        "arange": lambda: lucid.arange(3, device=device),
        "eye": lambda: lucid.eye(2, device=device),
        "to": lambda: base.to(device),
        "to(device=)": lambda: base.to(device=device),
    }


@pytest.mark.parametrize("device", ["cpu", None])
def test_every_factory_takes_the_cpu(device):
    for how, make in _made_on(device).items():
        out = make()
        assert out.device == "cpu" and _storage.is_storage_view(out.data), how


@pytest.mark.parametrize("device", ["gpu", "cuda", "mps", "CPU", "cuda:0", 0, 1.0, True])
def test_any_other_device_is_a_value_error_naming_it(device):
    for how, make in _made_on(device).items():
        if how == "to" and device is True:
            continue  # a positional bool is no device spelling: it is taken for a dtype
        with pytest.raises(lucid.UnknownDeviceError, match=f"device must be 'cpu'.*got {device!r}"):
            make()
    assert issubclass(lucid.UnknownDeviceError, ValueError)


def test_a_tensor_is_on_the_cpu_in_lucid_2_and_pytorch_spellings():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.device == "cpu"
    assert x.is_cpu and x.is_cpu() is True and x.is_cpu == True  # noqa: E712
    assert not x.is_gpu and x.is_gpu() is False and repr(x.is_cpu) == "True"
    assert x.cpu() is x and x.to("cpu") is x and x.to(device="cpu", non_blocking=True) is x


def test_to_casts_as_astype_and_returns_the_tensor_itself_when_nothing_changes():
    x = Tensor(np.array([1.25, -2.0]), requires_grad=True)
    assert x.to(lucid.Float64) is x and x.to(np.float64) is x and x.to(x) is x
    copied = x.to(lucid.Float64, copy=True)
    assert copied is not x and copied.data is not x.data and copied.data.tolist() == [1.25, -2.0]
    single = x.to("cpu", lucid.Float32)
    assert single.dtype == np.float32 and single.data.tolist() == [1.25, -2.0]
    assert x.to(dtype=lucid.Int64).data.tolist() == [1, -2]
    assert x.to(Tensor([True])).dtype == np.bool_
    (single * Tensor(np.array([3.0, 5.0], np.float32))).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [3.0, 5.0]  # through the cast
    with pytest.raises(TypeError, match="dtype given both"):
        x.to(lucid.Float32, dtype=lucid.Float64)
    with pytest.raises(TypeError, match="two dtypes"):
        x.to(lucid.Float32, lucid.Float64)
    with pytest.raises(TypeError, match="dtype"):
        x.to(object())
