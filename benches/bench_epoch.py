"""One training epoch of the demo model, in lucid and in the same model in PyTorch (CPU).

    python benches/bench_epoch.py                 # the README table
    python benches/bench_epoch.py --repeats 11 --json

The model is lucid.demo's: 8 blocks of Linear(128) → SELU → AlphaDropout(0.1) and a
Linear head, on scikit-learn's digits (1,347 training images), Adam at lr 1e-3, batch
64, cross-entropy. PyTorch's copy starts from lucid's weights and sees the same
batches in the same order. Each side runs one epoch to warm up, then ``--repeats``
timed epochs, the two sides' epochs in alternation; the table gives the medians, and the
ratio is the median of the ratios within each pair. PyTorch uses as many threads as lucid's
thread pool (RAYON_NUM_THREADS, else the number of CPUs); the PyTorch column is left
out, with a note, when torch is not installed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lucid
from lucid import demo

SEED = 0


def threads() -> int:
    """lucid's thread count: RAYON_NUM_THREADS when set, else the number of CPUs."""
    return int(os.environ.get("RAYON_NUM_THREADS") or os.cpu_count() or 1)


def blas_threads() -> str:
    """numpy's BLAS thread count, when threadpoolctl can tell. lucid's products run on
    its own pool (``lucid._gemm``); the BLAS computes only what that kernel does not take.

    scipy may load a BLAS of its own; the one in numpy's wheel is preferred when found.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return "unknown (threadpoolctl is not installed)"
    pools = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    own = [pool for pool in pools if "numpy" in pool["filepath"]] or pools
    return ", ".join(str(pool["num_threads"]) for pool in own) or "unknown"


def median_epoch(run_epoch: Callable[[np.random.Generator], Any], repeats: int) -> float:
    """Median seconds of ``run_epoch`` after one warm-up epoch; each epoch gets the
    batch order of a fresh ``default_rng(SEED)``, so both libraries see the same one."""
    run_epoch(np.random.default_rng(SEED))
    times = []
    for _ in range(repeats):
        order = np.random.default_rng(SEED)
        start = time.perf_counter()
        run_epoch(order)
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def paired_epochs(
    first: Callable[[np.random.Generator], Any],
    second: Callable[[np.random.Generator], Any],
    repeats: int,
) -> tuple[float, float, float]:
    """Medians of ``first``'s and ``second``'s epoch times and of their ratio, timed in
    alternation after one warm-up epoch each.

    This machine's speed can change by half within seconds. Timing all of one library's
    epochs and then all of the other's lets such a change land on one side only, so the
    epochs alternate, and the ratio is taken within each pair (the order inside a pair
    flips every repeat, so neither side always runs right after the other).
    """
    first(np.random.default_rng(SEED))
    second(np.random.default_rng(SEED))
    ones, twos, ratios = [], [], []
    for repeat in range(repeats):
        pair = {}
        for name in ("first", "second") if repeat % 2 == 0 else ("second", "first"):
            run = first if name == "first" else second
            order = np.random.default_rng(SEED)
            start = time.perf_counter()
            run(order)
            pair[name] = time.perf_counter() - start
        ones.append(pair["first"])
        twos.append(pair["second"])
        ratios.append(pair["first"] / pair["second"])
    return float(np.median(ones)), float(np.median(twos)), float(np.median(ratios))


def lucid_epoch(data: demo.Digits) -> Callable[[np.random.Generator], Any]:
    model = demo.build_model("alpha", seed=SEED)
    optimizer = lucid.optim.Adam(model.parameters(), lr=demo.LR)
    return lambda order: demo.train_epoch(model, optimizer, data.x_train, data.y_train, order)


def torch_epoch(data: demo.Digits, torch: Any) -> Callable[[np.random.Generator], Any]:
    """The demo model in PyTorch with lucid's initial weights, and the same epoch loop."""
    tnn = torch.nn
    lucid_model = demo.build_model("alpha", seed=SEED)
    layers: list[Any] = []
    for i in range(demo.DEPTH):
        fan_in = 64 if i == 0 else demo.WIDTH
        layers += [tnn.Linear(fan_in, demo.WIDTH), tnn.SELU(), tnn.AlphaDropout(demo.P)]
    model = tnn.Sequential(*layers, tnn.Linear(demo.WIDTH, 10))
    lucid_linears = [m for m in lucid_model.modules() if isinstance(m, lucid.nn.Linear)]
    torch_linears = [m for m in model.modules() if isinstance(m, tnn.Linear)]
    with torch.no_grad():
        for ours, theirs in zip(lucid_linears, torch_linears, strict=True):
            theirs.weight.copy_(torch.from_numpy(ours.weight.data))
            theirs.bias.copy_(torch.from_numpy(ours.bias.data))
    optimizer = torch.optim.Adam(model.parameters(), lr=demo.LR)
    x, y = torch.from_numpy(data.x_train), torch.from_numpy(data.y_train)
    torch.manual_seed(SEED)

    def run(order: np.random.Generator) -> None:
        model.train()
        index = torch.from_numpy(order.permutation(len(x)))
        for start in range(0, len(x), demo.BATCH_SIZE):
            batch = index[start : start + demo.BATCH_SIZE]
            loss = tnn.functional.cross_entropy(model(x[batch]), y[batch])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss.item()  # lucid's loop reads the loss too

    return run


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed epochs (default 7)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")

    data = demo.load_digits_split(SEED)
    row: dict[str, Any] = {
        "model": f"{demo.DEPTH} x (Linear({demo.WIDTH}) -> SELU -> AlphaDropout({demo.P}))"
        " -> Linear",
        "samples": len(data.x_train),
        "batch_size": demo.BATCH_SIZE,
        "threads": threads(),
        "blas_threads": blas_threads(),
        "repeats": args.repeats,
        "python": platform.python_version(),
        "lucid_s": None,
        "torch_s": None,
        "ratio": None,
        "torch_version": None,
    }
    try:
        import torch
    except ImportError:
        print("PyTorch is not installed: the torch column is skipped.", file=sys.stderr)
        row["lucid_s"] = median_epoch(lucid_epoch(data), args.repeats)
    else:
        torch.set_num_threads(row["threads"])
        row["torch_version"] = torch.__version__
        row["lucid_s"], row["torch_s"], row["ratio"] = paired_epochs(
            lucid_epoch(data), torch_epoch(data, torch), args.repeats
        )

    if args.json:
        print(json.dumps(row))
        return
    torch_s = row["torch_s"]
    ratio = "—" if torch_s is None else f"{row['ratio']:.2f}"
    torch_cell = "—" if torch_s is None else f"{torch_s:.4f}"
    print("| lucid s/epoch | torch s/epoch | lucid / torch |")
    print("|---:|---:|---:|")
    print(f"| {row['lucid_s']:.4f} | {torch_cell} | {ratio} |")
    print(
        f"\n{row['model']}, {row['samples']} samples in batches of {row['batch_size']}, "
        f"Adam; medians of {row['repeats']} epochs after one warm-up, the two libraries' "
        "epochs in alternation, the ratio the median of the ratios within pairs. Threads: "
        f"{row['threads']} (lucid's pool and torch.set_num_threads), numpy BLAS "
        f"{row['blas_threads']}; torch {row['torch_version'] or 'not installed'}."
    )


if __name__ == "__main__":
    main()
