"""A DataLoader batch of a TensorDataset: the per-sample path against lucid.data.collate.fetch.

    python benches/bench_fetch.py

The data are the demo's digits (1,347 float32 images of 64 pixels and their int64
labels). For batches of 32, 64 and 256 shuffled indices it times
``default_collate([ds[i] for i in indices])`` (a Tensor per sample, then their stack)
and ``fetch(ds, indices, default_collate)`` (one take per tensor), in alternation, 7
rounds of 200 calls each, and prints the medians and their ratio. Both give the same
bits, which the script checks first.
"""

from __future__ import annotations

import os
import statistics
import timeit

import numpy as np
from bench_ddp import cpu_name  # this folder is on the path of a script in it

from lucid.data import TensorDataset, default_collate
from lucid.data.collate import fetch
from lucid.demo import load_digits_split

ROUNDS, CALLS = 7, 200


def main() -> None:
    digits = load_digits_split(0)
    ds = TensorDataset(digits.x_train, digits.y_train)
    print(f"CPU: {cpu_name()} ({os.cpu_count()} logical CPUs); {ROUNDS} rounds of {CALLS} calls")
    print("| batch | per sample (µs) | fetch (µs) | ratio |")
    print("|---:|---:|---:|---:|")
    for size in (32, 64, 256):
        indices = np.random.default_rng(size).permutation(len(ds))[:size].tolist()
        slow = default_collate([ds[i] for i in indices])
        fast = fetch(ds, indices, default_collate)
        assert all(a.data.tobytes() == b.data.tobytes() for a, b in zip(slow, fast, strict=True))
        per_sample, gathered = [], []
        for _ in range(ROUNDS):
            per_sample.append(
                timeit.timeit(
                    lambda idx=indices: default_collate([ds[i] for i in idx]), number=CALLS
                )
            )
            gathered.append(
                timeit.timeit(lambda idx=indices: fetch(ds, idx, default_collate), number=CALLS)
            )
        a, b = statistics.median(per_sample) / CALLS, statistics.median(gathered) / CALLS
        print(f"| {size} | {a * 1e6:.0f} | {b * 1e6:.1f} | {b / a:.3f}× |")


if __name__ == "__main__":
    main()
