"""References for the loss tests (tests/nn/test_loss_*.py), and their shared inputs.

Written with explicit loops over samples and math's functions, independent of the
vectorised implementation in lucid.nn.functional.loss; all return float64 arrays.
Not a test module (pytest collects test_*.py only).
"""

import math

import numpy as np

REDUCTIONS = ["mean", "sum", "none"]


# ---- references -------------------------------------------------------------------------


def reduce_ref(losses, reduction, divisor=None):
    losses = np.asarray(losses, dtype=np.float64)
    if reduction == "none":
        return losses
    total = float(losses.sum())
    if reduction == "sum":
        return np.asarray(total)
    return np.asarray(total / (losses.size if divisor is None else divisor))


def positions(x_shape):
    """(target index, function taking the class vector out of x) for every sample."""
    if len(x_shape) == 1:
        yield (), lambda x: x
        return
    for idx in np.ndindex((x_shape[0], *x_shape[2:])):
        n, rest = idx[0], idx[1:]
        yield idx, (lambda x, n=n, rest=rest: x[(n, slice(None), *rest)])


def ref_cross_entropy(x, t, weight=None, ignore_index=-100, reduction="mean", smoothing=0.0):
    x = np.asarray(x, dtype=np.float64)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    losses = np.zeros(np.shape(t))
    divisor = 0.0
    for idx, scores in positions(x.shape):
        target = int(np.asarray(t)[idx])
        if target == ignore_index:
            continue
        z = scores(x)
        top = max(z)
        lse = top + math.log(sum(math.exp(v - top) for v in z))
        q = [(1 - smoothing) * (k == target) + smoothing / c for k in range(c)]
        losses[idx] = sum(w[k] * q[k] * (lse - z[k]) for k in range(c))
        divisor += w[target]
    return reduce_ref(losses, reduction, divisor)


def ref_nll(x, t, weight=None, ignore_index=-100, reduction="mean"):
    x = np.asarray(x, dtype=np.float64)
    c = x.shape[0] if x.ndim == 1 else x.shape[1]
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    losses = np.zeros(np.shape(t))
    divisor = 0.0
    for idx, scores in positions(x.shape):
        target = int(np.asarray(t)[idx])
        if target != ignore_index:
            losses[idx] = -w[target] * scores(x)[target]
            divisor += w[target]
    return reduce_ref(losses, reduction, divisor)


def ref_mse(x, y, reduction="mean"):
    losses = [(a - b) ** 2 for a, b in zip(np.ravel(x), np.ravel(y), strict=True)]
    return reduce_ref(np.reshape(losses, np.shape(x)), reduction)


def clamped_log(v):
    return max(math.log(v), -100.0) if v > 0 else -100.0


def ref_bce(x, y, weight=None, reduction="mean"):
    w = np.broadcast_to(1.0 if weight is None else weight, np.shape(x))
    losses = np.zeros(np.shape(x))
    for i in np.ndindex(np.shape(x)):
        p, t = float(x[i]), float(y[i])
        losses[i] = -w[i] * (t * clamped_log(p) + (1 - t) * clamped_log(1 - p))
    return reduce_ref(losses, reduction)


def ref_bce_logits(x, y, weight=None, pos_weight=None, reduction="mean"):
    shape = np.shape(x)
    w = np.broadcast_to(1.0 if weight is None else weight, shape)
    pw = np.broadcast_to(1.0 if pos_weight is None else pos_weight, shape)
    losses = np.zeros(shape)
    for i in np.ndindex(shape):
        s = 1 / (1 + math.exp(-float(x[i])))
        t = float(y[i])
        losses[i] = -w[i] * (pw[i] * t * math.log(s) + (1 - t) * math.log(1 - s))
    return reduce_ref(losses, reduction)


T4 = np.array([0, 2, 1, 2])  # targets for (4, 3) scores
W3 = np.array([0.5, 2.0, 1.5])
