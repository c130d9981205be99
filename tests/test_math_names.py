"""lucid 2.x's element-wise, arithmetic and shape function names (lucid._ops.unary,
arithmetic and shapes) and its constants: values against numpy, gradients against
finite differences."""

import warnings

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor, _storage

# ---- differentiable functions of one value -------------------------------------------

UNARY = [
    ("sin", np.sin, -2.0, 2.0),
    ("cos", np.cos, -2.0, 2.0),
    ("tan", np.tan, -1.2, 1.2),
    ("arcsin", np.arcsin, -0.9, 0.9),
    ("arccos", np.arccos, -0.9, 0.9),
    ("arctan", np.arctan, -3.0, 3.0),
    ("sinh", np.sinh, -2.0, 2.0),
    ("cosh", np.cosh, -2.0, 2.0),
    ("square", np.square, -2.0, 2.0),
    ("cube", lambda x: x * x * x, -2.0, 2.0),
    ("reciprocal", lambda x: 1.0 / x, 0.5, 2.0),
    ("log2", np.log2, 0.5, 3.0),
]


@pytest.mark.parametrize("name, ref, low, high", UNARY, ids=[u[0] for u in UNARY])
def test_unary_values_and_gradients(name, ref, low, high):
    check_op(getattr(lucid, name), (3, 4), ref=ref, low=low, high=high)


@pytest.mark.parametrize("name", [u[0] for u in UNARY])
def test_float32_stays_float32(name):
    x = Tensor(np.array([0.25, 0.5], dtype=np.float32))
    y = getattr(lucid, name)(x)
    assert y.dtype == np.float32 and _storage.is_storage_view(y.data)


def f64(values):
    return Tensor(values, dtype=np.float64)


def test_exact_values_at_known_points():
    np.testing.assert_array_equal(lucid.sin(f64([0.0, 0.5, 1.0])).data, np.sin([0.0, 0.5, 1.0]))
    assert lucid.arcsin(f64([1.0])).item() == np.pi / 2
    assert lucid.arccos(f64([-1.0])).item() == np.pi
    assert lucid.arctan(f64([1.0])).item() == np.pi / 4
    assert lucid.cosh(f64([0.0])).item() == 1.0 and lucid.sinh(f64([0.0])).item() == 0.0
    np.testing.assert_array_equal(lucid.log2(f64([1.0, 8.0, 0.5])).data, [0.0, 3.0, -1.0])
    np.testing.assert_array_equal(lucid.cube(f64([-2.0, 3.0])).data, [-8.0, 27.0])
    np.testing.assert_array_equal(lucid.reciprocal(f64([4.0, -0.5])).data, [0.25, -2.0])


def test_the_slopes_at_known_points():
    x = Tensor([0.0, 0.5], dtype=np.float64, requires_grad=True)
    lucid.arcsin(x).sum().backward()
    np.testing.assert_allclose(x.grad, [1.0, 1.0 / np.sqrt(0.75)], rtol=1e-15)
    x = Tensor([0.0, 1.0], dtype=np.float64, requires_grad=True)
    lucid.tan(x).sum().backward()
    np.testing.assert_allclose(x.grad, 1.0 + np.tan([0.0, 1.0]) ** 2, rtol=1e-15)
    x = Tensor([2.0, 4.0], dtype=np.float64, requires_grad=True)
    lucid.log2(x).sum().backward()
    np.testing.assert_allclose(x.grad, [1 / (2 * np.log(2)), 1 / (4 * np.log(2))], rtol=1e-15)
    x = Tensor([3.0], dtype=np.float64, requires_grad=True)
    lucid.cube(x).backward()
    assert x.grad.tolist() == [27.0]


def test_integer_input_computes_in_float64_but_square_and_cube_stay_integers():
    ints = Tensor(np.array([1, 2, 4]))
    for name in ("sin", "cos", "tan", "arctan", "sinh", "cosh", "reciprocal", "log2"):
        assert getattr(lucid, name)(ints).dtype == np.float64, name
    np.testing.assert_array_equal(lucid.reciprocal(ints).data, [1.0, 0.5, 0.25])
    np.testing.assert_array_equal(lucid.log2(ints).data, [0.0, 1.0, 2.0])
    assert lucid.square(ints).dtype == np.int64 and lucid.square(ints).tolist() == [1, 4, 16]
    assert lucid.cube(ints).dtype == np.int64 and lucid.cube(ints).tolist() == [1, 8, 64]


def test_edges_follow_numpy_with_silent_exact_limits():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert lucid.reciprocal(Tensor([0.0])).item() == np.inf
        assert lucid.log2(Tensor([0.0])).item() == -np.inf
    with pytest.warns(RuntimeWarning, match="invalid value"):
        assert np.isnan(lucid.arcsin(Tensor([2.0])).item())


def test_tanh_at_the_top_level_is_the_activation():
    x = Tensor([-1.0, 0.0, 2.0], dtype=np.float64)
    np.testing.assert_allclose(lucid.tanh(x).data, np.tanh([-1.0, 0.0, 2.0]), rtol=1e-15)
    check_op(lucid.tanh, (2, 3), ref=np.tanh)


@pytest.mark.parametrize("op", ["sin", "square", "log2"])
def test_a_non_tensor_argument_is_a_type_error_naming_the_op(op):
    with pytest.raises(TypeError, match=f"{op}: input_ must be a Tensor"):
        getattr(lucid, op)("x")


# ---- piecewise constant: sign, floor, ceil, round ------------------------------------

VALUES = [-2.5, -1.5, -0.2, 0.0, 0.5, 1.5, 2.7]


@pytest.mark.parametrize(
    "name, expected",
    [("sign", [-1, -1, -1, 0, 1, 1, 1]), ("floor", [-3, -2, -1, 0, 0, 1, 2]),
     ("ceil", [-2, -1, -0.0, 0, 1, 2, 3]), ("round", [-2, -2, -0.0, 0, 0, 2, 3])],
)  # fmt: skip
def test_piecewise_constant_values_and_no_gradient(name, expected):
    x = Tensor(VALUES, dtype=np.float64, requires_grad=True)
    y = getattr(lucid, name)(x)
    assert y.dtype == np.float64 and _storage.is_storage_view(y.data)
    assert y.tolist() == expected
    assert not y.requires_grad and y.grad_fn is None  # lucid 2.x: out of the graph
    if name != "sign":
        assert getattr(x, name)().tolist() == expected  # the Tensor method too
    (y * x).sum().backward()
    np.testing.assert_array_equal(x.grad, y.data)  # only the product's own path


def test_round_takes_decimals_and_rounds_halves_to_even():
    x = Tensor([1.26, -0.35, 2.5, 1234.5], dtype=np.float64)
    np.testing.assert_array_equal(lucid.round(x, 1).data, np.round(x.data, 1))
    np.testing.assert_array_equal(x.round(decimals=-2).data, [0.0, -0.0, 0.0, 1200.0])
    np.testing.assert_array_equal(lucid.round(Tensor([0.5, 1.5, 2.5])).data, [0.0, 2.0, 2.0])
    with pytest.raises(TypeError, match=r"round: decimals must be an int, got 1\.5"):
        lucid.round(x, 1.5)


def test_integer_and_bool_inputs_keep_their_dtype():
    ints = Tensor(np.array([-3, 0, 7]))
    for name in ("floor", "ceil", "round"):
        y = getattr(lucid, name)(ints)
        assert y.dtype == np.int64 and y.tolist() == [-3, 0, 7]
    assert lucid.sign(ints).dtype == np.int64 and lucid.sign(ints).tolist() == [-1, 0, 1]
    assert lucid.round(Tensor(np.array([149, 151])), -2).tolist() == [100, 200]
    flags = Tensor(np.array([True, False]))
    assert lucid.sign(flags).dtype == np.bool_ and lucid.floor(flags).tolist() == [True, False]


def test_sign_of_nan_is_nan():
    assert np.isnan(lucid.sign(Tensor([np.nan])).item())


# ---- arithmetic function forms --------------------------------------------------------


@pytest.mark.parametrize(
    "name, ref",
    [("add", np.add), ("sub", np.subtract), ("multiply", np.multiply), ("div", np.divide)],
)
def test_binary_forms_are_the_operators_with_broadcasting(name, ref):
    check_op(getattr(lucid, name), (2, 3), (3,), ref=ref, low=0.5, high=2.0)


def test_binary_forms_take_scalars_on_either_side():
    x = Tensor([1.0, 2.0], dtype=np.float32)
    assert lucid.add(x, 2).tolist() == [3.0, 4.0] and lucid.add(x, 2).dtype == np.float32
    assert lucid.sub(10, x).tolist() == [9.0, 8.0]
    assert lucid.multiply(3.0, x).tolist() == [3.0, 6.0]
    assert lucid.div(1, x).tolist() == [1.0, 0.5]
    assert lucid.add(1, 2).tolist() == 3  # two numbers: still a tensor
    with pytest.raises(TypeError, match=r"multiply: b must be a Tensor, array or real number"):
        lucid.multiply(x, "2")


def test_div_floor_is_floor_division_without_gradient():
    a, b = Tensor([5.0, -7.0, 7.5]), Tensor([2.0, 2.0, 2.0])
    y = lucid.div(a, b, floor=True)
    assert y.dtype == np.int64 and y.tolist() == [2, -4, 3]
    assert lucid.div(a, b).tolist() == [2.5, -3.5, 3.75]
    with pytest.raises(TypeError, match=r"div: floor must be a bool, got 1"):
        lucid.div(a, b, floor=1)


def test_power_with_tensors_on_both_sides_and_scalars():
    check_op(lucid.power, (2, 3), (2, 3), ref=np.power, low=0.5, high=2.0)
    check_op(lambda a: lucid.power(a, 3), (4,), ref=lambda a: a**3)
    check_op(lambda e: lucid.power(2.0, e), (4,), ref=lambda e: 2.0**e)
    assert lucid.power(Tensor([2.0, 3.0]), 2).tolist() == [4.0, 9.0]


# ---- shape functions and constants ----------------------------------------------------


def test_shape_functions_at_the_top_level():
    values = np.arange(24.0).reshape(2, 3, 4)
    x = Tensor(values)
    np.testing.assert_array_equal(lucid.reshape(x, (4, 6)).data, values.reshape(4, 6))
    np.testing.assert_array_equal(lucid.reshape(x, 6, -1).data, values.reshape(6, 4))
    np.testing.assert_array_equal(lucid.transpose(x).data, values.transpose())
    np.testing.assert_array_equal(lucid.transpose(x, [2, 0, 1]).data, values.transpose(2, 0, 1))
    np.testing.assert_array_equal(lucid.transpose(x, axes=(1, 0, 2)).data, values.swapaxes(0, 1))
    np.testing.assert_array_equal(lucid.transpose(x, 0, 2, 1).data, values.transpose(0, 2, 1))
    np.testing.assert_array_equal(lucid.swapaxes(x, 0, -1).data, values.swapaxes(0, -1))
    np.testing.assert_array_equal(x.swapaxes(1, 2).data, values.swapaxes(1, 2))
    assert lucid.expand_dims(x, 0).shape == (1, 2, 3, 4)
    assert lucid.expand_dims(x, (0, -1)).shape == (1, 2, 3, 4, 1)
    np.testing.assert_array_equal(lucid.ravel(x).data, values.ravel())
    assert x.ravel().shape == (24,) and lucid.ravel(Tensor(3.0)).shape == (1,)
    assert lucid.squeeze(lucid.unsqueeze(x, 1)).shape == (2, 3, 4)
    assert lucid.flatten(x, 1).shape == (2, 12)


@pytest.mark.parametrize(
    "fn, ref",
    [(lambda a: lucid.reshape(a, (3, 2)), lambda a: a.reshape(3, 2)),
     (lambda a: lucid.transpose(a, [1, 0]), lambda a: a.T),
     (lambda a: lucid.swapaxes(a, 0, 1), lambda a: a.swapaxes(0, 1)),
     (lambda a: lucid.expand_dims(a, 1), lambda a: a[:, None]),
     (lucid.ravel, np.ravel)],
    ids=["reshape", "transpose", "swapaxes", "expand_dims", "ravel"],
)  # fmt: skip
def test_shape_function_gradients(fn, ref):
    check_op(fn, (2, 3), ref=ref)


def test_ravel_and_reshape_share_storage_and_swapaxes_copies():
    x = Tensor([[1.0, 2.0], [3.0, 4.0]])
    assert np.shares_memory(lucid.ravel(x).data, x.data)
    assert np.shares_memory(lucid.reshape(x, (4,)).data, x.data)
    assert not np.shares_memory(lucid.swapaxes(x, 0, 1).data, x.data)


def test_swapaxes_refuses_a_bad_axis_naming_it():
    x = Tensor([[1.0, 2.0]])
    with pytest.raises(TypeError, match=r"swapaxes: axis1 must be an int, got 0\.5"):
        lucid.swapaxes(x, 0.5, 1)
    with pytest.raises(ValueError, match="axis2"):
        lucid.swapaxes(x, 0, 2)


def test_constants_are_numpys():
    assert lucid.pi == np.pi and lucid.inf == np.inf and lucid.newaxis is None
    assert Tensor([1.0, 2.0])[lucid.newaxis].shape == (1, 2)
