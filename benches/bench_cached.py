"""Compute cost of the float32 activation and dropout kernels on one thread, with data
in the cache, and what one SNN block's forward costs fused and unfused.

    python benches/bench_cached.py                 # the README table
    python benches/bench_cached.py --n 60000 --reps 201

Kernels: nanoseconds per element of lucid._C's kernels on one thread over --n float32
values (small enough to stay in the cache, so memory bandwidth is out of the way),
against lucid's copy of the same bytes in the same run. Block: one Linear(128) → SELU →
AlphaDropout(0.1) forward on a 64×128 float32 batch, as nn.Sequential runs it (one
node) against the three modules called one by one, medians in microseconds.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lucid
import lucid._C as _C
from lucid import nn
from lucid.benchmarks import machine


def median_ns(fn: Callable[[], Any], reps: int) -> float:
    fn()
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e9)


def kernels(n: int, reps: int, p: float) -> list[tuple[str, float]]:
    rng = np.random.default_rng(0)
    z = rng.standard_normal(n, dtype=np.float32)
    dy = rng.standard_normal(n, dtype=np.float32)
    _, mask = _C.selu_alpha_dropout_forward(z, p, _C.Generator(1))
    _, dropout_mask = _C.dropout_forward(z, p, _C.Generator(1))
    runs: list[tuple[str, Callable[[], Any]]] = [
        ("copy (floor)", lambda: _C.parallel_copy(z)),
        ("selu forward", lambda: _C.activation_forward("selu", z)),
        ("selu backward", lambda: _C.activation_backward("selu", z, dy)),
        ("gelu forward", lambda: _C.activation_forward("gelu", z)),
        ("gelu backward", lambda: _C.activation_backward("gelu", z, dy)),
        ("alpha dropout forward", lambda: _C.dropout_forward(z, p, _C.Generator(1))),
        ("alpha dropout backward", lambda: _C.dropout_backward(dy, dropout_mask)),
        ("fused selu → alpha dropout forward",
         lambda: _C.selu_alpha_dropout_forward(z, p, _C.Generator(1))),
        ("fused selu → alpha dropout backward",
         lambda: _C.selu_alpha_dropout_backward(z, dy, mask)),
    ]  # fmt: skip
    return [(name, median_ns(fn, reps) / n) for name, fn in runs]


def block(reps: int, p: float) -> tuple[float, float]:
    """Median µs of the fused and the module-by-module forward, alternated."""
    lucid.random.default_generator.manual_seed(0)
    model = nn.Sequential(nn.Linear(128, 128, dtype=np.float32), nn.SELU(), nn.AlphaDropout(p))
    x = lucid.Tensor(np.random.default_rng(1).standard_normal((64, 128), dtype=np.float32))
    x.requires_grad = True

    def fused() -> Any:
        return model(x)

    def one_by_one() -> Any:
        return model[2](model[1](model[0](x)))

    fused(), one_by_one()
    a, b = [], []
    for _ in range(reps):
        for fn, times in ((fused, a), (one_by_one, b)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return float(np.median(a) * 1e6), float(np.median(b) * 1e6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=60_000, help="elements (default 60,000)")
    parser.add_argument("--reps", type=int, default=201, help="timed runs each (default 201)")
    parser.add_argument("--p", type=float, default=0.1, help="drop probability (0.1)")
    args = parser.parse_args()
    if args.n < 1 or args.reps < 1:
        parser.error(f"--n and --reps must be at least 1, got {args.n} and {args.reps}")
    threads = lucid.get_num_threads()
    lucid.set_num_threads(1)
    try:
        rows = kernels(args.n, args.reps, args.p)
    finally:
        lucid.set_num_threads(threads)
    cpu = machine().split("; p =")[0]  # the CPU and versions, without the units note
    print(f"{cpu}; SIMD {_C.get_simd()[0]}")
    print(f"\nKernels, one thread, {args.n} float32 in the cache, p = {args.p}:\n")
    print("| kernel | ns per element | × copy |")
    print("|---|---|---|")
    floor = rows[0][1]
    for name, ns in rows:
        print(f"| {name} | {ns:.3f} | {ns / floor:.2f} |")
    fused, plain = block(args.reps, args.p)
    print(f"\nLinear(128) → SELU → AlphaDropout({args.p}) forward, 64×128, {threads} threads:\n")
    print("| Sequential (one node) µs | modules one by one µs | ratio |")
    print("|---|---|---|")
    print(f"| {fused:.1f} | {plain:.1f} | {fused / plain:.2f} |")


if __name__ == "__main__":
    main()
