"""inv, det, solve, matrix_power and pinv as Functions over numpy.linalg, on a matrix or
a batch of them (the last two axes).

Gradients, with Aᵀ the transpose of each matrix: inv's is -Yᵀ g Yᵀ (Y = A⁻¹); det's
is g · adj(A)ᵀ, the cofactor matrix, computed from an SVD so that it holds for singular
matrices too; solve's is Bᵍ = A⁻ᵀ g for b and -Bᵍ xᵀ for a; matrix_power's is
Σₖ (Aᵀ)ᵏ g (Aᵀ)ⁿ⁻¹⁻ᵏ (through the inverse for negative n); pinv's is the
constant-rank formula of Golub and Pereyra.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid._ops._results import stored
from lucid.autograd.function import Function, unbroadcast

__all__ = ["Det", "Inv", "MatrixPower", "Pinv", "Solve", "mt"]


def mt(a: np.ndarray) -> np.ndarray:
    """Each matrix transposed (the last two axes swapped)."""
    return np.swapaxes(a, -1, -2)


class Inv(Function):
    saved_output = True

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.y = stored(np.linalg.inv(a), "inv")
        return self.y

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        yt = mt(self.y)
        return (-(yt @ grad @ yt),)


def cofactors(a: np.ndarray) -> np.ndarray:
    """adj(A)ᵀ for each matrix: d det(A) / dA, also where A is singular.

    With A = U S Vᵀ, adj(A) = det(U) det(V) · V diag(Πⱼ≠ᵢ sⱼ) Uᵀ; the products leave one
    singular value out each (running products from both ends, no division)."""
    u, s, vt = np.linalg.svd(a)
    ones = np.ones_like(s[..., :1])
    before = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    after = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vt)
    adj = mt(vt) @ ((before * after)[..., :, None] * mt(u))
    return mt(adj) * sign[..., None, None]


class Det(Function):
    saved_inputs = {0: None}

    def forward(self, a: np.ndarray) -> np.ndarray:
        self.a = a
        return stored(np.linalg.det(a), "det")

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        return (np.asarray(grad)[..., None, None] * cofactors(self.a),)


class Solve(Function):
    """x with A x = b; b is a vector only when 1-D (numpy 2's rule), else (..., M, K)."""

    saved_inputs = {0: None}
    saved_output = True

    def forward(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        self.a, self.b_shape = a, b.shape
        self.x = stored(np.linalg.solve(a, b), "solve")
        return self.x

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        vector = len(self.b_shape) == 1
        g = grad[..., None] if vector else grad
        x = self.x[..., None] if vector else self.x
        gb = np.linalg.solve(mt(self.a), g)  # broadcasts A's batch against g's
        need_a, need_b = self.needs_input_grad
        grad_a = unbroadcast(-(gb @ mt(x)), self.a.shape) if need_a else None
        grad_b = None
        if need_b:
            grad_b = unbroadcast(gb[..., 0] if vector else gb, self.b_shape)
        return (grad_a, grad_b)


def _power_grad(base: np.ndarray, n: int, grad: np.ndarray) -> np.ndarray:
    """d(sum(grad * base**n)) / d base for n >= 1."""
    bt = mt(base)
    powers = [np.broadcast_to(np.eye(base.shape[-1], dtype=base.dtype), base.shape)]
    for _ in range(n - 1):
        powers.append(powers[-1] @ bt)
    return sum((powers[k] @ grad @ powers[n - 1 - k] for k in range(n)), np.zeros_like(base))


class MatrixPower(Function):
    saved_inputs = {0: None}

    def forward(self, a: np.ndarray, n: int) -> np.ndarray:
        self.a, self.n = a, n
        return stored(np.linalg.matrix_power(a, n), "matrix_power")

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        n, a = self.n, self.a
        if n == 0:
            return (np.zeros_like(a), None)
        if n > 0:
            return (_power_grad(a, n, grad), None)
        inv = np.linalg.inv(a)
        g_inv = _power_grad(inv, -n, grad)
        return (-(mt(inv) @ g_inv @ mt(inv)), None)


class Pinv(Function):
    saved_inputs = {0: None}
    saved_output = True

    def forward(self, a: np.ndarray, rcond: float) -> np.ndarray:
        self.a = a
        self.x = stored(np.linalg.pinv(a, rcond=rcond), "pinv")
        return self.x

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        a, x, g = self.a, self.x, grad
        xt, gt = mt(x), mt(g)
        eye_m, eye_n = np.eye(a.shape[-2], dtype=a.dtype), np.eye(a.shape[-1], dtype=a.dtype)
        grad_a = -(xt @ g @ xt) + (eye_m - a @ x) @ gt @ x @ xt + xt @ x @ gt @ (eye_n - x @ a)
        return (grad_a, None)
