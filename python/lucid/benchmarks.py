"""Alpha dropout speed, as ratios against baselines timed in the same process.

    python -m lucid.benchmarks                         # the README table
    python -m lucid.benchmarks --sizes 1e3 1e5 1e7 --dtypes float32
    python -m lucid.benchmarks --threads 1 2           # one subprocess per RAYON_NUM_THREADS
    python -m lucid.benchmarks --json                  # machine-readable rows
    python -m lucid.benchmarks --huge                  # one float32 tensor of 2**31 + 1 elements

(`python benches/bench_dropout.py` runs the same.)

Columns (medians, milliseconds): lucid forward, backward (the kernel on a given
upstream gradient) and forward + backward through autograd; `floor`, a parallel copy
of the same bytes into a new storage with the kernels' chunking and thread pool;
numpy's single-threaded copy; PyTorch's CPU alpha_dropout where torch is installed;
and the numpy formula lucid 2.x used. Ratios are to the floor, speed-ups are PyTorch's
time over lucid's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lucid
import lucid._C as _C
import lucid.nn.functional as F

P = 0.1


def median_ms(fn: Callable[[], Any], reps: int) -> float:
    fn()  # warm-up: page faults, thread-pool start, buffer pool
    times = []
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times) * 1e3)


def numpy_formula(x: np.ndarray, p: float, rng: np.random.Generator) -> np.ndarray:
    """lucid 2.x's alpha dropout: x·mask/(1 − p) + (1 − mask)·α'."""
    mask = (rng.random(x.shape, dtype=x.dtype) > p).astype(x.dtype)
    return x * mask / (1 - p) + (1 - mask) * _C.ALPHA_PRIME


def torch_times(n: int, dtype: str, reps: int) -> tuple[float, float] | None:
    try:
        import torch
    except ImportError:
        return None
    torch.manual_seed(0)
    xt = torch.randn(n, dtype=getattr(torch, dtype))
    fwd = median_ms(lambda: torch.nn.functional.alpha_dropout(xt, P, training=True), reps)
    xg = xt.clone().requires_grad_(True)

    def both() -> None:
        xg.grad = None
        torch.nn.functional.alpha_dropout(xg, P, training=True).sum().backward()

    return fwd, median_ms(both, reps)


def measure(n: int, dtype: str, reps: int) -> dict[str, Any]:
    lucid.random.seed(0)
    x = lucid.random.randn(n, dtype=dtype)
    xg = lucid.random.randn(n, dtype=dtype, requires_grad=True)
    gen = lucid.random.Generator(1)
    out = np.empty_like(x.data)
    _, mask = _C.dropout_forward(x.data, P, gen)
    dy = np.ones(n, dtype=dtype)

    def forward_backward() -> None:
        xg.grad = None
        F.alpha_dropout(xg, P, generator=gen).backward()

    row: dict[str, Any] = {
        "n": n,
        "dtype": dtype,
        "threads": int(os.environ.get("RAYON_NUM_THREADS", 0)) or os.cpu_count(),
        "floor_ms": median_ms(lambda: _C.parallel_copy(x.data), reps),
        "numpy_copy_ms": median_ms(lambda: np.copyto(out, x.data), reps),
        "forward_ms": median_ms(lambda: F.alpha_dropout(x, P, generator=gen), reps),
        "backward_ms": median_ms(lambda: _C.dropout_backward(dy, mask), reps),
        "forward_backward_ms": median_ms(forward_backward, reps),
    }
    rng = np.random.default_rng(0)
    row["numpy_formula_ms"] = median_ms(lambda: numpy_formula(x.data, P, rng), max(3, reps // 3))
    torch = torch_times(n, dtype, reps)
    row["torch_forward_ms"], row["torch_forward_backward_ms"] = torch or (None, None)
    return row


def measure_huge(n: int) -> dict[str, Any]:
    """One float32 tensor past 2**31 elements: proves 64-bit indexing end to end.

    Needs about 3.5 times n·4 bytes of memory. Checks the law on the last million
    elements, which only 64-bit offsets reach.
    """
    x = lucid.random.randn(n, dtype=np.float32)
    a, b, d = (np.float32(v) for v in _C.dropout_coefficients(P, "alpha"))
    start = time.perf_counter()
    ys, mask = _C.dropout_forward(x.data, P, lucid.random.Generator(1))
    forward = (time.perf_counter() - start) * 1e3
    tail = slice(n - 1_000_000, n)
    y, xt = np.asarray(ys)[tail], x.data[tail]
    kept = y != d
    assert np.array_equal(y[kept], a * xt[kept] + b), "kept values beyond 2**31 break the law"
    rate = kept.mean()
    assert abs(rate - (1 - P)) < 5 * np.sqrt(P * (1 - P) / 1e6), f"keep rate {rate}"
    del ys, y
    start = time.perf_counter()
    dx = np.asarray(_C.dropout_backward(x.data, mask))
    backward = (time.perf_counter() - start) * 1e3
    assert np.array_equal(dx[tail][kept], xt[kept] * a)
    return {"n": n, "dtype": "float32", "forward_ms": forward, "backward_ms": backward}


def machine() -> str:
    """One line on what the numbers were measured on."""
    cpu = "unknown CPU"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    try:
        import torch

        versions = f"numpy {np.__version__}, torch {torch.__version__}"
    except ImportError:
        versions = f"numpy {np.__version__}, torch not installed"
    return f"{cpu}, {os.cpu_count()} cores; {versions}; p = {P}; medians in ms"


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| N | dtype | threads | forward ms | ×floor | backward ms | ×floor | fwd+bwd ms "
        "| floor ms | numpy copy ms | numpy formula ms | torch fwd ms | torch fwd+bwd ms "
        "| fwd+bwd speed-up vs torch |"
    )
    lines = [head, "|" + "---|" * 14]
    for r in rows:
        fl = r["floor_ms"]
        torch = r["torch_forward_backward_ms"]
        torch_fwd = "—" if torch is None else f"{r['torch_forward_ms']:.3f}"
        torch_ms = "—" if torch is None else f"{torch:.3f}"
        speedup = "—" if torch is None else f"{torch / r['forward_backward_ms']:.1f}×"
        lines.append(
            f"| {r['n']:.0e} | {r['dtype']} | {r['threads']} | {r['forward_ms']:.3f} "
            f"| {r['forward_ms'] / fl:.2f} | {r['backward_ms']:.3f} | {r['backward_ms'] / fl:.2f} "
            f"| {r['forward_backward_ms']:.3f} | {fl:.3f} | {r['numpy_copy_ms']:.3f} "
            f"| {r['numpy_formula_ms']:.3f} | {torch_fwd} | {torch_ms} | {speedup} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e3, 1e5, 1e7, 1e8])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--threads", nargs="+", type=int, help="RAYON_NUM_THREADS to sweep")
    parser.add_argument("--reps", type=int, default=0, help="repetitions (default by size)")
    parser.add_argument("--json", action="store_true", help="print one JSON row per line")
    parser.add_argument("--huge", action="store_true", help="one float32 run of 2**31 + 1")
    args = parser.parse_args(argv)

    if args.threads:
        for t in args.threads:
            cmd = [sys.executable, "-m", "lucid.benchmarks", "--json"]
            cmd += ["--sizes", *map(str, args.sizes)]
            cmd += ["--dtypes", *args.dtypes] + (["--huge"] if args.huge else [])
            env = dict(os.environ, RAYON_NUM_THREADS=str(t))
            out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
            rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            print(json.dumps(rows) if args.json else f"RAYON_NUM_THREADS={t}\n{table(rows)}\n")
        return

    if args.huge:
        row = measure_huge(2**31 + 1)
        print(json.dumps(row) if args.json else f"the run past 2**31 passed its law checks: {row}")
        return
    plan = [(int(n), d) for n in args.sizes for d in args.dtypes]
    rows = []
    for n, dtype in plan:
        reps = args.reps or (3 if n >= 10**9 else 7 if n >= 10**8 else 21)
        row = measure(n, dtype, reps)
        rows.append(row)
        if args.json:
            print(json.dumps(row), flush=True)
    if not args.json:
        print(machine())
        print(table(rows))


if __name__ == "__main__":
    main()
