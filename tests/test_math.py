"""lucid._ops.elementwise and lucid._ops.reduce: element-wise math, max/min, argmax/argmin,
casts, and the function forms."""

import warnings

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor, _storage

# ---- element-wise -------------------------------------------------------------------


@pytest.mark.parametrize(
    "fn, ref, low",
    [(lambda x: x.exp(), np.exp, -2.0), (lucid.exp, np.exp, -2.0),
     (lambda x: x.log(), np.log, 0.5), (lucid.log, np.log, 0.5),
     (lambda x: x.sqrt(), np.sqrt, 0.5), (lucid.sqrt, np.sqrt, 0.5),
     (lambda x: x.abs(), np.abs, -2.0), (lucid.abs, np.abs, -2.0), (abs, np.abs, -2.0)],
    ids=["exp", "lucid.exp", "log", "lucid.log", "sqrt", "lucid.sqrt", "abs", "lucid.abs",
         "builtin_abs"],
)  # fmt: skip
def test_unary_ops(fn, ref, low):
    check_op(fn, (3, 4), ref=ref, low=low)


def test_abs_gradient_is_zero_at_zero():
    x = Tensor([-2.0, 0.0, 3.0], requires_grad=True)
    x.abs().sum().backward()
    np.testing.assert_array_equal(x.grad, [-1.0, 0.0, 1.0])


def test_log_of_zero_is_minus_inf_without_a_warning_and_negative_is_nan():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = lucid.log(x)
        y.backward()
    np.testing.assert_array_equal(y.data, [-np.inf, 0.0])
    np.testing.assert_array_equal(x.grad, [np.inf, 1.0])
    with pytest.warns(RuntimeWarning, match="invalid value"):
        assert np.isnan(lucid.log(Tensor([-1.0])).item())


def test_sqrt_gradient_at_zero_is_inf():
    x = Tensor([0.0, 4.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x.sqrt().sum().backward()
    np.testing.assert_array_equal(x.grad, [np.inf, 0.25])


@pytest.mark.parametrize("name", ["exp", "log", "sqrt"])
def test_integer_and_bool_inputs_compute_in_float64(name):
    for values in (np.array([1, 4]), np.array([True, True])):
        got = getattr(lucid, name)(Tensor(values))
        assert got.dtype == np.float64 and _storage.is_storage_view(got.data)
        np.testing.assert_allclose(got.data, getattr(np, name)(values.astype(np.float64)))


def test_unary_functions_take_arrays_and_lists_and_reject_other_types():
    np.testing.assert_allclose(lucid.exp([0.0, 1.0]).data, [1.0, np.e], rtol=1e-6)
    assert lucid.exp(np.zeros(2, dtype=np.float64)).dtype == np.float64
    assert lucid.abs(-2.0).item() == 2.0
    with pytest.raises(TypeError, match=r"exp: input_ must be a Tensor or array-like, got 'a'"):
        lucid.exp("a")
    with pytest.raises(TypeError, match=r"log: input_: data must hold real numbers"):
        lucid.log(np.array(["a"]))


@pytest.mark.parametrize(
    "lo, hi", [(-1.0, 1.0), (-0.5, None), (None, 0.5), (0, 1), (np.float32(-1.0), 1.0)]
)
def test_clip(lo, hi):
    check_op(lambda x: lucid.clip(x, lo, hi), (4, 5), ref=lambda x: np.clip(x, lo, hi))
    check_op(lambda x: x.clip(lo, hi), (4, 5), ref=lambda x: np.clip(x, lo, hi))


def test_clip_gradient_is_one_at_the_bounds_and_zero_outside():
    x = Tensor([-2.0, -1.0, 0.0, 1.0, 2.0], requires_grad=True)
    y = x.clip(-1.0, 1.0)
    y.backward()
    np.testing.assert_array_equal(y.data, [-1.0, -1.0, 0.0, 1.0, 1.0])
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 1.0, 1.0, 0.0])


def test_clip_keeps_float32_and_promotes_integers_only_for_float_bounds():
    assert Tensor([1.0, 5.0], dtype=np.float32).clip(0.0, 2.0).dtype == np.float32
    assert Tensor(np.array([1, 5])).clip(0, 2).dtype == np.int64
    got = Tensor(np.array([1, 5])).clip(0, 2.5)
    assert got.dtype == np.float64
    np.testing.assert_array_equal(got.data, [1.0, 2.5])


def test_clip_without_bounds_passes_the_input_through_as_a_new_tensor_in_the_graph():
    x = Tensor([1.0, -5.0], requires_grad=True)
    y = lucid.clip(x)
    assert y is not x and not np.shares_memory(y.data, x.data) and y.tolist() == [1.0, -5.0]
    (y * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]
    assert x.clip(None, None).tolist() == [1.0, -5.0]


def test_clip_errors_name_the_bounds():
    x = Tensor([1.0])
    with pytest.raises(ValueError, match="min_value 2.0 is greater than max_value 1.0"):
        x.clip(2.0, 1.0)
    with pytest.raises(TypeError, match="max_value must be a real number or None, got True"):
        x.clip(0.0, True)
    with pytest.raises(TypeError, match="min_value"):
        x.clip(Tensor([0.0]), 1.0)
    with pytest.raises(ValueError, match="min_value must not be nan"):
        x.clip(float("nan"), 1.0)


@pytest.mark.parametrize(
    "shapes",
    [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(2, 3), (3,)], [(), (2, 3)], [(2, 1, 3), (4, 1)]],
)
@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_broadcast(name, shapes):
    check_op(getattr(lucid, name), *shapes, ref=getattr(np, name))
    check_op(lambda a, b: getattr(a, name)(b), *shapes, ref=getattr(np, name))


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_and_minimum_with_scalars_and_arrays(name):
    c = np.array([0.5, -1.0, 0.0, 1.5], dtype=np.float32)
    check_op(lambda x: getattr(lucid, name)(x, 0.0), (3, 4), ref=lambda x: getattr(np, name)(x, 0))
    check_op(lambda x: getattr(lucid, name)(c, x), (3, 4), ref=lambda x: getattr(np, name)(c, x))
    assert getattr(lucid, name)(Tensor([1.0], dtype=np.float32), 0.0).dtype == np.float32


def test_maximum_and_minimum_split_the_gradient_on_ties():
    a = Tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = Tensor([1.0, 0.0, 5.0], requires_grad=True)
    lucid.maximum(a, b).backward()
    np.testing.assert_array_equal(a.grad, [0.5, 1.0, 0.0])
    np.testing.assert_array_equal(b.grad, [0.5, 0.0, 1.0])
    a.grad = b.grad = None
    lucid.minimum(a, b).backward()
    np.testing.assert_array_equal(a.grad, [0.5, 0.0, 1.0])
    np.testing.assert_array_equal(b.grad, [0.5, 1.0, 0.0])
    # A broadcast scalar tied with two elements collects half of each.
    x = Tensor([2.0, 2.0, 1.0], requires_grad=True)
    s = Tensor(2.0, requires_grad=True)
    lucid.maximum(x, s).backward()
    np.testing.assert_array_equal(x.grad, [0.5, 0.5, 0.0])
    assert s.grad == 2.0


def test_maximum_rejects_non_numeric_operands():
    with pytest.raises(TypeError, match="maximum: b must be a Tensor, array or real number"):
        lucid.maximum(Tensor([1.0]), "x")
    with pytest.raises(TypeError, match="minimum: a must be"):
        lucid.minimum(1j, Tensor([1.0]))


# ---- max / min ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs", [{}, {"axis": 0}, {"axis": 1}, {"axis": -1, "keepdims": True},
               {"axis": (0, 2)}, {"axis": (0, 2), "keepdims": True}, {"keepdims": True}],
)  # fmt: skip
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min(name, kwargs):
    ref = getattr(np, name)
    check_op(lambda x: getattr(x, name)(**kwargs), (2, 3, 4), ref=lambda x: ref(x, **kwargs))
    check_op(lambda x: getattr(lucid, name)(x, **kwargs), (2, 3, 4), ref=lambda x: ref(x, **kwargs))


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_and_min_take_the_dim_alias(name):
    ref = getattr(np, name)
    check_op(
        lambda x: getattr(x, name)(dim=1, keepdim=True),
        (2, 3),
        ref=lambda x: ref(x, axis=1, keepdims=True),
    )
    with pytest.raises(TypeError, match="axis= or dim="):
        getattr(lucid, name)(Tensor([1.0]), axis=0, dim=0)


def test_max_and_min_share_the_gradient_among_ties():
    x = Tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    x.max(axis=1).backward()
    np.testing.assert_allclose(x.grad, [[0.0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    x.grad = None
    x.min().backward()
    np.testing.assert_array_equal(x.grad, [[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]])


def test_max_of_nan_is_nan_and_its_gradient_goes_to_the_nan():
    x = Tensor([1.0, np.nan, 3.0], requires_grad=True)
    y = x.max()
    y.backward()
    assert np.isnan(y.item())
    np.testing.assert_array_equal(x.grad, [0.0, 1.0, 0.0])


def test_max_and_min_keep_integer_dtypes_and_reject_empty_axes():
    assert Tensor(np.array([[1, 5], [7, 2]])).max(axis=0).data.tolist() == [7, 5]
    assert Tensor(np.array([True, False])).min().dtype == np.bool_
    with pytest.raises(ValueError, match=r"max: cannot reduce an empty axis \(shape \(0, 3\)"):
        lucid.zeros(0, 3).max(axis=0)
    assert lucid.zeros(0, 3).min(axis=1).shape == (0,)
    with pytest.raises(ValueError, match="axis 2"):
        lucid.zeros(2, 3).max(axis=2)


@pytest.mark.parametrize(
    "kwargs", [{}, {"axis": 0}, {"axis": 1}, {"axis": -1}, {"axis": 1, "keepdims": True},
               {"keepdims": True}],
)  # fmt: skip
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_and_argmin_match_numpy(name, kwargs):
    values = np.random.default_rng(0).standard_normal((3, 4))
    values[1, :2] = values[1].max() + 1  # a tie: both take the first
    values[2, 1:3] = values[2].min() - 1
    x = Tensor(values, requires_grad=True)
    for got in (getattr(x, name)(**kwargs), getattr(lucid, name)(x, **kwargs)):
        # Without an axis lucid 2.x runs along axis 0 (numpy would flatten).
        expected = getattr(np, name)(values, **{"axis": 0, **kwargs})
        assert got.dtype == np.int64 and not got.requires_grad and got.is_leaf
        assert _storage.is_storage_view(got.data) and got.shape == expected.shape
        np.testing.assert_array_equal(got.data, expected)


def test_argmax_dim_alias_and_errors():
    x = Tensor([[1.0, 5.0], [7.0, 2.0]])
    assert x.argmax(dim=1).data.tolist() == [1, 0]
    with pytest.raises(TypeError, match=r"argmax: axis must be None or an int, got \(0, 1\)"):
        x.argmax(axis=(0, 1))
    with pytest.raises(ValueError, match="axis 2"):
        x.argmin(axis=2)
    with pytest.raises(ValueError, match=r"argmin: cannot reduce an empty tensor \(shape \(0,\)"):
        lucid.zeros(0).argmin()


# ---- casts --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, target", [(np.float32, np.float64), (np.float64, np.float32), (np.float32, "float32")]
)
def test_float_casts_pass_the_gradient_back_in_the_input_dtype(source, target):
    x = Tensor(np.array([1.5, -2.25, 3.0]), dtype=source, requires_grad=True)
    y = x.astype(target)
    assert y.dtype == np.dtype(target) and _storage.is_storage_view(y.data)
    assert y.data is not x.data and not np.shares_memory(y.data, x.data)
    w = np.array([0.5, 2.0, -1.0])
    (y * Tensor(w, dtype=target)).sum().backward()
    assert x.grad.dtype == source
    np.testing.assert_array_equal(x.grad, w)


def test_casts_to_int_and_bool_have_no_gradient():
    x = Tensor([1.7, -2.5, 0.0], requires_grad=True)
    i, b = x.astype(lucid.int64), x.astype(bool)
    assert i.dtype == np.int64 and i.data.tolist() == [1, -2, 0]
    assert b.dtype == np.bool_ and b.data.tolist() == [True, True, False]
    assert not i.requires_grad and not b.requires_grad and i.is_leaf
    assert Tensor(np.array([1, 2])).astype(float).dtype == np.float64  # the default float


def test_astype_rejects_unsupported_dtypes():
    with pytest.raises(TypeError, match="complex64"):
        Tensor([1.0]).astype(np.complex64)


# ---- function forms of existing ops -------------------------------------------------


def test_sum_mean_and_matmul_functions():
    check_op(lambda x: lucid.sum(x, axis=1), (2, 3), ref=lambda x: np.sum(x, axis=1))
    check_op(lambda x: lucid.sum(x, dim=0, keepdim=True), (2, 3),
             ref=lambda x: np.sum(x, axis=0, keepdims=True))  # fmt: skip
    check_op(lambda x: lucid.mean(x, (0, 1)), (2, 3), ref=lambda x: np.mean(x, axis=(0, 1)))
    check_op(lucid.matmul, (2, 3), (3, 4), ref=np.matmul)
    assert lucid.sum([1.0, 2.0]).item() == 3.0
    assert lucid.matmul(np.eye(2), [[1.0], [2.0]]).shape == (2, 1)
    with pytest.raises(TypeError, match="matmul: b must be"):
        lucid.matmul(Tensor([1.0]), "x")
