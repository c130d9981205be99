"""The losses' argument checks, class-target layouts and reductions.

Each check names the loss and the argument it rejects. A class loss's input is laid
out as (N, C, D): N samples, C classes, D positions (1 for an (N, C) input), so one
loop serves (C,), (N, C) and (N, C, d1, d2, ...) inputs.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from lucid import _storage
from lucid._tensor import Tensor

_REDUCTIONS = ("mean", "sum", "none")


# ---- argument checks ------------------------------------------------------------------


def _check_reduction(reduction: Any) -> str:
    """ "mean", "sum" or "none"; None is lucid's spelling of "none"."""
    if reduction is None:
        return "none"
    if not isinstance(reduction, str) or reduction not in _REDUCTIONS:
        raise ValueError(
            f"reduction must be 'mean', 'sum', 'none' or None, got {reduction!r}"
            + (" (lucid's order is weight, reduction, ...)" if isinstance(reduction, int) else "")
        )
    return reduction


def _check_eps(op: str, eps: Any, high: float) -> float:
    """A real eps in [0, high): 0 turns lucid's guard off."""
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real):
        raise TypeError(f"{op}: eps must be a number, got {eps!r}")
    if not 0.0 <= float(eps) < high:
        raise ValueError(f"{op}: eps must be in [0, {high:g}), got {eps!r}")
    return float(eps)


def _check_input(op: str, input_: Any) -> Tensor:
    if not isinstance(input_, Tensor):
        raise TypeError(f"{op}: input_ must be a lucid Tensor, got {type(input_).__name__}")
    if input_.dtype not in (np.float32, np.float64):
        raise TypeError(f"{op}: input_ must be float32 or float64, got dtype {input_.dtype}")
    return input_


def _promote(x: Tensor, *operands: Any) -> Tensor:
    """``x`` in numpy's promotion of its dtype with those of the tensors and arrays that
    enter the loss's arithmetic (float targets, weights; None is skipped), as lucid 2.x:
    a float32 input with a float64 target computes in float64. A cast is a node of the
    graph, so x's gradient comes back in x's dtype. Python numbers do not widen (they are
    weak, as numpy's scalars); lists are read as numpy reads them."""
    dtypes = [x.dtype]
    for value in operands:
        if value is None or isinstance(value, (bool, numbers.Number)):
            continue
        dtype = value.dtype if isinstance(value, (Tensor, np.ndarray)) else np.asarray(value).dtype
        if dtype.kind in "biuf":  # anything else is refused, by name, by the checks after
            dtypes.append(dtype)
    common = np.result_type(*dtypes)
    return x if common == x.dtype else x.astype(common)


def _float_target(op: str, target: Any, x: Tensor) -> Any:
    """A real-valued target of ``x``'s shape: a Tensor as given (it may need a gradient),
    anything else as an array of ``x``'s dtype."""
    values = target.data if isinstance(target, Tensor) else np.asarray(target)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{op}: target must hold real numbers, got dtype {values.dtype}")
    if values.shape != x.shape:
        raise ValueError(
            f"{op}: target must have input_'s shape {x.shape}, got target shape {values.shape}"
        )
    return target if isinstance(target, Tensor) else values.astype(x.dtype)


def _constant(op: str, name: str, value: Any, x: Tensor) -> np.ndarray | None:
    """An element-wise weight that broadcasts to ``x``'s shape, in ``x``'s dtype."""
    if value is None:
        return None
    values = value.data if isinstance(value, Tensor) else np.asarray(value)
    if values.dtype.kind not in "biuf":
        raise TypeError(f"{op}: {name} must hold real numbers, got dtype {values.dtype}")
    try:
        fits = np.broadcast_shapes(values.shape, x.shape) == x.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(
            f"{op}: {name} of shape {values.shape} does not broadcast to input_'s shape {x.shape}"
        )
    return values.astype(x.dtype)


def _layout(op: str, shape: tuple[int, ...]) -> tuple[tuple[int, int, int], tuple[int, ...]]:
    """((N, C, D), target shape) for class scores of ``shape``: (C,), (N, C) or (N, C, d...);
    D is the product of the d's, so the scores are viewed as (N, C, D)."""
    if len(shape) == 0:
        raise ValueError(f"{op}: input_ must be (C,), (N, C) or (N, C, d1, ...), got shape ()")
    rest: tuple[int, ...]
    if len(shape) == 1:
        n, c, rest = 1, shape[0], ()
    else:
        n, c, rest = shape[0], shape[1], shape[2:]
    if c == 0:
        raise ValueError(f"{op}: input_ must have at least one class, got shape {shape}")
    dims = (n, c, int(np.prod(rest, dtype=np.int64)))
    return dims, (() if len(shape) == 1 else (n, *rest))


def _class_args(op: str, x: Tensor, target: Any, weight: Any, ignore_index: Any) -> dict[str, Any]:
    """The keyword arguments of the class losses' forward: the target as int64 (N, D),
    the class weights (C,) or None, ignore_index, (N, C, D) and the unreduced shape."""
    (n, c, d), target_shape = _layout(op, x.shape)
    t = target.data if isinstance(target, Tensor) else np.asarray(target)
    if t.dtype.kind == "f":
        # lucid casts a float target to int; whole numbers are taken, others refused.
        whole = np.isfinite(t) & (t == np.trunc(t))
        if not whole.all():
            raise ValueError(
                f"{op}: a float target must hold whole class indices, got {t[~whole].flat[0]} "
                "(class-probability targets are not supported)"
            )
        t = t.astype(np.int64)
    elif t.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: target must hold integer class indices (int64), got dtype {t.dtype}"
        )
    if t.shape != target_shape:
        raise ValueError(
            f"{op}: for input_ of shape {x.shape} target must have shape {target_shape}, "
            f"got {t.shape}"
        )
    if ignore_index is not None and (
        isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral)
    ):
        raise TypeError(f"{op}: ignore_index must be an int or None, got {ignore_index!r}")
    bad = (t < 0) | (t >= c)
    if ignore_index is not None:
        bad &= t != ignore_index
    if bad.any():
        raise ValueError(
            f"{op}: target must hold class indices in [0, {c}) or ignore_index "
            f"({ignore_index}), got {t[bad].flat[0]}"
        )
    w = None
    if weight is not None:
        w = weight.data if isinstance(weight, Tensor) else np.asarray(weight)
        if w.dtype.kind not in "biuf":
            raise TypeError(f"{op}: weight must hold real numbers, got dtype {w.dtype}")
        if w.shape != (c,):
            raise ValueError(f"{op}: weight must have shape ({c},) (one per class), got {w.shape}")
        w = w.astype(x.dtype)
    return {
        "t": t.reshape(n, d).astype(np.int64, copy=False),
        "weight": w,
        "ignore_index": None if ignore_index is None else int(ignore_index),
        "dims": (n, c, d),
        "out_shape": target_shape,
    }


def _valid(t: np.ndarray, ignore_index: int | None) -> np.ndarray:
    """Which targets count: all of them when ignore_index is None (lucid's default)."""
    return np.ones(t.shape, bool) if ignore_index is None else t != ignore_index


# ---- reductions -----------------------------------------------------------------------


def _reduce(loss: np.ndarray, reduction: str, divisor: float, dtype: np.dtype) -> np.ndarray:
    """The loss as new storage: all of it ("none"), its sum, or its sum / divisor."""
    if reduction == "none":
        return _storage.copy_of(loss, dtype)
    out = _storage.empty((), dtype)
    total = loss.sum(dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):  # an empty mean is nan, as PyTorch
        out[...] = total / divisor if reduction == "mean" else total
    return out


def _per_element_grad(
    grad: np.ndarray, reduction: str, divisor: float, shape: tuple[int, ...]
) -> Any:
    """The output's gradient as a factor per loss element (broadcasts to ``shape``)."""
    if reduction == "none":
        return grad.reshape(shape)
    if reduction == "mean":
        # An empty mean (divisor 0: nothing counted) has a zero gradient.
        return grad / divisor if divisor != 0 else np.zeros_like(grad)
    return grad
