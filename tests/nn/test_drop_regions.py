"""drop_path, drop_block and nn.DropPath / nn.DropBlock, tested by their laws.

Outputs are random, so each test checks what holds for every draw: given the keep mask
the output is exactly x·scale (kept) or 0, and the gradient mask·scale; drop_path's mask
is one decision per sample, drop_block's is the b×b blocks around Bernoulli(γ) seeds
(rebuilt here, with loops, from the same generator draw); keep rates sit within bounds
derived from the sample size; a seed fixes everything; eval mode returns the input.
"""

import math

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn
from lucid.random import Generator

Z = 5.0  # standard errors allowed in statistical checks


def ref_gamma(p, h, w, b, eps=1e-7):
    return p * h * w / (b * b) / ((h - b + 1) * (w - b + 1) + eps)


def ref_blocks(seeds, b):
    """The (N, C, H, W) union of the b×b blocks whose top-left corners are the seeds of
    an (N, C, H - b + 1, W - b + 1) bool array, one seed at a time."""
    n, c, hs, ws = seeds.shape
    out = np.zeros((n, c, hs + b - 1, ws + b - 1), bool)
    for k, m, i, j in zip(*np.nonzero(seeds), strict=True):
        out[k, m, i : i + b, j : j + b] = True
    return out


def ref_block_keep(shape, b, p, seed, eps=1e-7):
    """drop_block's keep mask for ``Generator(seed)``: seeds from the same Bernoulli draw
    over the positions where a block fits."""
    n, c, h, w = shape
    gamma = ref_gamma(p, h, w, b, eps)
    draw = np.full((n, c, h - b + 1, w - b + 1), gamma)
    seeds = lucid.random.bernoulli(draw, generator=Generator(seed))
    return ~ref_blocks(seeds.data.astype(bool), b)


def ref_drop_fraction(h, w, b, p):
    """The expected dropped fraction of an h×w map: a cell is kept iff none of the k
    seeds whose blocks cover it is drawn."""
    gamma = ref_gamma(p, h, w, b)
    total = 0.0
    for r in range(h):
        for c in range(w):
            rows = min(r, h - b) - max(0, r - b + 1) + 1
            cols = min(c, w - b) - max(0, c - b + 1) + 1
            total += 1 - (1 - gamma) ** (rows * cols)
    return total / (h * w)


def check_formula(x, y, grad, keep, scale):
    """y = x·scale where kept and 0 elsewhere; the gradient of sum(y) is keep·scale."""
    dt = x.dtype.type
    keep = np.broadcast_to(keep.astype(bool), x.shape)
    np.testing.assert_array_equal(y[keep], x[keep] * dt(scale))
    np.testing.assert_array_equal(y[~keep], 0)
    if grad is not None:
        np.testing.assert_array_equal(grad, np.where(keep, dt(scale), dt(0)))


# ---- drop_path --------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
@pytest.mark.parametrize("shape", [(64,), (40, 3), (30, 2, 3, 2)])
def test_drop_path_follows_its_law_given_the_mask(dtype, p, shape):
    x = Tensor(np.random.default_rng(1).uniform(0.5, 2, shape).astype(dtype), requires_grad=True)
    layer = nn.DropPath(p, generator=Generator(7))
    y = layer(x)
    y.sum().backward()
    mask = layer.mask
    assert mask.shape == (shape[0],) + (1,) * (len(shape) - 1) and mask.dtype == dtype
    assert set(np.unique(mask.data)) <= {0, 1} and 0 < mask.data.sum() < shape[0]
    assert y.dtype == dtype and x.grad.dtype == dtype
    check_formula(x.data, y.data, x.grad, mask.data, 1 / (1 - p))
    # The function with the same generator state draws the same mask.
    again = F.drop_path(Tensor(x.data), p, generator=Generator(7))
    np.testing.assert_array_equal(again.data, y.data)


def test_drop_path_without_scale_by_keep_only_zeroes():
    x = Tensor(np.arange(1.0, 41.0).reshape(20, 2), requires_grad=True)
    layer = nn.DropPath(0.5, scale_by_keep=False, generator=Generator(3))
    y = layer(x)
    y.sum().backward()
    check_formula(x.data, y.data, x.grad, layer.mask.data, 1.0)


def test_drop_path_keep_rate_within_bounds_from_the_sample_size():
    n, p = 40000, 0.3
    layer = nn.DropPath(p, generator=Generator(11))
    layer(Tensor(np.ones((n, 2))))
    kept = layer.mask.data.sum()
    assert abs(kept - n * (1 - p)) <= Z * math.sqrt(n * p * (1 - p))


def test_drop_path_draws_from_the_default_generator_and_a_seed_fixes_it():
    x = Tensor(np.ones((50, 3)))
    lucid.random.seed(5)
    first = F.drop_path(x, 0.5).data
    second = F.drop_path(x, 0.5).data
    lucid.random.seed(5)
    np.testing.assert_array_equal(F.drop_path(x, 0.5).data, first)
    assert not np.array_equal(first, second)  # the next call draws a new mask
    np.testing.assert_array_equal(nn.DropPath(0.5, generator=Generator(5))(x).data, first)


def test_drop_path_eval_mode_and_p_zero_return_the_input_itself():
    x = Tensor(np.ones((4, 2)), requires_grad=True)
    assert F.drop_path(x, 0.5, training=False) is x
    assert F.drop_path(x, 0.0) is x
    layer = nn.DropPath(0.9).eval()
    assert layer(x) is x and layer.mask is None
    layer.train()
    layer(x)
    before = layer.mask.data.copy()
    layer.eval()(x)
    np.testing.assert_array_equal(layer.mask.data, before)  # eval keeps the last mask
    integers = Tensor(np.arange(3))
    assert F.drop_path(integers, 0.5, training=False) is integers
    assert nn.DropPath(0.0)(x) is x
    assert nn.DropPath(0.0).train()(x) is x


def test_drop_path_p_one_gives_zeros_and_a_zero_gradient():
    x = Tensor(np.ones((5, 3)), requires_grad=True)
    y = F.drop_path(x, 1.0)
    y.sum().backward()
    np.testing.assert_array_equal(y.data, 0)
    np.testing.assert_array_equal(x.grad, 0)


def test_drop_path_defaults_and_repr():
    layer = nn.DropPath()
    assert layer.drop_prob == 0.1 and layer.scale_by_keep is True and layer.generator is None
    assert repr(layer) == "DropPath(drop_prob=0.1, scale_by_keep=True)"
    assert repr(nn.DropPath(0.25, False)) == "DropPath(drop_prob=0.25, scale_by_keep=False)"
    assert list(layer.parameters()) == [] and layer.state_dict() == {}


def test_drop_path_errors():
    x = Tensor(np.ones((3, 2)))
    for bad in (-0.1, 1.5, math.nan):
        with pytest.raises(ValueError, match="p"):
            F.drop_path(x, bad)
        with pytest.raises(ValueError):
            nn.DropPath(bad)
    with pytest.raises(TypeError):
        F.drop_path(x, "0.5")
    with pytest.raises(TypeError, match="drop_path: input_ must be a lucid Tensor"):
        F.drop_path(np.ones(3), 0.5)
    with pytest.raises(TypeError, match="float32 or float64.*int64"):
        F.drop_path(Tensor(np.arange(3)), 0.5)
    with pytest.raises(ValueError, match="batch axis"):
        F.drop_path(Tensor(np.array(1.0)), 0.5)
    with pytest.raises(TypeError, match="generator"):
        F.drop_path(x, 0.5, generator=3)
    with pytest.raises(TypeError, match="generator"):
        nn.DropPath(0.5, generator="seed")


def test_drop_path_dropped_nan_becomes_zero():
    x = Tensor(np.full((30, 2), np.nan))
    y = F.drop_path(x, 0.5, generator=Generator(2)).data
    rows = np.isnan(y).all(axis=1) | (y == 0).all(axis=1)
    assert rows.all() and (y == 0).any() and np.isnan(y).any()


# ---- drop_block -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(("shape", "b", "p"), [
    ((2, 3, 9, 9), 3, 0.2),
    ((2, 2, 8, 10), 2, 0.3),
    ((1, 4, 7, 6), 4, 0.15),
    ((3, 1, 5, 5), 5, 0.5),
    ((2, 2, 6, 6), 1, 0.4),
])  # fmt: skip
def test_drop_block_mask_is_the_blocks_of_the_seed_draw(dtype, shape, b, p):
    x = Tensor(np.random.default_rng(0).uniform(0.5, 2, shape).astype(dtype), requires_grad=True)
    layer = nn.DropBlock(b, p, generator=Generator(21))
    y = layer(x)
    y.sum().backward()
    keep = layer.mask.data
    assert keep.shape == shape and keep.dtype == dtype
    np.testing.assert_array_equal(keep.astype(bool), ref_block_keep(shape, b, p, 21))
    assert 0 < keep.sum() < keep.size  # the draw is neither empty nor everything
    check_formula(x.data, y.data, x.grad, keep, 1 / (1 - p))
    again = F.drop_block(Tensor(x.data), b, p, generator=Generator(21))
    np.testing.assert_array_equal(again.data, y.data)


def test_drop_block_eps_enters_gamma():
    shape, b, p, eps = (2, 3, 6, 6), 6, 0.5, 0.5  # a block the map's size: (1·1 + eps)
    keep = nn.DropBlock(b, p, eps, generator=Generator(4))(Tensor(np.ones(shape))) != 0
    np.testing.assert_array_equal(keep.data, ref_block_keep(shape, b, p, 4, eps))


def test_a_block_larger_than_the_map_is_clipped_to_it():
    shape = (4, 6, 3, 5)
    y = F.drop_block(Tensor(np.ones(shape)), 7, 0.4, generator=Generator(9))
    np.testing.assert_array_equal(y.data != 0, ref_block_keep(shape, 3, 0.4, 9))


def test_drop_block_seed_rate_within_bounds_from_the_sample_size():
    # The centre of a 7×7 map is dropped iff one of the 9 seeds whose blocks cover it is.
    maps, b, p = 20000, 3, 0.2
    layer = nn.DropBlock(b, p, generator=Generator(13))
    layer(Tensor(np.ones((maps, 1, 7, 7))))
    dropped = (layer.mask.data[:, 0, 3, 3] == 0).sum()
    q = 1 - (1 - ref_gamma(p, 7, 7, b)) ** (b * b)
    assert abs(dropped - maps * q) <= Z * math.sqrt(maps * q * (1 - q))


@pytest.mark.parametrize(("h", "b", "p"), [(7, 3, 0.2), (8, 8, 0.5), (12, 5, 0.1)])
def test_drop_block_drops_about_a_fraction_p(h, b, p):
    # Overlapping blocks make the expected fraction a little less than p; each map's
    # fraction lies in [0, 1], so its standard deviation is at most 1/2.
    expected = ref_drop_fraction(h, h, b, p)
    assert 0.8 * p <= expected <= p
    maps = 4000
    y = nn.DropBlock(b, p, generator=Generator(h))(Tensor(np.ones((maps, 1, h, h))))
    fraction = (y.data == 0).mean()
    assert abs(fraction - expected) <= Z * 0.5 / math.sqrt(maps)


def test_drop_block_seed_and_default_generator():
    x = Tensor(np.ones((2, 2, 8, 8)))
    lucid.random.seed(8)
    first = F.drop_block(x, 3, 0.3).data
    second = F.drop_block(x, 3, 0.3).data
    lucid.random.seed(8)
    np.testing.assert_array_equal(F.drop_block(x, 3, 0.3).data, first)
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first != 0, ref_block_keep(x.shape, 3, 0.3, 8))


def test_drop_block_eval_mode_and_p_zero_return_the_input_itself():
    x = Tensor(np.ones((1, 1, 4, 4)))
    assert F.drop_block(x, 2, 0.5, training=False) is x
    assert F.drop_block(x, 2, 0.0) is x
    layer = nn.DropBlock(2, 0.5).eval()
    assert layer(x) is x and layer.mask is None
    odd = Tensor(np.arange(3))  # eval mode looks at nothing but the arguments
    assert F.drop_block(odd, 3, 0.5, training=False) is odd


def test_drop_block_empty_maps():
    x = Tensor(np.ones((0, 2, 4, 4)), requires_grad=True)
    y = F.drop_block(x, 3, 0.5)
    assert y.shape == (0, 2, 4, 4)
    assert F.drop_block(Tensor(np.ones((1, 1, 0, 3))), 3, 0.5).shape == (1, 1, 0, 3)


def test_drop_block_defaults_and_repr():
    layer = nn.DropBlock(3)
    assert (layer.block_size, layer.p, layer.eps) == (3, 0.1, 1e-7)
    assert repr(layer) == "DropBlock(block_size=3, p=0.1)"
    assert repr(nn.DropBlock(5, 0.25)) == "DropBlock(block_size=5, p=0.25)"


def test_drop_block_errors():
    x = Tensor(np.ones((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"p must be in \[0, 1\)"):
        F.drop_block(x, 2, 1.0)
    with pytest.raises(ValueError, match=r"DropBlock: p must be in \[0, 1\)"):
        nn.DropBlock(2, 1.0)
    for bad in (-0.1, 2.0):
        with pytest.raises(ValueError):
            F.drop_block(x, 2, bad)
    with pytest.raises(ValueError, match="block_size must be >= 1, got 0"):
        F.drop_block(x, 0, 0.1)
    with pytest.raises(TypeError, match="block_size must be an int"):
        nn.DropBlock(2.0)
    with pytest.raises(ValueError, match="eps must be a finite number >= 0"):
        F.drop_block(x, 2, 0.1, -1.0)
    with pytest.raises(TypeError, match="eps must be a real number"):
        nn.DropBlock(2, 0.1, "tiny")
    with pytest.raises(ValueError, match=r"4-D \(N, C, H, W\), got shape \(4, 4\)"):
        F.drop_block(Tensor(np.ones((4, 4))), 2, 0.1)
    with pytest.raises(TypeError, match="float32 or float64"):
        F.drop_block(Tensor(np.ones((1, 1, 4, 4), dtype=np.int64)), 2, 0.1)
    with pytest.raises(TypeError, match="drop_block: input_ must be a lucid Tensor"):
        F.drop_block(np.ones((1, 1, 4, 4)), 2, 0.1)
