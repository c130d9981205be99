"""lucid 3's (and PyTorch's) top-level spellings, accepted beside lucid 2.x's: the same
objects or the same draws, never a second implementation."""

import numpy as np
import pytest

import lucid


def test_randn_rand_randint_are_lucid_random_s_and_manual_seed_is_seed():
    assert lucid.randn is lucid.random.randn and lucid.rand is lucid.random.rand
    assert lucid.randint is lucid.random.randint and lucid.manual_seed is lucid.random.seed
    lucid.manual_seed(11)
    first = lucid.randn(3, 2).data.copy()
    lucid.random.seed(11)
    np.testing.assert_array_equal(lucid.random.randn(3, 2).data, first)
    assert (
        lucid.randn(2).dtype == np.float64
        and lucid.rand(2, dtype=lucid.float32).dtype == np.float32
    )
    with pytest.raises(TypeError):
        lucid.manual_seed("7")


def test_cat_is_concatenate():
    a, b = lucid.ones(2, 3), lucid.zeros(1, 3)
    assert lucid.cat is lucid.concatenate
    np.testing.assert_array_equal(lucid.cat([a, b], axis=0).data, np.vstack([a.data, b.data]))
