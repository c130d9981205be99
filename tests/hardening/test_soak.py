"""A long training run of a small self-normalising network leaks no memory.

10,000 Adam steps of 4 blocks of Linear(32) → SELU → AlphaDropout with cross-entropy,
on mini-batches cut from a small synthetic data set. After a warm-up the process's
resident memory may not grow by 5 MB, the bytes Rust storages hold must be the same
after every step, and deleting the model gives back every storage byte it took.
"""

from __future__ import annotations

import gc
import os
import resource
import sys

import numpy as np

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.nn import init

WIDTH, DEPTH, FEATURES, CLASSES = 32, 4, 16, 4
SAMPLES, BATCH = 256, 16
WARMUP, STEPS = 500, 10_000
MAX_GROWTH = 5 * 2**20


def resident_bytes():
    """The process's resident memory now (Linux), or its peak where /proc is missing:
    a peak that grows less than the limit bounds the current growth as well."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if sys.platform == "darwin" else peak * 1024


def build_model():
    """Lecun-normal weights, zero biases, every AlphaDropout on one generator."""
    weights = lucid.random.Generator(0)
    masks = lucid.random.Generator(0, stream=1)

    def linear(fan_in, fan_out):
        layer = nn.Linear(fan_in, fan_out)
        init.lecun_normal(layer.weight, generator=weights)
        init.constant(layer.bias, 0.0)
        return layer

    layers = []
    for i in range(DEPTH):
        layers += [
            linear(FEATURES if i == 0 else WIDTH, WIDTH),
            nn.SELU(),
            nn.AlphaDropout(0.1, generator=masks),
        ]
    return nn.Sequential(*layers, linear(WIDTH, CLASSES))


def train_step(model, optimizer, inputs, labels, i):
    """Step i: the i-th batch of the data set, taken in turn; returns the loss."""
    start = i * BATCH % len(inputs)
    x = lucid.tensor(inputs[start : start + BATCH])
    y = lucid.tensor(labels[start : start + BATCH], dtype=lucid.int64)
    loss = F.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


def test_ten_thousand_steps_keep_memory_flat():
    gc.collect()
    baseline = lucid.memory_allocated()

    rng = np.random.default_rng(0)
    inputs = rng.standard_normal((SAMPLES, FEATURES)).astype(np.float32)
    labels = rng.integers(0, CLASSES, SAMPLES)
    model = build_model()
    optimizer = lucid.optim.Adam(model.parameters(), lr=1e-3)
    parameter_bytes = sum(p.data.nbytes for p in model.parameters())
    assert lucid.memory_allocated() - baseline >= parameter_bytes > 0

    epoch = SAMPLES // BATCH
    losses = [train_step(model, optimizer, inputs, labels, i) for i in range(WARMUP)]
    first_epoch = np.mean(losses[:epoch])
    gc.collect()
    resident, held = resident_bytes(), lucid.memory_allocated()
    for i in range(WARMUP, STEPS):
        # Only the last epoch's losses are kept, so the list stays as it is.
        losses[i % epoch] = train_step(model, optimizer, inputs, labels, i)
        if i % 1000 == 0:
            # Every step ends holding the same tensors, so the same storage bytes.
            assert lucid.memory_allocated() == held, f"storage bytes changed by step {i}"
    gc.collect()
    growth = resident_bytes() - resident
    assert lucid.memory_allocated() == held
    assert growth < MAX_GROWTH, f"resident memory grew {growth / 2**20:.2f} MiB after warm-up"
    # The run trained: the data set is small enough to fit.
    last_epoch = np.mean(losses[:epoch])
    assert last_epoch < 0.5 * first_epoch, f"loss {first_epoch:.3f} -> {last_epoch:.3f}"

    del model, optimizer
    gc.collect()
    assert lucid.memory_allocated() == baseline
