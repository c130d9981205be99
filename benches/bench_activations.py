"""SELU, ELU and GELU speed, forward and forward + backward through autograd, against
the copy floor (lucid's parallel copy of the same bytes) and PyTorch CPU where torch
is installed. Medians in ms, timed in one process.

    python benches/bench_activations.py
    python benches/bench_activations.py --sizes 1e5 1e7 --dtypes float32 --json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import Any

import lucid
import lucid.nn.functional as F
from lucid import _C
from lucid.benchmarks import P, machine, median_ms

ACTIVATIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "selu": (F.selu, "selu"),
    "elu": (F.elu, "elu"),
    "gelu": (F.gelu, "gelu"),
    "gelu(tanh)": (lambda t: F.gelu(t, approximate="tanh"), "gelu_tanh"),
}


def torch_times(name: str, n: int, dtype: str, reps: int) -> tuple[float, float] | None:
    try:
        import torch
    except ImportError:
        return None
    fn = {
        "selu": torch.nn.functional.selu,
        "elu": torch.nn.functional.elu,
        "gelu": torch.nn.functional.gelu,
        "gelu_tanh": lambda t: torch.nn.functional.gelu(t, approximate="tanh"),
    }[name]
    torch.manual_seed(0)
    x = torch.randn(n, dtype=getattr(torch, dtype), requires_grad=True)

    def both() -> None:
        x.grad = None
        fn(x).sum().backward()

    with torch.no_grad():
        forward = median_ms(lambda: fn(x), reps)
    return forward, median_ms(both, reps)


def measure(label: str, n: int, dtype: str, reps: int) -> dict[str, Any]:
    fn, torch_name = ACTIVATIONS[label]
    lucid.random.seed(0)
    x = lucid.random.randn(n, dtype=dtype, requires_grad=True)

    def both() -> None:
        x.grad = None
        fn(x).sum().backward()

    with lucid.no_grad():
        forward = median_ms(lambda: fn(x), reps)
    row: dict[str, Any] = {
        "activation": label,
        "n": n,
        "dtype": dtype,
        "floor_ms": median_ms(lambda: _C.parallel_copy(x.data), reps),
        "forward_ms": forward,
        "forward_backward_ms": median_ms(both, reps),
    }
    torch = torch_times(torch_name, n, dtype, reps)
    row["torch_forward_ms"], row["torch_forward_backward_ms"] = torch or (None, None)
    return row


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| activation | N | dtype | forward ms | ×floor | fwd+bwd ms | floor ms "
        "| torch fwd ms | torch fwd+bwd ms | lucid / torch, fwd+bwd |",
        "|" + "---|" * 10,
    ]
    for r in rows:
        torch = r["torch_forward_backward_ms"]
        t_fwd = "—" if torch is None else f"{r['torch_forward_ms']:.3f}"
        t_both = "—" if torch is None else f"{torch:.3f}"
        ratio = "—" if torch is None else f"{r['forward_backward_ms'] / torch:.2f}"
        lines.append(
            f"| {r['activation']} | {r['n']:.0e} | {r['dtype']} | {r['forward_ms']:.3f} "
            f"| {r['forward_ms'] / r['floor_ms']:.2f} | {r['forward_backward_ms']:.3f} "
            f"| {r['floor_ms']:.3f} | {t_fwd} | {t_both} | {ratio} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e5, 1e6, 1e7])
    parser.add_argument("--dtypes", nargs="+", default=["float32"])
    parser.add_argument("--activations", nargs="+", default=list(ACTIVATIONS))
    parser.add_argument("--reps", type=int, default=0, help="repetitions (default by size)")
    parser.add_argument("--json", action="store_true", help="print one JSON row per line")
    args = parser.parse_args(argv)
    rows = []
    for label in args.activations:
        for n in map(int, args.sizes):
            for dtype in args.dtypes:
                row = measure(label, n, dtype, args.reps or (7 if n >= 10**7 else 21))
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
    if not args.json:
        print(machine().replace(f"; p = {P}", ""))
        print(table(rows))


if __name__ == "__main__":
    main()
