"""lucid.random.global_rows: a process holding some rows of a batch draws, for them,
exactly the dropout masks, outputs and gradients a single process draws for the whole
batch, and leaves the generator where the whole batch leaves it, whatever the number of
processes and however the rows are dealt (interleaved or in blocks)."""

import numpy as np
import pytest

import lucid
from lucid import nn
from lucid.nn import functional as F

B = 12


def batch(shape=(B, 70), seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def deals(world):
    """Rank r's rows of the batch, interleaved (as a DistributedSampler deals them)
    and in contiguous blocks."""
    block = B // world
    yield [list(range(r, B, world)) for r in range(world)]
    yield [list(range(r * block, (r + 1) * block)) for r in range(world)]


def bits(a):
    return np.asarray(a).view(np.uint32 if np.asarray(a).dtype == np.float32 else np.uint64)


FUNCTIONS = {
    "alpha_dropout": lambda t, g: F.alpha_dropout(t, 0.3, generator=g),
    "dropout": lambda t, g: F.dropout(t, 0.3, generator=g),
    "selu_alpha_dropout": lambda t, g: F.selu_alpha_dropout(t, 0.3, generator=g),
    "feature_alpha_dropout": lambda t, g: F.feature_alpha_dropout(t, 0.3, generator=g),
    "dropout1d": lambda t, g: F.dropout1d(t, 0.3, generator=g),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
@pytest.mark.parametrize("world", [1, 2, 3, 4])
def test_each_rank_gets_the_whole_batchs_values_and_gradients_for_its_rows(name, world):
    fn = FUNCTIONS[name]
    x = batch((B, 6, 5) if name in ("feature_alpha_dropout", "dropout1d") else (B, 70))
    dy = batch(x.shape, seed=1)
    g = lucid.random.Generator(5)
    whole = lucid.Tensor(x, requires_grad=True)
    y = fn(whole, g)
    y.backward(dy)
    after = g.get_state()
    for ranks in deals(world):
        for rows in ranks:
            g = lucid.random.Generator(5)
            part = lucid.Tensor(x[rows], requires_grad=True)
            with lucid.random.global_rows(rows, B):
                out = fn(part, g)
            out.backward(dy[rows])
            assert np.array_equal(bits(out.data), bits(y.data[rows]))
            assert np.array_equal(bits(part.grad), bits(whole.grad[rows]))
            assert g.get_state() == after  # the whole batch's words were reserved


@pytest.mark.parametrize("cls", [nn.Dropout, nn.AlphaDropout])
def test_layer_masks_agree_bit_for_bit_for_world_sizes_1_2_and_4(cls):
    """The masks the layers record, gathered in global row order."""
    x = batch()
    masks = {}
    for world in (1, 2, 4):
        gathered = np.zeros(x.shape, dtype=np.float32)
        for r in range(world):
            rows = list(range(r, B, world))
            layer = cls(0.5, generator=lucid.random.Generator(11))
            with lucid.random.global_rows(rows, B):
                layer(lucid.Tensor(x[rows]))
            gathered[rows] = layer.mask.data
        masks[world] = gathered
    single = cls(0.5, generator=lucid.random.Generator(11))
    single(lucid.Tensor(x))
    whole = single.mask.data
    assert 0 < whole.sum() < whole.size  # a mask with both kinds of bits
    for world, gathered in masks.items():
        assert np.array_equal(gathered, whole), world


def selu_net(seed):
    lucid.random.seed(seed)
    blocks = []
    for _ in range(2):
        blocks += [nn.Linear(70, 70), nn.SELU(), nn.AlphaDropout(0.2)]
    return nn.Sequential(*blocks, nn.Linear(70, 3)).to(dtype=np.float32)


def test_a_selu_network_on_two_ranks_gives_the_single_process_rows_and_generator():
    """Sequential's fused nodes (SELU → AlphaDropout, Linear before it) under the block."""
    x, dy = batch(), batch((B, 3), seed=2)
    net = selu_net(3)
    lucid.random.seed(9)
    whole = lucid.Tensor(x, requires_grad=True)
    y = net(whole)
    y.backward(dy)
    after = lucid.random.get_state()
    for rows in ([0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 11]):
        net.zero_grad()
        lucid.random.seed(9)
        part = lucid.Tensor(x[rows], requires_grad=True)
        with lucid.random.global_rows(rows, B):
            out = net(part)
        out.backward(dy[rows])
        np.testing.assert_array_equal(out.data, y.data[rows])
        np.testing.assert_array_equal(part.grad, whole.grad[rows])
        assert lucid.random.get_state() == after


def test_outside_the_block_and_for_a_shared_mask_nothing_changes():
    x = batch()
    plain = F.alpha_dropout(lucid.Tensor(x), 0.4, generator=lucid.random.Generator(2)).data
    with lucid.random.global_rows(range(B), B):
        pass
    again = F.alpha_dropout(lucid.Tensor(x), 0.4, generator=lucid.random.Generator(2)).data
    assert np.array_equal(bits(plain), bits(again))
    # A noise shape with 1 rows: one mask for every row, drawn as without the block.
    shared = F.alpha_dropout(
        lucid.Tensor(x[:4]), 0.4, generator=lucid.random.Generator(2), noise_shape=(1, 70)
    ).data
    with lucid.random.global_rows([0, 1, 2, 3], B):
        inside = F.alpha_dropout(
            lucid.Tensor(x[:4]), 0.4, generator=lucid.random.Generator(2), noise_shape=(1, 70)
        ).data
    assert np.array_equal(bits(shared), bits(inside))


def test_blocks_nest_and_current_rows_tells_the_innermost():
    assert lucid.random.current_rows() is None
    with lucid.random.global_rows(range(0, 4), 8):
        with lucid.random.global_rows([5], 6):
            assert lucid.random.current_rows() == ((5,), 6)
        assert lucid.random.current_rows() == ((0, 1, 2, 3), 8)
    assert lucid.random.current_rows() is None


@pytest.mark.parametrize(
    "rows, total, error, pattern",
    [
        ([0], 0, ValueError, "total must be at least 1, got 0"),
        ([0], 2.0, TypeError, "total must be an int"),
        ([2], 2, ValueError, r"rows must lie in \[0, total=2\), got 2"),
        ([-1], 2, ValueError, "got -1"),
        ([1, 1], 2, ValueError, "rows must be distinct"),
        ("01", 2, TypeError, "rows must be a range or a sequence of ints"),
        ([0.0], 2, TypeError, r"rows\[i\] must be an int"),
    ],
)
def test_bad_arguments_name_themselves(rows, total, error, pattern):
    with pytest.raises(error, match=pattern):
        with lucid.random.global_rows(rows, total):
            pass


def test_an_input_of_another_row_count_is_a_value_error_and_draws_nothing():
    g = lucid.random.Generator(4)
    before = g.get_state()
    with lucid.random.global_rows([0, 1], 4):
        with pytest.raises(ValueError, match="input_ has 3 rows but .* holds 2 rows of 4"):
            F.alpha_dropout(lucid.Tensor(batch((3, 5))), 0.5, generator=g)
    assert g.get_state() == before


def test_mask_rows_errors_name_the_argument():
    mask = lucid._C.dropout_mask(12, 0.5, lucid.random.Generator(1), "alpha")
    with pytest.raises(ValueError, match="row"):
        mask.rows([0], 5)
    with pytest.raises(ValueError, match="rows"):
        mask.rows([4], 3)
    assert len(mask.rows([3, 0], 3)) == 6
