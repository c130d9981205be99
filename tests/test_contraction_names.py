"""lucid 2.x's tensordot (lucid._ops.contraction) with numpy's axes forms: values
against numpy, gradients against finite differences, bad axes named."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor


@pytest.mark.parametrize(
    "sa, sb, axes",
    [((2, 3, 4), (3, 4, 5), 2), ((2, 3), (3, 4), 1), ((2, 3), (4, 5), 0),
     ((2, 3, 4), (4, 3, 2), ([1, 2], [1, 0])), ((3, 4, 2), (2, 3), ([2, 0], [0, 1])),
     ((2, 3), (3, 2), (1, 0)), ((4, 2, 3), (3, 5, 4), ([0, 2], [2, 0]))],
)  # fmt: skip
def test_tensordot_matches_numpy_with_gradients(sa, sb, axes):
    check_op(
        lambda a, b: lucid.tensordot(a, b, axes), sa, sb, ref=lambda a, b: np.tensordot(a, b, axes)
    )


def test_tensordot_keeps_float32_and_defaults_to_two_axes():
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    b = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    out = lucid.tensordot(Tensor(a), Tensor(b))
    assert out.dtype == np.float32 and out.shape == (2, 5)
    np.testing.assert_allclose(out.data, np.tensordot(a, b))


def test_tensordot_refuses_bad_axes():
    a, b = Tensor(np.ones((2, 3))), Tensor(np.ones((3, 4)))
    with pytest.raises(ValueError, match=r"axis 1 of a \(shape \(2, 3\)\) and axis 1 of b"):
        lucid.tensordot(a, b, ([1], [1]))
    with pytest.raises(ValueError, match="axes=3 must be between 0 and the smaller rank"):
        lucid.tensordot(a, b, 3)
    with pytest.raises(TypeError, match="axes must be an int, a pair of ints"):
        lucid.tensordot(a, b, "x")
    with pytest.raises(ValueError, match="name different numbers of axes"):
        lucid.tensordot(a, b, ([0, 1], [0]))
    with pytest.raises(ValueError, match="repeat an axis"):
        lucid.tensordot(a, Tensor(np.ones((3, 3))), ([1, 1], [0, 1]))
