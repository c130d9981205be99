"""lucid.random: reproducibility, generator state, and the samplers' laws."""

import math

import numpy as np
import pytest

import lucid
from lucid import _storage


def test_seed_reproduces_every_sampler():
    def draw():
        return (
            lucid.random.rand(100).data.copy(),
            lucid.random.randn(3, 5).data.copy(),
            lucid.random.bernoulli(np.full(50, 0.5)).data.copy(),
        )

    lucid.random.seed(2024)
    first = draw()
    lucid.random.seed(2024)
    again = draw()
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first[0], lucid.random.rand(100).data)


def test_results_are_tensors_in_rust_storage():
    t = lucid.random.randn(4, 3, dtype=np.float64, requires_grad=True)
    assert isinstance(t, lucid.Tensor) and t.shape == (4, 3) and t.dtype == np.float64
    assert t.requires_grad and _storage.is_storage_view(t.data)
    assert lucid.random.rand((2, 2)).shape == (2, 2)


def test_uniform_and_normal_moments():
    n = 1_000_000
    lucid.random.seed(1)
    u = lucid.random.rand(n, dtype=np.float64).data
    assert u.min() >= 0 and u.max() < 1
    assert abs(u.mean() - 0.5) < 5 * math.sqrt(1 / 12 / n)
    z = lucid.random.randn(n, dtype=np.float64).data
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs((z**2).mean() - 1) < 5 * math.sqrt(2 / n)
    lo = lucid.random.uniform(-2.0, 3.0, (n,)).data
    assert lo.min() >= -2 and lo.max() < 3
    assert abs(lo.mean() - 0.5) < 5 * 5 / math.sqrt(12 * n)


def test_bernoulli_rate_dtype_and_errors():
    n = 200_000
    probs = np.full(n, 0.3, np.float32)
    b = lucid.random.bernoulli(probs)  # int64, as lucid 2.x
    assert b.dtype == np.int64 and set(np.unique(b.data)) <= {0, 1}
    assert abs(b.data.sum() - 0.3 * n) < 5 * math.sqrt(n * 0.3 * 0.7)
    np.testing.assert_array_equal(lucid.random.bernoulli(np.array([0.0, 1.0])).data, [0, 1])
    same = lucid.random.Generator(4)
    f = lucid.random.bernoulli(probs, dtype=np.float32, generator=same)
    again = lucid.random.bernoulli(probs, generator=lucid.random.Generator(4))
    assert f.dtype == np.float32 and np.array_equal(f.data, again.data)  # the same draws
    assert lucid.random.bernoulli(probs[:2], True, dtype=np.float64).requires_grad
    with pytest.raises(TypeError, match="requires_grad needs a float dtype"):
        lucid.random.bernoulli(probs[:2], requires_grad=True)
    with pytest.raises(ValueError, match="probs must be in"):
        lucid.random.bernoulli(np.array([0.5, 1.5]))


def test_generator_state_round_trip_and_streams():
    g = lucid.random.Generator(10, stream=2)
    assert (g.seed, g.stream, g.offset) == (10, 2, 0)
    state = g.get_state()
    first = lucid.random.rand(40, dtype=np.float32, generator=g).data.copy()
    assert g.offset == 48  # 40 words, rounded up to whole 16-word ChaCha blocks
    g.set_state(state)
    np.testing.assert_array_equal(lucid.random.rand(40, dtype=np.float32, generator=g).data, first)
    other = lucid.random.rand(40, dtype=np.float32, generator=lucid.random.Generator(10, 3)).data
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("state", [(1, 2), (1, 2, 3, 4), "abc", (1, -2, 3)])
def test_bad_states_are_value_errors_naming_state(state):
    with pytest.raises(ValueError, match="state must"):
        lucid.random.Generator(0).set_state(state)


def test_seed_validation_and_wrapping():
    lucid.random.seed(-1)
    assert lucid.random.initial_seed() == 2**64 - 1
    with pytest.raises(TypeError, match="seed must be an int"):
        lucid.random.seed("1")
    with pytest.raises(ValueError, match="seed must be in"):
        lucid.random.seed(2**64)
    with pytest.raises(ValueError, match="shape"):
        lucid.random.rand(-1)
    with pytest.raises(TypeError, match="dtype"):
        lucid.random.rand(3, dtype=np.int64)
