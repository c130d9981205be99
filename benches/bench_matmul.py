"""Matrix products: lucid's kernel (``lucid._C.matmul``, on lucid's thread pool) against
numpy's ``matmul`` (its BLAS, OpenBLAS in numpy's wheels), timed in one process.

    python benches/bench_matmul.py                       # the README table
    python benches/bench_matmul.py --shapes 64x128x128 512x512x512 --dtypes float32
    python benches/bench_matmul.py --threads 1 --json

Each shape MxKxN is an (M, K) @ (K, N) product into a preallocated output; ``ᵀ`` rows
read the right operand as the transposed view of an (N, K) array, as ``nn.Linear``
does (x @ W.T). Each round times a block of calls of one side, pauses (so the other
side's threads have gone to sleep: numpy's BLAS threads spin for a while after a
call), then a block of the other, the order alternating between rounds. The table
gives the medians per call and numpy's time over lucid's (above 1: lucid is faster).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lucid
from lucid import _C
from lucid.benchmarks import machine

SHAPES = ["64x128x128", "64x128x128T", "256x256x256", "1024x1024x1024"]


def block_seconds(fn: Callable[[], Any], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def measure(shape: str, dtype: str, rounds: int, gap: float) -> dict[str, Any]:
    transposed = shape.endswith("T")
    m, k, n = (int(v) for v in shape.rstrip("T").split("x"))
    rng = np.random.default_rng(0)
    a = rng.standard_normal((m, k)).astype(dtype)
    b = rng.standard_normal((n, k)).astype(dtype).T if transposed else rng.standard_normal((k, n))
    b = b.astype(dtype, copy=False)
    out_np, out_lucid = np.empty((m, n), dtype), np.empty((m, n), dtype)
    sides = {
        "numpy": lambda: np.matmul(a, b, out=out_np),
        "lucid": lambda: _C.matmul(a, b, out_lucid),
    }
    # Blocks of about 50 ms each.
    calls = max(1, int(0.05 / max(block_seconds(sides["lucid"], 3), 1e-7)))
    times: dict[str, list[float]] = {"numpy": [], "lucid": []}
    for r in range(rounds):
        for side in ("numpy", "lucid") if r % 2 == 0 else ("lucid", "numpy"):
            time.sleep(gap)
            times[side].append(block_seconds(sides[side], calls))
    scale = float(np.abs(out_np).max()) or 1.0
    return {
        "shape": f"{m}x{k}{'ᵀ' if transposed else ''}x{n}",
        "dtype": dtype,
        "threads": lucid.get_num_threads(),
        "numpy_ms": float(np.median(times["numpy"]) * 1e3),
        "lucid_ms": float(np.median(times["lucid"]) * 1e3),
        "max_rel_diff": float(np.abs(out_np - out_lucid).max() / scale),
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| product | dtype | threads | numpy ms | lucid ms | numpy / lucid | max rel. diff |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['shape']} | {r['dtype']} | {r['threads']} | {r['numpy_ms']:.4f} "
            f"| {r['lucid_ms']:.4f} | {r['numpy_ms'] / r['lucid_ms']:.2f} "
            f"| {r['max_rel_diff']:.1e} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shapes", nargs="+", default=SHAPES, help="MxKxN, T for b transposed")
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--threads", type=int, help="lucid.set_num_threads first")
    parser.add_argument("--rounds", type=int, default=15, help="A/B rounds (default 15)")
    parser.add_argument("--gap", type=float, default=0.2, help="seconds between blocks")
    parser.add_argument("--json", action="store_true", help="one JSON object per row")
    args = parser.parse_args(argv)
    if args.threads is not None:
        lucid.set_num_threads(args.threads)
    rows = [measure(s, d, args.rounds, args.gap) for d in args.dtypes for s in args.shapes]
    if args.json:
        for row in rows:
            print(json.dumps(row))
        return
    print(table(rows))
    print(f"\n{machine().rsplit('; p =', 1)[0]}; medians of {args.rounds} blocks per side.")


if __name__ == "__main__":
    main()
