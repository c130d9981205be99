"""Finite-difference gradient checks of the tensor math, on random shapes and values.

Every differentiable op of lucid's tensor math goes through tests/helpers.py's
check_op: values against numpy, gradients of sum(w·op) against float64 central
differences, and the float32 path against float64. Values keep clear of kinks (0 for
abs, clip bounds, ties for max/min and maximum/minimum) by at least 0.05, far more than
the 1e-6 step.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
from _property_strategies import examples, off_lattice, reals
from helpers import check_op
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import (
    array_shapes,
    arrays,
    basic_indices,
    integer_array_indices,
    mutually_broadcastable_shapes,
)

import lucid
from lucid import Tensor

seeds = st.integers(0, 2**32 - 1)
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)
two_shapes = mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "abs", "neg", "pow", "astype"])
@examples(8)
@given(data=st.data(), seed=seeds)
def test_element_wise_math(name, data, seed):
    shape = data.draw(shapes, label="shape")
    if name == "exp":
        ops = [(lucid.exp, np.exp), (lambda t: t.exp(), np.exp)]
        x = data.draw(reals(shape))
    elif name in ("log", "sqrt"):
        ref = getattr(np, name)
        ops = [(getattr(lucid, name), ref), (lambda t: getattr(t, name)(), ref)]
        x = data.draw(reals(shape, 0.2, 3.0))
    elif name == "abs":
        ops = [(lucid.abs, np.abs), (abs, np.abs), (lambda t: t.abs(), np.abs)]
        x = data.draw(off_lattice(shape))
    elif name == "neg":
        ops = [(lambda t: -t, np.negative)]
        x = data.draw(reals(shape))
    elif name == "pow":
        k = data.draw(st.sampled_from([-1.5, -1, 0.5, 1, 2, 3, 2.5]), label="exponent")
        ops = [(lambda t: t**k, lambda a: a**k)]
        # Integer powers take any non-zero base (x**2 has a zero gradient at 0).
        x = data.draw(off_lattice(shape) if k in (1, 2, 3) else reals(shape, 0.2, 2.0))
    else:  # a round trip through the other float dtype passes the gradient through
        ops = [(lambda t: t.astype(np.float32).astype(t.dtype) * 2, lambda a: a * 2)]
        x = data.draw(reals(shape))
    for fn, ref in ops:
        check_op(fn, x, ref=ref, seed=seed)
    if name == "astype":  # float32 to float64: the gradient is cast back to float32
        t = Tensor(x.astype(np.float32), requires_grad=True)
        w = np.random.default_rng(seed).standard_normal(shape)
        (t.astype(np.float64) * Tensor(w)).sum().backward()
        assert t.grad.dtype == np.float32
        np.testing.assert_array_equal(t.grad, w.astype(np.float32))


@examples(30)
@given(data=st.data(), seed=seeds)
def test_clip_away_from_its_bounds(data, seed):
    x = data.draw(off_lattice(data.draw(shapes)))
    lo, hi = sorted(data.draw(st.lists(st.integers(-8, 8), min_size=2, max_size=2)))
    lo_, hi_ = data.draw(st.sampled_from([(lo / 4, hi / 4), (None, hi / 4), (lo / 4, None)]))
    assume(np.any((lo_ is None or x > lo_) & (hi_ is None or x < hi_)))  # some x inside
    check_op(lambda t: lucid.clip(t, lo_, hi_), x, ref=lambda a: np.clip(a, lo_, hi_), seed=seed)
    check_op(lambda t: t.clip(lo_, hi_), x, ref=lambda a: np.clip(a, lo_, hi_), seed=seed)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "@scalar"])
@examples(10)
@given(data=st.data(), seed=seeds)
def test_broadcast_arithmetic(op, data, seed):
    (sa, sb), _ = data.draw(two_shapes, label="shapes")
    # Products need non-zero factors, or a gradient would be all zero.
    a = data.draw(off_lattice(sa) if op in ("*", "/") else reals(sa))
    b = data.draw(reals(sb) if op in ("+", "-") else off_lattice(sb))
    fns = {
        "+": (lambda x, y: x + y, np.add),
        "-": (lambda x, y: x - y, np.subtract),
        "*": (lambda x, y: x * y, np.multiply),
        "/": (lambda x, y: x / y, np.divide),
    }
    if op != "@scalar":
        fn, ref = fns[op]
        check_op(fn, a, b, ref=ref, seed=seed)
        return
    # Python scalars on either side, and the reflected operators.
    c = data.draw(st.sampled_from([-1.5, 0.25, 3.0]), label="scalar")
    forms = [lambda x: x + c, lambda x: c + x, lambda x: x - c, lambda x: c - x]
    forms += [lambda x: x * c, lambda x: c * x, lambda x: x / c]
    for fn in forms:
        check_op(fn, a, seed=seed)
    check_op(lambda x: c / x, b, ref=lambda y: c / y, seed=seed)


def check_pairwise(name, a, b, seed):
    """maximum or minimum of a and b (never tied); an operand that is never picked has
    an all-zero gradient, so it is passed as a constant of the other's dtype."""
    fn, ref = getattr(lucid, name), getattr(np, name)
    picks_a = np.any(a > b) if name == "maximum" else np.any(a < b)
    picks_b = np.any(b > a) if name == "maximum" else np.any(b < a)
    if picks_a and picks_b:
        check_op(fn, a, b, ref=ref, seed=seed)
        check_op(lambda x, y: getattr(x, name)(y), a, b, ref=ref, seed=seed)
    elif picks_a:
        check_op(lambda x: fn(x, Tensor(b.astype(x.dtype))), a, ref=lambda x: ref(x, b), seed=seed)
    else:
        check_op(lambda y: fn(Tensor(a.astype(y.dtype)), y), b, ref=lambda y: ref(a, y), seed=seed)


@examples(30)
@given(data=st.data(), seed=seeds)
def test_maximum_and_minimum_away_from_ties(data, seed):
    (sa, sb), _ = data.draw(two_shapes, label="shapes")
    a = data.draw(off_lattice(sa, parity=0))
    b = data.draw(off_lattice(sb, parity=1))
    for name in ["maximum", "minimum"]:
        check_pairwise(name, a, b, seed)
    # A Python scalar on the lattice, just below a's largest (above its smallest) value.
    lo, hi = float(np.ceil(a.min() * 4) / 4), float(np.floor(a.max() * 4) / 4)
    check_op(lambda x: lucid.maximum(x, hi), a, ref=lambda x: np.maximum(x, hi), seed=seed)
    check_op(lambda x: lucid.minimum(lo, x), a, ref=lambda x: np.minimum(lo, x), seed=seed)


@st.composite
def axes(draw, ndim):
    """None, one axis (maybe negative) or a tuple of distinct axes of an ndim-D array."""
    if ndim == 0:
        return None
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none":
        return None
    if kind == "int":
        return draw(st.integers(-ndim, ndim - 1))
    return tuple(draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True)))


@examples(40)
@given(data=st.data(), seed=seeds)
def test_sum_and_mean_over_any_axes(data, seed):
    shape = data.draw(shapes)
    x = data.draw(reals(shape))
    axis = data.draw(axes(len(shape)), label="axis")
    keep = data.draw(st.booleans(), label="keepdims")
    for name in ["sum", "mean"]:
        ref = partial(getattr(np, name), axis=axis, keepdims=keep)
        check_op(lambda t, n=name: getattr(t, n)(axis, keep), x, ref=ref, seed=seed)
        function = partial(getattr(lucid, name), dim=axis, keepdim=keep)
        check_op(function, x, ref=ref, seed=seed)


@examples(40)
@given(data=st.data(), seed=seeds)
def test_max_and_min_over_any_axes_of_distinct_values(data, seed):
    shape = data.draw(shapes)
    x = data.draw(off_lattice(shape, unique=True))
    axis = data.draw(axes(len(shape)), label="axis")
    keep = data.draw(st.booleans(), label="keepdims")
    for name in ["max", "min"]:
        ref = partial(getattr(np, name), axis=axis, keepdims=keep)
        check_op(lambda t, n=name: getattr(t, n)(axis, keep), x, ref=ref, seed=seed)
        check_op(partial(getattr(lucid, name), axis=axis, keepdims=keep), x, ref=ref, seed=seed)


@st.composite
def matmul_shapes(draw):
    """Operand shapes np.matmul takes: 1-D on either side, and broadcast batches."""
    n, k, m = (draw(st.integers(1, 4)) for _ in range(3))
    batch = draw(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, max_side=3))
    (ba, bb), _ = batch
    a = draw(st.sampled_from([(k,), (*ba, n, k)]))
    b = draw(st.sampled_from([(k,), (*bb, k, m)]))
    return a, b


@examples(40)
@given(shapes_=matmul_shapes(), data=st.data(), seed=seeds)
def test_matmul(shapes_, data, seed):
    a, b = (data.draw(off_lattice(s)) for s in shapes_)  # non-zero, so no gradient is all 0
    check_op(lucid.matmul, a, b, ref=np.matmul, seed=seed)
    check_op(lambda x, y: x @ y, a, b, ref=np.matmul, seed=seed)


@examples(30)
@given(data=st.data(), seed=seeds)
def test_where_sends_each_branch_its_positions(data, seed):
    (sc, sa, sb), _ = data.draw(
        mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, max_side=4)
    )
    cond = data.draw(arrays(np.bool_, sc))
    assume(cond.any() and not cond.all())
    a, b = data.draw(reals(sa)), data.draw(reals(sb))
    ref = partial(np.where, cond)
    check_op(partial(lucid.where, cond), a, b, ref=ref, seed=seed)
    check_op(lambda x, y: x.where(Tensor(cond), y), a, b, ref=ref, seed=seed)


@examples(30)
@given(data=st.data(), seed=seeds)
def test_concatenate_and_stack(data, seed):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    count = data.draw(st.integers(1, 3), label="count")
    axis = data.draw(st.integers(-len(shape), len(shape) - 1), label="axis")
    parts = []
    for _ in range(count):
        sizes = list(shape)
        sizes[axis] = data.draw(st.integers(1, 3))
        parts.append(data.draw(reals(tuple(sizes))))
    ref = lambda *xs: np.concatenate(xs, axis)  # noqa: E731
    check_op(lambda *ts: lucid.concatenate(list(ts), axis), *parts, ref=ref, seed=seed)
    same = [data.draw(reals(shape)) for _ in range(count)]
    new_axis = data.draw(st.integers(-len(shape) - 1, len(shape)), label="new_axis")
    ref = lambda *xs: np.stack(xs, new_axis)  # noqa: E731
    check_op(lambda *ts: lucid.stack(ts, new_axis), *same, ref=ref, seed=seed)


@examples(40)
@given(data=st.data(), seed=seeds)
def test_indexing_basic_and_with_integer_arrays(data, seed):
    shape = data.draw(array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5))
    x = data.draw(reals(shape))
    if data.draw(st.booleans(), label="integer arrays"):
        index = data.draw(integer_array_indices(shape, result_shape=array_shapes(max_dims=2)))
        if data.draw(st.booleans(), label="as tensors"):
            tensors = tuple(Tensor(i) for i in index)
            check_op(lambda t: t[tensors], x, ref=lambda a: a[index], seed=seed)
            return
    else:
        index = data.draw(basic_indices(shape, allow_newaxis=True, allow_ellipsis=True))
        assume(x[index].size > 0)
    check_op(lambda t: t[index], x, ref=lambda a: a[index], seed=seed)


@examples(30)
@given(data=st.data(), seed=seeds)
def test_reshape_and_transpose(data, seed):
    shape = data.draw(array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    x = data.draw(reals(shape))
    target = list(data.draw(st.permutations(shape)))
    target.insert(data.draw(st.integers(0, len(target))), 1)
    if data.draw(st.booleans()):
        target[data.draw(st.integers(0, len(target) - 1))] = -1
    check_op(lambda t: t.reshape(*target), x, ref=lambda a: a.reshape(target), seed=seed)
    check_op(lambda t: t.reshape(tuple(target)), x, ref=lambda a: a.reshape(target), seed=seed)
    perm = data.draw(st.permutations(range(len(shape))))
    check_op(lambda t: t.transpose(*perm), x, ref=lambda a: a.transpose(perm), seed=seed)
    check_op(lambda t: t.T, x, ref=lambda a: a.T, seed=seed)
