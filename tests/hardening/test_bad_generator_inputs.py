"""lucid.random.Generator given bad and odd arguments and states.

A bad seed, stream or state is a ValueError or TypeError whose message names it and its
value, and leaves the generator as it was; a negative seed is its 64 bits, as
``lucid.random.seed`` and PyTorch take it. A state restored from an old state, or from
another generator, replays exactly the draws that came after it.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import _C, Tensor
from lucid.random import Generator


def keep_bits(generator, n=256, p=0.5):
    return np.frombuffer(_C.dropout_mask(n, p, generator).to_storage("bool"), np.bool_)


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((-(2**63) - 1,), ValueError, "seed must be in [-2**63, 2**64), got -9223372036854775809"),
        ((2**64,), ValueError, "seed must be in [-2**63, 2**64), got 18446744073709551616"),
        ((1.0,), TypeError, "seed must be an int, got float 1.0"),
        (("1",), TypeError, "seed must be an int, got str '1'"),
        ((None,), TypeError, "seed must be an int, got NoneType None"),
        ((True,), TypeError, "seed must be an int, got bool True"),
        ((0, -1), ValueError, "stream must be in [0, 2**64), got -1"),
        ((0, 2**64), ValueError, "stream must be in [0, 2**64), got 18446744073709551616"),
        ((0, 1.5), TypeError, "stream must be an int, got float 1.5"),
        ((0, "2"), TypeError, "stream must be an int, got str '2'"),
    ],
)
def test_bad_seeds_and_streams_name_the_argument_and_value(args, error, message):
    with pytest.raises(error, match=re.escape(message)):
        Generator(*args)
    if len(args) == 1:
        with pytest.raises(error, match=re.escape(message)):
            Generator(3).manual_seed(*args)


def test_negative_and_numpy_seeds_are_their_64_bits():
    """-1 is 2**64 - 1, as lucid.random.seed(-1) and PyTorch's manual_seed take it."""
    for seed, stream in [(-1, 0), (np.int64(-1), np.uint64(0)), (2**64 - 1, np.int32(0))]:
        g = Generator(seed, stream)
        assert g.get_state() == (2**64 - 1, 0, 0)
        np.testing.assert_array_equal(keep_bits(g), keep_bits(Generator(2**64 - 1)))
    g = Generator(5, stream=3)
    g.manual_seed(-2)
    assert g.get_state() == (2**64 - 2, 3, 0)


def test_other_seeds_and_streams_draw_other_masks():
    first = keep_bits(Generator(11))
    for other in [Generator(12), Generator(11, stream=1), Generator(11, stream=2**64 - 1)]:
        assert not np.array_equal(keep_bits(other), first)
    np.testing.assert_array_equal(keep_bits(Generator(11, stream=0)), first)


def test_a_restored_state_replays_the_draws_after_it():
    """Restoring an old state, or another generator's, replays exactly what came after it;
    an offset inside a block starts at that word."""
    g, x = Generator(21, stream=4), Tensor(np.linspace(-2, 2, 300))
    F.alpha_dropout(x, 0.3, generator=g)
    old = g.get_state()
    after = [F.alpha_dropout(x, 0.3, generator=g).data for _ in range(2)]
    g.set_state(old)
    np.testing.assert_array_equal(F.alpha_dropout(x, 0.3, generator=g).data, after[0])
    other = Generator(0)
    other.set_state(old)
    np.testing.assert_array_equal(F.alpha_dropout(x, 0.3, generator=other).data, after[0])
    np.testing.assert_array_equal(F.alpha_dropout(x, 0.3, generator=other).data, after[1])
    words = lucid.random.rand(40, dtype=np.float32, generator=Generator(8)).data
    g.set_state([8, 0, 5])  # any sequence of three ints (float32: one word per value)
    np.testing.assert_array_equal(
        lucid.random.rand(35, dtype=np.float32, generator=g).data, words[5:]
    )


@pytest.mark.parametrize(
    ("state", "message"),
    [
        ((1, 2), "state must have 3 entries (seed, stream, offset), got 2: (1, 2)"),
        ((1, 2, 3, 4), "state must have 3 entries (seed, stream, offset), got 4: (1, 2, 3, 4)"),
        ((), "state must have 3 entries (seed, stream, offset), got 0: ()"),
        ((1, 2, -3), "tuple of non-negative integers, got (1, 2, -3)"),
        ((2**64, 0, 0), "tuple of non-negative integers, got (18446744073709551616, 0, 0)"),
        ((1.0, 0, 0), "tuple of non-negative integers, got (1.0, 0, 0)"),
        (("1", 0, 0), "tuple of non-negative integers, got ('1', 0, 0)"),
        ("abc", "tuple of non-negative integers, got 'abc'"),
        (b"abc", "tuple of non-negative integers, got b'abc'"),
        (bytearray(b"xyz"), "tuple of non-negative integers, got bytearray(b'xyz')"),
        (None, "tuple of non-negative integers, got None"),
        (7, "tuple of non-negative integers, got 7"),
    ],
)
def test_malformed_states_are_value_errors_and_change_nothing(state, message):
    g = Generator(3, stream=1)
    lucid.random.rand(5, generator=g)
    before = g.get_state()
    with pytest.raises(ValueError, match=re.escape(message)):
        g.set_state(state)
    assert g.get_state() == before


def test_an_exhausted_offset_is_a_value_error_that_keeps_the_state():
    g = Generator(1)
    g.set_state((1, 0, 2**64 - 16))
    x = Tensor(np.ones(40, np.float32))
    for call in [lambda: F.dropout(x, 0.5, generator=g), lambda: lucid.random.rand(1, generator=g)]:
        with pytest.raises(ValueError, match="generator offset must be .*got 18446744073709551600"):
            call()
        assert g.get_state() == (1, 0, 2**64 - 16)
