"""Tensor: construction and dtype rules, zero-copy storage, repr, item, errors."""

import numpy as np
import pytest

import lucid
from lucid import Tensor
from lucid._storage import is_storage_view


@pytest.mark.parametrize(
    "data, dtype",
    [(1.5, np.float64), (3, np.int64), ([1, 2, 3], np.int64), ([[1.0], [2.0]], np.float64),
     (True, np.bool_), ([True, False], np.bool_), ((1, 2), np.int64), ([1, 2.5], np.float64),
     (np.zeros(2, np.float32), np.float32), (np.zeros(2), np.float64),
     (np.zeros(2, np.int64), np.int64), (np.zeros(2, bool), np.bool_),
     (np.zeros(2, np.int8), np.int64), (np.zeros(2, np.uint32), np.int64),
     (np.zeros(2, np.int32), np.int64), (np.zeros(2, np.float16), np.float32),
     (np.float64(2.0), np.float64), (np.int16(3), np.int64)],
)  # fmt: skip
def test_default_dtype_rules_are_numpy_inference_as_lucid_2(data, dtype):
    t = Tensor(data)
    assert t.dtype == dtype
    np.testing.assert_array_equal(t.data, np.asarray(data))
    assert is_storage_view(t.data)


def test_set_default_dtype_changes_python_floats_factories_and_layers_but_not_ints():
    assert lucid.get_default_dtype() == np.float64
    try:
        lucid.set_default_dtype(lucid.float32)
        assert lucid.get_default_dtype() == np.float32
        made = [Tensor(1.5), lucid.tensor([1.0, 2.0]), lucid.zeros(2), lucid.ones(1),
                lucid.empty(2), lucid.full(2, 0.5), lucid.arange(3), lucid.eye(2),
                lucid.linspace(0, 1, 3), lucid.random.rand(2), lucid.random.randn(2),
                lucid.random.uniform(0, 1, 2), lucid.nn.Linear(2, 2).weight]  # fmt: skip
        assert [t.dtype for t in made] == [np.float32] * len(made)
        assert Tensor([1, 2]).dtype == np.int64 and Tensor(np.zeros(2)).dtype == np.float64
        lucid.set_default_dtype("float64")
        assert lucid.zeros(1).dtype == np.float64
    finally:
        lucid.set_default_dtype(np.float64)
    for bad in (np.int64, "bool", lucid.Float, lucid.Float16):
        with pytest.raises(TypeError, match="dtype"):
            lucid.set_default_dtype(bad)
    assert lucid.get_default_dtype() == np.float64


@pytest.mark.parametrize("dtype", ["float64", np.float64, np.dtype("int64"), "bool", float])
def test_explicit_dtype(dtype):
    t = Tensor([[1, 0]], dtype=dtype)
    assert t.dtype == lucid._storage.resolve_dtype(dtype) and t.shape == (1, 2)


def test_tensor_data_is_copied():
    src = np.ones(3)
    a = Tensor(src)
    src[0] = 5.0
    b = Tensor(a)
    a.data[1] = 7.0
    np.testing.assert_array_equal(a.data, [1.0, 7.0, 1.0])
    np.testing.assert_array_equal(b.data, [1.0, 1.0, 1.0])
    assert b.dtype == np.float64 and not b.requires_grad


@pytest.mark.parametrize(
    "data", [1j, np.array([1 + 2j]), "abc", ["a", "b"], None, np.array([object()])]
)
def test_unsupported_data_is_a_type_error_naming_the_dtype(data):
    with pytest.raises(TypeError, match="dtype"):
        Tensor(data)


def test_ragged_lists_and_bad_dtypes():
    with pytest.raises(ValueError, match="rectangular"):
        Tensor([[1.0], [1.0, 2.0]])
    with pytest.raises(TypeError, match="dtype"):
        Tensor([1.0], dtype="complex64")
    with pytest.raises(TypeError, match="dtype"):
        lucid.zeros(2, dtype="int32")


@pytest.mark.parametrize("data, dtype", [([1, 2], "int64"), ([True], None)])
def test_requires_grad_only_on_float_tensors(data, dtype):
    with pytest.raises(TypeError, match="requires_grad"):
        Tensor(data, requires_grad=True, dtype=dtype)
    t = Tensor(data, dtype=dtype)
    with pytest.raises(TypeError, match=f"dtype {t.dtype}"):
        t.requires_grad = True
    assert Tensor(data, dtype="float64", requires_grad=True).requires_grad


def test_data_is_a_zero_copy_view_and_the_setter_copies():
    t = Tensor([1.0, 2.0])
    t.data[0] = 9.0
    assert t.data[0] == 9.0 and np.asarray(t)[0] == 9.0
    copied = t.numpy()  # a copy, as lucid 2.x's numpy(); .data is the view
    copied[0] = 1.0
    assert copied is not t.data and t.data[0] == 9.0
    src = np.array([4, 5, 6])
    t.data = src
    src[0] = 0
    assert t.dtype == np.float64 and is_storage_view(t.data)
    np.testing.assert_array_equal(t.data, [4.0, 5.0, 6.0])


def test_array_protocol():
    t = Tensor([1.0, 2.0])
    assert np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    copied = np.array(t, copy=True)
    copied[0] = 5.0
    assert t.data[0] == 1.0


def test_every_op_and_creation_function_returns_storage():
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    results = [
        x + 1, 1 - x, x * x, x / 2, -x, x**2, x @ x.T, x.sum(), x.mean(axis=0), x.reshape(3, 2),
        x.transpose(), x.T, x[0], x[:, ::2], x[np.array([1, 1])], x == 1, x < 2 * x, x.detach(),
        lucid.tensor([1, 2]), lucid.zeros(2, 3), lucid.ones((2,)), lucid.zeros_like(x),
        lucid.ones_like(x), lucid.zeros(()), lucid.zeros(0, 3) + 1,
    ]  # fmt: skip
    for r in results:
        assert isinstance(r, Tensor) and is_storage_view(r.data), r
        assert r.data.flags.c_contiguous
    y = x * 2
    y.backward()
    assert is_storage_view(x.grad)


def test_creation_functions():
    z = lucid.zeros(2, 3)
    assert z.shape == (2, 3) and z.dtype == np.float64 and not z.data.any()
    o = lucid.ones((3,), dtype="int64", requires_grad=False)
    np.testing.assert_array_equal(o.data, [1, 1, 1])
    assert o.dtype == np.int64
    x = Tensor(np.ones((2, 2)))
    zl, ol = lucid.zeros_like(x, requires_grad=True), lucid.ones_like(x, dtype=np.float32)
    assert zl.dtype == np.float64 and zl.requires_grad and zl.is_leaf and not zl.data.any()
    assert ol.dtype == np.float32 and (ol.data == 1).all()
    assert lucid.ones_like(np.zeros((2, 1), np.int64)).dtype == np.int64
    t = lucid.tensor([1.0, 2], requires_grad=True, keep_grad=True)
    assert t.dtype == np.float64 and t.requires_grad and t.keep_grad


@pytest.mark.parametrize("shape", [(-1,), (2.0, 3), ((2, -3),), (True,), ("3",)])
@pytest.mark.parametrize("fn", [lucid.zeros, lucid.ones])
def test_bad_shapes_are_value_errors_naming_shape(fn, shape):
    with pytest.raises(ValueError, match="shape"):
        fn(*shape)


def test_repr_and_print():
    t = Tensor([[1.0, 2.0, 3.0, 4.0]], requires_grad=True)
    # lucid 2.x's forms: the repr names the device, str is the values' (numpy's str).
    assert repr(t) == "Tensor([[1. 2. 3. 4.]], grad=None, device=cpu)"
    assert str(t) == "[[1. 2. 3. 4.]]"
    t.sum().backward()
    assert repr(t) == "Tensor([[1. 2. 3. 4.]], grad=[[1. 1. 1. 1.]], device=cpu)"
    assert repr(lucid.nn.Parameter([1.0])) == "Tensor([1.], grad=None, device=cpu)"


def test_item_len_iter_and_conversions():
    assert Tensor(2.5).item() == 2.5 and isinstance(Tensor(2.5).item(), float)
    assert Tensor(np.array([[7]])).item() == 7 and isinstance(Tensor(np.array([7])).item(), int)
    assert Tensor(True).item() is True
    assert float(Tensor([3.0])) == 3.0 and int(Tensor(4.0)) == 4
    with pytest.raises(ValueError, match=r"shape \(2,\)"):
        Tensor([1.0, 2.0]).item()
    t = Tensor(np.arange(6.0).reshape(3, 2))
    assert len(t) == 3 and [r.shape for r in t] == [(2,)] * 3
    with pytest.raises(TypeError, match="0-d"):
        len(Tensor(1.0))


def test_shape_properties():
    t = lucid.zeros(2, 3, 4)
    assert (t.shape, t.ndim, t.size, t.dtype) == ((2, 3, 4), 3, 24, np.float64)
    assert isinstance(t.shape, tuple)


def test_leaf_grad_detach_and_zero_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    assert x.is_leaf and x.grad is None and not x.keep_grad
    y = x * 3.0
    assert not y.is_leaf and y.requires_grad
    y.backward()
    assert x.grad.shape == x.shape and x.grad.dtype == x.dtype
    x.zero_grad()
    assert x.grad is None  # lucid's zero_grad forgets the gradient
    d = y.detach()
    assert d.is_leaf and not d.requires_grad
    d.data[0] = 100.0  # shares storage, as PyTorch's detach
    assert y.data[0] == 100.0


def test_tensors_hash_by_identity_and_truth_needs_one_element():
    a, b = Tensor([1.0]), Tensor([1.0])
    assert len({a, b}) == 2
    assert bool(a == b)
    with pytest.raises(ValueError):
        bool(Tensor([1.0, 2.0]) == Tensor([1.0, 2.0]))
    assert (Tensor([1.0]) == "x") is False


def test_setitem():
    t = lucid.zeros(2, 3)
    t[0, 1:] = 5.0
    t[1] = Tensor([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(t.data, [[0, 5, 5], [1, 2, 3]])
    x = lucid.zeros(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="requires grad"):
        x[0] = 1.0
    with lucid.no_grad():
        x[0] = 1.0
    assert x.data[0] == 1.0


def test_wrap_rejects_arrays_not_in_storage():
    with pytest.raises(TypeError, match="storage"):
        Tensor._wrap(np.zeros(3))
    values = lucid._storage.empty((2, 2), np.float64)
    t = Tensor._wrap(values, requires_grad=True)
    assert t.data is values and t.requires_grad
    with pytest.raises(TypeError, match="storage"):
        Tensor._wrap(values.T)  # not C-contiguous
