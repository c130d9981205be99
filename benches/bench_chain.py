"""Per-op overhead: a chain of 400 steps y = y * 1.0001 + 0.0001 (one multiply and one
add each) on a 64×128 float32 tensor, forward and backward, against the same arithmetic
in bare numpy (the floor a Python-level autograd adds its bookkeeping to) and PyTorch
when it is installed.

    python benches/bench_chain.py [--steps 400] [--repeat 30]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import lucid


def _best(fn, repeat: int) -> float:
    fn()  # warm up
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def lucid_chain(steps: int) -> None:
    x = lucid.Tensor(np.ones((64, 128), dtype=np.float32), requires_grad=True)
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.0001
    y.sum().backward()


def numpy_chain(steps: int) -> None:
    x = np.ones((64, 128), dtype=np.float32)
    y = x
    for _ in range(steps):
        y = y * np.float32(1.0001) + np.float32(0.0001)
    g = np.ones_like(x)
    for _ in range(steps):
        g = g * np.float32(1.0001)


def torch_chain(torch, steps: int) -> None:
    x = torch.ones((64, 128), dtype=torch.float32, requires_grad=True)
    y = x
    for _ in range(steps):
        y = y * 1.0001 + 0.0001
    y.sum().backward()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=400, help="steps in the chain (400)")
    parser.add_argument("--repeat", type=int, default=30, help="best of this many runs")
    args = parser.parse_args()
    rows = [("lucid", _best(lambda: lucid_chain(args.steps), args.repeat))]
    rows.append(("numpy, no autograd", _best(lambda: numpy_chain(args.steps), args.repeat)))
    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        torch.set_num_threads(lucid.get_num_threads())
        rows.append(("PyTorch", _best(lambda: torch_chain(torch, args.steps), args.repeat)))
    base = rows[0][1]
    print(f"{args.steps}-step chain, 64×128 float32, forward + backward (best of {args.repeat})")
    print("| run | time | per step | lucid / run |")
    print("|---|---|---|---|")
    for name, t in rows:
        print(f"| {name} | {t * 1e3:.2f} ms | {t / args.steps * 1e6:.1f} µs | {base / t:.2f}× |")


if __name__ == "__main__":
    main()
