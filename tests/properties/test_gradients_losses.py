"""Finite-difference gradient checks of the losses, as functions and as modules.

cross_entropy (class weights, ignore_index, label smoothing; (C,), (N, C) and
(N, C, d...) inputs), nll_loss, mse_loss, binary_cross_entropy and
binary_cross_entropy_with_logits (weight, pos_weight) with every reduction go through
tests/helpers.py's check_op against the vectorised numpy references below. Float
targets are inputs too, so their gradients are checked as well.
"""

from __future__ import annotations

from functools import partial

import numpy as np
from _property_strategies import examples, off_lattice, reals
from helpers import check_op, like
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import lucid.nn.functional as F
from lucid import Tensor, nn

seeds = st.integers(0, 2**32 - 1)
reductions = st.sampled_from(["mean", "sum", "none"])
shapes = array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


def reduce_(loss, reduction, divisor=None):
    if reduction == "none":
        return loss
    total = loss.sum()
    return total if reduction == "sum" else total / (loss.size if divisor is None else divisor)


def as_ncd(x):
    """Class scores (C,), (N, C) or (N, C, d...) viewed as (N, C, D)."""
    return x[None, :, None] if x.ndim == 1 else x.reshape(x.shape[0], x.shape[1], -1)


def ref_class_loss(x, t, weight, ignore, reduction, smoothing, log_probs):
    """cross_entropy (log_probs False: x are logits) or nll_loss (x are log-probabilities)."""
    x3 = as_ncd(x)
    n, c, d = x3.shape
    if log_probs:
        logp = x3
    else:
        z = x3 - x3.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    w = np.ones(c) if weight is None else weight
    t2 = t.reshape(n, d)
    valid = t2 != ignore
    ti = np.where(valid, t2, 0)
    nll = -np.take_along_axis(logp, ti[:, None, :], axis=1)[:, 0, :]
    smooth = -(logp * w[None, :, None]).sum(axis=1) / c
    loss = np.where(valid, (1 - smoothing) * w[ti] * nll + smoothing * smooth, 0.0)
    return reduce_(loss.reshape(t.shape), reduction, (w[ti] * valid).sum())


@st.composite
def class_problems(draw, min_classes):
    """(x, target, weight, ignore_index): x (C,), (N, C) or (N, C, d...); targets in
    [0, C) or ignore_index, at least one of them a class that is not ignored."""
    c = draw(st.integers(min_classes, 4), label="classes")
    layout = draw(st.sampled_from(["C", "NC", "NCd"]), label="layout")
    n = draw(st.integers(1, 3))
    rest = draw(array_shapes(min_dims=1, max_dims=2, max_side=3)) if layout == "NCd" else ()
    x_shape = (c,) if layout == "C" else (n, c, *rest)
    t_shape = () if layout == "C" else (n, *rest)
    ignore = draw(st.sampled_from([-100, *range(c)]), label="ignore_index")
    classes = st.one_of(st.integers(0, c - 1), st.just(ignore))
    t = draw(arrays(np.int64, t_shape, elements=classes), label="target")
    assume(np.any(t != ignore))
    weight = draw(st.none() | arrays(np.float64, (c,), elements=st.floats(0.2, 2.0)))
    # Distinct scores: equal ones can make a smoothed loss flat (uniform softmax).
    x = draw(off_lattice(x_shape, unique=True), label="x") / 4
    return x, t, weight, ignore


@examples(60)
@given(problem=class_problems(2), reduction=reductions, data=st.data(), seed=seeds)
def test_cross_entropy(problem, reduction, data, seed):
    x, t, w, ignore = problem
    eps = data.draw(st.sampled_from([0.0, 0.1, 1.0]) | st.floats(0.0, 1.0), label="smoothing")
    target = Tensor(t) if data.draw(st.booleans(), label="tensor target") else t

    def ref(a):
        return ref_class_loss(a, t, w, ignore, reduction, eps, log_probs=False)

    # eps=0: the reference is the exact form, without lucid 2.x's log(p + 1e-7) guard.
    kwargs = {"ignore_index": ignore, "reduction": reduction, "eps": 0.0, "label_smoothing": eps}
    loss = partial(F.cross_entropy, target=target, **kwargs)
    check_op(lambda a: loss(a, weight=like(w, a)), x, ref=ref, seed=seed)
    check_op(lambda a: nn.CrossEntropyLoss(like(w, a), **kwargs)(a, target), x, ref=ref, seed=seed)


@examples(40)
@given(problem=class_problems(1), reduction=reductions, seed=seeds)
def test_nll_loss(problem, reduction, seed):
    x, t, w, ignore = problem

    def ref(a):
        return ref_class_loss(a, t, w, ignore, reduction, 0.0, log_probs=True)

    kwargs = {"ignore_index": ignore, "reduction": reduction}
    check_op(lambda a: F.nll_loss(a, Tensor(t), like(w, a), **kwargs), x, ref=ref, seed=seed)
    check_op(lambda a: nn.NLLLoss(like(w, a), **kwargs)(a, t), x, ref=ref, seed=seed)


@examples(40)
@given(data=st.data(), reduction=reductions, seed=seeds)
def test_mse_loss_for_input_and_target(data, reduction, seed):
    shape = data.draw(shapes)
    x, y = data.draw(reals(shape)), data.draw(reals(shape))
    assume(np.any(np.abs(x - y) > 1e-3))

    def ref(a, b):
        return reduce_((a - b) ** 2, reduction)

    check_op(lambda a, b: F.mse_loss(a, b, reduction), x, y, ref=ref, seed=seed)
    check_op(lambda a, b: nn.MSELoss(reduction)(a, b), x, y, ref=ref, seed=seed)


@st.composite
def broadcast_weights(draw, shape):
    """None, or positive weights of a shape that broadcasts to ``shape``."""
    if not draw(st.booleans()):
        return None
    cut = draw(st.integers(0, len(shape)))
    wshape = tuple(n if draw(st.booleans()) else 1 for n in shape[cut:])
    return draw(arrays(np.float64, wshape, elements=st.floats(0.2, 2.0)))


@examples(40)
@given(data=st.data(), reduction=reductions, seed=seeds)
def test_binary_cross_entropy_for_input_and_target(data, reduction, seed):
    shape = data.draw(shapes)
    x, y = data.draw(reals(shape, 0.05, 0.95)), data.draw(reals(shape, 0.0, 1.0))
    w = data.draw(broadcast_weights(shape), label="weight")
    # Neither gradient all zero: (x − y)/(x(1 − x)) and log(1 − x) − log(x).
    assume(np.any(np.abs(x - y) > 1e-3) and np.any(np.abs(x - 0.5) > 1e-3))

    def ref(a, b):
        loss = -(b * np.log(a) + (1 - b) * np.log(1 - a))
        return reduce_(loss if w is None else w * loss, reduction)

    check_op(
        lambda a, b: F.binary_cross_entropy(a, b, like(w, a), reduction), x, y, ref=ref, seed=seed
    )
    check_op(lambda a, b: nn.BCELoss(like(w, a), reduction)(a, b), x, y, ref=ref, seed=seed)


@examples(40)
@given(data=st.data(), reduction=reductions, seed=seeds)
def test_binary_cross_entropy_with_logits_for_input_and_target(data, reduction, seed):
    shape = data.draw(shapes)
    x, y = data.draw(reals(shape, -4.0, 4.0)), data.draw(reals(shape, 0.0, 1.0))
    w = data.draw(broadcast_weights(shape), label="weight")
    pw = data.draw(broadcast_weights(shape), label="pos_weight")
    ww = 1.0 if w is None else w
    pp = 1.0 if pw is None else pw
    sigmoid = 1 / (1 + np.exp(-x))
    # Neither closed-form gradient may vanish everywhere.
    assume(np.any(np.abs(ww * (sigmoid * (pp * y + 1 - y) - pp * y)) > 1e-6))
    assume(np.any(np.abs(ww * (pp * np.logaddexp(0, -x) - np.logaddexp(0, x))) > 1e-6))

    def ref(a, b):
        loss = pp * b * np.logaddexp(0, -a) + (1 - b) * np.logaddexp(0, a)
        return reduce_(ww * loss, reduction)

    def loss(a, b):
        return F.binary_cross_entropy_with_logits(a, b, like(w, a), like(pw, a), reduction)

    def module(a, b):
        return nn.BCEWithLogitsLoss(like(w, a), reduction, pos_weight=like(pw, a))(a, b)

    check_op(loss, x, y, ref=ref, seed=seed)
    check_op(module, x, y, ref=ref, seed=seed)
