"""lucid.linalg: lucid 2.x's linear algebra (inv, det, solve, cholesky, norm, eig, qr,
svd, matrix_power, pinv) over numpy.linalg, each differentiable.

Every function takes a matrix or a batch of matrices (the last two axes) and returns
results in numpy's dtype for the input (float32 stays float32). A singular matrix is
numpy's LinAlgError (a ValueError) where numpy raises one; a non-square matrix where
one must be square is a ValueError naming the shape.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._common import as_tensor
from lucid._ops._results import INTS, axis_arg, bool_arg, int_arg
from lucid.linalg._factors import Cholesky, Part, eig_grad, qr_grad, svd_grad
from lucid.linalg._inverses import Det, Inv, MatrixPower, Pinv, Solve
from lucid.linalg._norms import Norm

__all__ = [
    "cholesky",
    "det",
    "eig",
    "inv",
    "matrix_power",
    "norm",
    "pinv",
    "qr",
    "solve",
    "svd",
]


def _matrix(op: str, a: Any, name: str = "a", square: bool = True) -> Any:
    t = as_tensor(a, op, name)
    if t.ndim < 2:
        raise ValueError(f"{op}: {name} must be a matrix or a batch of them, got shape {t.shape}")
    if square and t.shape[-1] != t.shape[-2]:
        raise ValueError(f"{op}: {name} must be square in its last two axes, got shape {t.shape}")
    if t.dtype.kind not in "iuf":
        raise TypeError(f"{op}: {name} must hold numbers, got dtype {t.dtype}")
    return t


def inv(a: Any, /) -> Any:
    """The inverse of each matrix."""
    return Inv.apply(_matrix("inv", a))


def det(a: Any, /) -> Any:
    """The determinant of each matrix (a 0-d tensor for one matrix)."""
    return Det.apply(_matrix("det", a))


def solve(a: Any, b: Any, /) -> Any:
    """x with a @ x = b: ``b`` a vector when 1-D, else a matrix (or batch) of right-hand
    sides, as numpy 2's solve."""
    x = _matrix("solve", a)
    y = as_tensor(b, "solve", "b")
    rows = y.shape[0] if y.ndim == 1 else (y.shape[-2] if y.ndim >= 2 else None)
    if rows != x.shape[-1]:
        raise ValueError(f"solve: a of shape {x.shape} and b of shape {y.shape} do not match")
    return Solve.apply(x, y)


def cholesky(a: Any, /) -> Any:
    """The lower-triangular L with a = L Lᵀ, for a symmetric positive-definite ``a``."""
    return Cholesky.apply(_matrix("cholesky", a))


_ORDS = (None, "fro", "nuc", np.inf, -np.inf)


def norm(a: Any, /, ord: Any = 2, axis: Any = None, keepdims: bool = False) -> Any:
    """numpy.linalg.norm: a vector norm over one axis (a 1-D tensor when ``axis`` is
    None), a matrix norm over two (a 2-D one). ``ord`` is an int (lucid 2.x's), inf,
    -inf, "fro" or "nuc"; see lucid.linalg._norms for what each means."""
    t = as_tensor(a, "norm", "a")
    keepdims = bool_arg("norm", "keepdims", keepdims)
    if isinstance(ord, bool) or not (isinstance(ord, INTS) or ord in _ORDS):
        raise TypeError(f"norm: ord must be an int, inf, -inf, 'fro' or 'nuc', got {ord!r}")
    if axis is None:
        if t.ndim not in (1, 2):
            raise ValueError(f"norm: give axis for a tensor of shape {t.shape} (1-D or 2-D only)")
        axes = tuple(range(t.ndim))
    else:
        items = axis if isinstance(axis, (tuple, list)) else (axis,)
        axes = tuple(axis_arg("norm", "axis", i, t.ndim) for i in items)
        if len(axes) not in (1, 2) or len(set(axes)) != len(axes):
            raise ValueError(f"norm: axis must be one axis or two different ones, got {axis!r}")
    if ord is None:  # numpy's None: 2 for vectors, "fro" for matrices
        ord = 2 if len(axes) == 1 else "fro"
    if len(axes) == 1 and isinstance(ord, str):
        raise ValueError(f"norm: ord={ord!r} is a matrix norm; give two axes")
    if len(axes) == 2 and ord not in (1, -1, 2, -2, np.inf, -np.inf, "fro", "nuc"):
        raise ValueError(f"norm: ord={ord!r} is not a matrix norm")
    return Norm.apply(t, ord, axes, keepdims)


def eig(a: Any, /, eps: float = 1e-12) -> tuple[Any, Any]:
    """(eigenvalues, eigenvectors) of each matrix, the vectors of unit length as the
    columns, for matrices whose eigenvalues are real (complex ones are a ValueError:
    tensors hold real numbers). ``eps`` is lucid 2.x's guard for equal eigenvalues,
    kept for its signature: tied eigenvalues make the eigenvector gradient inf here."""
    t = _matrix("eig", a)
    if isinstance(eps, bool) or not isinstance(eps, (*INTS, float)):
        raise TypeError(f"eig: eps must be a number, got {eps!r}")
    w, v = np.linalg.eig(t.data)
    if np.iscomplexobj(w):
        if np.abs(w.imag).max(initial=0.0) > 0 or np.abs(v.imag).max(initial=0.0) > 0:
            raise ValueError("eig: the matrix has complex eigenvalues, which tensors cannot hold")
        w, v = w.real, v.real

    def eig_backward(gw: Any, gv: Any) -> Any:
        return eig_grad(w, v, gw, gv)

    return Part.apply(t, (w, v), 0, eig_backward), Part.apply(t, (w, v), 1, eig_backward)


def qr(a: Any, /) -> tuple[Any, Any]:
    """(Q, R), the reduced QR factorisation: Q's columns orthonormal, R upper-triangular."""
    t = _matrix("qr", a, square=False)
    q, r = np.linalg.qr(t.data)
    x = t.data.copy()

    def qr_backward(gq: Any, gr: Any) -> Any:
        return qr_grad(
            x, q, r, np.zeros_like(q) if gq is None else gq, np.zeros_like(r) if gr is None else gr
        )

    return Part.apply(t, (q, r), 0, qr_backward), Part.apply(t, (q, r), 1, qr_backward)


def svd(a: Any, /, full_matrices: bool = True) -> tuple[Any, Any, Any]:
    """(U, S, Vᵀ) with a = U diag(S) Vᵀ, singular values in descending order; with
    ``full_matrices`` U and Vᵀ are square. Gradients flow through all three; through the
    extra columns of full U or rows of full Vᵀ (not determined by a) they are a ValueError."""
    t = _matrix("svd", a, square=False)
    full = bool_arg("svd", "full_matrices", full_matrices)
    u, s, vt = np.linalg.svd(t.data, full_matrices=full)
    k = s.shape[-1]

    def svd_backward(gu: Any, gs: Any, gvt: Any) -> Any:
        if gu is not None and gu.shape[-1] > k:
            gu = _reduced(gu[..., k:], gu[..., :k], "U")
        if gvt is not None and gvt.shape[-2] > k:
            gvt = _reduced(gvt[..., k:, :], gvt[..., :k, :], "Vᵀ")
        return svd_grad(u[..., :k], s, vt[..., :k, :], gu, gs, gvt)

    parts = (u, s, vt)
    return tuple(Part.apply(t, parts, i, svd_backward) for i in range(3))  # type: ignore[return-value]


def _reduced(extra: np.ndarray, kept: np.ndarray, name: str) -> np.ndarray:
    if np.any(extra != 0):
        raise ValueError(
            f"svd: the extra vectors of a full {name} (full_matrices=True) do not depend on a, "
            "so no gradient flows through them; use full_matrices=False"
        )
    return kept


def matrix_power(a: Any, /, n: Any) -> Any:
    """Each matrix to the integer power ``n`` (the inverse's for negative n, the
    identity for 0)."""
    return MatrixPower.apply(_matrix("matrix_power", a), int_arg("matrix_power", "n", n))


def pinv(a: Any, /, rcond: float = 1e-12) -> Any:
    """The Moore-Penrose pseudo-inverse of each matrix; singular values below ``rcond``
    times the largest count as zero."""
    t = _matrix("pinv", a, square=False)
    if isinstance(rcond, bool) or not isinstance(rcond, (*INTS, float)) or rcond < 0:
        raise ValueError(f"pinv: rcond must be a non-negative number, got {rcond!r}")
    return Pinv.apply(t, float(rcond))
