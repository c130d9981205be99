"""Determinism of the dropout family: a generator state fixes every bit.

The same (seed, stream, offset) gives bit-identical outputs, gradients and end states,
through the function or the module, from an explicit generator or the default one;
another stream or seed gives another mask. Every kernel path (the fused element pass,
the mask sampler, the channel rows, numpy's broadcast) draws the same mask from one
state, and the chunk size the work is cut into changes no bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _property_strategies import (
    FAMILY,
    assert_bits_equal,
    coefficients,
    dtypes,
    examples,
    generator_at,
    inner_probabilities,
    keep_oracle,
    law_output,
    offset_after,
    shapes_for,
    states,
    values,
)
from hypothesis import given
from hypothesis import strategies as st

import lucid
import lucid.nn.functional as F
from lucid import _C, Tensor

#: Mask sizes around the edges of 64-bit mask words, 4,096-element spans and the
#: 65,536-element one-chunk limit, and anything up to 300,000.
sizes = st.one_of(
    st.sampled_from([1, 63, 64, 65, 4095, 4096, 4097, 65535, 65536, 65537, 131073, 262145]),
    st.integers(0, 300_000),
)


def run_once(member, api, x_np, p, gen, dy):
    """(output, input gradient) of one forward and backward from ``gen``."""
    x = Tensor(x_np, requires_grad=True)
    if api == "functional":
        y = member.fn(x, p, generator=gen)
    else:
        y = member.module(p, generator=gen)(x)
    y.grad = dy.copy()
    y.backward()
    return y.data.copy(), x.grad.copy()


@pytest.mark.parametrize("member", FAMILY, ids=lambda m: m.name)
@examples(15)
@given(data=st.data())
def test_the_same_state_gives_the_same_bits(member, data):
    shape = data.draw(shapes_for(member, max_side=8), label="shape")
    dtype = data.draw(dtypes)
    p = data.draw(inner_probabilities, label="p")
    state = data.draw(states, label="state")
    x_np = data.draw(values(shape, dtype), label="x")
    dy = np.random.default_rng(data.draw(st.integers(0, 99))).standard_normal(shape)
    dy = dy.astype(dtype)

    runs, ends = [], []
    for api in ["functional", "module", "functional"]:
        gen = generator_at(state)
        runs.append(run_once(member, api, x_np, p, gen, dy))
        ends.append(gen.get_state())
    for y, grad in runs[1:]:
        assert_bits_equal(y, runs[0][0], "output")
        assert_bits_equal(grad, runs[0][1], "gradient")
    assert ends[0] == ends[1] == ends[2]

    saved = lucid.random.get_state()
    try:
        lucid.random.seed(state[0])  # the default generator: stream 0, offset 0
        y_default, _ = run_once(member, "functional", x_np, p, None, dy)
        n = math.prod(member.noise(shape))
        assert lucid.random.get_state() == (state[0], 0, offset_after(0, n, p))
    finally:
        lucid.random.set_state(saved)
    y_explicit, _ = run_once(member, "functional", x_np, p, generator_at((state[0], 0, 0)), dy)
    assert_bits_equal(y_default, y_explicit, "output from the default generator")


@examples(40)
@given(
    n=st.integers(256, 5000),
    p=st.floats(0.2, 0.8),
    state=states,
    change=st.sampled_from(["stream", "seed", "offset"]),
)
def test_another_stream_seed_or_offset_gives_another_mask(n, p, state, change):
    """With at least 256 decisions at p in [0.2, 0.8], two equal masks have a
    probability below 0.8**256 ≈ 1e-25: a repeat means the draws are not independent."""
    seed, stream, offset = state
    if change == "stream":
        other = (seed, (stream + 1) % 2**64, offset)
    elif change == "seed":
        other = ((seed + 1) % 2**64, stream, offset)
    else:  # the next call on the same generator
        gen = generator_at(state)
        F.dropout(Tensor(np.ones(n)), p, generator=gen)
        other = gen.get_state()
    assert not np.array_equal(keep_oracle(state, p, (n,)), keep_oracle(other, p, (n,)))


@examples(60)
@given(n=sizes, p=inner_probabilities, state=states, kind=st.sampled_from(["alpha", "standard"]))
def test_every_kernel_path_draws_the_same_mask(n, p, state, kind):
    keep = keep_oracle(state, p, (n,))  # the fused pass of standard dropout
    dropped = coefficients("alpha", p)[2]
    ones = np.ones(n)

    alpha = F.alpha_dropout(Tensor(ones), p, generator=generator_at(state)).data  # A + B kept
    np.testing.assert_array_equal(alpha != dropped, keep)

    # One channel per decision: the row kernels of (C, L) inputs, standard and alpha.
    rows = F.dropout1d(Tensor(np.ones((n, 3))), p, generator=generator_at(state)).data
    np.testing.assert_array_equal(rows != 0, np.repeat(keep[:, None], 3, axis=1))
    rows = F.feature_alpha_dropout(Tensor(np.ones((1, n, 2))), p, generator=generator_at(state))
    np.testing.assert_array_equal(rows.data[0, :, 1] != dropped, keep)

    # noise_shape (1, n) over (2, n) takes numpy's broadcast path.
    wide = F.alpha_dropout(
        Tensor(np.ones((2, n))), p, generator=generator_at(state), noise_shape=(1, n)
    ).data
    np.testing.assert_array_equal(wide != dropped, np.stack([keep, keep]))

    mask = _C.dropout_mask(n, p, generator_at(state), kind)
    assert len(mask) == n and mask.count_ones() == int(keep.sum())
    np.testing.assert_array_equal(np.asarray(mask.to_storage("bool")), keep)


@examples(30)
@given(
    n=sizes.filter(lambda n: n > 0),
    dtype=dtypes,
    p=inner_probabilities,
    state=states,
    kind=st.sampled_from(["alpha", "standard"]),
    chunk=st.integers(1, 40).map(lambda k: 4096 * k),
    seed=st.integers(0, 2**32 - 1),
)
def test_the_chunk_size_changes_no_bit(n, dtype, p, state, kind, chunk, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n).astype(dtype)
    dy = rng.standard_normal(n).astype(dtype)

    y0, m0 = _C.dropout_forward(x, p, generator_at(state), kind)
    y1, m1 = _C.dropout_forward(x, p, generator_at(state), kind, chunk=chunk)
    assert_bits_equal(np.asarray(y1), np.asarray(y0), "output")
    bits = np.asarray(m0.to_storage("bool"))
    assert_bits_equal(np.asarray(y0), law_output(x, bits, kind, p), "output against the law")
    np.testing.assert_array_equal(np.asarray(m1.to_storage("bool")), bits)
    sampled = _C.dropout_mask(n, p, generator_at(state), kind, chunk=chunk)
    np.testing.assert_array_equal(np.asarray(sampled.to_storage("bool")), bits)

    dx0 = np.asarray(_C.dropout_backward(dy, m0))
    assert_bits_equal(np.asarray(_C.dropout_backward(dy, m0, chunk=chunk)), dx0, "gradient")
    np.testing.assert_array_equal(dx0, dy * np.where(bits, dtype.type(m0.a), dtype.type(0)))

    # The row kernels: one bit per row of 2 elements.
    rows = np.repeat(x, 2)
    r0 = np.asarray(_C.dropout_rows_forward(rows, m0, 2))
    r1 = np.asarray(_C.dropout_rows_forward(rows, m0, 2, chunk=chunk))
    assert_bits_equal(r1, r0, "row output")
    assert_bits_equal(r0[::2], np.asarray(y0), "row output against the element output")
    g0 = np.asarray(_C.dropout_rows_backward(np.repeat(dy, 2), m0, 2))
    g1 = np.asarray(_C.dropout_rows_backward(np.repeat(dy, 2), m0, 2, chunk=chunk))
    assert_bits_equal(g1, g0, "row gradient")
    assert_bits_equal(g0[1::2], dx0, "row gradient against the element gradient")
