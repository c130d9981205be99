"""Eval mode and p = 0 come first in every dropout, as in lucid: p is checked, then the
input comes back as it is, whatever its rank or dtype, without drawing a word."""

import numpy as np
import pytest

import lucid.nn.functional as F
from lucid import Tensor, nn
from lucid.random import Generator

FUNCTIONS = [F.dropout, F.dropout1d, F.dropout2d, F.dropout3d, F.alpha_dropout]
FUNCTIONS.append(F.feature_alpha_dropout)
LAYERS = [nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout]
LAYERS.append(nn.FeatureAlphaDropout)


@pytest.mark.parametrize("shape", [(), (7,)])
def test_feature_alpha_dropout_of_a_0d_or_1d_input_in_eval_mode_or_p_zero_is_the_input(shape):
    g = Generator(5)
    x = Tensor(np.arange(np.prod(shape), dtype=np.float32).reshape(shape))
    assert F.feature_alpha_dropout(x, 0.5, training=False, generator=g) is x
    assert F.feature_alpha_dropout(x, 0.0, generator=g) is x
    layer = nn.FeatureAlphaDropout(0.5, generator=g).eval()
    assert layer(x) is x and layer.mask is None
    assert g.offset == 0
    with pytest.raises(ValueError, match=r"at least 2 dimensions, got shape"):
        F.feature_alpha_dropout(x, 0.5, generator=g)  # training still needs channels
    assert g.offset == 0


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint16, np.bool_])
def test_integer_tensors_pass_through_eval_mode_and_p_zero(fn, dtype):
    x = Tensor(np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5).astype(dtype))
    x = x[0] if fn is F.dropout1d else x  # (3, 4, 5) is a batched 1-D input
    before = x.data.copy()
    g = Generator(2)
    assert fn(x, 0.5, training=False, generator=g) is x
    assert fn(x, 0.0, training=True, generator=g) is x
    assert g.offset == 0 and x.dtype == before.dtype
    np.testing.assert_array_equal(x.data, before)
    with pytest.raises(TypeError, match=f"got dtype {before.dtype}"):
        fn(x, 0.5, training=True, generator=g)
    assert g.offset == 0


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("bad", [-0.5, 1.5, float("nan")])
def test_p_is_still_checked_in_eval_mode(fn, bad):
    for x in (Tensor(np.ones(3, np.int64)), Tensor(np.float32(1.0))):
        with pytest.raises(ValueError, match=r"^p must be a probability in \[0, 1\]"):
            fn(x, bad, training=False)
    with pytest.raises(TypeError, match="p"):
        fn(Tensor(np.ones(3, np.int64)), "0.5", training=False)


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_a_non_tensor_is_still_a_type_error_in_eval_mode(fn):
    with pytest.raises(TypeError, match="input_ must be a lucid Tensor, got list"):
        fn([1.0, 2.0], 0.5, training=False)


@pytest.mark.parametrize("layer", LAYERS)
def test_a_layer_with_p_zero_keeps_an_integer_input_and_an_all_kept_mask(layer):
    x = Tensor(np.arange(2 * 3 * 4, dtype=np.int64).reshape(2, 3, 4))
    m = layer(0.0)
    assert m(x) is x
    mask = m.mask
    # One value per channel where the rank has channels ((N, C, L) for Dropout1d, (C, H, W)
    # for Dropout2d), else one per element (Dropout3d takes no 3-D input).
    channel = {nn.Dropout1d: (2, 3, 1), nn.FeatureAlphaDropout: (2, 3, 1), nn.Dropout2d: (2, 1, 1)}
    assert mask.shape == channel.get(layer, (2, 3, 4))
    assert mask.dtype == np.int64 and (mask.data == 1).all()


def test_a_channel_layer_with_p_zero_on_a_rank_it_does_not_take_gives_a_mask_of_the_input():
    x = Tensor(np.ones(5, np.float32))
    m = nn.Dropout2d(0.0)
    assert m(x) is x
    assert m.mask.shape == (5,) and (m.mask.data == 1).all()
