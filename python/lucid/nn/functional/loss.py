"""Losses, each one fused Function: forward and backward in numpy, numerically stable.

Every loss computes in numpy's promotion of its input's dtype with its float target's
and weights' (a float32 input with a float64 target gives float64, as lucid 2.x; Python
numbers do not widen), in Rust storage. ``reduction`` is "mean",
"sum" or "none" (None, lucid's spelling, is "none"). The positional orders are lucid's:
cross_entropy(input_, target, weight, reduction, eps, ignore_index), nll_loss(input_,
target, weight, reduction, ignore_index), binary_cross_entropy(input_, target, weight,
reduction, eps); PyTorch's label_smoothing is keyword-only. Weights (``weight``,
``pos_weight``) are constants: no gradient flows to them (PyTorch does not implement one
either). Float targets (mse, the two BCEs) get
a gradient when they require one, as in PyTorch; class-index targets never do.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from lucid import _storage
from lucid._tensor import Tensor
from lucid.autograd import Function
from lucid.nn.functional._loss_args import (
    _check_eps,
    _check_input,
    _check_reduction,
    _class_args,
    _constant,
    _float_target,
    _per_element_grad,
    _promote,
    _reduce,
    _valid,
)

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "mse_loss",
    "nll_loss",
]

_BCE_EPS = 1e-12  # PyTorch's floor on x(1 - x) in BCE's gradient


# ---- mean squared error ---------------------------------------------------------------


class MSELossFunction(Function):
    def forward(  # type: ignore[override]
        self, x: np.ndarray, y: np.ndarray, reduction: str
    ) -> np.ndarray:
        self.diff = x - y.astype(x.dtype, copy=False)
        self.reduction, self.dtype = reduction, x.dtype
        return _reduce(np.square(self.diff), reduction, float(x.size), x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        g = _per_element_grad(grad, self.reduction, float(self.diff.size), self.diff.shape)
        dx = (2 * g * self.diff).astype(self.dtype, copy=False)
        need_x, need_y = self.needs_input_grad
        return (dx if need_x else None, -dx if need_y else None)


def mse_loss(input_: Tensor, target: Any, reduction: str | None = "mean") -> Tensor:
    """Mean squared error (x − y)² of ``input_`` and ``target`` (same shape; no broadcasting).

    The target gets a gradient (−∂/∂x) when it is a Tensor that requires one.
    """
    reduction = _check_reduction(reduction)
    x = _promote(_check_input("mse_loss", input_), target)
    return MSELossFunction.apply(x, _float_target("mse_loss", target, x), reduction=reduction)


# ---- cross entropy and negative log-likelihood ----------------------------------------


class CrossEntropyFunction(Function):
    """log_softmax + nll in one pass; the gradient is softmax·Σq − q, with q the
    (weighted, smoothed) target distribution."""

    fresh_grads = True  # dx is new storage

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        *,
        t: np.ndarray,
        weight: np.ndarray | None,
        ignore_index: int | None,
        dims: tuple[int, int, int],
        out_shape: tuple[int, ...],
        reduction: str,
        label_smoothing: float,
        guard: float,
    ) -> np.ndarray:
        n, c, d = dims
        eps = label_smoothing
        x3 = x.reshape(dims)
        valid = _valid(t, ignore_index)
        ti = np.where(valid, t, 0)
        # Minus the max: exp() <= 1 cannot overflow and its sum is >= 1, so log is finite.
        logp = x3 - x3.max(axis=1, keepdims=True)
        logp -= np.log(np.exp(logp).sum(axis=1, keepdims=True))
        wc = weight if weight is not None else np.ones(c, x.dtype)
        wt = wc[ti] * valid
        # Zeroed, not multiplied by 0: an ignored entry's row may hold -inf (a -inf logit).
        picked = np.where(valid, np.take_along_axis(logp, ti[:, None, :], axis=1)[:, 0, :], 0)
        # lucid's guard: −log(p_t + guard) = −logaddexp(log p_t, log guard), whose slope
        # is r = p_t / (p_t + guard) times the unguarded one.
        self.r = None
        if guard > 0:
            guarded = np.logaddexp(picked, np.log(guard)).astype(x.dtype, copy=False)
            self.r = np.exp(picked - guarded)
            picked = np.where(valid, guarded, 0)
        loss = -(1 - eps) * wt * picked
        if eps > 0:
            loss = np.where(valid, loss - (eps / c) * (logp * wc[None, :, None]).sum(axis=1), 0)
        self.divisor = float(wt.sum(dtype=np.float64))
        self.logp, self.ti, self.wt, self.wc, self.valid = logp, ti, wt, wc, valid
        self.eps, self.reduction, self.shape = eps, reduction, x.shape
        return _reduce(loss.reshape(out_shape), reduction, self.divisor, x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        n, c, d = self.logp.shape
        eps = self.eps
        g = np.broadcast_to(_per_element_grad(grad, self.reduction, self.divisor, (n, d)), (n, d))
        wt = self.wt if self.r is None else self.wt * self.r
        q_sum = (1 - eps) * wt + (eps / c) * self.wc.sum() * self.valid
        dx = _storage.empty(self.shape, self.logp.dtype)
        dx3 = dx.reshape(n, c, d)
        np.exp(self.logp, out=dx3)
        dx3 *= (g * q_sum)[:, None, :]
        dx3[np.arange(n)[:, None], self.ti, np.arange(d)] -= (1 - eps) * g * wt
        if eps > 0:
            dx3 -= (eps / c) * self.wc[None, :, None] * (g * self.valid)[:, None, :]
        return (dx,)


class NLLLossFunction(Function):
    fresh_grads = True  # dx is new storage

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        *,
        t: np.ndarray,
        weight: np.ndarray | None,
        ignore_index: int | None,
        dims: tuple[int, int, int],
        out_shape: tuple[int, ...],
        reduction: str,
    ) -> np.ndarray:
        n, c, d = dims
        valid = _valid(t, ignore_index)
        ti = np.where(valid, t, 0)
        wt = (weight[ti] if weight is not None else np.ones(t.shape, x.dtype)) * valid
        picked = np.take_along_axis(x.reshape(dims), ti[:, None, :], axis=1)[:, 0, :]
        # Zeroed, not multiplied by 0: an ignored entry's picked value may be -inf.
        loss = -wt * np.where(valid, picked, 0)
        self.divisor = float(wt.sum(dtype=np.float64))
        self.ti, self.wt, self.dims, self.reduction = ti, wt, dims, reduction
        self.shape, self.dtype = x.shape, x.dtype
        return _reduce(loss.reshape(out_shape), reduction, self.divisor, x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        n, _, d = self.dims
        g = _per_element_grad(grad, self.reduction, self.divisor, (n, d))
        dx = _storage.zeros(self.shape, self.dtype)
        dx.reshape(self.dims)[np.arange(n)[:, None], self.ti, np.arange(d)] = -g * self.wt
        return (dx,)


def _check_smoothing(label_smoothing: Any) -> float:
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"label_smoothing must be a float in [0, 1], got {label_smoothing!r}")
    if not 0.0 <= float(label_smoothing) <= 1.0:
        raise ValueError(f"label_smoothing must be in [0, 1], got {label_smoothing}")
    return float(label_smoothing)


def cross_entropy(
    input_: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str | None = "mean",
    eps: float = 1e-7,
    ignore_index: int | None = -100,
    *,
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross entropy of logits ``input_`` and class indices ``target``.

    Per entry, −w_t·log(p_t + eps), p = softmax(input_) over the classes: lucid's form,
    whose ``eps`` (default 1e-7) keeps a vanishing p_t finite; eps=0 gives PyTorch's
    exact −w_t·log p_t. It is computed from log-softmax, so nothing overflows.
    Shapes: input_ (N, C) with target (N,); (N, C, d1, ...) with (N, d1, ...); (C,) with
    (). ``target`` holds int64 indices in [0, C) or ``ignore_index`` (those entries give
    0 and count for nothing; None ignores none, as lucid's default, and -100, PyTorch's,
    is no valid class either). ``weight`` (C,) scales each class; "mean" divides by the
    summed weights of the non-ignored targets (nan when that is 0, with a zero gradient).
    ``label_smoothing`` ε mixes the one-hot target with the uniform distribution:
    (1 − ε)·w_t·(−log(p_t + eps)) + (ε/C)·Σ_c w_c·(−log p_c), as PyTorch's when eps=0.
    """
    reduction = _check_reduction(reduction)
    guard = _check_eps("cross_entropy", eps, 1.0)
    smoothing = _check_smoothing(label_smoothing)
    x = _promote(_check_input("cross_entropy", input_), weight)
    args = _class_args("cross_entropy", x, target, weight, ignore_index)
    return CrossEntropyFunction.apply(
        x, reduction=reduction, label_smoothing=smoothing, guard=guard, **args
    )


def nll_loss(
    input_: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str | None = "mean",
    ignore_index: int | None = -100,
) -> Tensor:
    """Negative log-likelihood −w_t·input_[t] of log-probabilities ``input_``.

    Shapes, ``weight``, ``ignore_index`` and "mean" as :func:`cross_entropy`.
    """
    reduction = _check_reduction(reduction)
    x = _promote(_check_input("nll_loss", input_), weight)
    args = _class_args("nll_loss", x, target, weight, ignore_index)
    return NLLLossFunction.apply(x, reduction=reduction, **args)


# ---- binary cross entropy -------------------------------------------------------------


def _clamped_logs(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """log(x) and log(1 − x), each clamped at −100 as PyTorch (so x = 0 or 1 is finite)."""
    with np.errstate(divide="ignore"):
        return np.maximum(np.log(x), -100), np.maximum(np.log1p(-x), -100)


class BCEFunction(Function):
    saved_inputs = {0: None, 1: (0,)}  # the target only for the input's gradient

    def forward(  # type: ignore[override]
        self, x: np.ndarray, y: np.ndarray, weight: np.ndarray | None, reduction: str, eps: float
    ) -> np.ndarray:
        y = y.astype(x.dtype, copy=False)
        # lucid's clip to [eps, 1 − eps]: outside it the loss is flat, its slope 0.
        self.inside = None if eps == 0 else (x >= eps) & (x <= 1 - eps)
        x = x if eps == 0 else np.clip(x, eps, 1 - eps)
        log_x, log_1mx = _clamped_logs(x)
        loss = -(y * log_x + (1 - y) * log_1mx)
        if weight is not None:
            loss *= weight
        self.x, self.y, self.weight, self.reduction = x, y, weight, reduction
        return _reduce(loss, reduction, float(x.size), x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        x, y = self.x, self.y
        g = _per_element_grad(grad, self.reduction, float(x.size), x.shape)
        if self.weight is not None:
            g = g * self.weight
        need_x, need_y = self.needs_input_grad
        dx = dy = None
        if need_x:  # PyTorch's form: (x − y) / max(x(1 − x), 1e-12)
            dx = g * (x - y) / np.maximum(x * (1 - x), _BCE_EPS)
            if self.inside is not None:
                dx = dx * self.inside
        if need_y:  # the derivative of the clamped loss: log(1 − x) − log(x)
            log_x, log_1mx = _clamped_logs(x)
            dy = g * (log_1mx - log_x)
        return (dx, dy)


def binary_cross_entropy(
    input_: Tensor,
    target: Any,
    weight: Any = None,
    reduction: str | None = "mean",
    eps: float = 1e-7,
) -> Tensor:
    """−w·(y·log x + (1 − y)·log(1 − x)) of probabilities ``input_`` and ``target``.

    Both must lie in [0, 1] and share a shape. As lucid's, x is first clipped to
    [eps, 1 − eps] (``eps`` default 1e-7; the loss is flat, its slope 0, outside);
    eps=0 gives PyTorch's form, each log clamped at −100.
    ``weight`` broadcasts to input_'s shape. The input's gradient is PyTorch's
    w·(x − y)/max(x(1 − x), 1e-12); the target's is w·(log(1 − x) − log x) with the
    clamped logs (PyTorch uses −logit(x), equal inside (0, 1), infinite at its ends).
    """
    reduction = _check_reduction(reduction)
    op = "binary_cross_entropy"
    eps = _check_eps(op, eps, 0.5)
    x = _promote(_check_input(op, input_), target, weight)
    y = _float_target(op, target, x)
    for name, values in (("input_", x.data), ("target", y.data if isinstance(y, Tensor) else y)):
        outside = ~((values >= 0) & (values <= 1))  # nan is outside too
        if outside.any():
            raise ValueError(
                f"{op}: {name} must hold probabilities in [0, 1], got {values[outside].flat[0]}"
            )
    w = _constant(op, "weight", weight, x)
    return BCEFunction.apply(x, y, weight=w, reduction=reduction, eps=eps)


class BCEWithLogitsFunction(Function):
    saved_inputs = {1: (0,)}  # of x, backward reads only its size

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        y: np.ndarray,
        weight: np.ndarray | None,
        pos_weight: np.ndarray | None,
        reduction: str,
    ) -> np.ndarray:
        y = y.astype(x.dtype, copy=False)
        # softplus(±x) = max(±x, 0) + log1p(exp(−|x|)): exp never overflows.
        tail = np.log1p(np.exp(-np.abs(x)))
        sp_pos, sp_neg = np.maximum(x, 0) + tail, np.maximum(-x, 0) + tail
        pos = y if pos_weight is None else pos_weight * y
        loss = pos * sp_neg + (1 - y) * sp_pos  # −log σ(x) = softplus(−x)
        if weight is not None:
            loss *= weight
        self.x, self.y, self.weight, self.pos_weight = x, y, weight, pos_weight
        self.sp_pos, self.sp_neg, self.reduction = sp_pos, sp_neg, reduction
        return _reduce(loss, reduction, float(x.size), x.dtype)

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        x, y, pw = self.x, self.y, self.pos_weight
        g = _per_element_grad(grad, self.reduction, float(x.size), x.shape)
        if self.weight is not None:
            g = g * self.weight
        need_x, need_y = self.needs_input_grad
        dx = dy = None
        if need_x:
            pos = y if pw is None else pw * y
            dx = g * (np.exp(-self.sp_neg) * (pos + 1 - y) - pos)  # exp(−softplus(−x)) = σ(x)
        if need_y:
            dy = g * ((self.sp_neg if pw is None else pw * self.sp_neg) - self.sp_pos)
        return (dx, dy)


def binary_cross_entropy_with_logits(
    input_: Tensor,
    target: Any,
    weight: Any = None,
    pos_weight: Any = None,
    reduction: str | None = "mean",
) -> Tensor:
    """BCE of sigmoid(``input_``) and ``target``, computed stably from the logits.

    Per element: w·(p·y·softplus(−x) + (1 − y)·softplus(x)), with ``weight`` w and
    ``pos_weight`` p broadcasting to input_'s shape (lucid's argument order: weight,
    pos_weight, reduction). The target gets a gradient, w·(p·softplus(−x) − softplus(x)).
    """
    reduction = _check_reduction(reduction)
    op = "binary_cross_entropy_with_logits"
    x = _promote(_check_input(op, input_), target, weight, pos_weight)
    y = _float_target(op, target, x)
    w = _constant(op, "weight", weight, x)
    pw = _constant(op, "pos_weight", pos_weight, x)
    return BCEWithLogitsFunction.apply(x, y, weight=w, pos_weight=pw, reduction=reduction)
