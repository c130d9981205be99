"""The saved-version declarations of the normalisation and embedding Functions: a write
into a tensor backward reads makes backward raise; a write into one it does not read
changes no gradient."""

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
from lucid import Tensor
from lucid.nn.functional import norm, sparse


def leaf(*shape):
    return Tensor(np.random.default_rng(len(shape)).uniform(0.5, 2, shape), requires_grad=True)


def bump(t):
    with lucid.no_grad():
        t += 0.25


SAVED = [
    (norm.Standardize, lambda: (w := leaf(3), F.layer_norm(leaf(2, 3), 3, w), "input 1")),
    (norm.Standardize, lambda: (w := leaf(2), F.batch_norm(leaf(4, 2), weight=w), "input 1")),
    (norm.Normalize, lambda: (x := leaf(2, 3), F.normalize(x), "input 0")),
    (
        norm.GlobalResponseNorm,
        lambda: (
            x := leaf(1, 2, 2, 2),
            F.global_response_norm(x, leaf(1, 2, 1, 1), leaf(1)),
            "input 0",
        ),
    ),
    (
        norm.GlobalResponseNorm,
        lambda: (
            g := leaf(1, 2, 1, 1),
            F.global_response_norm(leaf(1, 2, 2, 2), g, leaf(1)),
            "input 1",
        ),
    ),
]


@pytest.mark.parametrize(("cls", "build"), SAVED)
def test_writing_a_saved_tensor_makes_backward_raise(cls, build):
    saved, out, what = build()
    assert type(out._ctx) is cls
    bump(saved)
    with pytest.raises(RuntimeError, match=f"{what} of {cls.__name__}"):
        out.sum().backward()


def test_writes_into_what_backward_does_not_read_change_nothing():
    x, w, b = leaf(4, 3), leaf(3), leaf(3)
    g = Tensor(np.arange(12.0).reshape(4, 3))
    grads = []
    for written in (False, True):
        for t in (x, w, b):
            t.grad = None
        xc = Tensor(x.data.copy(), requires_grad=True)
        out = F.layer_norm(xc, 3, w, b) * g
        if written:
            bump(xc)  # x̂ was computed in forward; x itself is not read again
            bump(b)
        out.sum().backward()
        grads.append((xc.grad.copy(), w.grad.copy()))
    for before, after in zip(*grads, strict=True):
        np.testing.assert_array_equal(before, after)
    wt = leaf(5, 2)
    idx = Tensor(np.array([0, 3, 3]))
    out = F.embedding(idx, wt)
    assert type(out._ctx) is sparse.Embedding
    bump(wt)
    with lucid.no_grad():
        idx[...] = 1  # the indices were copied at the call
    out.sum().backward()
    np.testing.assert_array_equal(wt.grad, [[1, 1], [0, 0], [0, 0], [2, 2], [0, 0]])
