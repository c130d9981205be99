"""Parity with PyTorch: attention, the Transformer encoder layer, the extra activations
and the Huber loss (the extra optimisers are in test_optim_more.py, for the 400-line limit).

Each compares results and every gradient (_compare.compare), for attention on twin
models whose lucid parameters are mapped onto PyTorch's names, in float32 and float64.

Where lucid keeps lucid 2.x's rules, the tests pass arguments under which both compute
the same thing: MultiHeadAttention is batch first and takes is_causal alone (PyTorch:
batch_first=True and an explicit causal attn_mask; is_causal is only a hint there); its
projections are q_proj, k_proj and v_proj (PyTorch packs them into in_proj_weight and
in_proj_bias); TransformerEncoderLayer's "gelu" is lucid's tanh GELU, so the exact one
is passed as a callable; huber_loss takes (input, target, delta, reduction), so it is
called by keyword. PyTorch's float64 Hardsigmoid backward multiplies by a float32 1/6,
so HardSigmoid is compared with relu6(x + 3)/6 (and that rounding is pinned below).
The slopes at the kinks (x = ±3, 0, 6) are compared too.

Skipped as a whole where PyTorch is not installed.
"""

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from _compare import compare, rand  # noqa: E402
from _parity import DTYPES, RTOL, assert_close, check_twins, inputs, mlp, twins  # noqa: E402

import lucid  # noqa: E402
import lucid.nn.functional as F  # noqa: E402
from lucid import nn  # noqa: E402

TF = torch.nn.functional
tnn = torch.nn

# ---- scaled_dot_product_attention ---------------------------------------------------------

N, H, L, S, E = 2, 3, 4, 5, 6
# A bool mask (True: may attend) with at least one key allowed in every row.
BOOL_MASK = np.random.default_rng(3).random((L, S)) < 0.6
BOOL_MASK[:, 0] = True


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    "mask, causal, scale",
    [(None, False, None), (None, True, None), ("bool", False, None), ("bool 4d", False, 0.3),
     ("float", False, None), ("float", False, 0.5), (None, True, 2.0)],
    ids=["plain", "causal", "bool", "bool 4d scale", "float", "float scale", "causal scale"],
)  # fmt: skip
def test_sdpa_matches_pytorch(mask, causal, scale, dtype):
    """The float mask is an input too: its gradient is compared with the others'."""
    arrays = [rand((N, H, L, E), 1), rand((N, H, S, E), 2), rand((N, H, S, E + 1), 3)]
    if mask == "float":
        arrays.append(rand((L, S), 4))
    lm = tm = None
    if mask == "bool":
        lm, tm = lucid.Tensor(BOOL_MASK), torch.from_numpy(BOOL_MASK)
    elif mask == "bool 4d":
        m4 = np.broadcast_to(BOOL_MASK, (N, 1, L, S)).copy()
        m4[1, 0, 2, 1:] = False  # a different mask per sample
        lm, tm = lucid.Tensor(m4), torch.from_numpy(m4)

    def lucid_call(q, k, v, m=lm):
        return F.scaled_dot_product_attention(q, k, v, m, 0.0, causal, scale)

    def torch_call(q, k, v, m=tm):
        return TF.scaled_dot_product_attention(q, k, v, m, 0.0, causal, scale=scale)

    compare(lucid_call, torch_call, arrays, dtype, what=f"sdpa {mask} causal={causal}")


# ---- MultiHeadAttention and TransformerEncoderLayer -------------------------------------------


def torch_names(arrays):
    """lucid's q_proj/k_proj/v_proj arrays as PyTorch's in_proj_weight and in_proj_bias
    (q_proj_weight etc. when kdim or vdim differ from embed_dim)."""
    out = dict(arrays)
    for p in [k[: -len("q_proj.weight")] for k in arrays if k.endswith("q_proj.weight")]:
        w = [out.pop(f"{p}{c}_proj.weight") for c in "qkv"]
        if all(x.shape == w[0].shape for x in w):
            out[f"{p}in_proj_weight"] = np.concatenate(w)
        else:
            out.update({f"{p}{c}_proj_weight": x for c, x in zip("qkv", w, strict=True)})
        if f"{p}q_proj.bias" in out:
            out[f"{p}in_proj_bias"] = np.concatenate([out.pop(f"{p}{c}_proj.bias") for c in "qkv"])
    return out


def lucid_names(arrays):
    """The inverse of torch_names."""
    out = dict(arrays)
    for key in [k for k in arrays if k.endswith(("in_proj_weight", "in_proj_bias"))]:
        p, kind = key.rsplit("in_proj_", 1)
        for c, x in zip("qkv", np.split(out.pop(key), 3), strict=True):
            out[f"{p}{c}_proj.{kind}"] = x
    for key in [
        k for k in arrays if k.endswith(("q_proj_weight", "k_proj_weight", "v_proj_weight"))
    ]:
        out[key[: -len("_weight")] + ".weight"] = out.pop(key)
    return out


def attention_twins(make_lucid, make_torch, dtype):
    lucid.random.seed(0)
    lm = make_lucid().to(dtype)
    for name, param in lm.named_parameters():
        if name.endswith(("bias_k", "bias_v")):  # zeros at first: make them matter
            param.data[...] = rand(param.shape, len(name))
    tm = make_torch()
    if dtype == np.float64:
        tm.double()
    state = torch_names({k: np.array(v) for k, v in lm.state_dict().items()})
    tm.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=True)
    return lm, tm


def check_attention(lm, tm, arrays, dtype, lucid_kw, torch_kw, call=None, extra_keys=False):
    """Forward and backward of both; outputs and the gradients of the inputs and of every
    parameter (PyTorch's packed gradients split back into lucid's names)."""
    call = call or (lambda m, xs, kw: m(*xs, **kw))

    def lucid_fn(*xs):
        return call(lm, xs, lucid_kw)

    def torch_fn(*xs):
        out = call(tm, xs, torch_kw)
        return out[0] if isinstance(out, tuple) else out

    compare(lucid_fn, torch_fn, arrays, dtype, what="attention")
    tgrads = lucid_names({k: p.grad.numpy() for k, p in tm.named_parameters()})
    lparams = dict(lm.named_parameters())
    assert set(tgrads) == set(lparams)
    scale = max(float(np.abs(g).max()) for g in tgrads.values())
    for name, param in lparams.items():
        if name.endswith("k_proj.bias") and "bias_k" not in name and not extra_keys:
            # Adding one vector to every key adds one constant to a query's scores: the
            # softmax ignores it, so this gradient is exactly 0 and both give rounding noise.
            assert np.abs(param.grad).max() <= 10 * RTOL[dtype] * scale, name
            continue
        assert np.any(tgrads[name] != 0), f"{name}: PyTorch's gradient is all zero"
        assert_close(param.grad, tgrads[name], dtype, f"gradient of {name}")


def as_masks(spec, dtype, keys=S):
    """(lucid kwargs, PyTorch kwargs) for a mask spec of the MultiHeadAttention test."""
    pad = np.zeros((N, keys), dtype=bool)
    pad[0, [1, 3]] = pad[1, 2] = True
    lkw, tkw = {}, {"need_weights": False}
    if "padding" in spec:
        lkw["key_padding_mask"], tkw["key_padding_mask"] = lucid.Tensor(pad), torch.from_numpy(pad)
    if "bool" in spec:  # True where attention is NOT allowed, in both
        lkw["attn_mask"], tkw["attn_mask"] = lucid.Tensor(~BOOL_MASK), torch.from_numpy(~BOOL_MASK)
    if "float" in spec:
        float_mask = rand((L, keys), 5).astype(dtype)
        lkw["attn_mask"], tkw["attn_mask"] = lucid.Tensor(float_mask), torch.from_numpy(float_mask)
        # PyTorch wants both masks of one type: the padding as lucid's bias, -1e12.
        tkw["key_padding_mask"] = torch.from_numpy(np.where(pad, -1e12, 0.0).astype(dtype))
    if "causal" in spec:  # PyTorch's is_causal is only a hint: the mask must be given
        lkw["is_causal"] = True
        causal = ~np.tril(np.ones((L, keys), dtype=bool))
        tkw["attn_mask"], tkw["is_causal"] = torch.from_numpy(causal), True
    return lkw, tkw


MHA_CASES = {
    "self": ({}, ""),
    "self causal": ({}, "causal"),
    "self causal + padding": ({}, "causal padding"),
    "cross kdim vdim": ({"kdim": 5, "vdim": 3}, ""),
    "padding mask": ({}, "padding"),
    "bool mask": ({}, "bool"),
    "float mask + padding": ({}, "float padding"),
    "no bias": ({"bias": False}, "bool"),
    "bias_kv zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, "padding float"),
}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(MHA_CASES))
def test_multihead_attention_matches_pytorch(name, dtype):
    kwargs, spec = MHA_CASES[name]
    kdim, vdim = kwargs.get("kdim", E), kwargs.get("vdim", E)
    lm, tm = attention_twins(
        lambda: nn.MultiHeadAttention(E, 2, **kwargs),
        lambda: tnn.MultiheadAttention(E, 2, batch_first=True, **kwargs),
        dtype,
    )
    extra = kwargs.get("add_bias_kv", False) or kwargs.get("add_zero_attn", False)
    if name.startswith("self"):  # one tensor as query, key and value (PyTorch's packed path)
        lkw, tkw = as_masks(spec, dtype, L)
        check_attention(
            lm,
            tm,
            [rand((N, L, E), 1)],
            dtype,
            lkw,
            tkw,
            call=lambda m, xs, kw: m(xs[0], xs[0], xs[0], **kw),
        )
        return
    lkw, tkw = as_masks(spec, dtype, S)
    q, k, v = rand((N, L, E), 1), rand((N, S, kdim), 2), rand((N, S, vdim), 3)
    check_attention(lm, tm, [q, k, v], dtype, lkw, tkw, extra_keys=extra)


def exact_gelu(x):
    return F.gelu(x, approximate="none")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("norm_first", [False, True], ids=["post-norm", "pre-norm"])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("masks", [False, True], ids=["no masks", "masks"])
def test_transformer_encoder_layer_matches_pytorch(masks, activation, norm_first, dtype):
    """Dropout 0 in eval mode; lucid's "gelu" is the tanh one, so the exact is passed."""
    act_l = F.relu if activation == "relu" else exact_gelu
    kw = {"dim_feedforward": 10, "dropout": 0.0, "norm_first": norm_first, "layer_norm_eps": 1e-4}
    lm, tm = attention_twins(
        lambda: nn.TransformerEncoderLayer(E, 2, activation=act_l, **kw),
        lambda: tnn.TransformerEncoderLayer(E, 2, activation=activation, batch_first=True, **kw),
        dtype,
    )
    lm.eval()
    tm.eval()
    lkw, tkw = {}, {}
    if masks:
        pad = np.zeros((N, S), dtype=bool)
        pad[1, [0, 2]] = True
        square = ~np.tril(np.ones((S, S), dtype=bool))
        square[0, 1] = False
        lkw = {"src_mask": lucid.Tensor(square), "src_key_padding_mask": lucid.Tensor(pad)}
        tkw = {"src_mask": torch.from_numpy(square), "src_key_padding_mask": torch.from_numpy(pad)}
    check_attention(
        lm, tm, [rand((N, S, E), 7, 2.0)], dtype, lkw, tkw, call=lambda m, xs, k: m(xs[0], **k)
    )


# ---- the extra activations and huber loss --------------------------------------------------


class ExactHardsigmoid(tnn.Module):
    """relu6(x + 3)/6: PyTorch's Hardsigmoid, whose float64 backward multiplies by a
    float32 1/6 (0.1666666716…, relative error 3e-8); this one's slope is exact."""

    def forward(self, x):
        return TF.relu6(x + 3) / 6


def exact_hardsigmoid(x):
    return TF.relu6(x + 3) / 6


ACTIVATIONS = {
    "Mish": (nn.Mish, tnn.Mish, F.mish, TF.mish),
    "HardSwish": (nn.HardSwish, tnn.Hardswish, F.hardswish, TF.hardswish),
    "HardSigmoid": (nn.HardSigmoid, ExactHardsigmoid, F.hardsigmoid, exact_hardsigmoid),
    "ReLU6": (nn.ReLU6, tnn.ReLU6, F.relu6, TF.relu6),
    "SiLU (Swish)": (nn.Swish, tnn.SiLU, F.silu, TF.silu),
}
# Away from the kinks, and far out (softplus and sigmoid overflow beyond ±700 in float64).
SMOOTH = np.concatenate([np.linspace(-7.1, 8.1, 39), [-40.0, 40.0, -800.0, 800.0]])
KINKS = np.array([-3.0, 0.0, 3.0, 6.0])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_extra_activation_layers_match_pytorch(name, dtype):
    lcls, tcls, _, _ = ACTIVATIONS[name]
    lm, tm = twins(lambda: mlp(nn, lcls()), lambda: mlp(tnn, tcls()), dtype)
    check_twins(lm, tm, inputs((5, 4, 6)), dtype)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_extra_activation_functions_match_pytorch(name, dtype):
    _, _, lfn, tfn = ACTIVATIONS[name]
    compare(lfn, tfn, [SMOOTH], dtype, what=name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", ["HardSwish", "HardSigmoid", "ReLU6"])
def test_extra_activation_slopes_at_kinks_match_pytorch(name, dtype):
    _, _, lfn, tfn = ACTIVATIONS[name]
    compare(lfn, tfn, [KINKS], dtype, what=f"{name} at its kinks")


def test_pytorch_hardsigmoid_float64_slope_is_a_float32_sixth():
    """Why the tests above compare HardSigmoid with relu6(x + 3)/6: lucid's slope is
    exactly 1/6 in float64; PyTorch's own is float32's 1/6."""
    x = np.array([-2.5, -1.0, 0.5, 2.9])
    lx = lucid.Tensor(x.copy(), requires_grad=True)
    y = F.hardsigmoid(lx)
    y.grad = np.ones(4)
    y.backward()
    tx = torch.from_numpy(x.copy()).requires_grad_(True)
    TF.hardsigmoid(tx).sum().backward()
    np.testing.assert_array_equal(lx.grad, np.full(4, 1 / 6))
    np.testing.assert_array_equal(tx.grad.numpy(), np.full(4, float(np.float32(1 / 6))))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_loss_matches_pytorch(delta, reduction, dtype):
    compare(
        lambda x, y: F.huber_loss(x, y, delta=delta, reduction=reduction),
        lambda x, y: TF.huber_loss(x, y, delta=delta, reduction=reduction),
        [rand((4, 5), 1, 2.0), rand((4, 5), 2)],
        dtype,
        what=f"huber delta={delta} {reduction}",
    )
    lm = nn.HuberLoss(reduction=reduction, delta=delta)
    x, y = rand((4, 5), 3, 2.0).astype(dtype), rand((4, 5), 4).astype(dtype)
    got = lm(lucid.Tensor(x), lucid.Tensor(y)).data
    expected = tnn.HuberLoss(reduction=reduction, delta=delta)(torch.tensor(x), torch.tensor(y))
    assert_close(got, expected.numpy(), dtype, "nn.HuberLoss")
