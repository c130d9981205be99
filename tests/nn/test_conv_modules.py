"""nn.Conv1d/2d/3d, nn.ConvTranspose1d/2d/3d and nn.Unfold: parameters (shapes, the
default float dtype, lucid 2.x's initialisation law, seeding), forwards against the
functional forms and the direct-loop references, reprs as lucid 2.x's, and errors."""

import math

import _conv_refs as ref
import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import Tensor, _dtypes, nn

Z = 5.0  # standard errors allowed in statistical checks


def data(*shape, seed=0):
    return Tensor(np.random.default_rng(seed).uniform(-1, 1, shape))


@pytest.mark.parametrize(
    "layer, weight_shape",
    [
        (nn.Conv1d(4, 6, 3, groups=2), (6, 2, 3)),
        (nn.Conv2d(3, 8, (3, 5)), (8, 3, 3, 5)),
        (nn.Conv3d(2, 4, 2), (4, 2, 2, 2, 2)),
        (nn.ConvTranspose1d(4, 6, 3, groups=2), (4, 3, 3)),
        (nn.ConvTranspose2d(3, 8, (3, 5)), (3, 8, 3, 5)),
        (nn.ConvTranspose3d(2, 4, 2), (2, 4, 2, 2, 2)),
    ],
)
def test_parameters(layer, weight_shape):
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"]
    assert layer.weight.shape == weight_shape and layer.bias.shape == (layer.out_channels,)
    for p in layer.parameters():
        assert isinstance(p, nn.Parameter) and p.requires_grad and p.is_leaf
        assert p.dtype == _dtypes.default_float()


def test_parameters_follow_the_default_float_dtype():
    before = _dtypes.default_float()
    try:
        _dtypes.set_default_dtype(np.float32)
        layer = nn.ConvTranspose2d(2, 2, 3)
        assert layer.weight.dtype == np.float32 and layer.bias.dtype == np.float32
        assert nn.Conv1d(1, 1, 1).weight.dtype == np.float32
    finally:
        _dtypes.set_default_dtype(before)
    assert nn.Conv1d(1, 1, 1).weight.dtype == before


def test_no_bias():
    layer = nn.Conv2d(2, 3, 3, bias=False)
    assert layer.bias is None and [n for n, _ in layer.named_parameters()] == ["weight"]
    x = data(1, 2, 4, 4)
    np.testing.assert_allclose(layer(x).data, ref.conv(x.data, layer.weight.data), rtol=1e-12)


@pytest.mark.parametrize(
    "make, fan_in",
    [
        (lambda: nn.Conv2d(16, 32, 3, groups=2), 8 * 9),
        (lambda: nn.Conv1d(8, 64, 5), 8 * 5),
        (lambda: nn.ConvTranspose2d(8, 48, 3, groups=2), 24 * 9),
    ],
)
def test_initialisation_law_is_lucid_2s(make, fan_in):
    # weight ~ U(±sqrt(6 / fan_in)), bias ~ U(±1 / sqrt(fan_in)); fan_in = shape[1]·∏K.
    lucid.random.seed(0)
    layer = make()
    w, b = layer.weight.data.ravel(), layer.bias.data
    bound = math.sqrt(6.0 / fan_in)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.95 * bound
    sd = bound / math.sqrt(3.0)
    assert abs(w.mean()) < Z * sd / math.sqrt(w.size)
    assert abs(w.var() - sd**2) < Z * sd**2 * math.sqrt(0.8 / w.size)
    assert np.abs(b).max() <= 1.0 / math.sqrt(fan_in) and len(np.unique(b)) == b.size


def test_seeding_reproduces_and_reset_redraws():
    lucid.random.seed(3)
    a = nn.Conv2d(2, 3, 3)
    lucid.random.seed(3)
    b = nn.Conv2d(2, 3, 3)
    np.testing.assert_array_equal(a.weight.data, b.weight.data)
    np.testing.assert_array_equal(a.bias.data, b.bias.data)
    before = a.weight.data.copy()
    a.reset_parameters()
    assert not np.array_equal(before, a.weight.data)


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_conv_forward_and_backward(rank):
    layer = (nn.Conv1d, nn.Conv2d, nn.Conv3d)[rank - 1](4, 6, 2, stride=2, padding=1, groups=2)
    x = Tensor(data(2, 4, *(4,) * rank).data, requires_grad=True)
    y = layer(x)
    w, b = layer.weight.data, layer.bias.data
    np.testing.assert_allclose(y.data, ref.conv(x.data, w, b, 2, 1, 1, 2), rtol=1e-12)
    y.sum().backward()
    assert x.grad.shape == x.shape and layer.weight.grad.shape == w.shape
    np.testing.assert_allclose(layer.bias.grad, np.full(6, y.data[0, 0].size * 2.0))


@pytest.mark.parametrize("rank", [1, 2, 3])
def test_conv_transpose_forward(rank):
    cls = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)[rank - 1]
    layer = cls(4, 2, 3, stride=2, padding=1, output_padding=1, dilation=1, groups=2)
    x = data(1, 4, *(3,) * rank)
    expected = ref.conv_transpose(x.data, layer.weight.data, layer.bias.data, 2, 1, 1, 1, 2)
    y = layer(x)
    assert y.shape == (1, 2, *(6,) * rank)
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)


def test_padding_same_and_valid():
    odd = nn.Conv2d(1, 1, 3, padding="same", dilation=2)
    assert odd.padding == (2, 2)
    x = data(1, 1, 6, 5)
    assert odd(x).shape == (1, 1, 6, 5)
    # An even kernel at stride 1 still keeps the size (the extra pad goes at the end);
    # lucid 2.x's d·(k − 1) // 2 per side would give one less.
    even = nn.Conv1d(1, 1, 4, padding="same")
    assert even.padding == (1,)
    y = even(data(1, 1, 7))
    assert y.shape == (1, 1, 7)
    np.testing.assert_allclose(
        y.data, F.conv1d(data(1, 1, 7), even.weight, even.bias, 1, "same").data
    )
    strided = nn.Conv1d(1, 1, 3, stride=2, padding="same")
    np.testing.assert_allclose(
        strided(x := data(1, 1, 7)).data, F.conv1d(x, strided.weight, strided.bias, 2, 1).data
    )
    assert nn.Conv1d(1, 1, 3, padding="valid").padding == (0,)
    assert nn.ConvTranspose1d(1, 1, 5, padding="same").padding == (2,)


@pytest.mark.parametrize(
    "layer, text",
    [
        (nn.Conv2d(3, 8, 3), "Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1))"),
        (
            nn.Conv2d(4, 8, (3, 5), stride=2, padding=(1, 2), dilation=2, groups=2, bias=False),
            "Conv2d(4, 8, kernel_size=(3, 5), stride=(2, 2), padding=(1, 2), "
            "dilation=(2, 2), groups=2, bias=False)",
        ),
        (
            nn.Conv1d(2, 2, 5, padding="same"),
            "Conv1d(2, 2, kernel_size=(5,), stride=(1,), padding=(2,))",
        ),
        (nn.Conv3d(1, 2, (1, 2, 3)), "Conv3d(1, 2, kernel_size=(1, 2, 3), stride=(1, 1, 1))"),
        (
            nn.ConvTranspose2d(4, 2, 3, stride=2, padding=1, output_padding=1, groups=2),
            "ConvTranspose2d(4, 2, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), "
            "output_padding=(1, 1), groups=2)",
        ),
        (
            nn.ConvTranspose1d(3, 3, 2, dilation=3, bias=False),
            "ConvTranspose1d(3, 3, kernel_size=(2,), stride=(1,), dilation=(3,), bias=False)",
        ),
        (
            nn.Unfold(2, 1, 0),
            "Unfold(kernel_size=(2, 2), stride=(1, 1), padding=(0, 0), dilation=(1, 1))",
        ),
    ],
)
def test_reprs_are_lucid_2s(layer, text):
    assert repr(layer) == text


@pytest.mark.parametrize(
    "make, error, match",
    [
        (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError, r"in_channels \(3\) must be divisible"),
        (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, r"out_channels \(3\) must be divisible"),
        (lambda: nn.Conv2d(4, 4, 3, groups=0), ValueError, "groups must be >= 1"),
        (lambda: nn.Conv2d(0, 4, 3), ValueError, "in_channels must be >= 1"),
        (lambda: nn.Conv2d(2.0, 4, 3), TypeError, "in_channels must be an int"),
        (lambda: nn.Conv2d(2, 4, 0), ValueError, "kernel_size must hold ints >= 1"),
        (lambda: nn.Conv2d(2, 4, (3, 3, 3)), ValueError, "kernel_size must be an int or 2 ints"),
        (lambda: nn.Conv2d(2, 4, 3, padding="full"), ValueError, "padding must be 'same'"),
        (lambda: nn.Conv1d(2, 4, 3, stride=0), ValueError, "stride must hold ints >= 1"),
        (lambda: nn.ConvTranspose1d(2, 4, 3, output_padding=1), ValueError, "smaller than stride"),
        (lambda: nn.Unfold(2, 1), TypeError, "padding"),
        (lambda: nn.Unfold((2, 2, 2), 1, 0), ValueError, "kernel_size must be an int or 2 ints"),
    ],
)
def test_bad_constructor_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()


@pytest.mark.parametrize(
    "layer, shape, expected",
    [
        (nn.Conv2d(1, 1, 1), (1, 1, 3), 4),
        (nn.Conv1d(1, 1, 1), (1, 1, 3, 3), 3),
        (nn.ConvTranspose3d(1, 1, 1), (1, 1, 3, 3), 5),
        (nn.Unfold(2, 1, 0), (1, 2, 3), 4),
    ],
)
def test_input_rank_is_checked(layer, shape, expected):
    with pytest.raises(ValueError, match=f"expected {expected}-D input"):
        layer(Tensor(np.zeros(shape)))


def test_unfold_is_pytorchs_layout():
    x = Tensor(np.random.default_rng(0).uniform(-1, 1, (2, 3, 4, 5)), requires_grad=True)
    unfold = nn.Unfold((2, 3), stride=(1, 2), padding=1, dilation=(2, 1))
    cols = unfold(x)
    rows = ref.unfold_rows(x.data, (2, 3), (1, 2), 1, (2, 1))
    positions = rows.shape[0] // 2
    assert cols.shape == (2, 3 * 6, positions)
    # column l of batch n is window l: row n·L + l of lucid 2.x's F.unfold.
    np.testing.assert_array_equal(cols.data, rows.reshape(2, positions, 18).transpose(0, 2, 1))
    g = np.random.default_rng(1).standard_normal(cols.shape)
    (cols * Tensor(g)).sum().backward()
    expected = Tensor(x.data, requires_grad=True)
    (
        F.unfold(expected, (2, 3), (1, 2), 1, (2, 1))
        * Tensor(g.transpose(0, 2, 1).reshape(rows.shape))
    ).sum().backward()
    np.testing.assert_allclose(x.grad, expected.grad, rtol=1e-12)
