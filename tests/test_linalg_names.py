"""lucid.linalg's inv, det, solve, matrix_power, pinv and norm: values against numpy,
gradients against finite differences (batches too), dtypes, bad inputs named."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor

A = np.array([[2.0, 1.0, 0.5], [0.3, 3.0, 1.0], [0.2, -0.4, 1.5]])
BATCH = np.stack([A, A.T + np.eye(3)])


def test_linalg_exports_lucid2s_names():
    assert sorted(lucid.linalg.__all__) == sorted(
        ["inv", "det", "solve", "cholesky", "norm", "eig", "qr", "svd", "matrix_power", "pinv"]
    )


@pytest.mark.parametrize("a", [A, BATCH])
def test_inv(a):
    check_op(lucid.linalg.inv, a, ref=np.linalg.inv)
    assert lucid.linalg.inv(Tensor(a.astype(np.float32))).dtype == np.float32


@pytest.mark.parametrize("a", [A, BATCH])
def test_det(a):
    check_op(lucid.linalg.det, a, ref=np.linalg.det)


def test_det_gradient_of_a_singular_matrix_is_its_cofactors():
    s = np.array([[1.0, 2.0], [2.0, 4.0]])
    t = Tensor(s, requires_grad=True)
    lucid.linalg.det(t).backward()
    np.testing.assert_allclose(t.grad, [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)


@pytest.mark.parametrize("a, b", [(A, (3,)), (A, (3, 2)), (BATCH, (2, 3, 2)), (BATCH, (3, 1))])
def test_solve(a, b):
    check_op(lucid.linalg.solve, a, b, ref=np.linalg.solve)


@pytest.mark.parametrize("n", [0, 1, 2, 3, -1, -2])
def test_matrix_power(n):
    if n == 0:
        out = lucid.linalg.matrix_power(Tensor(A, requires_grad=True), 0)
        np.testing.assert_array_equal(out.data, np.eye(3))
        return
    check_op(
        lambda a: lucid.linalg.matrix_power(a, n), A, ref=lambda a: np.linalg.matrix_power(a, n)
    )


@pytest.mark.parametrize("a", [A, A[:2], A[:, :2], BATCH[:, :2]])
def test_pinv(a):
    check_op(lucid.linalg.pinv, a, ref=np.linalg.pinv, atol=1e-5)


@pytest.mark.parametrize(
    "ord, axis, keepdims",
    [(2, None, False), (1, 1, False), (3, 0, True), (-1, 1, False), (np.inf, 1, False),
     (-np.inf, 0, False), (None, 1, False)],
)  # fmt: skip
def test_vector_norms(ord, axis, keepdims):
    x = np.array([[1.0, -2.0, 3.0], [-0.5, 0.7, 2.5]])
    if axis is None:
        x = x[0]
    check_op(
        lambda a: lucid.linalg.norm(a, ord, axis, keepdims),
        x,
        ref=lambda a: np.linalg.norm(a, ord, axis, keepdims),
    )


@pytest.mark.parametrize("ord", [2, -2, 1, -1, np.inf, -np.inf, "fro", "nuc"])
def test_matrix_norms(ord):
    check_op(lambda a: lucid.linalg.norm(a, ord), A, ref=lambda a: np.linalg.norm(a, ord))
    check_op(
        lambda a: lucid.linalg.norm(a, ord, axis=(2, 1), keepdims=True),
        BATCH,
        ref=lambda a: np.linalg.norm(a, ord, axis=(2, 1), keepdims=True),
    )


def test_norm_default_and_its_zero_gradient_at_zero():
    v = Tensor(np.array([3.0, 4.0]), requires_grad=True)
    out = lucid.linalg.norm(v)
    assert out.item() == 5.0 and out.shape == ()
    z = Tensor(np.zeros(3), requires_grad=True)
    lucid.linalg.norm(z).backward()
    assert z.grad.tolist() == [0.0, 0.0, 0.0]
    assert lucid.linalg.norm(Tensor(np.ones(3, np.float32))).dtype == np.float32


def test_linalg_refuses_bad_inputs():
    with pytest.raises(
        ValueError, match=r"inv: a must be square in its last two axes, got shape \(2, 3\)"
    ):
        lucid.linalg.inv(Tensor(np.ones((2, 3))))
    with pytest.raises(ValueError, match="det: a must be a matrix"):
        lucid.linalg.det(Tensor(np.ones(3)))
    with pytest.raises(np.linalg.LinAlgError):
        lucid.linalg.inv(Tensor(np.zeros((2, 2))))
    with pytest.raises(
        ValueError, match=r"solve: a of shape \(3, 3\) and b of shape \(2,\) do not match"
    ):
        lucid.linalg.solve(Tensor(A), Tensor(np.ones(2)))
    with pytest.raises(TypeError, match="matrix_power: n must be an int"):
        lucid.linalg.matrix_power(Tensor(A), 1.5)
    with pytest.raises(TypeError, match="norm: ord must be an int, inf"):
        lucid.linalg.norm(Tensor(A), 1.5)
    with pytest.raises(ValueError, match="axis must be one axis or two different ones"):
        lucid.linalg.norm(Tensor(A), axis=(0, -2))
    with pytest.raises(ValueError, match="give axis for a tensor of shape"):
        lucid.linalg.norm(Tensor(BATCH))
    with pytest.raises(ValueError, match="is a matrix norm; give two axes"):
        lucid.linalg.norm(Tensor(A), "fro", axis=0)
    with pytest.raises(ValueError, match="ord=3 is not a matrix norm"):
        lucid.linalg.norm(Tensor(A), 3)
    with pytest.raises(ValueError, match="pinv: rcond must be a non-negative number"):
        lucid.linalg.pinv(Tensor(A), -1.0)
