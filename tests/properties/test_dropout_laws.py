"""The dropout family's laws, for random shapes, dtypes, p, generator states and layouts.

Given the mask a generator state draws, every output is exact: kept A·x + B (one
multiply then one add in the tensor's dtype), dropped the dropped value, the gradient
A·m·dy, whichever member, API (function or module), memory layout or gradient seed.
The mask is read back from the public API (standard dropout of ones from the same
state), the generator's offset moves by exactly the words the README reserves, and
p = 0 or eval mode returns the input itself without drawing.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from _property_strategies import (
    FAMILY,
    assert_bits_equal,
    dtypes,
    examples,
    generator_at,
    keep_oracle,
    law_gradient,
    law_output,
    layouts,
    offset_after,
    probabilities,
    shapes_for,
    states,
    values,
)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import lucid
import lucid.nn.functional as F
from lucid import Tensor


def call(member, api, x, p, gen, *, training=True, inplace=False):
    """(output, module or None) of one call through the functional or the module API."""
    if api == "functional":
        return member.fn(x, p, training, inplace, generator=gen), None
    module = member.module(p, inplace=inplace, generator=gen)
    module.train(training)
    return module(x), module


def seed_gradient(y, dy, how):
    """Run backward from y with upstream gradient dy, seeded one of three ways."""
    if how == "grad":
        y.grad = dy.copy()
        y.backward()
    elif how == "ones":
        y.backward()  # ones without memory: the kernels' fast path
    else:
        (y * Tensor(dy)).sum().backward()


@pytest.mark.parametrize("member", FAMILY, ids=lambda m: m.name)
@examples(50)
@given(data=st.data())
def test_forward_and_backward_follow_the_law(member, data):
    shape = data.draw(shapes_for(member), label="shape")
    dtype = data.draw(dtypes, label="dtype")
    p = data.draw(probabilities, label="p")
    state = data.draw(states, label="state")
    x_np = data.draw(values(shape, dtype), label="x")
    layout = data.draw(layouts(shape), label="layout")
    api = data.draw(st.sampled_from(["functional", "module"]), label="api")
    # The input is a lucid view (slice, transpose) of a leaf, or a leaf built from a
    # numpy view; either way the gradient must reach the leaf.
    through_lucid = data.draw(st.booleans(), label="through_lucid")
    how = data.draw(st.sampled_from(["grad", "ones", "weighted sum"]), label="seed")

    make = data.draw(st.sampled_from([Tensor, lucid.tensor]), label="constructor")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1), label="rng"))
    base = layout.build(x_np, rng)
    if through_lucid:
        leaf = make(base, requires_grad=True)
        x = layout.view(leaf)
    else:
        leaf = x = make(layout.view(base), requires_grad=True)
    assert_bits_equal(np.asarray(x.data), x_np, "input")

    gen = generator_at(state)
    with np.errstate(over="ignore"):  # huge x times A: inf, as in the kernels
        y, module = call(member, api, x, p, gen)
    noise = member.noise(shape)
    keep = keep_oracle(state, p, noise)
    assert gen.get_state() == (state[0], state[1], offset_after(state[2], math.prod(noise), p))
    if p == 0.0:
        assert y is x
    else:
        assert_bits_equal(y.data, law_output(x_np, keep, member.kind, p), "output")
    if module is not None and p > 0.0:
        mask = module.mask
        assert mask.shape == noise and mask.dtype == dtype
        np.testing.assert_array_equal(mask.data, keep.astype(dtype))

    # Upstream gradients with the same special values: inf·0 and NaN·0 are NaN.
    dy = np.ones(shape, dtype) if how == "ones" else data.draw(values(shape, dtype), label="dy")
    with np.errstate(over="ignore", invalid="ignore"):
        seed_gradient(y, dy, how)
    expected = dy if p == 0.0 else law_gradient(dy, keep, member.kind, p)
    if through_lucid:
        full = np.zeros(base.shape, dtype)
        layout.place(full, expected)
        expected = full
    assert leaf.grad is not None
    assert_bits_equal(leaf.grad, expected, "gradient")


@st.composite
def noise_shapes(draw, shape):
    """(noise_shape as passed, the shape it resolves to): each entry the input's size,
    1 or None, with a random number of leading entries left out (they count as 1)."""
    entries = [draw(st.sampled_from(["size", "one", "none"])) for _ in shape]
    pairs = list(zip(shape, entries, strict=True))
    given_ = [n if e == "size" else 1 if e == "one" else None for n, e in pairs]
    resolved = [1 if e == "one" else n for n, e in pairs]
    cut = draw(st.integers(0, len(shape)))
    return tuple(given_[cut:]), tuple([1] * cut + resolved[cut:])


@examples(150)
@given(data=st.data())
def test_alpha_dropout_with_a_noise_shape_follows_the_law(data):
    shape = data.draw(array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=5))
    noise_shape, noise = data.draw(noise_shapes(shape), label="noise_shape")
    dtype = data.draw(dtypes)
    p = data.draw(probabilities, label="p")
    state = data.draw(states, label="state")
    x_np = data.draw(values(shape, dtype), label="x")
    dy = np.random.default_rng(data.draw(st.integers(0, 99))).standard_normal(shape)
    dy = dy.astype(dtype)

    x = Tensor(x_np, requires_grad=True)
    gen = generator_at(state)
    with np.errstate(over="ignore"):
        y = F.alpha_dropout(x, p, generator=gen, noise_shape=noise_shape)
    keep = keep_oracle(state, p, noise)
    assert gen.get_state()[2] == offset_after(state[2], math.prod(noise), p)
    if p == 0.0:
        assert y is x
        return
    assert_bits_equal(y.data, law_output(x_np, keep, "alpha", p), "output")
    y.grad = dy.copy()
    y.backward()
    np.testing.assert_array_equal(x.grad, law_gradient(dy, keep, "alpha", p))


@pytest.mark.parametrize("member", FAMILY, ids=lambda m: m.name)
@examples(10)
@given(data=st.data())
def test_inplace_writes_the_law_into_the_input(member, data):
    shape = data.draw(shapes_for(member))
    dtype = data.draw(dtypes)
    p = data.draw(probabilities, label="p")
    state = data.draw(states, label="state")
    x_np = data.draw(values(shape, dtype), label="x")
    api = data.draw(st.sampled_from(["functional", "module"]))

    x = Tensor(x_np)
    with np.errstate(over="ignore"):
        y, _ = call(member, api, x, p, generator_at(state), inplace=True)
    assert y is x
    keep = keep_oracle(state, p, member.noise(shape))
    expected = x_np if p == 0.0 else law_output(x_np, keep, member.kind, p)
    assert_bits_equal(x.data, expected, "input after in-place dropout")


@pytest.mark.parametrize("member", FAMILY, ids=lambda m: m.name)
@examples(10)
@given(data=st.data())
def test_eval_mode_returns_the_input_and_draws_nothing(member, data):
    shape = data.draw(shapes_for(member))
    dtype = data.draw(dtypes)
    p = data.draw(probabilities, label="p")
    state = data.draw(states, label="state")
    api = data.draw(st.sampled_from(["functional", "module"]))
    x = Tensor(data.draw(values(shape, dtype)), requires_grad=True)

    gen = generator_at(state)
    y, module = call(member, api, x, p, gen, training=False)
    assert y is x
    assert gen.get_state() == state
    if module is not None:
        assert module.mask is None  # an eval forward leaves the mask as it was


@pytest.mark.parametrize("member", FAMILY, ids=lambda m: m.name)
@examples(10)
@given(data=st.data())
def test_module_mask_has_the_noise_shape_for_every_p(member, data):
    """``mask`` has the mask's shape, (N, C, 1, ...) for the channel layers, for every p
    (0, where nothing is drawn, included) and the input's dtype."""
    shape = data.draw(shapes_for(member))
    dtype = data.draw(dtypes)
    x = Tensor(np.zeros(shape, dtype))
    for p in (0.0, data.draw(probabilities, label="p"), 1.0):
        module = member.module(p, generator=generator_at((0, 0, 0)))
        module(x)
        mask = module.mask
        assert mask.shape == member.noise(shape), (member.name, shape, p, mask.shape)
        assert mask.dtype == dtype
        assert set(np.unique(mask.data)) <= {0, 1}
