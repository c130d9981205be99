"""check_op: one operation against numpy, on values and on gradients.

Modelled on tinygrad's ``helper_test_op``: values are compared with a numpy reference,
and gradients with central finite differences of that reference in float64 (PyTorch is
not a dependency). The float32 path is checked too, for its dtype and its values.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from lucid import Tensor, _storage


def _inputs(specs: tuple[Any, ...], low: float, high: float, seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [
        np.asarray(s, dtype=np.float64) if isinstance(s, np.ndarray) else rng.uniform(low, high, s)
        for s in specs
    ]


def _finite_differences(
    loss: Callable[[list[np.ndarray]], float], arrays: list[np.ndarray], eps: float
) -> list[np.ndarray]:
    grads = []
    for i, x in enumerate(arrays):
        grad = np.zeros_like(x)
        for j in np.ndindex(x.shape):
            shifted = [a.copy() for a in arrays]
            shifted[i][j] = x[j] + eps
            up = loss(shifted)
            shifted[i][j] = x[j] - eps
            grad[j] = (up - loss(shifted)) / (2 * eps)
        grads.append(grad)
    return grads


def check_op(
    fn: Callable[..., Any],
    *shapes_or_arrays: Any,
    ref: Callable[..., Any] | None = None,
    atol: float = 1e-6,
    rtol: float = 1e-5,
    low: float = -2.0,
    high: float = 2.0,
    eps: float = 1e-6,
    seed: int = 0,
) -> None:
    """Check ``fn`` on tensors against ``ref`` (default: ``fn`` itself on numpy arrays).

    Each argument after ``fn`` is a shape (random values in [low, high)) or an array;
    every one becomes a tensor that requires grad. The output is seeded with a random
    gradient w, so the gradients are those of sum(w * fn(...)); each must match finite
    differences and be non-zero somewhere, so no check passes vacuously.
    """
    ref = fn if ref is None else ref
    arrays = _inputs(shapes_or_arrays, low, high, seed)
    expected = np.asarray(ref(*[a.copy() for a in arrays]), dtype=np.float64)
    w = np.random.default_rng(seed + 1).standard_normal(expected.shape)

    tensors = [Tensor(a, requires_grad=True) for a in arrays]
    out = fn(*tensors)
    assert isinstance(out, Tensor) and _storage.is_storage_view(out.data)
    assert out.shape == expected.shape and out.dtype == np.float64
    np.testing.assert_allclose(out.data, expected, atol=atol, rtol=rtol)
    out.grad = w.copy()
    out.backward()

    def loss(xs: list[np.ndarray]) -> float:
        return float((np.asarray(ref(*xs), dtype=np.float64) * w).sum())

    for i, (t, fd) in enumerate(zip(tensors, _finite_differences(loss, arrays, eps), strict=True)):
        assert np.any(fd != 0), f"input {i}: finite differences are all zero; pick other inputs"
        assert t.grad is not None, f"input {i} got no gradient"
        assert t.grad.shape == t.shape and t.grad.dtype == np.float64
        np.testing.assert_allclose(t.grad, fd, atol=max(atol, 1e-6), rtol=max(rtol, 1e-5))

    # float32 inputs stay float32 (Python scalars are weak) and agree with float64.
    singles = [Tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    out32 = fn(*singles)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32.data, expected, atol=1e-4, rtol=1e-4)
    out32.grad = w.astype(np.float32)
    out32.backward()
    for t32, t in zip(singles, tensors, strict=True):
        assert t32.grad.dtype == np.float32
        np.testing.assert_allclose(t32.grad, t.grad, atol=1e-4, rtol=1e-4)


def like(constant, x):
    """A constant operand (a loss weight, say) as an array of x's dtype, or None: with it
    check_op's float32 pass stays float32 (a float64 constant would promote it, as numpy
    and lucid 2.x do)."""
    return None if constant is None else np.asarray(constant, dtype=x.dtype)
