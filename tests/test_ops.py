"""Every Tensor operator: values against numpy, gradients against finite differences."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor

C = np.array([0.5, -1.5, 2.0, 3.0], dtype=np.float32)  # a non-Tensor operand


@pytest.mark.parametrize(
    "shapes",
    [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(2, 3), (3,)], [(3,), (2, 3)], [(), (2, 3)],
     [(2, 1, 3), (4, 1)]],
)  # fmt: skip
@pytest.mark.parametrize(
    "fn", [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b], ids=["add", "sub", "mul"]
)
def test_broadcasting_binary_ops(fn, shapes):
    check_op(fn, *shapes)


@pytest.mark.parametrize("shapes", [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(2, 3), (3,)], [(), (4,)]])
def test_division(shapes):
    # Denominators kept away from 0 so finite differences stay accurate.
    check_op(lambda a, b: a / b, *shapes, low=0.5, high=2.0)


@pytest.mark.parametrize(
    "fn",
    [lambda x: x + 2.0, lambda x: 2.0 + x, lambda x: x - 3, lambda x: 3 - x,
     lambda x: x * -1.5, lambda x: -1.5 * x, lambda x: x / 4.0, lambda x: 4.0 / x,
     lambda x: x + C, lambda x: C + x, lambda x: C - x, lambda x: C * x, lambda x: C / x],
    ids=["add", "radd", "sub", "rsub", "mul", "rmul", "div", "rdiv",
         "add_array", "radd_array", "rsub_array", "rmul_array", "rdiv_array"],
)  # fmt: skip
def test_scalar_and_array_operands_and_reflected_ops(fn):
    check_op(fn, (3, 4), low=0.5, high=2.0)


def test_negation():
    check_op(lambda x: -x, (2, 3))


@pytest.mark.parametrize("exponent", [2, 3, 0.5, -1.0, -2, 1.5])
def test_power_with_scalar_exponent(exponent):
    check_op(lambda x: x**exponent, (3, 4), low=0.5, high=2.0)


def test_power_zero_has_zero_gradient_even_at_zero():
    x = Tensor([0.0, 2.0], requires_grad=True)
    (x**0).backward()
    np.testing.assert_array_equal(x.grad, [0.0, 0.0])


def test_power_rejects_tensor_exponent():
    with pytest.raises(TypeError, match="exponent"):
        Tensor([1.0]) ** Tensor([2.0])


@pytest.mark.parametrize(
    "shapes",
    [[(2, 3), (3, 4)], [(3,), (3, 4)], [(2, 3), (3,)], [(3,), (3,)], [(5, 2, 3), (3, 4)],
     [(3,), (5, 3, 4)], [(2, 1, 2, 3), (4, 3, 2)]],
)  # fmt: skip
def test_matmul(shapes):
    check_op(lambda a, b: a @ b, *shapes)


def test_reflected_matmul_with_an_array():
    m = np.arange(6, dtype=np.float32).reshape(2, 3)
    check_op(lambda x: m @ x, (3, 4))


def test_matmul_shape_errors_name_the_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(4, 5\)"):
        lucid.zeros(2, 3) @ lucid.zeros(4, 5)
    with pytest.raises(ValueError, match="at least 1 dimension"):
        lucid.zeros(()) @ lucid.zeros(3)


@pytest.mark.parametrize(
    "kwargs", [{}, {"axis": 0}, {"axis": 1}, {"axis": -1, "keepdims": True},
               {"axis": (0, 2)}, {"axis": (0, 2), "keepdims": True}, {"keepdims": True}],
)  # fmt: skip
@pytest.mark.parametrize("name", ["sum", "mean"])
def test_reductions(name, kwargs):
    check_op(lambda x: getattr(x, name)(**kwargs), (2, 3, 4))


@pytest.mark.parametrize("name", ["sum", "mean"])
def test_reductions_take_pytorch_dim_alias(name):
    check_op(
        lambda x: getattr(x, name)(dim=1, keepdim=True),
        (2, 3),
        ref=lambda x: getattr(x, name)(axis=1, keepdims=True),
    )
    with pytest.raises(TypeError, match="axis= or dim="):
        getattr(Tensor([1.0]), name)(axis=0, dim=0)


def test_reduction_errors_name_the_axis():
    with pytest.raises(ValueError, match="axis 2"):
        lucid.zeros(2, 3).sum(axis=2)
    with pytest.raises(TypeError, match="axis"):
        lucid.zeros(2, 3).mean(axis=1.0)


def test_reduction_dtypes():
    assert Tensor(np.arange(4)).sum().dtype == np.int64
    assert Tensor(np.arange(4)).mean().item() == 1.5
    assert Tensor(np.array([True, True, False])).sum().item() == 2


@pytest.mark.parametrize("shape", [(6, 4), (4, 6), (2, -1), ((3, 8),), (24,), (2, 3, 4)])
def test_reshape(shape):
    check_op(lambda x: x.reshape(*shape), (2, 3, 4))


def test_reshape_shares_storage_and_rejects_bad_shapes():
    x = lucid.zeros(2, 3)
    y = x.reshape(3, 2)
    y.data[0, 0] = 7.0
    assert x.data[0, 0] == 7.0
    with pytest.raises(ValueError, match=r"\(4,\)"):
        x.reshape(4)
    with pytest.raises(ValueError, match="shape"):
        x.reshape(2.0, 3)


@pytest.mark.parametrize(
    "fn, ref",
    [(lambda x: x.transpose(), None), (lambda x: x.T, None), (lambda x: x.transpose(1, 0, 2), None),
     (lambda x: x.transpose((2, 0, 1)), None), (lambda x: x.transpose(-1, 0, 1), None)],
)  # fmt: skip
def test_transpose(fn, ref):
    check_op(fn, (2, 3, 4), ref=ref)


def test_transpose_result_is_c_contiguous_and_errors_name_axes():
    t = lucid.ones(2, 3).T
    assert t.shape == (3, 2) and t.data.flags.c_contiguous
    with pytest.raises(ValueError, match=r"axes \(1, 0\)"):
        lucid.ones(2, 3, 4).transpose(1, 0)
    with pytest.raises(ValueError, match="repeated axis"):
        lucid.ones(2, 3).transpose(0, 0)


@pytest.mark.parametrize(
    "index",
    [1, -1, (0, 2), slice(1, None), slice(None, None, 2), slice(None, None, -1),
     (slice(None), 1), (Ellipsis, slice(1, 3)), (None, 0), (slice(0, 3, 2), slice(None, None, -2)),
     np.array([0, 2, 0]), (np.array([0, 1]), np.array([3, 3])), np.array([True, False, True])],
    ids=["int", "neg", "tuple", "slice", "step", "reverse", "col", "ellipsis", "newaxis",
         "two_steps", "repeated_ints", "int_pairs", "bool_mask"],
)  # fmt: skip
def test_getitem(index):
    check_op(lambda x: x[index], (3, 4))


def test_getitem_with_a_tensor_index():
    idx = Tensor(np.array([2, 0]))
    check_op(lambda x: x[idx] if isinstance(x, Tensor) else x[idx.data], (3, 2))


@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
@pytest.mark.parametrize("other", [Tensor([1.0, 2.0, 3.0]), 2.0, np.array([[3.0], [0.0]])])
def test_comparisons_match_numpy_and_give_bool_tensors(op, other):
    x = Tensor([1.0, 5.0, 3.0], requires_grad=True)
    got = getattr(x, op)(other)
    other_values = other.data if isinstance(other, Tensor) else other
    expected = getattr(x.data, op)(other_values)
    assert isinstance(got, Tensor) and got.dtype == np.bool_
    assert not got.requires_grad and got.is_leaf
    np.testing.assert_array_equal(got.data, expected)


def test_reflected_comparison_with_an_array():
    x = Tensor([1.0, 5.0])
    got = np.array([2.0, 2.0]) < x
    assert isinstance(got, Tensor)
    np.testing.assert_array_equal(got.data, [False, True])


def test_weak_python_scalars_keep_the_tensor_dtype():
    f32, i64 = Tensor([1.0, 2.0], dtype=np.float32), Tensor(np.array([1, 2]))
    assert (f32 * 2.0).dtype == np.float32 and (2 - f32).dtype == np.float32
    assert (f32**2).dtype == np.float32
    assert (i64 + 1).dtype == np.int64 and (i64 * 2.5).dtype == np.float64
    assert (i64 / 2).dtype == np.float64 and (f32 + np.float64(1.0)).dtype == np.float64
    with pytest.raises(TypeError, match="complex"):
        f32 + 1j


def test_mixed_dtypes_cast_gradients_back_to_each_input():
    a = Tensor([1.0, 2.0], dtype="float32", requires_grad=True)
    b = Tensor([3.0, 4.0], dtype="float64", requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad, [3.0, 4.0])
    np.testing.assert_array_equal(b.grad, [1.0, 2.0])


def test_broadcasting_mismatch_names_the_shapes():
    with pytest.raises(ValueError, match=r"\(2,\).*\(3,\)"):
        lucid.zeros(2) + lucid.zeros(3)
