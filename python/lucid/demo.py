"""``python -m lucid.demo``: a deep self-normalising network on scikit-learn's digits.

Eight blocks of Linear → SELU → AlphaDropout (lecun_normal weights, zero biases) and a
Linear head learn the 8×8 digit images that scikit-learn ships (nothing is downloaded).
The demo prints train and test accuracy and writes a PNG of each block's output mean
and standard deviation in training mode, with AlphaDropout and with plain Dropout in
the same network. ``pip install "lucid-rs[demo]"`` installs scikit-learn and matplotlib.

    python -m lucid.demo                            # 20 epochs, seed 0, lucid-demo.png
    python -m lucid.demo --epochs 5 --seed 3 --out /tmp/layers.png

The plot shows the statistics twice, at initialisation and after training. At
initialisation the assumptions of self-normalisation hold (lecun_normal weights,
standardised inputs), so that is where the law AlphaDropout is built for shows: mean
0 and standard deviation 1 at every depth, while plain Dropout's 1/(1 − p) scaling
raises the spread block after block. Training moves the weights away from lecun's
statistics, so after it neither network stays at (0, 1); the second row shows how far
they moved, and that on the same weights plain Dropout still drifts further. Each row
has its own scale, so the drift after training does not flatten the curves at init.

The pieces are importable: :func:`load_digits_split`, :func:`build_model`,
:func:`train_epoch`, :func:`accuracy`, :func:`layer_statistics`,
:func:`compare_dropouts`, :func:`plot_statistics` and :func:`main`. ``benches/bench_epoch.py`` times
:func:`train_epoch` against the same model in PyTorch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import lucid
import lucid.nn as nn
from lucid import _demo_depth as sweep
from lucid._demo_report import ProgressBar, plot_statistics, require, summary
from lucid._demo_training import (
    BATCH_SIZE,
    accuracy,
    layer_statistics,
    standardised_split,
    train_epoch,
    whole_number,
)
from lucid.nn import init

__all__ = [
    "Digits",
    "ProgressBar",
    "accuracy",
    "build_model",
    "compare_dropouts",
    "layer_statistics",
    "load_digits_split",
    "main",
    "plot_statistics",
    "train_epoch",
]

DEPTH = 8
WIDTH = 128
P = 0.1  # the drop probability Klambauer et al. suggest for AlphaDropout (0.05 or 0.1)
LR = 1e-3
EPOCHS = 20
TEST_SIZE = 0.25
SWEEP_OUT = Path("lucid-depths.png")

DROPOUTS = {"alpha": nn.AlphaDropout, "standard": nn.Dropout}


# ---- data ---------------------------------------------------------------------------


class Digits(NamedTuple):
    """Features (n, 64) float32 and labels (n,) int64, for training and for testing."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits_split(seed: int = 0, test_size: float = TEST_SIZE) -> Digits:
    """scikit-learn's 1,797 digit images, split and standardised.

    The split is stratified (each class in the same proportion on both sides; ``seed``
    chooses it): 1,347 training and 450 test images by default. Each pixel is
    standardised with the training set's mean and standard deviation; a pixel blank in
    every training image (three are blank in every image) has no spread to divide by
    and becomes 0.
    """
    datasets = require("sklearn.datasets", "scikit-learn")
    digits = datasets.load_digits()
    return Digits(*standardised_split(digits.data, digits.target, seed, test_size))


# ---- model --------------------------------------------------------------------------


def build_model(
    dropout: str = "alpha",
    depth: int = DEPTH,
    width: int = WIDTH,
    p: float = P,
    seed: int = 0,
    in_features: int = 64,
    classes: int = 10,
) -> nn.Sequential:
    """``depth`` blocks of Linear → SELU → dropout, then Linear(width, classes).

    ``dropout`` is "alpha" (AlphaDropout) or "standard" (Dropout). Weights come from
    lecun_normal on ``Generator(seed)``, biases are zero, and all dropout layers draw
    their masks from one ``Generator(seed, stream=1)``. So a seed gives both kinds the
    same weights, and the same masks too (both dropouts keep an element by the same
    rule): two such networks differ only in what dropout does to the units.
    """
    if dropout not in DROPOUTS:
        raise ValueError(f"dropout must be 'alpha' or 'standard', got {dropout!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive int, got {depth!r}")
    weights = lucid.random.Generator(seed)
    masks = lucid.random.Generator(seed, stream=1)

    def linear(fan_in: int, fan_out: int) -> nn.Linear:
        layer = nn.Linear(fan_in, fan_out, dtype=np.float32)  # float32 is asked for
        init.lecun_normal(layer.weight, generator=weights)
        init.constant(layer.bias, 0.0)
        return layer

    blocks = [
        nn.Sequential(
            linear(in_features if i == 0 else width, width),
            nn.SELU(),
            DROPOUTS[dropout](p, generator=masks),
        )
        for i in range(depth)
    ]
    return nn.Sequential(*blocks, linear(width, classes))


# ---- training -----------------------------------------------------------------------


# ---- layer statistics and the plot --------------------------------------------------


def compare_dropouts(
    x: np.ndarray, seed: int, state: dict[str, Any] | None = None
) -> dict[str, np.ndarray]:
    """:func:`layer_statistics` of the default network under each dropout kind.

    Both networks are built with ``seed`` (so they share weights and masks) and, when
    ``state`` is given, load those weights (a trained model's ``state_dict()``).
    """
    statistics = {}
    for kind in DROPOUTS:
        model = build_model(kind, seed=seed)
        if state is not None:
            model.load_state_dict(state)
        statistics[kind] = layer_statistics(model, x)
    return statistics


# ---- the command line ---------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line's options; a bad value exits with argparse's usage error."""
    parser = argparse.ArgumentParser(
        prog="python -m lucid.demo",
        description=(
            f"Train {DEPTH} SELU layers with AlphaDropout on scikit-learn's digits, print "
            "train and test accuracy, and plot each layer's mean and standard deviation "
            "in training mode with AlphaDropout and with plain Dropout."
        ),
    )
    parser.add_argument(
        "--epochs", type=whole_number(1), default=None,
        help=f"epochs (default {EPOCHS}; {sweep.EPOCHS} for each run of the depth sweep)",
    )  # fmt: skip
    parser.add_argument(
        "--seed", type=whole_number(0, 2**32), default=0,  # scikit-learn's random_state
        help="seed of the split, weights, masks and batch order, in [0, 2**32); the depth "
        "sweep's first seed (default 0)",
    )  # fmt: skip
    parser.add_argument(
        "--out", type=Path, default=None,
        help=f"where to write the PNG plot (default lucid-demo.png; {SWEEP_OUT} for the "
        "depth sweep)",
    )  # fmt: skip
    group = parser.add_argument_group(
        "depth sweep",
        "With --depths, train SELU + AlphaDropout, ReLU + Dropout and ReLU + BatchNorm + "
        "Dropout networks of each depth on each data set with each seed, print their test "
        "accuracies as a markdown table and plot their training losses and the deepest "
        "networks' statistics per block.",
    )
    group.add_argument(
        "--depths", nargs="+", type=whole_number(1), metavar="DEPTH",
        help="hidden blocks of each network, e.g. 8 16 32 (default: no sweep, the demo's "
        "one network)",
    )  # fmt: skip
    group.add_argument(
        "--datasets", nargs="+", choices=sweep.DATASETS, metavar="NAME",
        help=f"scikit-learn data sets, of {', '.join(sweep.DATASETS)} (default all)",
    )  # fmt: skip
    group.add_argument(
        "--seeds", type=whole_number(1),
        help=f"seeds per combination: --seed, --seed + 1, ... (default {sweep.SEEDS})",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.depths is None:
        given = [name for name in ("datasets", "seeds") if getattr(args, name) is not None]
        if given:
            parser.error(f"--{given[0]} applies only to the depth sweep; give --depths too")
        args.epochs = EPOCHS if args.epochs is None else args.epochs
        args.out = Path("lucid-demo.png") if args.out is None else args.out
    else:
        for name in ("depths", "datasets"):
            values = getattr(args, name) or []
            repeated = sorted({v for v in values if values.count(v) > 1}, key=values.index)
            if repeated:
                parser.error(f"--{name}: {repeated[0]} is given more than once")
        args.datasets = list(sweep.DATASETS) if args.datasets is None else args.datasets
        args.seeds = sweep.SEEDS if args.seeds is None else args.seeds
        if args.seed + args.seeds > 2**32:
            parser.error(f"--seeds {args.seeds}: --seed + --seeds must be at most 2**32")
        args.epochs = sweep.EPOCHS if args.epochs is None else args.epochs
        args.out = SWEEP_OUT if args.out is None else args.out
    if args.out.is_dir():
        parser.error(f"--out {args.out} is a directory; give a file name such as plot.png")
    if not args.out.parent.is_dir():
        parser.error(f"--out: the directory {args.out.parent} does not exist")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the demo with command-line arguments ``argv`` (sys.argv's when None); returns
    the exit status."""
    args = parse_args(argv)
    try:
        require("sklearn", "scikit-learn")
        require("matplotlib", "matplotlib")
    except ModuleNotFoundError as err:
        print(f"python -m lucid.demo: {err}", file=sys.stderr)
        return 1
    if args.depths is not None:
        return sweep.main(args)
    start = time.perf_counter()
    data = load_digits_split(args.seed)
    print(
        f"{DEPTH} blocks of Linear({WIDTH}) -> SELU -> AlphaDropout(p={P}), lecun_normal "
        f"init; {len(data.x_train)} training and {len(data.x_test)} test digits; Adam "
        f"lr={LR:g}, batch {BATCH_SIZE}, seed {args.seed}",
        flush=True,
    )
    curves = {"at init": compare_dropouts(data.x_train, args.seed)}

    model = build_model("alpha", seed=args.seed)
    optimizer = lucid.optim.Adam(model.parameters(), lr=LR)
    order = np.random.default_rng(args.seed)
    for epoch in range(1, args.epochs + 1):
        label = f"epoch {epoch:>{len(str(args.epochs))}}/{args.epochs}"
        bar = ProgressBar(label)
        began = time.perf_counter()
        loss = train_epoch(model, optimizer, data.x_train, data.y_train, order, on_batch=bar)
        bar.close()
        print(
            f"{label}  loss {loss:.4f}  train {accuracy(model, data.x_train, data.y_train):.4f}"
            f"  test {accuracy(model, data.x_test, data.y_test):.4f}"
            f"  {time.perf_counter() - began:.2f} s",
            flush=True,
        )

    curves["after training"] = compare_dropouts(data.x_train, args.seed, model.state_dict())
    plot_statistics(
        curves, args.out,
        title=f"{DEPTH} SELU layers of {WIDTH}, p={P}, training mode, on the "
        f"{len(data.x_train)} standardised training digits (seed {args.seed})",
    )  # fmt: skip
    print(f"train accuracy {accuracy(model, data.x_train, data.y_train):.4f}")
    print(f"test accuracy  {accuracy(model, data.x_test, data.y_test):.4f}")
    print(summary(curves))
    print(f"plot written to {args.out} ({time.perf_counter() - start:.1f} s in all)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
