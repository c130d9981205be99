"""Finite-difference gradient checks of the activations, Linear and the dropout layers.

Activations and nn.functional.linear go through tests/helpers.py's check_op (values
against numpy references written here, gradients against float64 central differences,
the float32 path against float64), as functions and as modules. nn.Linear, the
dropout layers in training mode and a small SELU network are checked in float64 by
fd_check: a dropout's mask is fixed by its generator's state, so each nudged forward
starts again from that state and draws the same mask.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np
import pytest
from _property_strategies import (
    FAMILY,
    examples,
    fd_check,
    generator_at,
    inner_probabilities,
    keep_oracle,
    off_lattice,
    reals,
    shapes_for,
    states,
)
from helpers import check_op
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes

import lucid.nn.functional as F
from lucid import Tensor, nn
from lucid.nn import Parameter

seeds = st.integers(0, 2**32 - 1)
shapes = array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])


def ref_elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def ref_gelu_tanh(x):
    return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))


def ref_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def ref_log_softmax(x, axis):
    z = x - x.max(axis=axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))


ACTIVATIONS = (
    "relu leaky_relu elu selu gelu gelu_default gelu_tanh tanh sigmoid softmax log_softmax".split()
)


@st.composite
def activations(draw, name, ndim):
    """(function form, module, numpy reference, kinked at 0) of the activation ``name``."""
    if name == "leaky_relu":
        s = draw(st.sampled_from([0.01, 0.2, -0.5, 2.0]), label="negative_slope")
        ref = lambda x: np.where(x > 0, x, s * x)  # noqa: E731
        return partial(F.leaky_relu, negative_slope=s), nn.LeakyReLU(s), ref, True
    if name == "elu":
        a = draw(st.sampled_from([1.0, 0.5, 2.0]), label="alpha")
        return partial(F.elu, alpha=a), nn.ELU(a), partial(ref_elu, alpha=a), True
    if name in ("softmax", "log_softmax"):
        axis = draw(st.integers(-ndim, ndim - 1), label="axis")
        fn, module = getattr(F, name), getattr(nn, "Softmax" if name == "softmax" else "LogSoftmax")
        ref = ref_softmax if name == "softmax" else ref_log_softmax
        form = lambda t: fn(t, dim=axis)  # noqa: E731
        form.axis = axis
        return form, module(axis), lambda x: ref(x, axis), False
    table = {
        "relu": (F.relu, nn.ReLU(), lambda x: np.maximum(x, 0), True),
        "selu": (F.selu, nn.SELU(), lambda x: SELU_SCALE * ref_elu(x, SELU_ALPHA), True),
        "gelu": (
            partial(F.gelu, approximate="none"),
            nn.GELU("none"),
            lambda x: 0.5 * x * (1 + _erf(x / math.sqrt(2))),
            False,
        ),
        "gelu_default": (F.gelu, nn.GELU(), ref_gelu_tanh, False),  # lucid's: the tanh form
        "gelu_tanh": (partial(F.gelu, approximate="tanh"), nn.GELU("tanh"), ref_gelu_tanh, False),
        "tanh": (F.tanh, nn.Tanh(), np.tanh, False),
        "sigmoid": (F.sigmoid, nn.Sigmoid(), lambda x: 1 / (1 + np.exp(-x)), False),
    }
    return table[name]


@pytest.mark.parametrize("name", ACTIVATIONS)
@examples(10)
@given(data=st.data(), seed=seeds)
def test_activations_as_functions_and_modules(name, data, seed):
    shape = data.draw(shapes, label="shape")
    fn, module, ref, kinked = data.draw(activations(name, len(shape)), label="activation")
    x = data.draw(off_lattice(shape) if kinked else reals(shape, -3.0, 3.0), label="x")
    if name == "relu":
        assume(np.any(x > 0))
    if name in ("softmax", "log_softmax"):
        assume(shape[fn.axis] > 1)  # over one element the output is constant
    check_op(fn, x, ref=ref, seed=seed)
    check_op(module, x, ref=ref, seed=seed)


@examples(30)
@given(data=st.data(), seed=seeds, bias=st.booleans())
def test_linear_function(data, seed, bias):
    lead = data.draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), label="lead")
    n_in, n_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    x = data.draw(off_lattice((*lead, n_in)))
    w = data.draw(off_lattice((n_out, n_in)))
    if bias:
        b = data.draw(reals((n_out,)))
        check_op(F.linear, x, w, b, ref=lambda x_, w_, b_: x_ @ w_.T + b_, seed=seed)
    else:
        check_op(F.linear, x, w, ref=lambda x_, w_: x_ @ w_.T, seed=seed)


def float64_linear(n_in, n_out, w, b):
    """nn.Linear with float64 parameters set to w and b (None: no bias)."""
    layer = nn.Linear(n_in, n_out, bias=b is not None)
    layer.weight = Parameter(w)
    if b is not None:
        layer.bias = Parameter(b)
    return layer


@examples(25)
@given(data=st.data(), seed=seeds, bias=st.booleans())
def test_linear_module(data, seed, bias):
    lead = data.draw(array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3), label="lead")
    n_in, n_out = data.draw(st.integers(1, 4)), data.draw(st.integers(1, 4))
    x = Tensor(data.draw(off_lattice((*lead, n_in))), requires_grad=True)
    w = data.draw(off_lattice((n_out, n_in)))
    b = data.draw(reals((n_out,))) if bias else None
    layer = float64_linear(n_in, n_out, w, b)
    fd_check(lambda: layer(x), [x, *layer.parameters()], seed)


@pytest.mark.parametrize("member", FAMILY, ids=lambda m: m.name)
@examples(8)
@given(data=st.data(), seed=seeds)
def test_dropout_layers_in_training_mode(member, data, seed):
    shape = data.draw(shapes_for(member, max_side=3).filter(lambda s: 0 < math.prod(s) <= 40))
    p = data.draw(inner_probabilities, label="p")
    state = data.draw(states, label="state")
    assume(keep_oracle(state, p, member.noise(shape)).any())  # something is kept
    x = Tensor(data.draw(reals(shape)), requires_grad=True)
    gen = generator_at(state)
    if data.draw(st.booleans(), label="module"):
        layer = member.module(p, generator=gen)
    else:
        layer = lambda t: member.fn(t, p, generator=gen)  # noqa: E731

    def forward():
        gen.set_state(state)  # the same mask every time
        return layer(x)

    fd_check(forward, [x], seed)


@examples(15)
@given(data=st.data(), seed=seeds)
def test_a_self_normalising_network_end_to_end(data, seed):
    """Linear → SELU → AlphaDropout → Linear → cross entropy, every parameter at once."""
    n, n_in, hidden, classes = 3, 4, 5, 3
    # Distinct values (equal rows of weights would make the loss constant in some
    # inputs), small enough that the softmax does not saturate.
    w1 = data.draw(off_lattice((hidden, n_in), unique=True)) / 8
    w2 = data.draw(off_lattice((classes, hidden), unique=True)) / 8
    b1, b2 = data.draw(reals((hidden,))), data.draw(reals((classes,)))
    x_np = data.draw(off_lattice((n, n_in), unique=True)) / 4
    assume(np.all(np.abs(x_np @ w1.T + b1) > 1e-3))  # SELU's kink at 0
    # Moderate p: near 1, A is large and the softmax saturates.
    p, state = data.draw(st.floats(0.05, 0.5), label="p"), data.draw(states, label="state")
    assume(keep_oracle(state, p, (n, hidden)).any())
    gen = generator_at(state)
    model = nn.Sequential(
        float64_linear(n_in, hidden, w1, b1),
        nn.SELU(),
        nn.AlphaDropout(p, generator=gen),
        float64_linear(hidden, classes, w2, b2),
    )
    x = Tensor(x_np, requires_grad=True)
    t = Tensor(np.arange(n) % classes, dtype="int64")

    def forward():
        gen.set_state(state)
        return F.cross_entropy(model(x), t)

    fd_check(forward, [x, *model.parameters()], seed)
