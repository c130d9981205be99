"""The demo epoch on a quiet machine and beside one busy-loop process per core.

    python benches/bench_load.py                  # the README table
    python benches/bench_load.py --repeats 5 --json

A user rarely trains on an idle machine: a browser or a build competes for the cores.
This runs benches/bench_epoch.py's epochs (lucid's demo model, and PyTorch's copy when
torch is installed) quietly, then again while this script keeps one busy-loop process
per core running, and reports each library's loaded time against its quiet time and
lucid's against PyTorch's under the same load. The busy processes are started and
stopped here; each also stops by itself after ``--max-seconds``, so an interrupted run
leaves nothing spinning.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import sys
import time
from typing import Any

import bench_epoch  # the epochs and their timing, from this folder

from lucid import demo


def spin(deadline: float) -> None:
    """Busy-loop until ``deadline`` (time.monotonic seconds): one core's worth of load."""
    while time.monotonic() < deadline:
        pass


class Load:
    """``count`` busy-loop processes for the duration of a ``with`` block (at most
    ``max_seconds``)."""

    def __init__(self, count: int, max_seconds: float) -> None:
        self.count, self.max_seconds = count, max_seconds
        self.processes: list[Any] = []

    def __enter__(self) -> Load:
        context = mp.get_context("spawn")  # a fresh interpreter: nothing of lucid's state
        deadline = time.monotonic() + self.max_seconds
        self.processes = [
            context.Process(target=spin, args=(deadline,), daemon=True) for _ in range(self.count)
        ]
        for process in self.processes:
            process.start()
        time.sleep(0.5)  # let them reach their loops
        return self

    def __exit__(self, *exc: object) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            process.join(timeout=10)


def epochs(data: demo.Digits, torch: Any, repeats: int) -> dict[str, float | None]:
    """Median epoch seconds of lucid and (when installed) PyTorch."""
    times: dict[str, float | None] = {
        "lucid_s": bench_epoch.median_epoch(bench_epoch.lucid_epoch(data), repeats),
        "torch_s": None,
    }
    if torch is not None:
        times["torch_s"] = bench_epoch.median_epoch(bench_epoch.torch_epoch(data, torch), repeats)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs (default 5)")
    parser.add_argument("--busy", type=int, default=os.cpu_count() or 1, help="busy processes")
    parser.add_argument(
        "--max-seconds", type=float, default=600.0, help="the busy processes' own time limit"
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.busy < 1 or args.max_seconds <= 0:
        parser.error("--repeats and --busy must be at least 1 and --max-seconds positive")
    try:
        import torch
    except ImportError:
        torch = None
        print("PyTorch is not installed: the torch columns are skipped.", file=sys.stderr)
    else:
        torch.set_num_threads(bench_epoch.threads())

    data = demo.load_digits_split(bench_epoch.SEED)
    quiet = epochs(data, torch, args.repeats)
    with Load(args.busy, args.max_seconds):
        loaded = epochs(data, torch, args.repeats)
    row: dict[str, Any] = {
        "threads": bench_epoch.threads(),
        "busy_processes": args.busy,
        "repeats": args.repeats,
        "torch_version": None if torch is None else torch.__version__,
        "quiet": quiet,
        "loaded": loaded,
    }
    if args.json:
        print(json.dumps(row))
        return

    def ratio(a: float | None, b: float | None) -> str:
        return "—" if a is None or b is None else f"{a / b:.2f}"

    print(f"threads {row['threads']}, busy-loop processes {args.busy}, medians of {args.repeats}")
    print()
    print("| | lucid (s) | PyTorch (s) | lucid / PyTorch |")
    print("|---|---|---|---|")
    for name, times in (("quiet", quiet), ("beside the busy loops", loaded)):
        lt, tt = times["lucid_s"], times["torch_s"]
        t_text = "—" if tt is None else f"{tt:.3f}"
        print(f"| {name} | {lt:.3f} | {t_text} | {ratio(lt, tt)} |")
    print(
        f"| loaded / quiet | {ratio(loaded['lucid_s'], quiet['lucid_s'])} | "
        f"{ratio(loaded['torch_s'], quiet['torch_s'])} | |"
    )


if __name__ == "__main__":
    main()
