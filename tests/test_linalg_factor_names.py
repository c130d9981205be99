"""lucid.linalg's cholesky, qr, svd and eig: factors against numpy, gradients of each
output (and of several at once) against finite differences, bad inputs named."""

import numpy as np
import pytest
from helpers import check_op

import lucid
from lucid import Tensor

A = np.array([[2.0, 1.0, 0.5], [0.3, 3.0, 1.0], [0.2, -0.4, 1.5]])
TALL = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 4.0], [2.0, 0.3]])


def _spd(x):
    """A symmetric positive-definite matrix from any square x (a batch too)."""
    return x @ np.swapaxes(x, -1, -2) + 3 * np.eye(x.shape[-1])


def _spd_t(x):
    return x @ x.mT + Tensor(3 * np.eye(x.shape[-1]), dtype=x.dtype)


def test_cholesky_values_and_gradient():
    out = lucid.linalg.cholesky(Tensor(_spd(A)))
    np.testing.assert_allclose(out.data, np.linalg.cholesky(_spd(A)))
    check_op(
        lambda a: lucid.linalg.cholesky(_spd_t(a)), A, ref=lambda a: np.linalg.cholesky(_spd(a))
    )
    batch = np.stack([A, A.T])
    check_op(
        lambda a: lucid.linalg.cholesky(_spd_t(a)), batch, ref=lambda a: np.linalg.cholesky(_spd(a))
    )


def test_cholesky_of_a_symmetric_input_has_a_symmetric_gradient():
    t = Tensor(_spd(A), requires_grad=True)
    lucid.linalg.cholesky(t).sum().backward()
    np.testing.assert_allclose(t.grad, t.grad.T)


@pytest.mark.parametrize("a", [A, TALL, TALL.T, np.stack([TALL, TALL[::-1]])])
@pytest.mark.parametrize("part", [0, 1])
def test_qr_values_and_the_gradient_of_each_factor(a, part):
    q, r = lucid.linalg.qr(Tensor(a))
    eq, er = np.linalg.qr(a)
    np.testing.assert_allclose(q.data, eq)
    np.testing.assert_allclose(r.data, er)
    check_op(lambda x: lucid.linalg.qr(x)[part], a, ref=lambda x: np.linalg.qr(x)[part])


def test_qr_gradient_of_both_factors_at_once():
    def both(x):
        q, r = lucid.linalg.qr(x)
        return (q * 2.0).sum() + (r * r).sum()

    def ref(x):
        q, r = np.linalg.qr(x)
        return (q * 2.0).sum() + (r * r).sum()

    check_op(both, TALL, ref=ref)


@pytest.mark.parametrize("a", [A, TALL, TALL.T, np.stack([A, A[::-1]])])
@pytest.mark.parametrize("part", [0, 1, 2])
def test_svd_values_and_the_gradient_of_each_factor(a, part):
    u, s, vt = lucid.linalg.svd(Tensor(a), full_matrices=False)
    eu, es, evt = np.linalg.svd(a, full_matrices=False)
    for got, want in ((u, eu), (s, es), (vt, evt)):
        np.testing.assert_allclose(got.data, want, atol=1e-12)
    check_op(
        lambda x: lucid.linalg.svd(x, full_matrices=False)[part],
        a,
        ref=lambda x: np.linalg.svd(x, full_matrices=False)[part],
    )


def test_svd_full_matrices_by_default_and_its_gradient_limits():
    u, s, vt = lucid.linalg.svd(Tensor(TALL))
    assert u.shape == (4, 4) and s.shape == (2,) and vt.shape == (2, 2)
    check_op(lambda x: lucid.linalg.svd(x)[1], TALL, ref=lambda x: np.linalg.svd(x)[1])
    x = Tensor(TALL, requires_grad=True)
    u = lucid.linalg.svd(x)[0]
    u[:, :2].sum().backward()  # only the columns that a determines: allowed
    x.grad = None
    with pytest.raises(ValueError, match="extra vectors of a full U"):
        lucid.linalg.svd(x)[0].sum().backward()


SYM = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, 0.5], [0.0, 0.5, 1.0]])
NONSYM = np.array([[4.0, 1.0, 0.0], [0.5, 2.0, 0.3], [0.2, 0.1, 1.0]])


@pytest.mark.parametrize("a", [SYM, NONSYM])
@pytest.mark.parametrize("part", [0, 1])
def test_eig_values_and_gradients_for_real_eigenvalues(a, part):
    w, v = lucid.linalg.eig(Tensor(a))
    ew, ev = np.linalg.eig(a)
    np.testing.assert_allclose(w.data, ew)
    np.testing.assert_allclose(v.data, ev)
    np.testing.assert_allclose(a @ v.data, v.data * w.data)
    # Squared, so the loss does not depend on each vector's sign, which LAPACK may flip
    # between a symmetric matrix and a nearby one.
    check_op(
        lambda x: lucid.linalg.eig(x)[part] ** 2,
        a,
        ref=lambda x: np.linalg.eig(x)[part] ** 2,
        atol=1e-5,
    )


def test_factorisations_refuse_bad_inputs():
    with pytest.raises(ValueError, match="eig: the matrix has complex eigenvalues"):
        lucid.linalg.eig(Tensor(np.array([[0.0, -1.0], [1.0, 0.0]])))
    with pytest.raises(ValueError, match="cholesky: a must be square"):
        lucid.linalg.cholesky(Tensor(TALL))
    with pytest.raises(np.linalg.LinAlgError):
        lucid.linalg.cholesky(Tensor(-np.eye(2)))
    with pytest.raises(ValueError, match="qr: a must be a matrix"):
        lucid.linalg.qr(Tensor(np.ones(3)))
    with pytest.raises(TypeError, match="svd: full_matrices must be a bool"):
        lucid.linalg.svd(Tensor(A), full_matrices=None)
    with pytest.raises(TypeError, match="eig: eps must be a number"):
        lucid.linalg.eig(Tensor(A), eps="small")
