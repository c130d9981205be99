"""Epoch time of examples/train_ddp.py: 1 and 2 processes with one thread each, against
one process with 2 threads.

    python benches/bench_ddp.py                  # the README table
    python benches/bench_ddp.py --epochs 5 --rounds 5 --json
    python benches/bench_ddp.py --global-batch 256   # more rows per step

Each configuration is an ``mpiexec -n W`` job of this script in ``--child`` mode, with
RAYON_NUM_THREADS (and OMP_NUM_THREADS) set to its thread count. The child builds the
example's run (the demo network, digits, ``--global-batch`` 64, Adam), trains one
epoch to warm up, then ``--epochs`` timed epochs (21 steps each at 64, a barrier before
and after each), and rank 0 prints their median. Steps run both ways: plain (``loss.backward()``
on each rank's share, DDP averaging) and through ``accumulate`` in 4 micro-batches
(the example's default, the same bits on any world size dividing 4). The jobs run in
rounds, every configuration once per round, so a change of load hits all of them;
the table gives the median over rounds of each configuration's epoch time and its
ratio to one process with 2 threads in the same mode (below 1 is faster). Job start-up
and imports are outside the timings. Needs the ``distributed`` extra (mpi4py, mpiexec).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = [(1, 2), (1, 1), (2, 1)]  # (processes, threads each); the first is the baseline
MODES = {"plain": 0, "accumulate": 4}  # --micro-batches of the example


def _example():
    spec = importlib.util.spec_from_file_location("train_ddp", ROOT / "examples" / "train_ddp.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def child(epochs: int, micro_batches: int, global_batch: int) -> None:
    import lucid.distributed as dist

    train_ddp = _example()
    dist.init_process_group("mpi")
    run = train_ddp.Run(seed=0, global_batch=global_batch, micro_batches=micro_batches)
    steps = run.steps_per_epoch
    run.train(steps)  # warm-up
    times = []
    for _ in range(epochs):
        dist.barrier()
        start = time.perf_counter()
        run.train(steps)
        dist.barrier()
        times.append(time.perf_counter() - start)
    if dist.get_rank() == 0:
        print(json.dumps({"median": statistics.median(times), "steps": steps}))
    dist.destroy_process_group()


def mpiexec() -> str:
    local = Path(sys.executable).parent / "mpiexec"
    found = str(local) if local.exists() else shutil.which("mpiexec")
    if found is None:
        sys.exit("bench_ddp.py needs mpiexec: pip install '.[distributed]'")
    return found


def job(processes: int, threads: int, epochs: int, micro_batches: int, batch: int) -> float:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PMI_", "PMIX_", "HYDRA_", "MPI_", "OMPI_"))
    }
    env.update(RAYON_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    args = [str(Path(__file__).resolve()), "--child", "--epochs", str(epochs)]
    args += ["--micro-batches", str(micro_batches), "--global-batch", str(batch)]
    result = subprocess.run(
        [mpiexec(), "-n", str(processes), sys.executable, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if result.returncode != 0:
        sys.exit(f"the {processes}-process job failed:\n{result.stdout}\n{result.stderr}")
    return float(json.loads(result.stdout.strip().splitlines()[-1])["median"])


def cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per job (5)")
    parser.add_argument("--rounds", type=int, default=3, help="jobs per configuration (3)")
    parser.add_argument("--global-batch", type=int, default=64, help="images per step (64)")
    parser.add_argument("--json", action="store_true", help="print JSON, not the table")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--micro-batches", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.epochs, args.micro_batches, args.global_batch)
        return
    if args.epochs < 1 or args.rounds < 1:
        parser.error("--epochs and --rounds must be at least 1")
    seconds: dict[tuple[str, int, int], list[float]] = {}
    for _ in range(args.rounds):
        for mode, micro in MODES.items():
            for processes, threads in CONFIGS:
                t = job(processes, threads, args.epochs, micro, args.global_batch)
                seconds.setdefault((mode, processes, threads), []).append(t)
    rows = []
    for mode in MODES:
        base = statistics.median(seconds[(mode, *CONFIGS[0])])
        for processes, threads in CONFIGS:
            t = statistics.median(seconds[(mode, processes, threads)])
            rows.append(
                {"steps": mode, "processes": processes, "threads": threads,
                 "epoch_ms": 1e3 * t, "vs_1x2": t / base}
            )  # fmt: skip
    if args.json:
        info = {"cpu": cpu_name(), "cpus": os.cpu_count(), "global_batch": args.global_batch}
        print(json.dumps({**info, "rows": rows}, indent=1))
        return
    print(f"CPU: {cpu_name()} ({os.cpu_count()} logical CPUs); global batch "
          f"{args.global_batch}; {args.rounds} rounds of {args.epochs} epochs; "
          "medians")  # fmt: skip
    print("| steps | processes × threads | epoch (ms) | vs 1 × 2 threads |")
    print("|---|---|---:|---:|")
    for row in rows:
        print(f"| {row['steps']} | {row['processes']} × {row['threads']} | "
              f"{row['epoch_ms']:.0f} | {row['vs_1x2']:.2f}× |")  # fmt: skip


if __name__ == "__main__":
    main()
