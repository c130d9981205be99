"""The Tensor names a lucid 2.x or PyTorch user reaches for first: tolist, numpy, mT,
``//``, ``2 ** t``, the bitwise operators, view, flatten, squeeze, unsqueeze, var, std,
clone, the casts, requires_grad_, grad_fn, argmax without an axis and backward's seed."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor, _storage
from lucid._ops import elementwise


def _leaf(values):
    return Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


# ---- values out --------------------------------------------------------------------------


def test_tolist_gives_python_values_of_each_dtype():
    assert Tensor([[1.5, 2.0]]).tolist() == [[1.5, 2.0]]
    assert type(Tensor([1.5]).tolist()[0]) is float
    ints = Tensor(np.array([[3, -4]])).tolist()
    assert ints == [[3, -4]] and type(ints[0][0]) is int
    assert Tensor([True, False]).tolist() == [True, False]
    assert Tensor(2.5).tolist() == 2.5  # 0-d: the scalar


def test_numpy_is_a_copy_and_data_the_view():
    x = Tensor([1.0, 2.0])
    copied = x.numpy()
    copied[0] = 7.0
    assert x.data[0] == 1.0 and not np.shares_memory(copied, x.data)
    x.data[1] = 9.0
    assert x.numpy().tolist() == [1.0, 9.0]


# ---- mT ----------------------------------------------------------------------------------


def test_mt_swaps_the_last_two_axes():
    values = np.arange(24.0).reshape(2, 3, 4)
    out = Tensor(values).mT
    assert out.shape == (2, 4, 3) and _storage.is_storage_view(out.data)
    np.testing.assert_array_equal(out.data, np.swapaxes(values, -1, -2))
    check_op(lambda x: x.mT, (2, 3, 4), ref=lambda a: np.swapaxes(a, -1, -2))
    check_op(lambda x: x.mT, (3, 2), ref=lambda a: a.T)
    with pytest.raises(ValueError, match=r"mT needs .* at least 2 dimensions, got shape \(3,\)"):
        Tensor([1.0, 2.0, 3.0]).mT  # noqa: B018


# ---- floor division ------------------------------------------------------------------------


def test_floor_division_rounds_toward_minus_infinity_into_int64():
    x = _leaf([7.0, -7.0, 2.5, -2.5])
    for out in (x // 2, x // Tensor([2.0]), x // np.float64(2.0)):
        assert out.dtype == np.int64 and out.data.tolist() == [3, -4, 1, -2]
        assert not out.requires_grad and out.is_leaf  # no gradient, as lucid 2.x
    assert (7 // Tensor([2.0, -2.0])).data.tolist() == [3, -4]  # reflected
    assert (np.array([9.0]) // Tensor([4.0])).data.tolist() == [2]
    ints = Tensor(np.array([7, -7]))
    assert (ints // 2).data.tolist() == [3, -4] and (ints // 2).dtype == np.int64
    # The laws: q * b + r == a with 0 <= r < b for b > 0.
    a = np.random.default_rng(0).uniform(-50, 50, 100)
    q = (Tensor(a) // 3.0).data
    assert np.all((a - q * 3.0 >= 0) & (a - q * 3.0 < 3.0))


def test_floor_division_without_an_integer_result_is_an_error():
    with pytest.raises(ValueError, match="division by zero"):
        Tensor([1.0, 2.0]) // Tensor([1.0, 0.0])
    with pytest.raises(ValueError, match="division by zero"):
        Tensor(np.array([4])) // 0
    with pytest.raises(ValueError, match="inf or nan"):
        Tensor([np.inf, 1.0]) // 2
    with pytest.raises(TypeError, match="unsupported operand"):
        Tensor([1.0]) // "2"  # noqa: B018


# ---- 2 ** t ------------------------------------------------------------------------------


def test_a_number_to_a_tensor_power_has_exact_values_and_its_gradient():
    x = Tensor([0.0, 1.0, 2.0, 10.0], dtype=np.float32)  # the weak 2 keeps float32
    assert (2**x).data.tolist() == [1.0, 2.0, 4.0, 1024.0] and (2**x).dtype == np.float32
    ints = Tensor(np.array([0, 1, 3]))
    assert (2**ints).data.tolist() == [1, 2, 8] and (2**ints).dtype == np.int64
    check_op(lambda t: 2**t, (3, 2))
    check_op(lambda t: 0.5**t, (4,))
    base = np.array([1.5, 3.0], np.float32)  # float32, so a float32 exponent stays float32
    check_op(lambda t: base**t, (2, 2), ref=lambda a: base.astype(np.float64) ** a)
    check_op(lambda t: t**3, (3,))  # the tensor base still works


def test_the_gradient_of_zero_to_a_power_is_zero_where_the_power_is_finite():
    x = _leaf([0.0, 1.5, 2.0])
    out = 0.0**x
    assert out.data.tolist() == [1.0, 0.0, 0.0]
    out.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]  # PyTorch's, not 1 * log(0) = -inf


def test_a_base_that_requires_grad_is_refused():
    with pytest.raises(TypeError, match="base must not require grad"):
        elementwise.rpow(Tensor([1.0]), _leaf([2.0]))


# ---- bitwise -------------------------------------------------------------------------------


def test_bitwise_operators_on_bools_are_the_truth_tables():
    a, b = Tensor([True, True, False, False]), Tensor([True, False, True, False])
    assert (a & b).data.tolist() == [True, False, False, False]
    assert (a | b).data.tolist() == [True, True, True, False]
    assert (a ^ b).data.tolist() == [False, True, True, False]
    assert (~a).data.tolist() == [False, False, True, True]
    for out in (a & b, a | b, a ^ b, ~a):
        assert out.dtype == np.bool_ and _storage.is_storage_view(out.data)
    assert (True & b).data.tolist() == [True, False, True, False]  # reflected
    assert (np.array([False] * 4) | b).data.tolist() == [True, False, True, False]


def test_bitwise_operators_on_ints_match_numpy():
    values = np.array([0, 5, -6, 2**40 + 3])
    x, y = Tensor(values), Tensor(np.array([3, 12, -1, 7]))
    np.testing.assert_array_equal((x & y).data, values & y.data)
    np.testing.assert_array_equal((x | y).data, values | y.data)
    np.testing.assert_array_equal((x ^ y).data, values ^ y.data)
    assert (~x).data.tolist() == [-1, -6, 5, -(2**40) - 4]  # ~v == -v - 1
    assert (x & 1).dtype == np.int64 and (x & 1).data.tolist() == [0, 1, 0, 1]
    assert (6 ^ x).data.tolist() == (6 ^ values).tolist()


@pytest.mark.parametrize("op", ["&", "|", "^"])
def test_bitwise_operators_refuse_floats_naming_the_dtype(op):
    fn = {"&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b}[op]
    with pytest.raises(TypeError, match="must be a bool or integer tensor, got float32"):
        fn(Tensor([1.0], dtype=np.float32), Tensor([True]))
    with pytest.raises(TypeError, match="got float"):
        fn(Tensor([True]), 1.5)
    with pytest.raises(TypeError, match="got float64"):
        ~Tensor(np.array([1.0]))


# ---- reshapes ------------------------------------------------------------------------------


def test_view_is_reshape_over_the_same_storage():
    x = Tensor(np.arange(6.0))
    v = x.view(2, 3)
    assert v.shape == (2, 3) and np.shares_memory(v.data, x.data)
    assert x.view((3, -1)).shape == (3, 2)
    check_op(lambda t: t.view(3, 2), (6,), ref=lambda a: a.reshape(3, 2))


def test_flatten_merges_the_axes_from_start_to_end():
    x = Tensor(np.zeros((2, 3, 4, 5)))
    assert x.flatten().shape == (120,) and lucid.flatten(x).shape == (120,)
    assert x.flatten(1).shape == (2, 60) and x.flatten(1, 2).shape == (2, 12, 5)
    assert x.flatten(start_dim=2).shape == (2, 3, 20) and x.flatten(end_dim=-2).shape == (24, 5)
    assert x.flatten(start_axis=-1).shape == (2, 3, 4, 5)
    assert Tensor(3.0).flatten().shape == (1,)  # a 0-d tensor, as lucid 2.x and PyTorch
    assert np.shares_memory(x.flatten().data, x.data)
    check_op(lambda t: t.flatten(1), (2, 3, 2), ref=lambda a: a.reshape(2, 6))
    with pytest.raises(ValueError, match=r"start axis \(2\) comes after the end axis \(1\)"):
        x.flatten(2, 1)
    with pytest.raises(ValueError, match="start_axis=4 is out of range"):
        x.flatten(4)
    with pytest.raises(TypeError, match="pass start_axis= or start_dim=, not both"):
        x.flatten(1, start_dim=1)
    with pytest.raises(TypeError, match="start_axis must be an int"):
        x.flatten(1.0)


def test_squeeze_and_unsqueeze():
    x = Tensor(np.zeros((1, 3, 1, 2)))
    assert x.squeeze().shape == (3, 2) and lucid.squeeze(x, 0).shape == (3, 1, 2)
    assert x.squeeze((0, 2)).shape == (3, 2) and x.squeeze(dim=-2).shape == (1, 3, 2)
    assert np.shares_memory(x.squeeze().data, x.data)
    with pytest.raises(ValueError, match=r"axis 1 has size 3, not 1"):
        x.squeeze(1)  # as lucid 2.x and numpy; PyTorch would leave it
    y = Tensor(np.zeros((3, 2)))
    assert y.unsqueeze(0).shape == (1, 3, 2) and lucid.unsqueeze(y, -1).shape == (3, 2, 1)
    assert y.unsqueeze((0, 2)).shape == (1, 3, 1, 2) and y.unsqueeze(dim=1).shape == (3, 1, 2)
    assert np.shares_memory(y.unsqueeze(0).data, y.data)
    with pytest.raises(TypeError, match="give the position"):
        y.unsqueeze()
    with pytest.raises(ValueError, match="out of bounds"):
        y.unsqueeze(4)
    with pytest.raises(TypeError, match="pass axis= or dim=, not both"):
        y.unsqueeze(0, dim=0)
    check_op(lambda t: t.squeeze(1), (3, 1, 2), ref=lambda a: a.squeeze(1))
    check_op(lambda t: t.unsqueeze(1), (3, 2), ref=lambda a: np.expand_dims(a, 1))


# ---- var and std ---------------------------------------------------------------------------


def test_var_and_std_default_to_the_population_statistics_as_lucid_2():
    values = np.random.default_rng(1).standard_normal((4, 5))
    x = Tensor(values)
    np.testing.assert_allclose(x.var().item(), np.var(values), rtol=1e-12)
    np.testing.assert_allclose(lucid.std(x).item(), np.std(values), rtol=1e-12)
    for kwargs, ddof in (({"correction": 1}, 1), ({"unbiased": True}, 1), ({"unbiased": False}, 0)):
        np.testing.assert_allclose(x.var(1, **kwargs).data, np.var(values, 1, ddof=ddof))
        np.testing.assert_allclose(x.std(dim=0, **kwargs).data, np.std(values, 0, ddof=ddof))
    kept = lucid.var(x, dim=1, keepdim=True)
    assert kept.shape == (4, 1)
    np.testing.assert_allclose((x.std(axis=(0, 1)) ** 2).item(), x.var().item(), rtol=1e-12)
    ints = Tensor(np.array([1, 2, 3, 4]))
    assert ints.var().dtype == np.float64 and ints.var().item() == 1.25
    assert Tensor(np.ones(3, np.float32)).std().dtype == np.float32
    assert np.isnan(Tensor([2.0]).var(correction=1).item())  # n - 1 = 0, as PyTorch


def test_var_and_std_gradients():
    check_op(lambda t: t.var(), (3, 4), ref=np.var)
    check_op(lambda t: t.var(axis=1, correction=1), (3, 4), ref=lambda a: np.var(a, 1, ddof=1))
    check_op(lambda t: t.std(0, keepdims=True), (3, 4), ref=lambda a: np.std(a, 0, keepdims=True))
    check_op(lambda t: lucid.std(t, unbiased=True), (5,), ref=lambda a: np.std(a, ddof=1))


def test_var_arguments_are_checked():
    x = Tensor([1.0, 2.0])
    with pytest.raises(TypeError, match="pass correction= or unbiased=, not both"):
        x.var(correction=1, unbiased=True)
    with pytest.raises(TypeError, match="unbiased must be a bool"):
        x.std(unbiased=1)
    with pytest.raises(ValueError, match="correction must be finite and >= 0, got -1"):
        x.var(correction=-1)
    with pytest.raises(TypeError, match="pass axis= or dim=, not both"):
        x.var(0, dim=0)


# ---- clone and casts -----------------------------------------------------------------------


def test_clone_is_a_differentiable_copy_in_new_storage():
    x = _leaf([1.0, 2.0])
    y = x.clone()
    assert y.data.tolist() == [1.0, 2.0] and not np.shares_memory(y.data, x.data)
    assert y.requires_grad and not y.is_leaf and y.dtype == x.dtype
    y.data[0] = 5.0
    assert x.data[0] == 1.0
    check_op(lambda t: t.clone() * t, (3,), ref=lambda a: a * a)
    ints = Tensor(np.array([1, 2])).clone()
    assert ints.dtype == np.int64 and ints.data.tolist() == [1, 2]


def test_the_casts():
    x = _leaf([1.75, -2.5, 0.0])
    assert x.float().dtype == np.float32 and x.float().data.tolist() == [1.75, -2.5, 0.0]
    assert x.float().double().dtype == np.float64
    assert x.long().dtype == np.int64 and x.long().data.tolist() == [1, -2, 0]
    assert x.int().dtype == np.int64  # int64: the one integer dtype stored
    assert x.bool().dtype == np.bool_ and x.bool().data.tolist() == [True, True, False]
    (x.float() * Tensor(np.array([2.0, 3.0, 4.0], np.float32))).sum().backward()
    assert x.grad.dtype == np.float64 and x.grad.tolist() == [2.0, 3.0, 4.0]


# ---- autograd names ------------------------------------------------------------------------


def test_requires_grad_underscore_sets_the_flag_and_returns_the_tensor():
    x = Tensor([1.0])
    assert x.requires_grad_() is x and x.requires_grad
    assert x.requires_grad_(False) is x and not x.requires_grad
    assert x.requires_grad_(mode=True).requires_grad
    with pytest.raises(TypeError, match="needs a float tensor"):
        Tensor(np.array([1])).requires_grad_()


def test_grad_fn_is_the_node_and_none_for_a_leaf():
    x = _leaf([1.0, 2.0])
    assert x.grad_fn is None and x._op is None
    y = x * 2.0
    assert type(y.grad_fn) is elementwise.Mul and y._op is y.grad_fn
    assert y.grad_fn.parents == (x, None)
    with lucid.no_grad():
        assert (x * 2.0).grad_fn is None


# ---- argmax and argmin without an axis -----------------------------------------------------


def test_argmax_and_argmin_without_an_axis_run_along_axis_0_as_lucid_2():
    x = Tensor([[1.0, 5.0, 2.0], [7.0, 0.0, 9.0]])
    assert x.argmax().data.tolist() == [1, 0, 1] and lucid.argmin(x).data.tolist() == [0, 1, 0]
    assert x.argmax(keepdims=True).shape == (1, 3)
    assert Tensor([3.0, 9.0, 1.0]).argmax().data.tolist() == 1 and x.argmax().dtype == np.int64
    with pytest.raises(ValueError, match="a 0-d tensor has no axis 0"):
        Tensor(1.0).argmax()


# ---- backward's arguments ------------------------------------------------------------------


def test_a_seed_gradient_is_used_positionally_or_by_keyword():
    for call in (
        lambda y: y.backward(Tensor(5.0)),
        lambda y: y.backward(gradient=np.array(5.0)),
        lambda y: y.backward(Tensor(5.0), True),  # PyTorch's (gradient, retain_graph)
    ):
        x = _leaf([1.0, 2.0])
        call((x * 3.0).sum())
        assert x.grad.tolist() == [15.0, 15.0]
    x = _leaf([1.0, 2.0])
    (x * 3.0).backward(np.array([1.0, -2.0]))
    assert x.grad.tolist() == [3.0, -6.0]


def test_a_seed_of_the_wrong_shape_is_an_error_and_changes_nothing():
    x = _leaf([1.0, 2.0])
    y = (x * 3.0).sum()
    with pytest.raises(ValueError, match=r"gradient has shape \(1,\) but the tensor has shape"):
        y.backward(Tensor([5.0]))
    assert x.grad is None and y.grad is None
    with pytest.raises(TypeError, match="gradient must be a Tensor or array of real numbers"):
        y.backward(np.array("a"))
    with pytest.raises(TypeError, match="gradient given both positionally and by keyword"):
        y.backward(Tensor(1.0), gradient=Tensor(1.0))
    with pytest.raises(TypeError, match="keep_grad must be a bool"):
        y.backward(keep_grad=1)
    with pytest.raises(TypeError, match="at most 2 positional"):
        y.backward(None, None, None)


def test_a_positional_bool_is_keep_grad_as_lucid_2():
    x = _leaf([1.0, 2.0])
    h = x * 3.0
    h.sum().backward(True)
    assert h.grad.tolist() == [1.0, 1.0] and x.grad.tolist() == [3.0, 3.0]
    x.grad, h = None, x * 3.0
    h.sum().backward(False)
    assert h.grad is None and x.grad.tolist() == [3.0, 3.0]


def test_a_seed_adds_to_the_grad_a_leaf_root_has():
    x = _leaf([1.0, 2.0])
    x.backward(np.array([1.0, 1.0]))
    x.backward(np.array([2.0, 0.5]))
    assert x.grad.tolist() == [3.0, 1.5]
    frozen = Tensor([1.0])
    frozen.backward(np.array([2.0]))  # needs no gradient: nothing happens, as without a seed
    assert frozen.grad is None
