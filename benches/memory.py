"""Peak extra resident memory of alpha dropout, lucid next to PyTorch.

    python benches/memory.py [--n 10000000] [--p 0.1]

Each variant runs in its own subprocess: it builds a float32 input of n elements that
requires grad, resets the kernel's peak-RSS counter (/proc/self/clear_refs), runs the
variant, and reports how far the peak rose above the resident size before it, as a
multiple of the input's bytes. Linux only. PyTorch rows appear where torch imports.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

CHILD = r"""
import gc, json, sys

def status(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(field)

variant, n, p = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
if variant.startswith("lucid"):
    import lucid, lucid.nn.functional as F
    lucid.random.seed(0)
    make = lambda m: lucid.random.randn(m, requires_grad=True, dtype=lucid.float32)
    dropout = lambda t: F.alpha_dropout(t, p)
else:
    import torch
    torch.manual_seed(0)
    make = lambda m: torch.randn(m, requires_grad=True)
    dropout = lambda t: torch.nn.functional.alpha_dropout(t, p, training=True)
# Warm up the code paths on a small input only: a full-size warm-up would leave a
# freed buffer of exactly the output's size for the measured run to reuse.
small = make(1000)
dropout(small).sum().backward()
x = make(n)
run = lambda: dropout(x)
del small
gc.collect()
with open("/proc/self/clear_refs", "w") as f:
    f.write("5")  # reset the peak (VmHWM) to the current resident size
base = status("VmRSS")
y = run()
if variant.endswith("backward"):
    y.backward(torch.ones_like(y)) if variant.startswith("torch") else y.backward()
peak = status("VmHWM")
print(json.dumps({"variant": variant, "extra_bytes": peak - base, "input_bytes": n * 4}))
"""

VARIANTS = ["lucid forward", "lucid forward+backward", "torch forward", "torch forward+backward"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=float, default=1e7)
    parser.add_argument("--p", type=float, default=0.1)
    args = parser.parse_args()
    n = int(args.n)
    print(f"n = {n:.0e} float32 (input {n * 4 / 2**20:.0f} MiB), p = {args.p}")
    print("| variant | extra peak MiB | × input bytes |")
    print("|---|---|---|")
    for variant in VARIANTS:
        key = variant.replace(" ", "_")
        run = subprocess.run(
            [sys.executable, "-c", CHILD, key, str(n), str(args.p)],
            capture_output=True,
            text=True,
        )
        if run.returncode != 0:
            if "No module named 'torch'" in run.stderr:
                print(f"| {variant} | — (torch not installed) | — |")
                continue
            raise RuntimeError(f"{variant} failed:\n{run.stderr}")
        row = json.loads(run.stdout.strip().splitlines()[-1])
        extra = row["extra_bytes"]
        print(f"| {variant} | {extra / 2**20:.1f} | {extra / row['input_bytes']:.3f} |")


if __name__ == "__main__":
    main()
