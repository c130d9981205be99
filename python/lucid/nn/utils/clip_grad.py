"""Gradient norms and clipping: grad_norm, get_total_norm, clip_grad_norm (and PyTorch's
clip_grad_norm_) and clip_grad_value (and clip_grad_value_).

``parameters`` is one Tensor or an iterable of them; parameters whose ``.grad`` is None
are skipped. The norm functions also take gradients themselves (numpy arrays, what
``Tensor.grad`` holds), as PyTorch's ``get_total_norm`` takes tensors. Norms are
computed in float64, scaled by the largest entry so that large or tiny gradients
neither overflow nor underflow; the total is the norm of the per-gradient norms.
Clipping writes into each ``.grad`` in place (a read-only gradient is replaced).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any

import numpy as np

from lucid._dtypes import get_default_dtype
from lucid._tensor import Tensor

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value",
    "clip_grad_value_",
    "get_total_norm",
    "grad_norm",
]


def _items(parameters: Any, name: str = "parameters") -> list[Any]:
    if isinstance(parameters, (Tensor, np.ndarray)):
        return [parameters]
    if isinstance(parameters, (str, bytes)) or not isinstance(parameters, Iterable):
        raise TypeError(
            f"{name} must be a Tensor or an iterable of Tensors, got {type(parameters).__name__}"
        )
    items = list(parameters)
    for i, item in enumerate(items):
        if not isinstance(item, (Tensor, np.ndarray)):
            raise TypeError(f"{name}[{i}] must be a Tensor, got {type(item).__name__}")
    return items


def _with_grads(parameters: Any) -> list[Tensor]:
    items = _items(parameters)
    for i, item in enumerate(items):
        if not isinstance(item, Tensor):
            raise TypeError(f"parameters[{i}] must be a Tensor, got {type(item).__name__}")
    return [p for p in items if p.grad is not None]


def _grads(parameters: Any) -> list[np.ndarray]:
    """The gradients: each Tensor's ``.grad`` (None skipped), each array as it is."""
    out = []
    for item in _items(parameters):
        grad = item.grad if isinstance(item, Tensor) else item
        if grad is not None:
            out.append(np.asarray(grad))
    return out


def _norm_type(norm_type: Any) -> float:
    if isinstance(norm_type, str):
        try:
            norm_type = float(norm_type)  # "inf", as PyTorch's float(norm_type) takes
        except ValueError:
            raise ValueError(f"norm_type must be a number or 'inf', got {norm_type!r}") from None
    if isinstance(norm_type, bool) or not isinstance(norm_type, numbers.Real):
        raise TypeError(f"norm_type must be a number, got norm_type={norm_type!r}")
    p = float(norm_type)
    if not (p > 0 or p == -math.inf):
        raise ValueError(f"norm_type must be > 0, inf or -inf, got norm_type={norm_type!r}")
    return p


def _vector_norm(values: np.ndarray, p: float) -> float:
    """The p-norm of ``values`` (float64), scaled by the largest magnitude."""
    magnitudes = np.abs(values.astype(np.float64, copy=False)).ravel()
    if magnitudes.size == 0:
        return 0.0
    if p == math.inf:
        return float(magnitudes.max())
    if p == -math.inf:
        return float(magnitudes.min())
    scale = float(magnitudes.max())
    if scale == 0.0 or not math.isfinite(scale):
        return scale  # zeros, or an inf or nan that the norm inherits
    ratios = magnitudes / scale
    if p == 2.0:
        return scale * math.sqrt(float(np.dot(ratios, ratios)))
    if p == 1.0:
        return scale * float(ratios.sum())
    return scale * float(np.sum(ratios**p)) ** (1.0 / p)


def _total(grads: list[np.ndarray], p: float) -> float:
    return _vector_norm(np.array([_vector_norm(g, p) for g in grads], np.float64), p)


def _as_tensor(total: float, grads: list[np.ndarray]) -> Tensor:
    floats = [g.dtype for g in grads if g.dtype.kind == "f"]
    dtype = np.result_type(*floats) if floats else get_default_dtype()
    return Tensor(np.asarray(total, dtype=dtype))


def get_total_norm(
    parameters: Iterable[Any] | Tensor | np.ndarray,
    norm_type: float = 2,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """The ``norm_type``-norm of all the gradients taken as one vector, a 0-d Tensor in
    the gradients' dtype (0 when there are none). ``foreach`` is accepted and ignored."""
    p = _norm_type(norm_type)
    grads = _grads(parameters)
    total = _total(grads, p) if grads else 0.0
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"the total norm of order {norm_type} of the gradients is non-finite ({total}), "
            "so it cannot be clipped; pass error_if_nonfinite=False to clip anyway"
        )
    return _as_tensor(total, grads)


def grad_norm(parameters: Iterable[Any] | Tensor | np.ndarray, norm_type: float = 2) -> Tensor:
    """lucid 2.x's name for the total gradient norm (``get_total_norm``)."""
    return get_total_norm(parameters, norm_type)


def _check_bound(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {name}={value!r}")
    if math.isnan(value) or value < 0:
        raise ValueError(f"{name} must be >= 0, got {name}={value!r}")
    return float(value)


def _scale_grad(param: Tensor, factor: float) -> None:
    grad = param.grad
    assert grad is not None
    if isinstance(grad, np.ndarray) and grad.flags.writeable:
        np.multiply(grad, factor, out=grad, casting="unsafe")
    else:
        array = np.asarray(grad)
        param.grad = (array * factor).astype(array.dtype, copy=False)


def clip_grad_norm(
    parameters: Iterable[Tensor] | Tensor,
    max_norm: float,
    norm_type: float = 2,
    eps: float = 1e-7,
    *,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scale the gradients so their total norm is at most ``max_norm``; returns the total
    norm before clipping (a 0-d Tensor). Each gradient is multiplied in place by
    min(1, max_norm / (total + eps)), so its direction is kept; a gradient array that
    appears twice is scaled once. A non-finite total raises RuntimeError with
    ``error_if_nonfinite``, else scales by the same formula (NaN stays NaN)."""
    limit = _check_bound("max_norm", max_norm)
    _check_bound("eps", eps)
    params = _with_grads(parameters)
    total = get_total_norm(params, norm_type, error_if_nonfinite)
    coef = limit / (float(total.item()) + float(eps))
    if not coef >= 1.0:  # coef < 1, or NaN from a NaN total
        seen: set[int] = set()
        for p in params:
            if id(p.grad) not in seen:
                seen.add(id(p.grad))
                _scale_grad(p, coef)
    return total


def clip_grad_value(
    parameters: Iterable[Tensor] | Tensor,
    clip_value: float,
    foreach: bool | None = None,
) -> None:
    """Clamp every gradient entry into [−clip_value, clip_value], in place."""
    bound = _check_bound("clip_value", clip_value)
    for p in _with_grads(parameters):
        grad = p.grad
        if isinstance(grad, np.ndarray) and grad.flags.writeable:
            np.clip(grad, -bound, bound, out=grad)
        else:
            p.grad = np.clip(np.asarray(grad), -bound, bound)


clip_grad_norm_ = clip_grad_norm  # PyTorch's spellings: the same in-place functions
clip_grad_value_ = clip_grad_value
