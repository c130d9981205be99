"""Normalisation: batch_norm, instance_norm, layer_norm and group_norm (one Function,
``Standardize``, with the closed-form backward), global_response_norm and normalize.

Each result is in numpy's promotion of the tensors that enter the arithmetic (the input,
weight and bias, and the running statistics when they are used to normalise): float32
in, float32 out; a float64 weight makes it float64, as in lucid 2.x.

The running statistics, when given in training, are updated in place (outside the
graph, counting a write) with lucid 2.x's rule: ``(1 − momentum)·running + momentum·
batch``, the batch variance being the biased one (PyTorch uses the unbiased one). Any
Tensor given is updated, as in PyTorch; lucid 2.x updates only an ``nn.Buffer``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lucid._ops import inplace as _inplace
from lucid._ops._common import new, normalize_axes
from lucid._tensor import Tensor
from lucid.autograd.function import Function, unbroadcast
from lucid.nn.functional._norm_args import channels, normalized_shape_arg, optional, positive_int
from lucid.nn.functional.activation import check_input, check_real

__all__ = [
    "batch_norm",
    "global_response_norm",
    "group_norm",
    "instance_norm",
    "layer_norm",
    "normalize",
]


class Standardize(Function):
    """y = (x − mean)/sqrt(var + eps)·w + b, x seen in shape ``view``.

    The statistics are those of x over ``axes`` (keepdims) when ``mean`` and ``var`` are
    None, else the given ones (constants, seen in ``stats_view``); w and b (or None) are
    seen in ``param_view``. Backward, with x̂ the normalised input and ĝ = g·w:
    dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/σ over ``axes`` for batch statistics, ĝ/σ for
    given ones; dw = Σ g·x̂, db = Σ g over the axes w and b were broadcast along.
    """

    saved_inputs = {1: (0,)}  # w, for x's gradient; x̂ and 1/σ are computed in forward

    def forward(  # type: ignore[override]
        self,
        x: np.ndarray,
        w: np.ndarray | None,
        b: np.ndarray | None,
        mean: np.ndarray | None,
        var: np.ndarray | None,
        view: tuple[int, ...],
        axes: tuple[int, ...],
        param_view: tuple[int, ...],
        stats_view: tuple[int, ...],
        eps: float,
        op: str,
    ) -> np.ndarray:
        dtype = np.result_type(*[a for a in (x, w, b, mean, var) if a is not None])
        xv = x.reshape(view).astype(dtype, copy=False)
        self.shape, self.axes, self.param_view = x.shape, axes, param_view
        self.batch_stats = mean is None or var is None
        if self.batch_stats and not xv.size:  # nothing to average; the output is empty
            kept = tuple(1 if i in axes else n for i, n in enumerate(view))
            mu, var_ = np.zeros(kept, dtype), np.ones(kept, dtype)
        elif self.batch_stats:
            mu = xv.mean(axis=axes, keepdims=True)
            var_ = xv.var(axis=axes, keepdims=True)  # biased, as lucid 2.x
        else:
            mu = np.asarray(mean, dtype).reshape(stats_view)
            var_ = np.asarray(var, dtype).reshape(stats_view)
        self.stats = (mu, var_)
        self.rstd = 1.0 / np.sqrt(var_ + dtype.type(eps))
        self.xhat = (xv - mu) * self.rstd
        self.w = None if w is None else w.reshape(param_view)
        self.param_shapes = [None if p is None else p.shape for p in (w, b)]
        out = new(x.shape, dtype, op)
        ov = out.reshape(view)
        if self.w is None:
            ov[...] = self.xhat
        else:
            np.multiply(self.xhat, self.w, out=ov)
        if b is not None:
            np.add(ov, b.reshape(param_view), out=ov)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_x, need_w, need_b = self.needs_input_grad[:3]
        g = grad.reshape(self.xhat.shape)
        dx = dw = db = None
        if need_x:
            gw = g if self.w is None else g * self.w
            if self.batch_stats and self.xhat.size:
                axes = self.axes
                mean_g = gw.mean(axis=axes, keepdims=True)
                mean_gx = (gw * self.xhat).mean(axis=axes, keepdims=True)
                dx = (gw - mean_g - self.xhat * mean_gx) * self.rstd
            else:
                dx = gw * self.rstd
            dx = dx.reshape(self.shape)
        if need_w:
            dw = unbroadcast(g * self.xhat, self.param_view).reshape(self.param_shapes[0])
        if need_b:
            db = unbroadcast(g, self.param_view).reshape(self.param_shapes[1])
        return (dx, dw, db, None, None)


def _update(running: Tensor, batch: np.ndarray, momentum: float) -> None:
    """running ← (1 − momentum)·running + momentum·batch, in place, in running's dtype."""
    values = (1.0 - momentum) * running.data + momentum * batch.reshape(running.shape)
    running.data[...] = values
    _inplace.bump(running)


def _by_channel(
    op: str,
    input_: Any,
    running_mean: Any,
    running_var: Any,
    weight: Any,
    bias: Any,
    training: Any,
    momentum: Any,
    eps: Any,
) -> Tensor:
    """batch_norm (statistics over N and space) and instance_norm (over space only)."""
    instance = op == "instance_norm"
    x, c = channels(input_, op, 3 if instance else 2)
    rm = optional("running_mean", running_mean, op, (c,))
    rv = optional("running_var", running_var, op, (c,))
    if (rm is None) != (rv is None):
        raise ValueError(f"{op}: give running_mean and running_var together, or neither")
    w = optional("weight", weight, op, (c,))
    b = optional("bias", bias, op, (c,))
    momentum = check_real("momentum", momentum)
    eps = check_real("eps", eps, nonnegative=True)
    use_batch = bool(training) or rm is None
    axes = tuple(range(2, x.ndim)) if instance else (0, *range(2, x.ndim))
    param_view = (1, c) + (1,) * (x.ndim - 2)
    node = Standardize()
    out = node.run(
        x,
        w,
        b,
        None if use_batch else rm,
        None if use_batch else rv,
        view=tuple(x.shape),
        axes=axes,
        param_view=param_view,
        stats_view=param_view,
        eps=eps,
        op=op,
    )
    if use_batch and rm is not None and rv is not None and x.size:  # empty: no update
        mu, var = node.stats
        if instance:  # each instance's statistics, averaged over the batch (lucid 2.x)
            mu, var = mu.mean(axis=0), var.mean(axis=0)
        _update(rm, mu, momentum)
        _update(rv, var, momentum)
    return out


# ---- the functional forms -----------------------------------------------------------


def batch_norm(
    input_: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each channel of (N, C, ...) by its mean and variance over N and space.

    In training (or without running statistics) those of the batch, which also update
    ``running_mean`` and ``running_var`` in place when given; otherwise the running
    ones. ``weight`` and ``bias`` (C,) scale and shift each channel."""
    return _by_channel(
        "batch_norm", input_, running_mean, running_var, weight, bias, training, momentum, eps
    )


def instance_norm(
    input_: Tensor,
    running_mean: Tensor | None = None,
    running_var: Tensor | None = None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = True,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise each (sample, channel) of (N, C, *spatial) over its spatial positions.

    In training (or without running statistics) the instance's own statistics, whose
    mean over the batch updates the running ones in place when given; otherwise the
    running ones (lucid 2.x fails there without them; this uses the instance's)."""
    return _by_channel(
        "instance_norm", input_, running_mean, running_var, weight, bias, training, momentum, eps
    )


def layer_norm(
    input_: Tensor,
    normalized_shape: int | Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the trailing dimensions ``normalized_shape`` (an int or a tuple;
    lucid 2.x takes only a tuple), then scale by ``weight`` and shift by ``bias``, each
    of that shape."""
    op = "layer_norm"
    x = check_input(input_, op)
    shape = normalized_shape_arg(normalized_shape, op)
    k = len(shape)
    if tuple(x.shape[x.ndim - k :]) != shape or x.ndim < k:
        raise ValueError(
            f"{op}: input_'s trailing dimensions must be normalized_shape {shape}, "
            f"got input_ of shape {tuple(x.shape)}"
        )
    w = optional("weight", weight, op, shape)
    b = optional("bias", bias, op, shape)
    eps = check_real("eps", eps, nonnegative=True)
    return Standardize.apply(
        x,
        w,
        b,
        None,
        None,
        view=tuple(x.shape),
        axes=tuple(range(x.ndim - k, x.ndim)),
        param_view=shape,
        stats_view=(),
        eps=eps,
        op=op,
    )


def group_norm(
    input_: Tensor,
    num_groups: int,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Split the C channels of (N, C, ...) into ``num_groups`` groups of consecutive
    channels and normalise each (sample, group) over its channels and positions; then
    scale and shift each channel by ``weight`` and ``bias`` (C,)."""
    op = "group_norm"
    x, c = channels(input_, op, 2)
    groups = positive_int("num_groups", num_groups, op)
    if c % groups:
        raise ValueError(
            f"{op}: the number of channels ({c}) must be divisible by num_groups ({groups})"
        )
    w = optional("weight", weight, op, (c,))
    b = optional("bias", bias, op, (c,))
    eps = check_real("eps", eps, nonnegative=True)
    spatial = tuple(x.shape[2:])
    view = (x.shape[0], groups, c // groups, *spatial)
    return Standardize.apply(
        x,
        w,
        b,
        None,
        None,
        view=view,
        axes=tuple(range(2, len(view))),
        param_view=(1, groups, c // groups) + (1,) * len(spatial),
        stats_view=(),
        eps=eps,
        op=op,
    )


class GlobalResponseNorm(Function):
    """y = x + β + γ·x·Nx for (N, C, H, W) x, Nx = G/(mean over C of G + eps), G the L2
    norm of each channel over H and W. Backward through Nx: with S = Σ_hw g·γ·x and
    D = mean_C(G) + eps, dL/dG = S/D − Σ_C(S·G)/(C·D²), and dG/dx = x/G (0 where G = 0,
    as PyTorch's norm)."""

    saved_inputs = {0: None, 1: (0,)}

    def forward(self, x: np.ndarray, gamma: np.ndarray, beta: np.ndarray, eps: float) -> Any:
        dtype = np.result_type(x, gamma, beta)
        self.x, self.gamma = x.astype(dtype, copy=False), gamma
        self.g_norm = np.sqrt((self.x * self.x).sum(axis=(2, 3), keepdims=True))
        self.denom = self.g_norm.mean(axis=1, keepdims=True) + dtype.type(eps)
        self.nx = self.g_norm / self.denom
        out = new(x.shape, dtype, "global_response_norm")
        np.multiply(self.x, self.nx, out=out)
        np.multiply(out, gamma, out=out)
        np.add(out, self.x, out=out)
        np.add(out, beta, out=out)
        self.shapes = (gamma.shape, beta.shape)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        need_x, need_gamma, need_beta = self.needs_input_grad
        x, g = self.x, grad
        dx = dgamma = dbeta = None
        if need_x:
            gx = g * self.gamma
            s = (gx * x).sum(axis=(2, 3), keepdims=True)
            d = self.denom
            d_g = s / d - (s * self.g_norm).sum(axis=1, keepdims=True) / (x.shape[1] * d * d)
            with np.errstate(divide="ignore", invalid="ignore"):
                per = np.where(self.g_norm > 0, d_g / self.g_norm, 0)
            dx = g + gx * self.nx + per * x
        if need_gamma:
            dgamma = unbroadcast(g * x * self.nx, self.shapes[0])
        if need_beta:
            dbeta = unbroadcast(g, self.shapes[1])
        return (dx, dgamma, dbeta)


def global_response_norm(input_: Tensor, gamma: Tensor, beta: Tensor, eps: float = 1e-6) -> Tensor:
    """ConvNeXt V2's global response normalisation of (N, C, H, W) input_:
    ``x + beta + gamma·x·Nx``, Nx each channel's L2 norm over H and W divided by the
    mean of those norms over the channels (+ eps); gamma and beta broadcast to x's
    shape, e.g. (1, C, 1, 1).

    lucid 2.7.9 divides by the mean over a size-1 axis instead (so Nx ≈ 1) and returns
    ``gamma·x·Nx + beta·x``: these are the paper's (and timm's) formula instead."""
    op = "global_response_norm"
    x = check_input(input_, op)
    if x.ndim != 4:
        raise ValueError(f"{op}: input_ must be 4-D (N, C, H, W), got shape {tuple(x.shape)}")
    for name, t in (("gamma", gamma), ("beta", beta)):
        if not isinstance(t, Tensor) or t.dtype.kind != "f":
            raise TypeError(f"{op}: {name} must be a float Tensor, got {type(t).__name__}")
        try:
            fits = np.broadcast_shapes(t.shape, x.shape) == tuple(x.shape)
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(
                f"{op}: {name} of shape {tuple(t.shape)} must broadcast to input_'s "
                f"shape {tuple(x.shape)}"
            )
    eps = check_real("eps", eps, nonnegative=True)
    return GlobalResponseNorm.apply(x, gamma, beta, eps=eps)


class Normalize(Function):
    """y = x / max(‖x‖_p, eps) along ``axes``. Where ‖x‖ > eps,
    dx = g/n − (Σ g·x)/n² · sign(x)·(|x|/n)^(p−1); elsewhere dx = g/eps."""

    saved_inputs = {0: None}

    def forward(self, x: np.ndarray, p: float, axes: tuple[int, ...], eps: float) -> Any:
        self.x, self.p, self.axes = x, p, axes
        a = np.abs(x)
        if p == 2:
            n = np.sqrt((x * x).sum(axis=axes, keepdims=True))
        else:
            n = ((a**p).sum(axis=axes, keepdims=True)) ** (1.0 / p)
        self.norm, self.above = n, n > eps
        self.denom = np.where(self.above, n, x.dtype.type(eps))
        out = new(x.shape, x.dtype, "normalize")
        with np.errstate(divide="ignore", invalid="ignore"):  # eps = 0 and x = 0: nan
            np.divide(x, self.denom, out=out)
        return out

    def backward(self, grad: np.ndarray) -> tuple[Any, ...]:
        x, d, p = self.x, self.denom, self.p
        dot = (grad * x).sum(axis=self.axes, keepdims=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.where(x != 0, np.sign(x) * (np.abs(x) / d) ** (p - 1), 0)
            dx = grad / d - np.where(self.above, dot / (d * d), 0) * slope
        return (dx,)


def normalize(input_: Tensor, ord: float = 2, axis: Any = 1, eps: float = 1e-12) -> Tensor:
    """x divided by its ``ord``-norm along ``axis`` (an int or a tuple), the norm
    floored at ``eps``: PyTorch's normalize(p=ord, dim=axis). ``ord`` is any finite
    real > 0."""
    op = "normalize"
    x = check_input(input_, op)
    p = check_real("ord", ord)
    if p <= 0:
        raise ValueError(f"{op}: ord must be a finite number > 0, got {ord!r}")
    axes = normalize_axes(axis, x.ndim)
    eps = check_real("eps", eps, nonnegative=True)
    return Normalize.apply(x, p=p, axes=axes, eps=eps)
