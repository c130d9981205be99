"""lucid.data.random_split (python/lucid/data/split.py)."""

import numpy as np
import pytest

import lucid
from lucid.data import Subset, TensorDataset, random_split
from lucid.data.split import split_lengths

DS = TensorDataset(np.arange(10))


def _all(parts):
    return [i for p in parts for i in p.indices]


def test_integer_lengths_partition_the_indices():
    parts = random_split(DS, [3, 0, 7], seed=5)
    assert [len(p) for p in parts] == [3, 0, 7] and all(isinstance(p, Subset) for p in parts)
    assert sorted(_all(parts)) == list(range(10))


def test_fractions_are_floored_and_the_remainder_goes_round_robin_to_the_first_parts():
    # floor(f·n) each, then n − Σ floor one by one from the first part (lucid 2.x, PyTorch)
    assert split_lengths([0.5, 0.5], 9) == [5, 4]
    assert split_lengths([0.3, 0.3, 0.4], 10) == [3, 3, 4]
    assert split_lengths([1 / 3] * 3, 10) == [4, 3, 3]
    assert split_lengths([0.25] * 4, 2) == [1, 1, 0, 0]
    for n in range(0, 40):
        for fr in ([0.1, 0.2, 0.7], [0.5, 0.25, 0.25], [1.0]):
            got = split_lengths(fr, n)
            # each part is floor(f·n) or one more
            assert sum(got) == n
            assert all(-1 < g - f * n <= 1 + 1e-9 for g, f in zip(got, fr, strict=True))


def test_the_split_is_the_permutation_of_lucids_generator_for_the_seed():
    order = lucid.random.permutation(10, generator=lucid.random.Generator(7)).tolist()
    parts = random_split(DS, [4, 6], seed=7)
    assert _all(parts) == order
    assert _all(random_split(DS, [4, 6], generator=lucid.random.Generator(7))) == order


def test_without_a_seed_the_default_generator_decides_and_reseeding_repeats_it():
    lucid.random.seed(3)
    first = _all(random_split(DS, [0.5, 0.5]))
    second = _all(random_split(DS, [0.5, 0.5]))
    lucid.random.seed(3)
    assert _all(random_split(DS, [0.5, 0.5])) == first
    assert sorted(first) == sorted(second) == list(range(10))


def test_bad_lengths_are_refused_by_value():
    with pytest.raises(ValueError, match=r"sum to the dataset's length 10, got \[3, 3\]"):
        random_split(DS, [3, 3])
    with pytest.raises(ValueError, match=r"sum to 1, got \[0.5, 0.4\]"):
        random_split(DS, [0.5, 0.4])
    with pytest.raises(ValueError, match=r"lengths\[1\] must be non-negative, got -1"):
        random_split(DS, [11, -1])
    with pytest.raises(ValueError, match=r"lengths\[0\] must be a fraction"):
        random_split(DS, [-0.5, 1.5])
    with pytest.raises(TypeError, match="all ints or all floats"):
        random_split(DS, [5, 0.5])
    with pytest.raises(TypeError, match="non-empty sequence"):
        random_split(DS, [])
    with pytest.raises(TypeError, match="seed must be an int"):
        random_split(DS, [5, 5], seed=1.5)
    with pytest.raises(ValueError, match="not both"):
        random_split(DS, [5, 5], seed=1, generator=lucid.random.Generator(1))
