"""The numpy kernels of the convolutions (lucid.nn.functional.conv and conv_transpose):
padding, the strided view of every window, the per-group tensordots of the forward and
of the weight gradient, and col2im, the scatter of window gradients back to the input.

Every function takes and returns numpy arrays; the Functions that call them own the
autograd bookkeeping and the result storage.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import as_strided

__all__ = [
    "Pads",
    "bias_grad",
    "correlate",
    "crop",
    "pad",
    "scatter",
    "weight_grad",
    "window_grads",
    "windows",
]

#: (before, after) zeros per spatial axis.
Pads = tuple[tuple[int, int], ...]


def pad(x: np.ndarray, pads: Pads) -> np.ndarray:
    """``x`` with zeros before and after each spatial axis (``x`` itself when none)."""
    if not any(lo or hi for lo, hi in pads):
        return x
    return np.pad(x, ((0, 0), (0, 0), *pads))


def windows(
    xp: np.ndarray,
    out: tuple[int, ...],
    kernel: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> np.ndarray:
    """The read-only view (N, C, *out, *kernel) of the padded input's windows: element
    [n, c, *o, *k] is xp[n, c, *(o·stride + k·dilation)]."""
    st = xp.strides
    spatial = st[2:]
    return as_strided(
        xp,
        shape=(*xp.shape[:2], *out, *kernel),
        strides=(
            *st[:2],
            *(a * s for a, s in zip(spatial, stride, strict=True)),
            *(a * d for a, d in zip(spatial, dilation, strict=True)),
        ),
        writeable=False,
    )


def correlate(win: np.ndarray, w: np.ndarray, groups: int, out: np.ndarray) -> np.ndarray:
    """out[n, o, *p] = Σ_{c,k} win[n, c, *p, *k] · w[o, c, *k] within each group, into
    ``out`` (N, O, *p): one tensordot (an im2col copy and a BLAS product) per group."""
    rank = w.ndim - 2
    cg, og = w.shape[1], w.shape[0] // groups
    win_axes = [1, *range(2 + rank, 2 + 2 * rank)]
    w_axes = [1, *range(2, 2 + rank)]
    for g in range(groups):
        part = np.tensordot(
            win[:, g * cg : (g + 1) * cg], w[g * og : (g + 1) * og], axes=(win_axes, w_axes)
        )
        out[:, g * og : (g + 1) * og] = np.moveaxis(part, -1, 1)
    return out


def weight_grad(win: np.ndarray, grad: np.ndarray, groups: int) -> np.ndarray:
    """dw[o, c, *k] = Σ_{n,p} grad[n, o, *p] · win[n, c, *p, *k] within each group."""
    rank = grad.ndim - 2
    cg, og = win.shape[1] // groups, grad.shape[1] // groups
    kernel = win.shape[2 + rank :]
    axes = [0, *range(2, 2 + rank)]
    dw = np.empty((grad.shape[1], cg, *kernel), np.result_type(win, grad))
    for g in range(groups):
        dw[g * og : (g + 1) * og] = np.tensordot(
            grad[:, g * og : (g + 1) * og], win[:, g * cg : (g + 1) * cg], axes=(axes, axes)
        )
    return dw


def window_grads(grad: np.ndarray, w: np.ndarray, groups: int) -> np.ndarray:
    """cols[n, *p, c, *k] = Σ_o grad[n, o, *p] · w[o, c, *k] within each group: the
    gradient of every window element, (N, *p, C, *kernel)."""
    cg, og = w.shape[1], w.shape[0] // groups
    rank = w.ndim - 2
    cols = np.empty(
        (grad.shape[0], *grad.shape[2:], cg * groups, *w.shape[2:]), np.result_type(grad, w)
    )
    for g in range(groups):
        cols[(Ellipsis, slice(g * cg, (g + 1) * cg)) + (slice(None),) * rank] = np.tensordot(
            grad[:, g * og : (g + 1) * og], w[g * og : (g + 1) * og], axes=([1], [0])
        )
    return cols


def scatter(
    cols: np.ndarray,
    padded: tuple[int, ...],
    stride: tuple[int, ...],
    dilation: tuple[int, ...],
) -> np.ndarray:
    """col2im: the sum, into zeros of the padded input's shape (N, C, *padded), of every
    window gradient at the position it was read from; one strided slice-add per kernel
    offset (overlapping windows add up)."""
    rank = len(stride)
    n, out, c = cols.shape[0], cols.shape[1 : 1 + rank], cols.shape[1 + rank]
    kernel = cols.shape[2 + rank :]
    dxp = np.zeros((n, c, *padded), cols.dtype)
    for k in np.ndindex(*kernel):
        region = tuple(
            slice(ki * d, ki * d + s * (o - 1) + 1, s)
            for ki, d, s, o in zip(k, dilation, stride, out, strict=True)
        )
        dxp[(slice(None), slice(None), *region)] += np.moveaxis(cols[(Ellipsis, *k)], -1, 1)
    return dxp


def crop(xp: np.ndarray, pads: Pads, spatial: tuple[int, ...]) -> np.ndarray:
    """The unpadded part of ``xp``: ``spatial`` elements after each axis's front pad."""
    return xp[
        (slice(None), slice(None))
        + tuple(slice(lo, lo + n) for (lo, _), n in zip(pads, spatial, strict=True))
    ]


def bias_grad(grad: np.ndarray) -> np.ndarray:
    return grad.sum(axis=(0, *range(2, grad.ndim)))
