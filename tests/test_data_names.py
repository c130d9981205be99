"""lucid 2.x's Tensor.all, any, zero, copy_data, copy_grad and matmul, the top-level
to_tensor and shape (lucid._ops.data), and its error classes (lucid.error)."""

import numpy as np
import pytest

import lucid
from lucid import Tensor, _storage

B = np.array([[True, False], [True, True]])


def test_all_and_any_give_a_bool_without_an_axis_and_a_tensor_with_one():
    t = Tensor(B)
    assert t.all() is False and t.any() is True
    assert Tensor(np.array([1.0, 2.0])).all() is True and Tensor(np.zeros(3)).any() is False
    assert t.all(axis=0).tolist() == [True, False] and t.any(axis=1).tolist() == [True, True]
    kept = t.all(axis=1, keepdims=True)
    assert kept.shape == (2, 1) and kept.dtype == np.bool_ and kept.tolist() == [[False], [True]]
    assert t.any(axis=(0, 1)).tolist() is True


def test_all_and_any_refuse_bad_arguments():
    with pytest.raises(ValueError, match="axis"):
        Tensor(B).all(axis=2)
    with pytest.raises(TypeError, match="any: keepdims must be a bool"):
        Tensor(B).any(axis=0, keepdims="yes")


def test_zero_replaces_the_values_with_new_storage():
    t = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    view = t.detach()
    assert t.zero() is None
    assert t.tolist() == [0.0, 0.0] and t.dtype == np.float64 and t.requires_grad
    assert view.tolist() == [1.0, 2.0]  # as lucid 2.x: new values, the old array kept
    assert _storage.is_storage_view(t.data)


def test_copy_data_and_copy_grad_are_copies():
    a = np.array([1.0, 2.0])
    for copied in (Tensor.copy_data(a), Tensor.copy_grad(a), Tensor([0.0]).copy_data(a)):
        assert (
            copied is not a and copied.tolist() == [1.0, 2.0] and _storage.is_storage_view(copied)
        )
        copied[0] = 5.0
        assert a[0] == 1.0
    assert Tensor.copy_data(np.array([1], np.int32)).dtype == np.int32
    with pytest.raises(TypeError, match="copy_data: expected a numpy array, got list"):
        Tensor.copy_data([1.0])


def test_matmul_method_and_to_tensor_and_shape():
    a, b = np.arange(6.0).reshape(2, 3), np.arange(3.0)
    np.testing.assert_allclose(Tensor(a).matmul(Tensor(b)).data, a @ b)
    t = lucid.to_tensor(a, requires_grad=True, dtype=lucid.Float32)
    assert t.dtype == np.float32 and t.requires_grad and t.tolist() == a.tolist()
    assert lucid.shape(t) == (2, 3) and lucid.shape(np.zeros((4,))) == (4,)
    with pytest.raises(ValueError, match="shape: expected a Tensor or an array, got list"):
        lucid.shape([1, 2])


def test_error_classes_keep_the_built_in_bases():
    assert issubclass(lucid.BackwardError, RuntimeError)
    assert issubclass(lucid.DeviceMismatchError, RuntimeError)
    assert issubclass(lucid.UnknownDeviceError, ValueError)
    assert lucid.error.UnknownDeviceError is lucid.UnknownDeviceError
    err = lucid.BackwardError((2, 3), "mul")
    assert str(err) == "Exception above occurred for tensor of shape (2, 3) on operation mul."
    assert err.shape == (2, 3) and err.op == "mul"
    mismatch = lucid.DeviceMismatchError(to="gpu", from_="cpu")
    assert str(mismatch) == "Attempted access of 'gpu' tensor from 'cpu' tensor."
    with pytest.raises(lucid.UnknownDeviceError):
        Tensor([1.0], device="gpu")


def test_a_bad_seed_is_a_backward_error_and_still_a_runtime_error():
    t = Tensor(np.ones(3), requires_grad=True)
    with pytest.raises(lucid.BackwardError, match=r"seed gradient has shape \(2,\)"):
        graph_backward_with_seed(t * 2, np.ones(2))


def graph_backward_with_seed(out, seed):
    out.grad = seed
    out.backward()


def test_numpys_all_and_any_of_a_tensor_still_work():
    t = Tensor(np.array([1.0, 0.0]))
    assert np.all(t) is False and np.any(t) is True and np.any(t == 0) is True
    assert np.all(Tensor(B), axis=0).tolist() == [True, False]
    with pytest.raises(TypeError, match="all: out= is not supported"):
        Tensor(B).all(out=np.empty(()))
