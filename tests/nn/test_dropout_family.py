"""The rest of the dropout family: Dropout, Dropout1d/2d/3d, FeatureAlphaDropout and
alpha_dropout's noise_shape, tested by their laws like AlphaDropout (test_dropout.py).

Given the mask each layer exposes, every output and gradient is exact: kept
y = A·x + B, dropped y = the dropped value, ∂L/∂x = A·mask·∂L/∂y with the mask
broadcast from its noise shape; keep rates sit within bounds from the sample size; the
same generator state gives the same bits whichever kernel path draws them.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn

ALPHA_PRIME = -1.0507009873554805 * 1.6732632423543772


def alpha_coefficients(p):
    a = ((1 - p) * (1 + p * ALPHA_PRIME**2)) ** -0.5
    b = -a * ALPHA_PRIME * p
    return a, b, a * ALPHA_PRIME + b


def standard_coefficients(p):
    return 1 / (1 - p), 0.0, 0.0


def check_laws(x, y, grad, dy, mask, coefficients):
    """y and the gradient agree with the mask (broadcast to x) and the coefficients."""
    dt = x.dtype.type
    a, b, dropped = (dt(v) for v in coefficients)
    assert set(np.unique(mask)) <= {0, 1}
    kept = np.broadcast_to(mask.astype(bool), x.shape)
    np.testing.assert_array_equal(y[kept], a * x[kept] + b)
    np.testing.assert_array_equal(y[~kept], np.full((~kept).sum(), dropped))
    np.testing.assert_array_equal(grad, dy * np.where(kept, a, dt(0)))


def run_layer(layer, shape, dtype=np.float32, seed=0):
    """Forward and backward of ``layer`` with a random upstream gradient."""
    rng = np.random.default_rng(seed)
    x = Tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
    dy = rng.standard_normal(shape).astype(dtype)
    y = layer(x)
    y.grad = dy.copy()
    y.backward()
    return x.data, y.data, x.grad, dy, layer.mask.data


CHANNEL_LAYERS = [
    (nn.Dropout1d, (6, 5, 7), (6, 5, 1)),
    (nn.Dropout1d, (5, 7), (5, 1)),
    (nn.Dropout2d, (4, 3, 5, 6), (4, 3, 1, 1)),
    (nn.Dropout2d, (3, 5, 6), (3, 1, 1)),
    (nn.Dropout3d, (2, 3, 4, 5, 6), (2, 3, 1, 1, 1)),
    (nn.Dropout3d, (3, 4, 5, 6), (3, 1, 1, 1)),
    (nn.FeatureAlphaDropout, (4, 6, 9), (4, 6, 1)),
    (nn.FeatureAlphaDropout, (50, 3), (50, 3)),
    (nn.FeatureAlphaDropout, (2, 3, 4, 5, 6, 2), (2, 3, 1, 1, 1, 1)),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.2, 0.5, 0.8])
def test_dropout_follows_its_law_given_the_mask(p, dtype):
    x, y, grad, dy, mask = run_layer(nn.Dropout(p), (300, 70), dtype)
    assert mask.shape == x.shape and mask.dtype == dtype
    check_laws(x, y, grad, dy, mask, standard_coefficients(p))


@pytest.mark.parametrize("layer, shape, noise", CHANNEL_LAYERS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_channel_layers_drop_whole_channels(layer, shape, noise, dtype):
    p = 0.4
    x, y, grad, dy, mask = run_layer(layer(p), shape, dtype, seed=len(shape))
    assert mask.shape == noise and mask.dtype == dtype
    alpha = layer is nn.FeatureAlphaDropout
    check_laws(x, y, grad, dy, mask, (alpha_coefficients if alpha else standard_coefficients)(p))


@pytest.mark.parametrize(
    "noise_shape, resolved",
    [
        ((8, 1, 5), (8, 1, 5)),  # one mask per sequence, shared over time
        ((1, 5), (1, 1, 5)),  # numpy broadcasting: padded on the left
        ((None, 1, None), (8, 1, 5)),  # Keras: None takes the input's size
        ((8, 6, 1), (8, 6, 1)),  # leading dimensions then ones: the row kernel
        ((1, 6, 1), (1, 6, 1)),  # anything else: the broadcast path
        ((1, 1, 1), (1, 1, 1)),  # one decision for the whole tensor
        ((8, 6, 5), (8, 6, 5)),  # the input's shape: element-wise
    ],
)
def test_noise_shape_masks_broadcast_over_the_input(noise_shape, resolved):
    p = 0.3
    a, b, dropped = alpha_coefficients(p)
    x = lucid.random.randn(8, 6, 5, requires_grad=True, dtype="float64")
    dy = np.random.default_rng(1).standard_normal((8, 6, 5))
    y = F.alpha_dropout(x, p, noise_shape=noise_shape)
    y.grad = dy.copy()
    y.backward()
    # A dropped element is exactly `dropped`, a kept one A·x + B: recover the mask
    # from the output and check it is constant along the broadcast axes.
    kept = y.data != dropped
    np.testing.assert_array_equal(y.data[kept], a * x.data[kept] + b)
    mask = kept[tuple(slice(0, n) for n in resolved)]
    np.testing.assert_array_equal(kept, np.broadcast_to(mask, x.shape))
    np.testing.assert_array_equal(x.grad, dy * np.where(kept, a, 0.0))


def test_the_same_draw_gives_the_same_bits_on_every_kernel_path():
    x = lucid.random.randn(16, 32, 3)

    def draw(**kwargs):
        return F.alpha_dropout(x, 0.35, generator=lucid.random.Generator(7), **kwargs).data

    np.testing.assert_array_equal(draw(noise_shape=(16, 32, 3)), draw())
    feature = F.feature_alpha_dropout(x, 0.35, generator=lucid.random.Generator(7)).data
    np.testing.assert_array_equal(feature, draw(noise_shape=(16, 32, 1)))
    # (1, 32, 1) takes the broadcast path; its 32 decisions are the first 32 bits of
    # the same draw on the row path with (32, 1, 1) over a transposed input.
    t = lucid.Tensor(np.ascontiguousarray(x.data.transpose(1, 0, 2)))
    rows = F.alpha_dropout(t, 0.35, generator=lucid.random.Generator(7), noise_shape=(32, 1, 1))
    np.testing.assert_array_equal(draw(noise_shape=(1, 32, 1)), rows.data.transpose(1, 0, 2))


def test_channel_keep_rate_within_bounds_from_the_sample_size():
    p, n, c = 0.3, 400, 500
    layer = nn.Dropout2d(p)
    layer(lucid.ones(n, c, 2, 2))
    kept = layer.mask.data.mean()
    # Four standard errors of a binomial proportion over n·c channels.
    assert abs(kept - (1 - p)) < 4 * np.sqrt(p * (1 - p) / (n * c))


@pytest.mark.parametrize("layer", [nn.Dropout, nn.Dropout2d, nn.FeatureAlphaDropout])
def test_eval_p_zero_and_p_one(layer):
    x = lucid.random.randn(3, 4, 5, 6, requires_grad=True)
    m = layer(0.5).eval()
    assert m(x) is x
    assert layer(0.0)(x) is x
    y = layer(1.0)(x)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, 0)
    np.testing.assert_array_equal(x.grad, 0)


@pytest.mark.parametrize("layer", [nn.Dropout, nn.AlphaDropout, nn.FeatureAlphaDropout])
def test_the_mask_is_the_last_training_forwards_and_an_eval_forward_keeps_it(layer):
    m = layer(0.5)
    assert m.mask is None
    x = lucid.random.randn(4, 3, 5)
    m(x)
    bits = m.mask.data.copy()
    assert set(np.unique(bits)) <= {0.0, 1.0} and bits.shape == (
        (4, 3, 5) if layer is not nn.FeatureAlphaDropout else (4, 3, 1)
    )
    m.eval()
    assert m(x) is x
    np.testing.assert_array_equal(m.mask.data, bits)  # eval leaves it as it was
    m.train()
    with pytest.raises(TypeError, match="input_"):
        m(Tensor(np.ones((4, 3, 5), np.int64)))
    assert m.mask is None  # a training forward that raised leaves no mask behind


def test_standard_dropout_sets_dropped_elements_to_zero_even_for_nan():
    x = Tensor(np.full(10_000, np.nan, np.float32))
    layer = nn.Dropout(0.5)
    y = layer(x).data
    kept = layer.mask.data.astype(bool)
    assert np.isnan(y[kept]).all() and (y[~kept] == 0).all()
    assert 0 < kept.sum() < kept.size


@pytest.mark.parametrize(
    "fn, shape, message",
    [
        (
            F.dropout1d,
            (2, 3, 4, 5),
            r"dropout1d: expected a 2-D \(C, \.\.\.\) or 3-D .* got shape \(2, 3, 4, 5\)",
        ),
        (F.dropout2d, (3, 4), r"dropout2d: expected a 3-D .* or 4-D .* got shape \(3, 4\)"),
        (F.dropout3d, (2, 3, 4, 5, 6, 7), r"dropout3d: .* got shape \(2, 3, 4, 5, 6, 7\)"),
        (
            F.feature_alpha_dropout,
            (7,),
            r"feature_alpha_dropout: .* at least 2 .* got shape \(7,\)",
        ),
    ],
)
def test_wrong_rank_is_a_value_error_naming_the_shape(fn, shape, message):
    with pytest.raises(ValueError, match=message):
        fn(lucid.ones(*shape), 0.5)
    # Eval mode comes first, as lucid's: the input is returned, whatever its rank.
    x = lucid.ones(*shape)
    assert fn(x, 0.5, training=False) is x
    assert fn(x, 0.0) is x


@pytest.mark.parametrize(
    "noise_shape, error, message",
    [
        ((4, 2, 5), ValueError, r"noise_shape \(4, 2, 5\) does not broadcast .* \(4, 3, 5\)"),
        ((1, 4, 3, 5), ValueError, r"noise_shape \(1, 4, 3, 5\) has more dimensions"),
        ("435", TypeError, r"noise_shape must be a tuple of ints, got str"),
        (4, TypeError, r"noise_shape must be a tuple of ints, got int"),
        ((4, 1.5, 5), TypeError, r"noise_shape must hold ints or None"),
    ],
)
def test_bad_noise_shape(noise_shape, error, message):
    with pytest.raises(error, match=message):
        F.alpha_dropout(lucid.ones(4, 3, 5), 0.5, noise_shape=noise_shape)


@pytest.mark.parametrize(
    "fn", [F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.feature_alpha_dropout]
)
@pytest.mark.parametrize("bad", [-0.1, 1.0000001, float("nan"), float("inf")])
def test_bad_p_is_a_value_error_for_every_member(fn, bad):
    with pytest.raises(ValueError, match=r"^p must be a probability in \[0, 1\], got"):
        fn(lucid.ones(2, 3, 4, 5)[0] if fn is F.dropout1d else lucid.ones(2, 3, 4, 5), bad)


@pytest.mark.parametrize("layer", [nn.Dropout, nn.Dropout1d, nn.FeatureAlphaDropout])
def test_p_of_the_wrong_type_is_a_type_error(layer):
    for bad in ["0.5", None]:
        with pytest.raises(TypeError, match=r"^p must be a number in \[0, 1\], got"):
            layer(bad)


def test_positional_arguments_follow_pytorch():
    x = lucid.random.randn(4, 5)
    assert F.dropout(x, 0.5, False) is x  # (input, p, training, inplace)
    with lucid.no_grad():
        assert F.dropout(x, 0.5, True, True) is x


def test_inplace_channel_dropout_overwrites_the_input():
    x = lucid.random.randn(4, 3, 8)
    before = x.data.copy()
    layer = nn.Dropout1d(0.5, inplace=True)
    with lucid.no_grad():
        assert layer(x) is x
    kept = np.broadcast_to(layer.mask.data.astype(bool), x.shape)
    np.testing.assert_array_equal(x.data[kept], np.float32(2) * before[kept])
    assert (x.data[~kept] == 0).all()


_DIGEST = """
import hashlib, lucid, lucid.nn.functional as F
lucid.random.seed(3)
x = lucid.random.randn(64, 300, 101, requires_grad=True)
ys = [F.dropout(x, 0.3), F.dropout1d(x, 0.3), F.feature_alpha_dropout(x, 0.3),
      F.alpha_dropout(x, 0.3, noise_shape=(1, 300, 101))]
sum(y.sum() for y in ys).backward()
print(hashlib.sha256(b"".join(y.data.tobytes() for y in ys) + x.grad.tobytes()).hexdigest())
"""


def test_every_member_is_bit_identical_for_any_thread_count():
    digests = set()
    for threads in ["1", "2", "8"]:
        env = dict(os.environ, RAYON_NUM_THREADS=threads)
        run = subprocess.run(
            [sys.executable, "-c", _DIGEST], env=env, capture_output=True, text=True, check=True
        )
        digests.add(run.stdout.strip())
    assert len(digests) == 1, digests


def test_modules_repr_and_exports():
    assert repr(nn.Dropout2d(0.25)) == "Dropout2d(p=0.25)"
    assert (
        repr(nn.FeatureAlphaDropout(0.1, inplace=True))
        == "FeatureAlphaDropout(p=0.1, inplace=True)"
    )
    for name in ["dropout", "dropout1d", "dropout2d", "dropout3d", "feature_alpha_dropout"]:
        assert name in F.__all__
