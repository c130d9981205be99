"""Matrix factorisations as Functions over numpy.linalg: cholesky, qr, svd and eig, on a
matrix or a batch of them (the last two axes).

A factorisation with several outputs (Q and R; U, S and Vᵀ; eigenvalues and vectors)
is computed once; each output is then its own node, ``Part``, that copies its factor
and whose backward is the factorisation's gradient with the other outputs' gradients
zero. The graph sums what the parts send back, which is the full gradient, since it is
linear in the outputs' gradients. The formulas are PyTorch's (Murray for cholesky,
Walter and Lehmann for qr, Townsend for svd, Giles for eig).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._results import stored
from lucid.autograd.function import Function
from lucid.linalg._inverses import mt

__all__ = ["Cholesky", "Part", "eig_grad", "qr_grad", "svd_grad"]


def _solve_right(b: np.ndarray, r: np.ndarray) -> np.ndarray:
    """b R⁻ᵀ (each b times the inverse transpose of R)."""
    return mt(np.linalg.solve(r, mt(b)))


class Cholesky(Function):
    """The lower factor L of A = L Lᵀ. Only A's lower triangle is read, but the gradient
    is symmetric, as for a function of a symmetric matrix (PyTorch's)."""

    saved_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.lower = stored(np.linalg.cholesky(a), "cholesky")
        return self.lower

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        low = self.lower
        phi = np.tril(mt(low) @ grad)
        phi = phi - 0.5 * np.tril(np.triu(phi))  # the diagonal halved
        # S = L⁻ᵀ Φ L⁻¹, then the symmetric part.
        s = np.linalg.solve(mt(low), _solve_right(phi, mt(low)))
        return (0.5 * (s + mt(s)),)


def _copyltu(m: np.ndarray) -> np.ndarray:
    """The symmetric matrix with m's lower triangle (and diagonal)."""
    low = np.tril(m, -1)
    return low + mt(low) + np.tril(np.triu(m))


def _qr_square_or_tall(q: np.ndarray, r: np.ndarray, gq: np.ndarray, gr: np.ndarray) -> np.ndarray:
    m = r @ mt(gr) - mt(gq) @ q
    return _solve_right(gq + q @ _copyltu(m), r)


def qr_grad(
    a: np.ndarray, q: np.ndarray, r: np.ndarray, gq: np.ndarray, gr: np.ndarray
) -> np.ndarray:
    """The gradient of the reduced QR of ``a`` given those of Q and R."""
    rows, cols = a.shape[-2:]
    if rows >= cols:
        return _qr_square_or_tall(q, r, gq, gr)
    # A = [X | Y] with X square: X = Q U and R = [U | V], V = Qᵀ Y.
    y, u = a[..., rows:], r[..., :rows]
    gu, gv = gr[..., :rows], gr[..., rows:]
    gx = _qr_square_or_tall(q, u, gq + y @ mt(gv), gu)
    return np.concatenate([gx, q @ gv], axis=-1)


def svd_grad(
    u: np.ndarray, s: np.ndarray, vt: np.ndarray, gu: Any, gs: Any, gvt: Any
) -> np.ndarray:
    """The gradient of the reduced SVD given those of U, S and Vᵀ (None: zero)."""
    v = mt(vt)
    k = s.shape[-1]
    s2 = s**2
    diff = s2[..., None, :] - s2[..., :, None]  # s_j² - s_i²
    eye = np.eye(k, dtype=bool)
    with np.errstate(divide="ignore"):
        f = np.where(eye, 0.0, 1.0 / np.where(eye, 1.0, diff))
    inner = np.zeros(s.shape + (k,), dtype=s.dtype)
    if gs is not None:
        inner = inner + gs[..., :, None] * np.eye(k, dtype=s.dtype)
    sinv = 1.0 / s
    out = np.zeros(u.shape[:-1] + v.shape[-2:-1], dtype=s.dtype)
    if gu is not None:
        j = f * (mt(u) @ gu - mt(gu) @ u)
        inner = inner + j * s[..., None, :]
        out = out + (gu - u @ (mt(u) @ gu)) * sinv[..., None, :] @ vt
    if gvt is not None:
        gv = mt(gvt)
        kk = f * (mt(v) @ gv - mt(gv) @ v)
        inner = inner + s[..., :, None] * kk
        out = out + (u * sinv[..., None, :]) @ mt(gv - v @ (mt(v) @ gv))
    return out + u @ inner @ vt


def eig_grad(w: np.ndarray, v: np.ndarray, gw: Any, gv: Any) -> np.ndarray:
    """The gradient of a real eigendecomposition with unit-norm eigenvectors."""
    n = w.shape[-1]
    eye = np.eye(n, dtype=bool)
    inner = np.zeros(v.shape, dtype=v.dtype)
    if gv is not None:
        vtg = mt(v) @ gv
        # The unit-norm constraint: remove each vector's component along itself.
        vtg = vtg - (mt(v) @ v) * np.diagonal(vtg, axis1=-2, axis2=-1)[..., None, :]
        diff = w[..., None, :] - w[..., :, None]  # w_j - w_i
        inner = np.where(eye, 0.0, vtg / np.where(eye, 1.0, diff))
    if gw is not None:
        inner = inner + gw[..., :, None] * np.eye(n, dtype=v.dtype)
    # V⁻ᵀ inner Vᵀ
    return np.linalg.solve(mt(v), inner @ mt(v))


class Part(Function):
    """One output of a factorisation: ``factors[index]``; backward is ``grad_fn(grads)``
    with this output's gradient in its place and None in the others'."""

    def forward(
        self, a: np.ndarray, factors: tuple[np.ndarray, ...], index: int, grad_fn: Any
    ) -> np.ndarray:
        self.count, self.index, self.grad_fn = len(factors), index, grad_fn
        return stored(factors[index], grad_fn.__name__)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        grads: list[Any] = [None] * self.count
        grads[self.index] = grad
        return (self.grad_fn(*grads), None, None, None)
