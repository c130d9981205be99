"""Run by test_dropout_threads.py in a subprocess: every dropout of the family on the
cases given as JSON in argv[1], printing one SHA-256 per case and member (of the output,
the input's gradient and the module's mask) as a JSON object.

Each case is {"shape": [N, C, H, W], "dtype": ..., "p": ..., "state": [seed, stream,
offset], "seed": ...}; the input and upstream gradient come from numpy's generator
with that seed, so every process sees the same values.
"""

from __future__ import annotations

import hashlib
import json
import sys

import numpy as np

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn


def _generator(state):
    gen = lucid.random.Generator(state[0], stream=state[1])
    gen.set_state(tuple(state))
    return gen


def _digest(case):
    n, c, h, w = case["shape"]
    rng = np.random.default_rng(case["seed"])
    x_np = rng.standard_normal((n, c, h, w)).astype(case["dtype"])
    dy_np = rng.standard_normal((n, c, h, w)).astype(case["dtype"])
    p, state = case["p"], case["state"]
    calls = {
        "dropout": (lambda x, g: F.dropout(x, p, generator=g), (n, c, h, w)),
        "dropout1d": (lambda x, g: F.dropout1d(x, p, generator=g), (n, c, h * w)),
        "dropout2d": (lambda x, g: F.dropout2d(x, p, generator=g), (n, c, h, w)),
        "dropout3d": (lambda x, g: F.dropout3d(x, p, generator=g), (n, c, h, w, 1)),
        "alpha_dropout": (lambda x, g: F.alpha_dropout(x, p, generator=g), (n, c, h, w)),
        "alpha_dropout(noise_shape)": (
            lambda x, g: F.alpha_dropout(x, p, generator=g, noise_shape=(n, 1, h, w)),
            (n, c, h, w),
        ),
        "feature_alpha_dropout": (
            lambda x, g: F.feature_alpha_dropout(x, p, generator=g),
            (n, c, h, w),
        ),
        "AlphaDropout.mask": (
            lambda x, g: _module_mask(nn.AlphaDropout(p, generator=g), x),
            (n, c, h, w),
        ),
    }
    out = {}
    for name, (fn, shape) in calls.items():
        x = Tensor(x_np.reshape(shape), requires_grad=True)
        y = fn(x, _generator(state))
        parts = [y.data.tobytes()]
        if y.requires_grad:
            y.grad = dy_np.reshape(y.shape)
            y.backward()
            parts.append(x.grad.tobytes())
        out[name] = hashlib.sha256(b"".join(parts)).hexdigest()
    return out


def _module_mask(module, x):
    module(x)
    return module.mask


def main() -> None:
    cases = json.loads(sys.argv[1])
    print(json.dumps([_digest(case) for case in cases]))


if __name__ == "__main__":
    main()
