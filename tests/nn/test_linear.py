"""nn.Linear and nn.functional.linear: values against numpy, gradients against the
analytic formula and central finite differences, and the default initialisation's law."""

import math

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn

Z = 5.0  # standard errors allowed in statistical checks


def reference(x, w, b):
    y = x.astype(np.float64) @ w.astype(np.float64).T
    return y if b is None else y + b


@pytest.mark.parametrize("lead", [(), (5,), (2, 3)])
def test_output_is_x_times_w_transposed_plus_b(lead):
    lucid.random.seed(0)
    layer = nn.Linear(4, 3)
    x = np.random.default_rng(1).standard_normal((*lead, 4)).astype(np.float32)
    y = layer(Tensor(x))
    assert y.shape == (*lead, 3) and y.dtype == np.float64  # float32 input, float64 weights
    np.testing.assert_allclose(
        y.data, reference(x, layer.weight.data, layer.bias.data), rtol=1e-5, atol=1e-6
    )


def test_without_bias():
    layer = nn.Linear(4, 2, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(
        layer(Tensor(x)).data, reference(x, layer.weight.data, None), rtol=1e-6
    )
    assert repr(layer) == "Linear(4, 2, bias=False)"  # lucid 2.x's repr


def test_parameters_are_leaves_of_the_default_dtype_and_the_documented_shapes():
    layer = nn.Linear(4, 2)
    assert repr(layer) == "Linear(4, 2, bias=True)"
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.bias, nn.Parameter)
    assert layer.weight.shape == (2, 4) and layer.bias.shape == (2,)
    for p in layer.parameters():
        assert p.dtype == np.float64 and p.requires_grad and p.is_leaf


def weighted_sum_grads(x, w, b, g):
    """Gradients of L = sum(linear(x, w, b) * g) with respect to x, w and b, by autograd."""
    xt, wt = Tensor(x, requires_grad=True), Tensor(w, requires_grad=True)
    bt = Tensor(b, requires_grad=True)
    (F.linear(xt, wt, bt) * Tensor(g)).sum().backward()
    return xt.grad, wt.grad, bt.grad


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_match_the_analytic_formula(dtype):
    rng = np.random.default_rng(2)
    x, w, b = (rng.standard_normal(s).astype(dtype) for s in [(5, 4), (3, 4), (3,)])
    g = rng.standard_normal((5, 3)).astype(dtype)
    gx, gw, gb = weighted_sum_grads(x, w, b, g)
    # L = Σ g ⊙ (x Wᵀ + b):  ∂L/∂x = g W,  ∂L/∂W = gᵀ x,  ∂L/∂b = Σ_rows g
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12}
    np.testing.assert_allclose(gx, g @ w, **tol)
    np.testing.assert_allclose(gw, g.T @ x, **tol)
    np.testing.assert_allclose(gb, g.sum(axis=0), **tol)
    assert gx.shape == x.shape and gw.shape == w.shape and gb.shape == b.shape


def test_gradients_match_central_finite_differences_in_float64():
    rng = np.random.default_rng(3)
    x, w, b = (rng.standard_normal(s) for s in [(2, 3, 4), (5, 4), (5,)])
    g = rng.standard_normal((2, 3, 5))

    def loss(x_, w_, b_):
        return float((reference(x_, w_, b_) * g).sum())

    xt, wt, bt = (Tensor(a, requires_grad=True) for a in (x, w, b))
    (F.linear(xt, wt, bt) * Tensor(g)).sum().backward()
    eps = 1e-6
    for idx, (arg, got) in enumerate([(x, xt.grad), (w, wt.grad), (b, bt.grad)]):
        numeric = np.zeros_like(arg)
        for i in np.ndindex(arg.shape):
            args_plus = [x.copy(), w.copy(), b.copy()]
            args_minus = [x.copy(), w.copy(), b.copy()]
            args_plus[idx][i] += eps
            args_minus[idx][i] -= eps
            numeric[i] = (loss(*args_plus) - loss(*args_minus)) / (2 * eps)
        # L is linear in each argument: only rounding (~1e-16·|L|/eps) separates them.
        np.testing.assert_allclose(got, numeric, rtol=1e-6, atol=1e-8)


def test_module_gradients_reach_weight_and_bias():
    layer = nn.Linear(3, 2)
    x = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, 1.0]], dtype=np.float32)
    layer(Tensor(x)).sum().backward()
    np.testing.assert_allclose(layer.weight.grad, np.tile(x.sum(axis=0), (2, 1)), rtol=1e-6)
    np.testing.assert_allclose(layer.bias.grad, [2.0, 2.0])


def assert_uniform_within(values, bound):
    """|x| <= bound, and mean, variance and extremes as U(-bound, bound) predicts for n draws."""
    x = np.asarray(values, dtype=np.float64).ravel()
    n = x.size
    assert np.abs(x).max() <= bound
    var = bound**2 / 3  # U(-c, c): variance c²/3, fourth moment c⁴/5
    assert abs(x.mean()) <= Z * math.sqrt(var / n)
    assert abs(x.var() - var) <= Z * math.sqrt((bound**4 / 5 - var**2) / n)
    # Draws reach the ends: P(max |x| < c(1 − 20/n)) = (1 − 20/n)^n ≈ e^-20.
    assert np.abs(x).max() >= bound * (1 - 20 / n)


def test_default_init_is_lucid_2s_kaiming_uniform_over_in_features():
    lucid.random.seed(4)
    layer = nn.Linear(256, 512)
    assert_uniform_within(layer.weight.data, math.sqrt(6.0 / 256))  # 131072 draws
    assert_uniform_within(layer.bias.data, 1.0 / math.sqrt(256))  # 512 draws


def test_same_seed_same_layer():
    def make(seed):
        lucid.random.seed(seed)
        layer = nn.Linear(8, 4)
        return layer.weight.data.copy(), layer.bias.data.copy()

    (w1, b1), (w2, b2), (w3, _) = make(7), make(7), make(8)
    np.testing.assert_array_equal(w1, w2)
    np.testing.assert_array_equal(b1, b2)
    assert not np.array_equal(w1, w3)


def test_reset_parameters_redraws_in_place():
    layer = nn.Linear(6, 3)
    weight, before = layer.weight, layer.weight.data.copy()
    layer.reset_parameters()
    assert layer.weight is weight and not np.array_equal(before, weight.data)


@pytest.mark.parametrize(
    "args, error, name",
    [
        ((0, 3), ValueError, "in_features"),
        ((3, -1), ValueError, "out_features"),
        ((2.5, 3), TypeError, "in_features"),
        ((3, True), TypeError, "out_features"),
        (("4", 3), TypeError, "in_features"),
    ],
)
def test_features_must_be_positive_ints(args, error, name):
    with pytest.raises(error, match=name):
        nn.Linear(*args)


def test_numpy_integers_are_accepted():
    layer = nn.Linear(np.int64(3), np.int32(2))
    assert layer.weight.shape == (2, 3) and type(layer.in_features) is int


def test_shape_and_dtype_mismatches_name_the_shapes():
    x, w, b = Tensor(np.zeros((2, 5), np.float32)), Tensor(np.zeros((3, 4), np.float32)), None
    with pytest.raises(ValueError, match=r"input_ \(2, 5\), weight \(3, 4\)"):
        F.linear(x, w)
    with pytest.raises(ValueError, match=r"bias \(4,\)"):
        F.linear(Tensor(np.zeros((2, 4), np.float32)), w, Tensor(np.zeros(4, np.float32)))
    with pytest.raises(ValueError, match=r"weight must be 2-D.*weight \(4,\)"):
        F.linear(Tensor(np.zeros((2, 4), np.float32)), Tensor(np.zeros(4, np.float32)), b)
    with pytest.raises(ValueError, match=r"input_ \(2, 5\)"):
        nn.Linear(4, 3)(x)
    with pytest.raises(TypeError, match="input_ int64, weight int64"):
        F.linear(Tensor(np.zeros((2, 4), np.int64)), Tensor(np.zeros((3, 4), np.int64)))
    with pytest.raises(TypeError, match="input_ must be a lucid Tensor"):
        F.linear(np.zeros((2, 4), np.float32), w)


@pytest.mark.parametrize(
    "x_dtype, w_dtype, out", [(np.float32, np.float64, np.float64), (np.float64, np.float32,
    np.float64), (np.float32, np.float32, np.float32), (np.int64, np.float32, np.float64)],
)  # fmt: skip
def test_mixed_dtypes_promote_as_numpy_and_each_gradient_keeps_its_tensor_dtype(
    x_dtype, w_dtype, out
):
    rng = np.random.default_rng(3)
    xv, wv, bv = rng.standard_normal((2, 3)), rng.standard_normal((4, 3)), rng.standard_normal(4)
    if x_dtype is np.int64:
        xv = np.round(xv * 3)
    x = Tensor(xv.astype(x_dtype), requires_grad=x_dtype is not np.int64)
    w = Tensor(wv.astype(w_dtype), requires_grad=True)
    b = Tensor(bv.astype(w_dtype), requires_grad=True)
    y = F.linear(x, w, b)
    assert y.dtype == out == np.result_type(x_dtype, w_dtype)
    common = np.result_type(x_dtype, w_dtype)
    expected = xv.astype(x_dtype).astype(common) @ wv.astype(w_dtype).astype(common).T
    np.testing.assert_allclose(y.data, expected + bv.astype(w_dtype), rtol=1e-6)
    y.sum().backward()
    assert w.grad.dtype == w_dtype and b.grad.dtype == w_dtype
    np.testing.assert_allclose(w.grad, np.tile(xv.astype(x_dtype).sum(0), (4, 1)), rtol=1e-5)
    if x.requires_grad:
        assert x.grad.dtype == x_dtype
        np.testing.assert_allclose(x.grad, np.tile(wv.astype(w_dtype).sum(0), (2, 1)), rtol=1e-5)
