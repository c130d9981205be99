"""The saved-version tables of lucid's tensor ops added to lucid._ops (layout, selection,
contraction), lucid.einops and lucid.linalg, in test_saved_versions.py's two formats.
That file merges them into its tables, its coverage test and its two table tests; here
only that each build of the second table makes the Function it stands for.

SAVES builds: (x, w) -> (result, the saved tensor to write, what). KEEPS_NOTHING builds:
(x, w) -> (result, the other tensors to write and compare the gradients of), those
holding fixed values (the build runs twice, once without the writes).
"""

import numpy as np
import pytest
from _writes import leaf

import lucid
import lucid.linalg as la
from lucid import Tensor
from lucid._ops import contraction, layout, selection
from lucid.einops import _einsum, einsum


def _spd(n=2):
    """A symmetric positive-definite matrix that needs a gradient (not a leaf)."""
    a = leaf(n, n)
    return a @ a.T + Tensor(2.0 * np.eye(n))


def _const(*values):
    return Tensor(np.array(values, dtype=np.float64), requires_grad=True)


SAVES = {
    "TensorDot": (
        contraction.TensorDot,
        lambda x, w: (lucid.tensordot(x, w, axes=1), w, "input 1"),
    ),
    "TensorDot, its first operand": (
        contraction.TensorDot,
        lambda x, w: (lucid.tensordot(x, w, axes=1), x, "input 0"),
    ),
    "Cholesky": (la.Cholesky, lambda x, w: (y := la.cholesky(_spd()), y, "the output")),
    "Det": (la.Det, lambda x, w: (la.det(a := leaf(2, 2)), a, "input 0")),
    "Inv": (la.Inv, lambda x, w: (y := la.inv(_spd()), y, "the output")),
    "MatrixPower": (
        la.MatrixPower,
        lambda x, w: (la.matrix_power(a := leaf(2, 2), 3), a, "input 0"),
    ),
    "Pinv": (la.Pinv, lambda x, w: (la.pinv(a := leaf(3, 2)), a, "input 0")),
    "Pinv, its output": (la.Pinv, lambda x, w: (y := la.pinv(leaf(3, 2)), y, "the output")),
    "Solve": (la.Solve, lambda x, w: (la.solve(a := _spd(), leaf(2)), a, "input 0")),
    "Solve, its output": (la.Solve, lambda x, w: (y := la.solve(_spd(), leaf(2)), y, "the output")),
    "Norm": (la.Norm, lambda x, w: (la.norm(x), x, "input 0")),
    "Norm, of a matrix": (la.Norm, lambda x, w: (la.norm(a := leaf(2, 3), "nuc"), a, "input 0")),
}

KEEPS_NOTHING = {
    "BroadcastTo": (layout.BroadcastTo, lambda x, w: (lucid.broadcast_to(x, (2, 3)), [])),
    "Pad": (layout.Pad, lambda x, w: (lucid.pad(x, (1, 2)), [])),
    "Roll": (layout.Roll, lambda x, w: (lucid.roll(x, 1), [])),
    "Diagonal": (layout.Diagonal, lambda x, w: (lucid.diagonal(x.reshape(3, 1), -1), [])),
    "MaskedFill": (
        layout.MaskedFill,
        lambda x, w: (lucid.masked_fill(x, m := Tensor(np.array([True, False, False])), 0.0), [m]),
    ),
    "TakeAlong": (selection.TakeAlong, lambda x, w: (lucid.topk(x, 2)[0], [])),
    "Part of qr": (la.Part, lambda x, w: (la.qr(x.reshape(3, 1))[1], [])),
    "Part of svd": (la.Part, lambda x, w: (la.svd(x.reshape(3, 1), full_matrices=False)[0], [])),
    "Part of eig": (
        la.Part,
        lambda x, w: (la.eig((t := _const(2.0, 1.0, 0.5, 3.0)).reshape(2, 2))[1], [t]),
    ),
    # Einsum copies the operands that a gradient reads (saved_inputs cannot declare a
    # varying number of inputs), so a write into them after forward does not matter.
    "Einsum": (_einsum.Einsum, lambda x, w: (einsum("i,i->", x, w), [])),
    "Einsum of three": (
        _einsum.Einsum,
        lambda x, w: (einsum("i,j,j->i", x, w, t := _const(0.5, -1.0, 2.0)), [t]),
    ),
    # x is read only for the other operand's gradient, which is not needed.
    "TensorDot, only its first operand's gradient": (
        contraction.TensorDot,
        lambda x, w: (lucid.tensordot(x, Tensor(np.array([0.5, -1.0, 2.0])), axes=1), []),
    ),
}

# Classes in both tables: what they save is read only for some gradients.
SPLIT = {contraction.TensorDot}


@pytest.mark.parametrize("name", KEEPS_NOTHING)
def test_each_build_of_a_function_that_keeps_nothing_makes_that_function(name):
    cls, build = KEEPS_NOTHING[name]
    result, _ = build(leaf(3), leaf(3))
    assert type(result._ctx) is cls
