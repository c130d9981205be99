"""lucid 2.x's dot and inner (lucid._ops.products): numpy's values for every rank
pairing, gradients against finite differences, and misaligned shapes named."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor

PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 2, 3), (4, 3, 2)),
         ((), (2, 3)), ((2, 3), ())]  # fmt: skip


@pytest.mark.parametrize("sa, sb", PAIRS)
def test_dot_matches_numpy_with_gradients(sa, sb):
    check_op(lucid.dot, sa, sb, ref=np.dot)


@pytest.mark.parametrize("sa, sb", [((3,), (3,)), ((2, 3), (3,)), ((2, 3), (4, 3)),
                                    ((2, 2, 3), (4, 3)), ((), (2,))])  # fmt: skip
def test_inner_matches_numpy_with_gradients(sa, sb):
    check_op(lucid.inner, sa, sb, ref=np.inner)


def test_exact_values_and_the_method():
    a, b = Tensor([[1.0, 2.0], [3.0, 4.0]]), Tensor([5.0, 6.0])
    assert lucid.dot(a, b).tolist() == [17.0, 39.0] and a.dot(b).tolist() == [17.0, 39.0]
    assert lucid.dot(b, b).item() == 61.0 and lucid.inner(b, b).item() == 61.0
    assert lucid.inner(a, a).tolist() == [[5.0, 11.0], [11.0, 25.0]]
    x = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    lucid.dot(x, x).backward()  # as lucid 2.x: the seed is ones
    assert x.grad.tolist() == [[7.0, 11.0], [9.0, 13.0]]


def test_misaligned_shapes_are_value_errors_naming_them():
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(2,\) do not align"):
        lucid.dot(Tensor(np.ones((2, 3))), Tensor(np.ones(2)))
    with pytest.raises(ValueError, match=r"dot: shapes \(2, 3\) and \(2, 3\) do not align"):
        lucid.dot(Tensor(np.ones((2, 3))), Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"inner: shapes \(3,\) and \(2,\) do not align"):
        lucid.inner(Tensor(np.ones(3)), Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="dot: b must be a Tensor"):
        lucid.dot(Tensor(np.ones(3)), "x")
