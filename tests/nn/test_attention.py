"""F.scaled_dot_product_attention, nn.ScaledDotProductAttention, F.bilinear and
nn.Bilinear: values against numpy references, masks, causality, dropout, gradients
against central finite differences, dtypes and errors."""

import math

import numpy as np
import pytest
from helpers import check_op

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn

RNG = np.random.default_rng(7)


def softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def sdpa_ref(q, k, v, mask=None, causal=False, scale=None):
    """softmax(q kᵀ·scale + mask) v, masked scores at −inf, written with einsum."""
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = np.einsum("...ld,...sd->...ls", q, k) * scale
    if causal:
        s = np.where(np.tri(s.shape[-2], s.shape[-1], dtype=bool), s, -np.inf)
    if mask is not None:
        s = np.where(mask, s, -np.inf) if mask.dtype == bool else s + mask
    return np.einsum("...ls,...sd->...ld", softmax(s), v)


def qkv(lead=(2,), length=3, source=5, e=4, ev=6):
    return (
        RNG.standard_normal((*lead, length, e)),
        RNG.standard_normal((*lead, source, e)),
        RNG.standard_normal((*lead, source, ev)),
    )


def run(q, k, v, *args, **kwargs):
    return F.scaled_dot_product_attention(Tensor(q), Tensor(k), Tensor(v), *args, **kwargs)


# ---- scaled_dot_product_attention: values ------------------------------------------


@pytest.mark.parametrize("lead", [(), (2,), (2, 3)])
def test_values_match_numpy(lead):
    q, k, v = qkv(lead)
    out = run(q, k, v)
    assert out.shape == (*lead, 3, 6) and out.dtype == np.float64
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v), rtol=1e-12, atol=1e-12)


def test_scale_replaces_one_over_sqrt_e():
    q, k, v = qkv()
    np.testing.assert_allclose(run(q, k, v, scale=0.3).data, sdpa_ref(q, k, v, scale=0.3))
    assert not np.allclose(run(q, k, v, scale=0.3).data, run(q, k, v).data)


def test_leading_dimensions_broadcast():
    q = RNG.standard_normal((2, 1, 3, 4))
    k = RNG.standard_normal((1, 4, 5, 4))
    v = RNG.standard_normal((1, 4, 5, 2))
    out = run(q, k, v)
    assert out.shape == (2, 4, 3, 2)
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v), rtol=1e-12)


@pytest.mark.parametrize("length,source", [(4, 4), (3, 5), (5, 3)])
def test_causal_keeps_query_i_to_keys_up_to_i(length, source):
    q, k, v = qkv(length=length, source=source)
    np.testing.assert_allclose(
        run(q, k, v, is_causal=True).data, sdpa_ref(q, k, v, causal=True), rtol=1e-12
    )
    # The first query sees only the first key: its output is that key's value.
    np.testing.assert_allclose(run(q, k, v, is_causal=True).data[:, 0], v[:, 0], rtol=1e-12)


def test_float_mask_is_added_and_bool_mask_keeps_true():
    q, k, v = qkv()
    fmask = RNG.standard_normal((3, 5))
    np.testing.assert_allclose(run(q, k, v, Tensor(fmask)).data, sdpa_ref(q, k, v, fmask))
    bmask = RNG.random((2, 3, 5)) < 0.6
    bmask[..., 0] = True  # every row keeps a key
    out = run(q, k, v, Tensor(bmask))
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v, bmask), rtol=1e-12, atol=1e-12)


def test_a_fully_masked_row_stays_a_finite_mean_of_the_values():
    q, k, v = qkv()
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    out = run(q, k, v, Tensor(mask)).data
    assert np.all(np.isfinite(out))
    assert np.all(out[:, 1] <= v.max(axis=1)) and np.all(out[:, 1] >= v.min(axis=1))
    with np.errstate(invalid="ignore"):  # the reference's −inf row is NaN
        ref = sdpa_ref(q, k, v, mask)
    np.testing.assert_allclose(out[:, [0, 2]], ref[:, [0, 2]], rtol=1e-12)
    # float32 cannot hold a score next to −1e12: the row is the plain average.
    q32, k32, v32 = (x.astype(np.float32) for x in (q, k, v))
    out32 = run(q32, k32, v32, Tensor(mask)).data
    np.testing.assert_allclose(out32[:, 1], v32.mean(axis=1), rtol=1e-5, atol=1e-6)


# ---- gradients ----------------------------------------------------------------------


def test_gradients_of_query_key_value():
    check_op(F.scaled_dot_product_attention, (2, 3, 4), (2, 5, 4), (2, 5, 2), ref=sdpa_ref)


def test_gradients_with_causal_mask():
    check_op(
        lambda q, k, v: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        (3, 2),
        (4, 2),
        (4, 3),
        ref=lambda q, k, v: sdpa_ref(q, k, v, causal=True),
    )


def test_gradient_reaches_a_float_mask():
    check_op(F.scaled_dot_product_attention, (3, 2), (4, 2), (4, 3), (3, 4), ref=sdpa_ref)


def test_float32_stays_float32():
    q, k, v = (x.astype(np.float32) for x in qkv())
    out = run(q, k, v, Tensor(np.zeros((3, 5), dtype=np.float32)), is_causal=False)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v), rtol=1e-5, atol=1e-6)
    assert run(q, k, v, is_causal=True).dtype == np.float32


# ---- dropout ------------------------------------------------------------------------


def test_dropout_drops_weights_with_lucid_random():
    q, k, _ = qkv(source=6)
    v = np.broadcast_to(np.eye(6), (2, 6, 6)).copy()  # the output is the weights
    weights = sdpa_ref(q, k, v)
    lucid.random.seed(3)
    out = run(q, k, v, dropout_p=0.5).data
    lucid.random.seed(3)
    np.testing.assert_array_equal(run(q, k, v, dropout_p=0.5).data, out)
    kept = out != 0
    assert kept.any() and (~kept).any()
    np.testing.assert_allclose(out[kept], weights[kept] / 0.5, rtol=1e-12)


def test_dropout_p_one_gives_zeros():
    q, k, v = qkv()
    np.testing.assert_array_equal(run(q, k, v, dropout_p=1.0).data, 0)


# ---- errors -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs,error,text",
    [
        ({"query": np.ones((3, 4))}, TypeError, "query must be a lucid Tensor"),
        ({"key": Tensor(np.ones((5, 4), dtype=np.int64))}, TypeError, "key must be a float"),
        ({"value": Tensor(np.ones(5))}, ValueError, "value must have at least 2"),
        ({"key": Tensor(np.ones((5, 3)))}, ValueError, "same last dimension"),
        ({"value": Tensor(np.ones((4, 6)))}, ValueError, "same length"),
        ({"attn_mask": Tensor(np.ones((3, 4)))}, ValueError, "does not broadcast"),
        ({"attn_mask": Tensor(np.ones((3, 5), dtype=np.int64))}, TypeError, "bool or float"),
        ({"attn_mask": np.ones((3, 5))}, TypeError, "attn_mask must be a lucid Tensor"),
        ({"attn_mask": Tensor(np.ones((3, 5))), "is_causal": True}, ValueError, "not both"),
        ({"is_causal": 1}, TypeError, "is_causal must be a bool"),
        ({"dropout_p": 1.5}, ValueError, "1.5"),
        ({"scale": "big"}, TypeError, "scale must be a real number"),
    ],
)
def test_errors_name_the_argument(kwargs, error, text):
    args = {"query": Tensor(np.ones((3, 4))), "key": Tensor(np.ones((5, 4)))}
    args["value"] = Tensor(np.ones((5, 6)))
    args.update(kwargs)
    with pytest.raises(error, match=text):
        F.scaled_dot_product_attention(**args)


def test_batch_dimensions_that_do_not_broadcast():
    with pytest.raises(ValueError, match="do not broadcast"):
        run(np.ones((2, 3, 4)), np.ones((3, 5, 4)), np.ones((3, 5, 4)))


# ---- the module ---------------------------------------------------------------------


def test_module_matches_functional_and_repr():
    q, k, v = qkv()
    mask = Tensor(RNG.standard_normal((3, 5)))
    layer = nn.ScaledDotProductAttention(mask, scale=0.5)
    out = layer(Tensor(q), Tensor(k), Tensor(v))
    np.testing.assert_allclose(out.data, sdpa_ref(q, k, v, mask.data, scale=0.5))
    assert repr(layer) == "ScaledDotProductAttention(dropout_p=0.0, is_causal=False, scale=0.5)"
    assert repr(nn.ScaledDotProductAttention()) == (
        "ScaledDotProductAttention(dropout_p=0.0, is_causal=False, scale=None)"
    )
    causal = nn.ScaledDotProductAttention(is_causal=True)
    np.testing.assert_allclose(
        causal(Tensor(q), Tensor(k), Tensor(v)).data, sdpa_ref(q, k, v, causal=True)
    )
    with pytest.raises(ValueError):
        nn.ScaledDotProductAttention(dropout_p=-0.1)


# ---- bilinear -----------------------------------------------------------------------


def bilinear_ref(x1, x2, w, b=None):
    x1, x2 = np.broadcast_arrays(x1[..., :, None], x2[..., None, :])
    outer = (x1 * x2).reshape(*x1.shape[:-2], -1)
    y = outer @ w.reshape(w.shape[0], -1).T
    return y if b is None else y + b


@pytest.mark.parametrize("lead", [(), (4,), (2, 3)])
def test_bilinear_values(lead):
    x1, x2 = RNG.standard_normal((*lead, 3)), RNG.standard_normal((*lead, 2))
    w, b = RNG.standard_normal((5, 3, 2)), RNG.standard_normal(5)
    y = F.bilinear(Tensor(x1), Tensor(x2), Tensor(w), Tensor(b))
    assert y.shape == (*lead, 5) and y.dtype == np.float64
    np.testing.assert_allclose(y.data, bilinear_ref(x1, x2, w, b), rtol=1e-12, atol=1e-12)
    y0 = F.bilinear(Tensor(x1), Tensor(x2), Tensor(w))
    np.testing.assert_allclose(y0.data, bilinear_ref(x1, x2, w), rtol=1e-12, atol=1e-12)


def test_bilinear_gradients():
    check_op(F.bilinear, (4, 3), (4, 2), (5, 3, 2), (5,), ref=bilinear_ref)
    check_op(F.bilinear, (2, 1, 3), (1, 4, 2), (2, 3, 2), ref=bilinear_ref)  # broadcast


def test_bilinear_errors():
    x1, x2, w = Tensor(np.ones((4, 3))), Tensor(np.ones((4, 2))), Tensor(np.ones((5, 3, 2)))
    with pytest.raises(ValueError, match="weight must be 3-D"):
        F.bilinear(x1, x2, Tensor(np.ones((5, 6))))
    with pytest.raises(ValueError, match="input_1's last dimension must be 3"):
        F.bilinear(x2, x2, w)
    with pytest.raises(ValueError, match="input_2's last dimension must be 2"):
        F.bilinear(x1, x1, w)
    with pytest.raises(ValueError, match=r"bias must have shape \(5,\)"):
        F.bilinear(x1, x2, w, Tensor(np.ones(4)))
    with pytest.raises(ValueError, match="do not broadcast"):
        F.bilinear(x1, Tensor(np.ones((3, 2))), w)
    with pytest.raises(TypeError, match="input_2 must be a lucid Tensor"):
        F.bilinear(x1, [1.0, 2.0], w)
    with pytest.raises(TypeError, match="weight must be a float32 or float64"):
        F.bilinear(x1, x2, Tensor(np.ones((5, 3, 2), dtype=np.int64)))


def test_bilinear_layer():
    lucid.random.seed(0)
    layer = nn.Bilinear(3, 2, 4)
    assert layer.weight.shape == (4, 3, 2) and layer.bias.shape == (4,)
    assert layer.weight.dtype == np.float64 and layer.bias.dtype == np.float64
    bound = 1 / math.sqrt(3)
    assert np.all(np.abs(layer.weight.data) <= bound) and np.all(np.abs(layer.bias.data) <= bound)
    assert layer.weight.data.std() > bound / 4  # drawn, not left at zero
    x1, x2 = RNG.standard_normal((6, 3)), RNG.standard_normal((6, 2))
    y = layer(Tensor(x1), Tensor(x2))
    np.testing.assert_allclose(
        y.data, bilinear_ref(x1, x2, layer.weight.data, layer.bias.data), rtol=1e-12
    )
    assert repr(layer) == "Bilinear(3, 2, 4, bias=True)"
    plain = nn.Bilinear(3, 2, 4, bias=False)
    assert plain.bias is None and [n for n, _ in plain.named_parameters()] == ["weight"]
    assert repr(plain) == "Bilinear(3, 2, 4, bias=False)"
    with pytest.raises(ValueError, match="in2_features"):
        nn.Bilinear(3, 0, 4)
    with pytest.raises(TypeError, match="out_features"):
        nn.Bilinear(3, 2, 4.0)
