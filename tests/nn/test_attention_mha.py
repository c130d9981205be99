"""nn.MultiHeadAttention: values against a per-head numpy loop with fixed weights,
the masks, causality, the extra keys, dropout by mode, gradients against central
finite differences, reprs and errors."""

import numpy as np
import pytest
from _attention_refs import mha_ref, set_weights

import lucid
from lucid import Tensor, nn

RNG = np.random.default_rng(11)


def inputs(n=2, length=3, source=4, e=4, kdim=None, vdim=None):
    return (
        RNG.standard_normal((n, length, e)),
        RNG.standard_normal((n, source, kdim or e)),
        RNG.standard_normal((n, source, vdim or e)),
    )


def run(layer, q, k, v, **kwargs):
    return layer(Tensor(q), Tensor(k), Tensor(v), **kwargs)


@pytest.mark.parametrize("heads", [1, 2, 4])
def test_values_match_the_per_head_loop(heads):
    layer = nn.MultiHeadAttention(4, heads)
    w = set_weights(layer)
    q, k, v = inputs()
    out = run(layer, q, k, v)
    assert out.shape == (2, 3, 4) and out.dtype == np.float64
    np.testing.assert_allclose(out.data, mha_ref(w, heads, q, k, v), rtol=1e-10, atol=1e-12)


def test_self_attention_with_kdim_vdim_and_no_bias():
    layer = nn.MultiHeadAttention(6, 3, bias=False, kdim=2, vdim=5)
    assert layer.k_proj.weight.shape == (6, 2) and layer.v_proj.weight.shape == (6, 5)
    assert layer.q_proj.bias is None
    w = set_weights(layer)
    q, k, v = inputs(e=6, kdim=2, vdim=5)
    np.testing.assert_allclose(run(layer, q, k, v).data, mha_ref(w, 3, q, k, v), rtol=1e-10)


def test_positions_do_not_mix_under_a_causal_mask():
    """Changing a later position never changes an earlier output (lucid 2.x's head
    reshape mixes positions, so it fails this)."""
    layer = nn.MultiHeadAttention(4, 2)
    set_weights(layer)
    x = RNG.standard_normal((1, 5, 4))
    base = run(layer, x, x, x, is_causal=True).data
    later = x.copy()
    later[0, 3:] += 1.0
    changed = run(layer, later, later, later, is_causal=True).data
    np.testing.assert_allclose(changed[0, :3], base[0, :3], rtol=1e-12)
    assert not np.allclose(changed[0, 3:], base[0, 3:])


def test_masks_and_causality_match_the_loop():
    layer = nn.MultiHeadAttention(4, 2)
    w = set_weights(layer)
    q, k, v = inputs(length=4, source=4)
    kpm = np.array([[False, False, False, True], [False, True, False, False]])
    bmask = RNG.random((4, 4)) < 0.3
    fmask = RNG.standard_normal((4, 4))
    cases = [
        {"kpm": kpm},
        {"mask": bmask},
        {"mask": fmask},
        {"causal": True},
        {"kpm": kpm, "mask": fmask, "causal": True},
    ]
    for case in cases:
        kwargs = {}
        if "kpm" in case:
            kwargs["key_padding_mask"] = Tensor(case["kpm"])
        if "mask" in case:
            kwargs["attn_mask"] = Tensor(case["mask"])
        kwargs["is_causal"] = case.get("causal", False)
        out = run(layer, q, k, v, **kwargs)
        np.testing.assert_allclose(out.data, mha_ref(w, 2, q, k, v, **case), rtol=1e-10)


def test_float_key_padding_mask_of_ones_ignores_keys_as_lucid():
    layer = nn.MultiHeadAttention(4, 2)
    w = set_weights(layer)
    q, k, v = inputs()
    kpm = np.array([[0.0, 0.0, 1.0, 0.0], [1.0, 0.0, 0.0, 0.0]])
    out = run(layer, q, k, v, key_padding_mask=Tensor(kpm))
    np.testing.assert_allclose(out.data, mha_ref(w, 2, q, k, v, kpm=kpm > 0), rtol=1e-10)


@pytest.mark.parametrize("bias_kv,zero_attn", [(True, False), (False, True), (True, True)])
def test_extra_keys_with_masks(bias_kv, zero_attn):
    layer = nn.MultiHeadAttention(4, 2, add_bias_kv=bias_kv, add_zero_attn=zero_attn)
    if bias_kv:
        assert layer.bias_k.shape == (1, 1, 4) and layer.bias_k.dtype == np.float64
        np.testing.assert_array_equal(layer.bias_k.data, 0)
    w = set_weights(layer)
    q, k, v = inputs()
    kpm = np.array([[False, True, False, False], [False, False, False, True]])
    fmask = RNG.standard_normal((3, 4))
    kwargs = {"key_padding_mask": Tensor(kpm), "attn_mask": Tensor(fmask), "is_causal": True}
    out = run(layer, q, k, v, **kwargs)
    ref = mha_ref(w, 2, q, k, v, kpm, fmask, True, bias_kv, zero_attn)
    np.testing.assert_allclose(out.data, ref, rtol=1e-10)


def test_dropout_applies_in_training_only():
    layer = nn.MultiHeadAttention(4, 2, dropout=0.5)
    w = set_weights(layer)
    q, k, v = inputs()
    layer.eval()
    np.testing.assert_allclose(run(layer, q, k, v).data, mha_ref(w, 2, q, k, v), rtol=1e-10)
    layer.train()
    lucid.random.seed(1)
    first = run(layer, q, k, v).data
    lucid.random.seed(1)
    np.testing.assert_array_equal(run(layer, q, k, v).data, first)
    assert not np.allclose(first, mha_ref(w, 2, q, k, v))


def finite_difference(f, x, eps=1e-6):
    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        up, down = x.copy(), x.copy()
        up[i] += eps
        down[i] -= eps
        grad[i] = (f(up) - f(down)) / (2 * eps)
    return grad


def test_gradients_match_finite_differences():
    layer = nn.MultiHeadAttention(4, 2, add_bias_kv=True)
    w = set_weights(layer)
    q, k, v = inputs(n=1, length=2, source=3)
    seed = RNG.standard_normal((1, 2, 4))
    tensors = [Tensor(a, requires_grad=True) for a in (q, k, v)]
    out = layer(*tensors, is_causal=True)
    out.grad = seed.copy()
    out.backward()
    arrays = [q, k, v]
    for i, t in enumerate(tensors):

        def loss(x, i=i):
            args = [x if j == i else a for j, a in enumerate(arrays)]
            return float((mha_ref(w, 2, *args, causal=True, bias_kv=True) * seed).sum())

        np.testing.assert_allclose(t.grad, finite_difference(loss, arrays[i]), rtol=1e-5, atol=1e-7)
    for name in ("k_proj.weight", "bias_v", "out_proj.bias"):
        param = dict(layer.named_parameters())[name]

        def loss_w(x, name=name):
            return float(
                (mha_ref({**w, name: x}, 2, q, k, v, causal=True, bias_kv=True) * seed).sum()
            )

        fd = finite_difference(loss_w, w[name])
        assert np.any(fd != 0)
        np.testing.assert_allclose(param.grad, fd, rtol=1e-5, atol=1e-7)


def test_float32_weights_and_inputs_stay_float32():
    lucid.set_default_dtype(np.float32)
    try:
        layer = nn.MultiHeadAttention(4, 2, add_bias_kv=True, add_zero_attn=True)
    finally:
        lucid.set_default_dtype(np.float64)
    w = set_weights(layer)
    q, k, v = (a.astype(np.float32) for a in inputs())
    out = run(layer, q, k, v, is_causal=True)
    assert out.dtype == np.float32
    ref = mha_ref(w, 2, q, k, v, causal=True, bias_kv=True, zero_attn=True)
    np.testing.assert_allclose(out.data, ref, rtol=1e-4, atol=1e-5)


def test_repr_and_attributes():
    layer = nn.MultiHeadAttention(4, 2)
    assert layer.head_dim == 2 and layer.scale == 2**-0.5
    assert repr(layer).splitlines()[:2] == [
        "MultiHeadAttention(",
        "  embed_dim=4, num_heads=2, dropout=0.0, bias=True, add_bias_kv=False, "
        "add_zero_attn=False",
    ]
    names = [n for n, _ in layer.named_parameters()]
    projections = ("q_proj", "k_proj", "v_proj", "out_proj")
    assert names == [f"{p}.{k}" for p in projections for k in ("weight", "bias")]


def test_errors():
    with pytest.raises(ValueError, match="divisible by num_heads"):
        nn.MultiHeadAttention(5, 2)
    with pytest.raises(ValueError, match="num_heads"):
        nn.MultiHeadAttention(4, 0)
    with pytest.raises(ValueError):
        nn.MultiHeadAttention(4, 2, dropout=2.0)
    layer = nn.MultiHeadAttention(4, 2)
    q, k, v = inputs()
    with pytest.raises(ValueError, match=r"query must have shape \(N, length, 4\)"):
        run(layer, q[0], k, v)
    with pytest.raises(ValueError, match="key must have shape"):
        run(layer, q, k[..., :3], v)
    with pytest.raises(ValueError, match="one batch size"):
        run(layer, q, k[:1], v[:1])
    with pytest.raises(ValueError, match="same length"):
        run(layer, q, k, v[:, :2])
    with pytest.raises(ValueError, match=r"key_padding_mask must be a Tensor of shape \(2, 4\)"):
        run(layer, q, k, v, key_padding_mask=Tensor(np.zeros((2, 3), dtype=bool)))
    with pytest.raises(TypeError, match="is_causal must be a bool"):
        run(layer, q, k, v, is_causal="yes")
    with pytest.raises(TypeError, match="query must be a lucid Tensor"):
        layer(q, Tensor(k), Tensor(v))
