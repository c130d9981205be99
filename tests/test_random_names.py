"""lucid.random's lucid names: seed(seed=...), get_seed, randint and permutation, drawn
from the counter-based generator. Tested by their laws: ranges, exact reproducibility,
uniformity within bounds set by the sample size, and permutations being permutations."""

import itertools
import math

import numpy as np
import pytest
from scipy import stats

import lucid
import lucid._C as _C
from lucid.random import Generator, _integers

# A test that fails by chance fails this rarely (each bound is a 1 − 1e-9 quantile).
ALPHA = 1e-9


def chi_square_bound(bins):
    return stats.chi2.ppf(1 - ALPHA, bins - 1)


def test_seed_takes_its_argument_by_name_and_get_seed_tells_it():
    lucid.random.seed(seed=1234)
    assert lucid.random.get_seed() == 1234 == lucid.random.initial_seed()
    first = lucid.random.randint(0, 1 << 40, 16).data.copy()
    lucid.random.seed(1234)
    np.testing.assert_array_equal(lucid.random.randint(0, 1 << 40, 16).data, first)
    lucid.random.seed(seed=-1)
    assert lucid.random.get_seed() == (1 << 64) - 1
    with pytest.raises(TypeError, match="seed must be an int, got bool"):
        lucid.random.seed(seed=True)


@pytest.mark.parametrize(
    "low, high",
    [(0, 1), (0, 2), (-5, 5), (3, 10), (-(1 << 63), 1 << 63), (-(1 << 63), -(1 << 63) + 3)],
)
def test_randint_values_lie_in_low_high(low, high):
    t = lucid.random.randint(low, high, (40, 50), generator=Generator(7))
    assert t.dtype == np.int64 and t.shape == (40, 50)
    values = [int(v) for v in t.data.ravel()]
    assert min(values) >= low and max(values) < high
    if high - low <= 10:
        assert set(values) == set(range(low, high))  # 2000 draws hit every value


def test_randint_follows_numpys_size_and_high_none_rules():
    g = Generator(1)
    assert lucid.random.randint(0, 3, generator=g).shape == (1,)  # lucid's default size 1
    assert lucid.random.randint(0, 3, 4, generator=g).shape == (4,)
    assert lucid.random.randint(0, 3, [2, 3], generator=g).shape == (2, 3)
    assert lucid.random.randint(0, 3, None, generator=g).shape == ()
    assert lucid.random.randint(0, 3, (0, 5), generator=g).shape == (0, 5)
    t = lucid.random.randint(4, size=1000, generator=g)  # high None: [0, low)
    assert set(t.data.tolist()) == {0, 1, 2, 3}


def test_randint_positional_order_is_lucids():
    a = lucid.random.randint(0, 9, (3,), False, False, "cpu", generator=Generator(2))
    b = lucid.random.randint(low=0, high=9, size=(3,), generator=Generator(2))
    np.testing.assert_array_equal(a.data, b.data)


def test_the_same_seed_gives_the_same_integers_and_another_seed_others():
    def draw(seed):
        return lucid.random.randint(-1000, 1000, 5000, generator=Generator(seed)).data

    np.testing.assert_array_equal(draw(5), draw(5))
    assert not np.array_equal(draw(5), draw(6))
    g = Generator(5)
    lucid.random.randint(0, 2, 7, generator=g)
    # Three words per value, the reservation rounded up to a 16-word block.
    assert g.offset == 32


def test_integers_do_not_depend_on_the_thread_count():
    numel = 3 * _C.DEFAULT_CHUNK + 17  # several chunks of words
    before = _C.get_num_threads()
    try:
        results = []
        for threads in (1, 8):
            _C.set_num_threads(threads)
            results.append(lucid.random.randint(0, 1000003, numel, generator=Generator(11)).data)
            results.append(lucid.random.permutation(numel, generator=Generator(11)).data)
    finally:
        _C.set_num_threads(before)
    np.testing.assert_array_equal(results[0], results[2])
    np.testing.assert_array_equal(results[1], results[3])


@pytest.mark.parametrize("n", [7, 10, 1000])
def test_randint_is_uniform_by_a_chi_square_bound(n):
    samples = 200 * n
    t = lucid.random.randint(0, n, samples, generator=Generator(n))
    counts = np.bincount(t.data, minlength=n)
    expected = samples / n
    statistic = float(((counts - expected) ** 2 / expected).sum())
    assert statistic < chi_square_bound(n)


@pytest.mark.parametrize("n", [3 << 62, (1 << 64) - 1, 1 << 64])
def test_huge_ranges_are_uniform_in_their_halves_and_low_bits(n):
    # Over [low, low + n): the top half and the parity are each hit with probability
    # about 1/2; their counts stay within the normal bound for the sample size.
    low = -(1 << 63)
    samples = 100_000
    t = lucid.random.randint(low, low + n, samples, generator=Generator(3))
    offsets = t.data.astype(np.uint64) - np.uint64(low % (1 << 64))
    z = stats.norm.ppf(1 - ALPHA / 2) * math.sqrt(samples * 0.25)
    top = int((offsets >= np.uint64(n // 2)).sum())
    assert abs(top - samples * (n - n // 2) / n) < z + 1
    assert abs(int((offsets & np.uint64(1)).sum()) - samples / 2) < z + 1


def test_every_bit_of_the_64_bit_words_is_fair():
    samples = 50_000
    words = _integers.words64(Generator(9), samples)
    bits = (words[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)
    ones = bits.sum(axis=0).astype(np.float64)
    z = stats.norm.ppf(1 - ALPHA / 128) * math.sqrt(samples * 0.25)
    assert np.abs(ones - samples / 2).max() < z


@pytest.mark.parametrize("n", [1, 2, 3, 10, 1 << 31, (1 << 32) + 1, (1 << 63) + 5, (1 << 64) - 1])
def test_the_multiply_shift_map_is_exactly_floor_of_w_times_n_over_2_to_the_64(n):
    words = _integers.words64(Generator(n % 1000), 2000)
    words = np.concatenate([words, np.array([0, 1, (1 << 64) - 1, 1 << 63], np.uint64)])
    got = _integers.below(words, n)
    assert [int(v) for v in got] == [(int(w) * n) >> 64 for w in words]


def test_permutation_is_a_permutation_of_its_dtype():
    for n in (0, 1, 2, 17, 1000):
        p = lucid.random.permutation(n, generator=Generator(n))
        assert p.dtype == np.int64 and p.shape == (n,)
        np.testing.assert_array_equal(np.sort(p.data), np.arange(n))
    f = lucid.random.permutation(50, "float32", generator=Generator(1))
    assert f.dtype == np.float32
    np.testing.assert_array_equal(np.sort(f.data), np.arange(50))
    np.testing.assert_array_equal(
        lucid.random.permutation(30, float, generator=Generator(4)).data,
        lucid.random.permutation(30, generator=Generator(4)).data,
    )


def test_permutation_reproduces_for_a_seed():
    lucid.random.seed(seed=8)
    a = lucid.random.permutation(500).data.copy()
    lucid.random.seed(seed=8)
    np.testing.assert_array_equal(lucid.random.permutation(500).data, a)
    assert not np.array_equal(lucid.random.permutation(500).data, a)


def test_all_orders_of_four_are_equally_likely_by_a_chi_square_bound():
    orders = {p: i for i, p in enumerate(itertools.permutations(range(4)))}
    g = Generator(21)
    samples = 24 * 400
    counts = np.zeros(24)
    for _ in range(samples):
        counts[orders[tuple(lucid.random.permutation(4, generator=g).data.tolist())]] += 1
    expected = samples / 24
    assert float(((counts - expected) ** 2 / expected).sum()) < chi_square_bound(24)


def test_each_element_lands_anywhere_with_equal_chance():
    n, rounds = 8, 4000
    g = Generator(6)
    positions = np.zeros((n, n))
    for _ in range(rounds):
        positions[np.arange(n), np.argsort(lucid.random.permutation(n, generator=g).data)] += 1
    expected = rounds / n
    for row in positions:  # each element's position: n bins
        assert float(((row - expected) ** 2 / expected).sum()) < chi_square_bound(n)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda g: lucid.random.randint(5, 5, generator=g), ValueError, "low < high"),
        (lambda g: lucid.random.randint(0, 1 << 64, generator=g), ValueError, "fit int64"),
        (lambda g: lucid.random.randint(0.5, 3, generator=g), TypeError, "low must be an int"),
        (lambda g: lucid.random.randint(0, "3", generator=g), TypeError, "high must be an int"),
        (lambda g: lucid.random.randint(0, 3, 2.0, generator=g), TypeError, "size must be"),
        (lambda g: lucid.random.randint(0, 3, (-1,), generator=g), ValueError, "non-negative"),
        (lambda g: lucid.random.randint(0, 3, generator=1), TypeError, "generator must be"),
        (lambda g: lucid.random.permutation(-1, generator=g), ValueError, "n must be non-neg"),
        (lambda g: lucid.random.randint(0, 3, 1, device="gpu", generator=g), ValueError, "device"),
        (lambda g: lucid.random.permutation(3, device="mps", generator=g), ValueError, "device"),
        (lambda g: lucid.random.permutation(3.0, generator=g), TypeError, "n must be an int"),
        (lambda g: lucid.random.permutation(3, bool, generator=g), TypeError, "cannot hold"),
        (lambda g: lucid.random.permutation(1 << 25, "float32", generator=g), TypeError, "hold"),
    ],
)
def test_bad_arguments_are_refused_without_moving_the_generator(call, error, message):
    g = Generator(3)
    with pytest.raises(error, match=message):
        call(g)
    assert g.offset == 0


def test_uniform_defaults_to_one_value_of_shape_1_as_lucids():
    g = Generator(2)
    assert lucid.random.uniform(generator=g).shape == (1,)
    assert lucid.random.uniform(0.0, 1.0, (), generator=g).shape == ()
    assert lucid.random.uniform(0.0, 1.0, None, generator=g).shape == ()
