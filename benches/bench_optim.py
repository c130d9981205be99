"""One optimiser step over the demo model's parameters (lucid.demo.build_model): the
fused step (one core call per group), the per-parameter numpy path it replaced, and
the copy floor, lucid's parallel copy of the parameters' bytes (all of them as one
array). A larger model (--width) shows the step where memory, not Python, bounds it.
Runs alternate, A/B/C, in one process; medians in ms.

    python benches/bench_optim.py
    python benches/bench_optim.py --optimizers adam sgd --widths 128 1024 --json
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lucid
from lucid import _C, _storage, demo, optim
from lucid.benchmarks import machine

OPTIMIZERS: dict[str, Callable[[list[Any]], optim.Optimizer]] = {
    "adam": lambda ps: optim.Adam(ps, lr=1e-3),
    "adamw": lambda ps: optim.AdamW(ps, lr=1e-3, weight_decay=1e-2),
    "sgd": lambda ps: optim.SGD(ps, lr=1e-2, momentum=0.9),
}


def model_parameters(width: int) -> list[Any]:
    """The demo model's parameters, each with a fixed float32 gradient."""
    params = list(demo.build_model(width=width).parameters())
    rng = np.random.default_rng(0)
    for p in params:
        p.grad = _storage.copy_of(rng.standard_normal(p.shape) * 1e-2, p.dtype)
    return params


def medians(runs: dict[str, Callable[[], Any]], reps: int) -> dict[str, float]:
    """Each run once per round, in turn, ``reps`` rounds after one warm-up round."""
    for fn in runs.values():
        fn()
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(reps):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(t) * 1e3) for name, t in times.items()}


def torch_step(name: str, params: list[Any]) -> Callable[[], Any] | None:
    """PyTorch's foreach step over the same shapes, where torch is installed."""
    try:
        import torch
    except ImportError:
        return None
    ts = [torch.tensor(np.array(p.data), requires_grad=True) for p in params]
    for t, p in zip(ts, params, strict=True):
        t.grad = torch.tensor(np.array(p.grad))
    cls = {"adam": torch.optim.Adam, "adamw": torch.optim.AdamW, "sgd": torch.optim.SGD}[name]
    kwargs = {"sgd": {"lr": 1e-2, "momentum": 0.9}, "adamw": {"lr": 1e-3, "weight_decay": 1e-2}}
    opt = cls(ts, foreach=True, **kwargs.get(name, {"lr": 1e-3}))
    return opt.step


def measure(name: str, width: int, reps: int) -> dict[str, Any]:
    fused_params, plain_params = model_parameters(width), model_parameters(width)
    fused, per_param = OPTIMIZERS[name](fused_params), OPTIMIZERS[name](plain_params)
    per_param._foreach = False  # type: ignore[attr-defined]
    flat = np.concatenate([np.ravel(p.data) for p in fused_params])
    runs: dict[str, Callable[[], Any]] = {
        "fused": fused.step,
        "per_param": per_param.step,
        "copy": lambda: _C.parallel_copy(flat),
    }
    ms = medians(runs, reps)
    torch = torch_step(name, fused_params)
    if torch is not None:  # timed apart: its threads spin on after a step
        ms["torch"] = medians({"torch": torch}, reps)["torch"]
    for a, b in zip(fused_params, plain_params, strict=True):
        assert np.array_equal(a.data, b.data), "the two paths differ"
    return {
        "optimizer": name,
        "width": width,
        "parameters": len(fused_params),
        "elements": int(flat.size),
        "threads": _C.get_num_threads(),
        "fused_ms": ms["fused"],
        "per_param_ms": ms["per_param"],
        "copy_ms": ms["copy"],
        "torch_ms": ms.get("torch"),
    }


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| optimizer | width | params | elements | fused ms | ×copy | per-param ms "
        "| per-param / fused | copy ms | torch foreach ms |",
        "|" + "---|" * 10,
    ]
    for r in rows:
        torch = "—" if r["torch_ms"] is None else f"{r['torch_ms']:.3f}"
        lines.append(
            f"| {r['optimizer']} | {r['width']} | {r['parameters']} | {r['elements']} "
            f"| {r['fused_ms']:.3f} | {r['fused_ms'] / r['copy_ms']:.2f} "
            f"| {r['per_param_ms']:.3f} | {r['per_param_ms'] / r['fused_ms']:.1f} "
            f"| {r['copy_ms']:.3f} | {torch} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--optimizers", nargs="+", default=["adam"], choices=list(OPTIMIZERS))
    parser.add_argument("--widths", nargs="+", type=int, default=[demo.WIDTH])
    parser.add_argument("--reps", type=int, default=51)
    parser.add_argument("--json", action="store_true", help="print one JSON row per line")
    args = parser.parse_args(argv)
    rows = []
    with lucid.no_grad():
        for name in args.optimizers:
            for width in args.widths:
                row = measure(name, width, args.reps)
                rows.append(row)
                if args.json:
                    print(json.dumps(row), flush=True)
    if not args.json:
        print(machine().replace(f"; p = {demo.P}", ""))
        print(table(rows))


if __name__ == "__main__":
    main()
