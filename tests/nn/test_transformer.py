"""nn.TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder,
TransformerDecoder and Transformer: values against numpy compositions of the per-head
attention loop, LayerNorm and the feed-forward block with fixed weights (post- and
pre-norm, masks, causality), gradients against finite differences, dropout by mode,
the copies of stacked layers, state_dict order, reprs and errors."""

import copy

import numpy as np
import pytest
from _attention_refs import layer_norm, mha_ref, set_weights

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn

RNG = np.random.default_rng(21)
D, H, FF = 4, 2, 6


def relu(x):
    return np.maximum(x, 0)


def gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x**3)))


def sub(w, prefix):
    return {k[len(prefix) + 1 :]: v for k, v in w.items() if k.startswith(prefix + ".")}


def ff(w, x, act):
    y = act(x @ w["linear1.weight"].T + w["linear1.bias"])
    return y @ w["linear2.weight"].T + w["linear2.bias"]


def ln(w, name, x, eps=1e-5):
    return layer_norm(x, w[f"{name}.weight"], w[f"{name}.bias"], eps)


def encoder_ref(w, x, mask=None, kpm=None, causal=False, norm_first=False, act=relu):
    def sa(y):
        return mha_ref(sub(w, "self_attn"), H, y, y, y, kpm, mask, causal)

    if norm_first:
        x = x + sa(ln(w, "norm1", x))
        return x + ff(w, ln(w, "norm2", x), act)
    x = ln(w, "norm1", x + sa(x))
    return ln(w, "norm2", x + ff(w, x, act))


def decoder_ref(w, x, memory, tgt=(None, None, False), mem=(None, None, False), norm_first=False):
    def sa(y):
        return mha_ref(sub(w, "self_attn"), H, y, y, y, tgt[1], tgt[0], tgt[2])

    def ca(y):
        return mha_ref(sub(w, "multihead_attn"), H, y, memory, memory, mem[1], mem[0], mem[2])

    if norm_first:
        x = x + sa(ln(w, "norm1", x))
        x = x + ca(ln(w, "norm2", x))
        return x + ff(w, ln(w, "norm3", x), relu)
    x = ln(w, "norm1", x + sa(x))
    x = ln(w, "norm2", x + ca(x))
    return ln(w, "norm3", x + ff(w, x, relu))


def seq(n=2, length=3):
    return RNG.standard_normal((n, length, D))


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_layer_values(norm_first):
    layer = nn.TransformerEncoderLayer(D, H, FF, norm_first=norm_first).eval()
    w = set_weights(layer)
    x = seq()
    out = layer(Tensor(x))
    assert out.shape == x.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, encoder_ref(w, x, norm_first=norm_first), rtol=1e-9)


def test_encoder_layer_masks_and_causality():
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.0)  # training mode, no dropout
    w = set_weights(layer)
    x = seq(length=4)
    kpm = np.array([[False, False, True, False], [False, False, False, True]])
    mask = RNG.standard_normal((4, 4))
    out = layer(Tensor(x), Tensor(mask), Tensor(kpm), is_causal=True)
    np.testing.assert_allclose(out.data, encoder_ref(w, x, mask, kpm, True), rtol=1e-9)
    bool_mask = np.triu(np.ones((4, 4), dtype=bool), 1)  # True: not allowed
    out = layer(Tensor(x), src_mask=Tensor(bool_mask))
    np.testing.assert_allclose(out.data, encoder_ref(w, x, causal=True), rtol=1e-9)


@pytest.mark.parametrize("activation,ref", [(F.gelu, gelu_tanh), ("gelu", gelu_tanh),
                                            (lambda t: t * 2.0, lambda a: a * 2.0)])  # fmt: skip
def test_encoder_layer_activation(activation, ref):
    layer = nn.TransformerEncoderLayer(D, H, FF, activation=activation).eval()
    w = set_weights(layer)
    x = seq()
    np.testing.assert_allclose(layer(Tensor(x)).data, encoder_ref(w, x, act=ref), rtol=1e-9)


@pytest.mark.parametrize("norm_first", [False, True])
def test_decoder_layer_values_with_masks(norm_first):
    layer = nn.TransformerDecoderLayer(D, H, FF, norm_first=norm_first).eval()
    w = set_weights(layer)
    x, memory = seq(length=3), seq(length=5)
    mem_kpm = np.zeros((2, 5), dtype=bool)
    mem_kpm[0, 4] = mem_kpm[1, 0] = True
    out = layer(Tensor(x), Tensor(memory), mem_key_padding_mask=Tensor(mem_kpm), tgt_is_causal=True)
    ref = decoder_ref(w, x, memory, (None, None, True), (None, mem_kpm, False), norm_first)
    np.testing.assert_allclose(out.data, ref, rtol=1e-9)
    mem_mask = RNG.standard_normal((3, 5))
    out = layer(Tensor(x), Tensor(memory), mem_mask=Tensor(mem_mask), mem_is_causal=True)
    ref = decoder_ref(w, x, memory, mem=(mem_mask, None, True), norm_first=norm_first)
    np.testing.assert_allclose(out.data, ref, rtol=1e-9)


def test_stacks_copy_the_layer_and_end_with_norm():
    layer = nn.TransformerEncoderLayer(D, H, FF)
    stack = nn.TransformerEncoder(layer, 2, norm=nn.LayerNorm(D)).eval()
    assert len(stack.layers) == 2 and stack.layers[0] is not layer
    assert stack.layers[0].linear1.weight is not stack.layers[1].linear1.weight
    w = set_weights(stack)  # a different weight for every parameter of every copy
    x = seq()
    y = encoder_ref(sub(w, "layers.1"), encoder_ref(sub(w, "layers.0"), x))
    np.testing.assert_allclose(stack(Tensor(x)).data, ln(w, "norm", y), rtol=1e-9)
    assert repr(stack).splitlines()[:2] == ["TransformerEncoder(", "  num_layers=2, norm=True"]
    bare = nn.TransformerEncoder(layer, 0)
    np.testing.assert_array_equal(bare(Tensor(x)).data, x)


def test_decoder_stack():
    stack = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, FF), 2).eval()
    w = set_weights(stack)
    x, memory = seq(), seq(length=4)
    kpm = np.array([[False, True, False], [False, False, False]])
    y = x
    for i in range(2):
        y = decoder_ref(sub(w, f"layers.{i}"), y, memory, (None, kpm, True))
    out = stack(Tensor(x), Tensor(memory), tgt_key_padding_mask=Tensor(kpm), tgt_is_causal=True)
    np.testing.assert_allclose(out.data, y, rtol=1e-9)


def test_transformer_values_and_defaults():
    model = nn.Transformer(D, H, 1, 2, FF).eval()
    w = set_weights(model)
    src, tgt = seq(length=5), seq(length=3)
    tgt_mask = np.triu(np.ones((3, 3), dtype=bool), 1)
    memory = ln(w, "encoder.norm", encoder_ref(sub(w, "encoder.layers.0"), src))
    y = tgt
    for i in range(2):
        y = decoder_ref(sub(w, f"decoder.layers.{i}"), y, memory, (None, None, True))
    out = model(Tensor(src), Tensor(tgt), tgt_mask=Tensor(tgt_mask))
    np.testing.assert_allclose(out.data, ln(w, "decoder.norm", y), rtol=1e-9)
    big = nn.Transformer()
    assert (big.d_model, big.num_heads, len(big.encoder.layers), len(big.decoder.layers)) == (
        512, 8, 6, 6,
    )  # fmt: skip
    assert big.encoder.layers[0].linear1.weight.shape == (2048, 512)
    assert big.encoder.layers[0].dropout.p == 0.1


class Twice(nn.Module):
    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        return src * 2.0


def test_custom_encoder_and_decoder_are_used():
    enc, dec = Twice(), nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, FF), 1)
    model = nn.Transformer(D, H, custom_encoder=enc, custom_decoder=dec).eval()
    assert model.encoder is enc and model.decoder is dec
    w = set_weights(dec)
    src, tgt = seq(length=4), seq()
    np.testing.assert_allclose(
        model(Tensor(src), Tensor(tgt)).data,
        decoder_ref(sub(w, "layers.0"), tgt, 2 * src),
        rtol=1e-9,
    )


def test_gradients_match_finite_differences():
    layer = nn.TransformerEncoderLayer(D, H, FF, norm_first=True).eval()
    w = set_weights(layer)
    x = seq(n=1, length=2)
    seed = RNG.standard_normal(x.shape)
    t = Tensor(x, requires_grad=True)
    out = layer(t, is_causal=True)
    out.grad = seed.copy()
    out.backward()

    def numeric(f, a, eps=1e-6):
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            up, down = a.copy(), a.copy()
            up[i] += eps
            down[i] -= eps
            g[i] = (f(up) - f(down)) / (2 * eps)
        return g

    def loss_x(a):
        return float((encoder_ref(w, a, causal=True, norm_first=True) * seed).sum())

    np.testing.assert_allclose(t.grad, numeric(loss_x, x), rtol=1e-5, atol=1e-7)
    params = dict(layer.named_parameters())
    for name in ("self_attn.q_proj.weight", "linear1.bias", "norm2.weight"):

        def loss_w(a, name=name):
            return float(
                (encoder_ref({**w, name: a}, x, causal=True, norm_first=True) * seed).sum()
            )

        fd = numeric(loss_w, w[name])
        assert np.any(fd != 0)
        np.testing.assert_allclose(params[name].grad, fd, rtol=1e-5, atol=1e-7)


def test_dropout_applies_in_training_only():
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.3)
    w = set_weights(layer)
    x = seq()
    lucid.random.seed(4)
    first = layer(Tensor(x)).data
    lucid.random.seed(4)
    np.testing.assert_array_equal(layer(Tensor(x)).data, first)
    assert not np.allclose(first, encoder_ref(w, x))
    np.testing.assert_allclose(layer.eval()(Tensor(x)).data, encoder_ref(w, x), rtol=1e-9)


def test_float32_stays_float32():
    lucid.set_default_dtype(np.float32)
    try:
        model = nn.Transformer(D, H, 1, 1, FF).eval()
    finally:
        lucid.set_default_dtype(np.float64)
    out = model(Tensor(seq().astype(np.float32)), Tensor(seq().astype(np.float32)))
    assert out.dtype == np.float32 and out.shape == (2, 3, D)


def test_state_dict_order_is_lucid_2s():
    keys = list(nn.TransformerDecoderLayer(D, H, FF).state_dict())
    blocks = [k.rsplit(".", 1)[0] for k in keys]
    assert list(dict.fromkeys(blocks)) == [
        "self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj",
        "multihead_attn.q_proj", "multihead_attn.k_proj", "multihead_attn.v_proj",
        "multihead_attn.out_proj", "linear1", "linear2", "norm1", "norm2", "norm3",
    ]  # fmt: skip
    copied = copy.deepcopy(nn.TransformerEncoderLayer(D, H, FF))
    assert list(copied.state_dict())[-2:] == ["norm2.weight", "norm2.bias"]


def test_reprs():
    layer = nn.TransformerEncoderLayer(D, H, FF)
    assert repr(layer).splitlines()[1] == (
        "  d_model=4, num_heads=2, dim_feedforward=6, dropout=0.1, activation=relu, "
        "layer_norm_eps=1e-05, norm_first=False, bias=True"
    )
    model = nn.Transformer(D, H, 1, 1, FF)
    assert repr(model).splitlines()[1] == (
        "  d_model=4, num_heads=2, num_encoder_layers=1, num_decoder_layers=1, "
        "dim_feedforward=6, dropout=0.1, activation=relu, layer_norm_eps=1e-05, "
        "norm_first=False, bias=True"
    )


def test_without_bias():
    layer = nn.TransformerEncoderLayer(D, H, FF, bias=False)
    assert layer.linear1.bias is None and layer.self_attn.q_proj.bias is None
    assert layer.norm1.bias is not None  # LayerNorm keeps its bias, as lucid 2.x


@pytest.mark.parametrize(
    "make,error,text",
    [
        (lambda: nn.TransformerEncoderLayer(5, 2), ValueError, "divisible"),
        (lambda: nn.TransformerEncoderLayer(4, 2, activation="tanh"), TypeError, "activation"),
        (lambda: nn.TransformerDecoderLayer(4, 2, dropout=1.5), ValueError, "1.5"),
        (lambda: nn.TransformerEncoderLayer(4, 2, 0), ValueError, "dim_feedforward"),
        (lambda: nn.TransformerEncoderLayer(4, 2, layer_norm_eps=-1.0), ValueError, "eps"),
        (lambda: nn.TransformerEncoder(nn.TransformerEncoderLayer(4, 2), -1), ValueError,
         "num_layers"),
        (lambda: nn.TransformerEncoder("layer", 2), TypeError, "Module"),
        (lambda: nn.TransformerDecoder(nn.TransformerDecoderLayer(4, 2), 1, norm=3), TypeError,
         "norm"),
        (lambda: nn.Transformer(4, 3), ValueError, "divisible"),
        (lambda: nn.Transformer(4, 2, num_encoder_layers=1.5), ValueError, "num_encoder_layers"),
    ],
)  # fmt: skip
def test_errors(make, error, text):
    with pytest.raises(error, match=text):
        make()


def test_forward_errors_name_the_input():
    layer = nn.TransformerEncoderLayer(D, H, FF)
    with pytest.raises(ValueError, match="shape"):
        layer(Tensor(np.ones((2, 3, 5))))
    with pytest.raises(ValueError, match="key_padding_mask"):
        layer(Tensor(seq()), src_key_padding_mask=Tensor(np.zeros((2, 4), dtype=bool)))
