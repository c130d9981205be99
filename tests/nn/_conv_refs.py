"""Direct-loop numpy references for the convolution tests: every output (or input)
element summed term by term from the textbook definitions, nothing shared with
lucid.nn.functional.conv's strided-window implementation."""

from __future__ import annotations

import itertools

import numpy as np


def _grid(shape):
    return itertools.product(*(range(n) for n in shape))


def conv(x, w, b=None, stride=1, padding=0, dilation=1, groups=1):
    """y[n, o, *p] = b[o] + Σ_{c,k} x[n, g·Cg + c, *(p·s + k·d − pad)] · w[o, c, *k],
    g = o // (O / groups), reading zero outside x."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    rank = x.ndim - 2
    s, p, d = (_tuple(v, rank) for v in (stride, padding, dilation))
    n_batch, _, *size = x.shape
    out_ch, cg, *kernel = w.shape
    og = out_ch // groups
    out = [(size[i] + 2 * p[i] - d[i] * (kernel[i] - 1) - 1) // s[i] + 1 for i in range(rank)]
    y = np.zeros((n_batch, out_ch, *out))
    for n, o in itertools.product(range(n_batch), range(out_ch)):
        g = o // og
        for pos in _grid(out):
            acc = 0.0 if b is None else float(b[o])
            for c in range(cg):
                for k in _grid(kernel):
                    idx = tuple(pos[i] * s[i] + k[i] * d[i] - p[i] for i in range(rank))
                    if all(0 <= idx[i] < size[i] for i in range(rank)):
                        acc += x[(n, g * cg + c, *idx)] * w[(o, c, *k)]
            y[(n, o, *pos)] = acc
    return y


def conv_transpose(x, w, b=None, stride=1, padding=0, output_padding=0, dilation=1, groups=1):
    """Each x[n, g·Cg + c, *i] times w[g·Cg + c, o, *k] is added at output position
    i·s + k·d − pad of channel g·Og + o; the output has (L − 1)·s − 2·pad + d·(K − 1)
    + output_padding + 1 positions per axis."""
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    rank = x.ndim - 2
    s, p, op, d = (_tuple(v, rank) for v in (stride, padding, output_padding, dilation))
    n_batch, in_ch, *size = x.shape
    _, og, *kernel = w.shape
    cg = in_ch // groups
    out = [
        (size[i] - 1) * s[i] - 2 * p[i] + d[i] * (kernel[i] - 1) + op[i] + 1 for i in range(rank)
    ]
    y = np.zeros((n_batch, og * groups, *out))
    for n, ci in itertools.product(range(n_batch), range(in_ch)):
        g = ci // cg
        for pos in _grid(size):
            for o in range(og):
                for k in _grid(kernel):
                    at = tuple(pos[i] * s[i] + k[i] * d[i] - p[i] for i in range(rank))
                    if all(0 <= at[i] < out[i] for i in range(rank)):
                        y[(n, g * og + o, *at)] += x[(n, ci, *pos)] * w[(ci, o, *k)]
    if b is not None:
        y += np.asarray(b, np.float64).reshape(-1, *(1,) * rank)
    return y


def unfold_rows(x, kernel, stride, padding, dilation):
    """lucid 2.x's F.unfold: row n·L + l, column c·∏K + (flat kernel offset)."""
    x = np.asarray(x, np.float64)
    rank = x.ndim - 2
    kr, s, p, d = (_tuple(v, rank) for v in (kernel, stride, padding, dilation))
    n_batch, channels, *size = x.shape
    out = [(size[i] + 2 * p[i] - d[i] * (kr[i] - 1) - 1) // s[i] + 1 for i in range(rank)]
    rows = []
    for n in range(n_batch):
        for pos in _grid(out):
            row = []
            for c in range(channels):
                for k in _grid(kr):
                    idx = tuple(pos[i] * s[i] + k[i] * d[i] - p[i] for i in range(rank))
                    inside = all(0 <= idx[i] < size[i] for i in range(rank))
                    row.append(x[(n, c, *idx)] if inside else 0.0)
            rows.append(row)
    return np.array(rows).reshape(n_batch * int(np.prod(out)), channels * int(np.prod(kr)))


def _tuple(v, rank):
    return tuple(v) if isinstance(v, (tuple, list)) else (v,) * rank
