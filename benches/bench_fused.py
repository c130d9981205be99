"""SELU then alpha dropout, fused against unfused: forward + backward, medians.

    python benches/bench_fused.py                      # 1e7 and 1e8 float32
    python benches/bench_fused.py --sizes 1e6 --reps 21 --p 0.2

Rows (milliseconds, medians of alternating runs in this process, so both see the same
machine load): `autograd`, ``F.selu_alpha_dropout(x, p)`` against
``F.alpha_dropout(F.selu(x), p)``, then ``y.backward(dy)`` with a full-size dy (x is
made once, before the timing);
`kernels`, the same work as bare lucid._C calls (fused forward and backward against
SELU, alpha dropout, its backward and SELU's backward). The ratio is fused / unfused;
the two give bit-identical outputs and gradients (checked once per size here).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lucid
import lucid._C as _C
import lucid.nn.functional as F


def alternate(a: Callable[[], Any], b: Callable[[], Any], reps: int) -> tuple[float, float]:
    """Median milliseconds of a and b, run in turns after one warm-up each."""
    a(), b()
    ta, tb = [], []
    for _ in range(reps):
        for fn, times in ((a, ta), (b, tb)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return float(np.median(ta) * 1e3), float(np.median(tb) * 1e3)


def autograd_runs(z: np.ndarray, dy: np.ndarray, p: float) -> tuple[Callable[[], Any], ...]:
    """Forward + backward through autograd on one input tensor made here, before the
    timing (making it copies z, which neither path should pay); x.grad is reset each
    run, so both write a new gradient."""
    x = lucid.Tensor(z, requires_grad=True)

    def fused() -> np.ndarray:
        x.grad = None
        F.selu_alpha_dropout(x, p, generator=lucid.random.Generator(1)).backward(dy)
        return x.grad

    def unfused() -> np.ndarray:
        x.grad = None
        F.alpha_dropout(F.selu(x), p, generator=lucid.random.Generator(1)).backward(dy)
        return x.grad

    return fused, unfused


def kernel_runs(z: np.ndarray, dy: np.ndarray, p: float) -> tuple[Callable[[], Any], ...]:
    def fused() -> Any:
        _, mask = _C.selu_alpha_dropout_forward(z, p, _C.Generator(1))
        return _C.selu_alpha_dropout_backward(z, dy, mask)

    def unfused() -> Any:
        s = np.asarray(_C.activation_forward("selu", z))
        _, mask = _C.dropout_forward(s, p, _C.Generator(1))
        ds = np.asarray(_C.dropout_backward(dy, mask))
        return _C.activation_backward("selu", z, ds)

    return fused, unfused


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1e7, 1e8])
    parser.add_argument("--p", type=float, default=0.1, help="drop probability (0.1)")
    parser.add_argument("--reps", type=int, default=0, help="runs each (default by size)")
    args = parser.parse_args()
    print(f"SELU then alpha dropout, float32, p = {args.p}, forward + backward, "
          f"{lucid.get_num_threads()} threads, SIMD {_C.get_simd()[0]}")  # fmt: skip
    print("| elements | run | fused | unfused | fused / unfused |")
    print("|---|---|---|---|---|")
    for size in args.sizes:
        n = int(size)
        reps = args.reps or (5 if n >= 10**8 else 11)
        rng = np.random.default_rng(0)
        z = rng.standard_normal(n, dtype=np.float32)
        dy = rng.standard_normal(n, dtype=np.float32)
        for name, make in (("kernels", kernel_runs), ("autograd", autograd_runs)):
            fused, unfused = make(z, dy, args.p)
            a, b = np.asarray(fused()), np.asarray(unfused())
            assert np.array_equal(a.view(np.uint32), b.view(np.uint32)), "fused != unfused"
            del a, b
            tf, tu = alternate(fused, unfused, reps)
            print(f"| {n:.0e} | {name} | {tf:.1f} ms | {tu:.1f} ms | {tf / tu:.2f} |")


if __name__ == "__main__":
    main()
