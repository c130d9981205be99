"""Per-head numpy loop references for the attention and transformer tests, written
from the definitions (nothing shared with lucid's implementation)."""

import math

import numpy as np


def set_weights(layer, seed=0):
    """Fixed weights for every projection (and bias_k/bias_v), returned as numpy arrays."""
    rng = np.random.default_rng(seed)
    weights = {}
    for name, p in layer.named_parameters():
        p.data[...] = rng.standard_normal(p.shape) * 0.5
        weights[name] = p.data.copy()
    return weights


def mha_ref(w, heads, query, key, value, kpm=None, mask=None, causal=False,
            bias_kv=False, zero_attn=False):  # fmt: skip
    """Heads as PyTorch splits them: each position's features into ``heads`` slices."""

    def proj(x, name):
        y = x @ w[f"{name}.weight"].T
        return y + w[f"{name}.bias"] if f"{name}.bias" in w else y

    q, k, v = proj(query, "q_proj"), proj(key, "k_proj"), proj(value, "v_proj")
    n, length, e = q.shape
    d = e // heads
    allowed = np.ones((n, length, k.shape[1]), dtype=bool)
    bias = np.zeros((n, length, k.shape[1]))
    if kpm is not None:
        allowed &= ~kpm[:, None, :]
    if causal:
        allowed &= np.tri(length, k.shape[1], dtype=bool)
    if mask is not None:
        if mask.dtype == bool:
            allowed &= ~mask
        else:
            bias = bias + mask
    extra = []
    if bias_kv:
        extra.append(
            (np.broadcast_to(w["bias_k"], (n, 1, e)), np.broadcast_to(w["bias_v"], (n, 1, e)))
        )
    if zero_attn:
        extra.append((np.zeros((n, 1, e)), np.zeros((n, 1, e))))
    for ek, ev in extra:
        k, v = np.concatenate([k, ek], axis=1), np.concatenate([v, ev], axis=1)
        allowed = np.concatenate([allowed, np.ones((n, length, 1), dtype=bool)], axis=2)
        bias = np.concatenate([bias, np.zeros((n, length, 1))], axis=2)
    out = np.zeros((n, length, e))
    for b in range(n):
        for h in range(heads):
            cols = slice(h * d, (h + 1) * d)
            s = q[b, :, cols] @ k[b, :, cols].T / math.sqrt(d) + bias[b]
            s = np.where(allowed[b], s, -np.inf)
            p = np.exp(s - s.max(axis=1, keepdims=True))
            out[b, :, cols] = (p / p.sum(axis=1, keepdims=True)) @ v[b, :, cols]
    return proj(out, "out_proj")


def layer_norm(x, w, b, eps=1e-5):
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * w + b
