"""The saved-version check for the Functions of lucid 2.x's later names (lucid._ops.layout,
selection, contraction and lucid.linalg), as tests/hardening/test_saved_versions.py
does for the others: where backward reads a tensor's values, writing it after forward
makes backward raise; where it reads only shapes, masks or copies, the write changes
no gradient. SAVES and KEEPS_NOTHING are the tables to merge into that file's."""

import re

import numpy as np
import pytest

import lucid
from lucid import Tensor
from lucid._ops import contraction, layout, selection
from lucid.linalg import _factors, _inverses, _norms

RNG = np.random.default_rng(0)


def leaf(n):
    return Tensor(RNG.uniform(-2.0, 2.0, n), requires_grad=True)


def write(tensor):
    """One in-place write through lucid, outside the graph (as tests/hardening/_writes)."""
    with lucid.no_grad():
        tensor += 0.25


def _square(x):
    return x.reshape(1, 3) * x.reshape(3, 1) + Tensor(3 * np.eye(3))


def _matrix():
    return Tensor(
        np.array([[2.0, 1.0, 0.5], [0.3, 3.0, 1.0], [0.2, -0.4, 1.5]]), requires_grad=True
    )


SAVES = {
    "TensorDot": (contraction.TensorDot, lambda x, w: (lucid.tensordot(x, w, 1), w, "input 1")),
    "Inv": (_inverses.Inv, lambda x, w: (y := lucid.linalg.inv(_matrix()), y, "the output")),
    "Det": (_inverses.Det, lambda x, w: (lucid.linalg.det(m := _matrix()), m, "input 0")),
    "Solve": (_inverses.Solve, lambda x, w: (lucid.linalg.solve(m := _matrix(), x), m, "input 0")),
    "MatrixPower": (
        _inverses.MatrixPower,
        lambda x, w: (lucid.linalg.matrix_power(m := _matrix(), 2), m, "input 0"),
    ),
    "Pinv": (_inverses.Pinv, lambda x, w: (lucid.linalg.pinv(m := _matrix()), m, "input 0")),
    "Norm": (_norms.Norm, lambda x, w: (lucid.linalg.norm(x), x, "input 0")),
    "Cholesky": (
        _factors.Cholesky,
        lambda x, w: (y := lucid.linalg.cholesky(_square(x)), y, "the output"),
    ),
}

KEEPS_NOTHING = {  # each op applied to x itself, which the test writes after forward
    "BroadcastTo": (layout.BroadcastTo, lambda x, w: lucid.broadcast_to(x, (2, 3)).sum(0) * w),
    "Pad": (layout.Pad, lambda x, w: lucid.pad(x, 1)[1:4] * w),
    "Roll": (layout.Roll, lambda x, w: lucid.roll(x, 1) * w),
    "Diagonal": (layout.Diagonal, lambda x, w: lucid.diagonal(x.reshape(1, 3)) * w.sum()),
    "MaskedFill": (
        layout.MaskedFill,
        lambda x, w: lucid.masked_fill(x, Tensor(np.array([True, False, False])), 0.0) * w,
    ),
    "TakeAlong": (selection.TakeAlong, lambda x, w: lucid.topk(x, 2)[0] * w[:2]),
    "Part": (_factors.Part, lambda x, w: lucid.linalg.qr(x.reshape(3, 1))[1] * w.sum()),
}


@pytest.mark.parametrize("name", SAVES)
def test_writing_a_saved_tensor_makes_backward_raise_naming_the_op_and_tensor(name):
    cls, build = SAVES[name]
    x, w = leaf(3), leaf(3)
    result, saved, what = build(x, w)
    assert type(result._ctx) is cls and (cls.saved_inputs or cls.saved_output)
    write(saved)
    message = (
        f"{cls.__name__}: one of the variables needed for gradient computation has been "
        f"modified by an inplace operation: {what} of {cls.__name__}"
    )
    with pytest.raises(RuntimeError, match=re.escape(message)):
        result.sum().backward()


@pytest.mark.parametrize("name", KEEPS_NOTHING)
def test_writing_the_input_of_an_op_that_saves_nothing_changes_no_gradient(name):
    cls, build = KEEPS_NOTHING[name]
    assert not cls.saved_inputs and not cls.saved_output
    grads = []
    for written in (False, True):
        x = Tensor(np.array([0.3, -1.2, 2.0]), requires_grad=True)
        w = Tensor(np.array([1.5, 0.5, -2.0]), requires_grad=True)
        product = x * 1.0  # the op's input: written after forward when asked
        result = build(product, w)
        if written:
            write(product)
        assert any(type(n) is cls for n in _nodes(result))
        (result * Tensor(np.linspace(1, 2, result.size).reshape(result.shape))).sum().backward()
        grads.append((x.grad.copy(), w.grad.copy()))
    for before, after in zip(*grads, strict=True):
        np.testing.assert_array_equal(before, after)


def _nodes(tensor):
    seen, stack = [], [tensor._ctx]
    while stack:
        node = stack.pop()
        if node is None or not hasattr(node, "parents"):
            continue
        seen.append(node)
        stack.extend(node.parents)
    return seen
