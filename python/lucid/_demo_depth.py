"""``python -m lucid.demo --depths 8 16 32``: do deep networks stay trainable as they grow?

Klambauer et al. (2017, "Self-Normalizing Neural Networks") found that SELU networks
keep training as depth grows, where plain ReLU networks degrade. This sweep puts three
networks of the same depth and width side by side on two data sets that scikit-learn
ships (nothing is downloaded), digits and breast cancer:

- "selu": Linear → SELU → AlphaDropout blocks, lecun_normal weights, zero biases;
- "relu": Linear → ReLU → Dropout blocks, He (kaiming) uniform weights ±sqrt(6 / fan_in)
  and biases U(±1/sqrt(fan_in)), which is lucid's (and lucid 2.x's) Linear default
  drawn from the run's own generator;
- "relu_bn": Linear → BatchNorm1d → ReLU → Dropout blocks, the same initialisation.

Each has a Linear head and is trained with Adam, the same learning rate annealed on a
cosine to 0 over the epochs, the same batches and epochs. Every run, one (data set,
network, depth, seed), builds its own generators from its seed (weights on stream 0,
dropout masks on stream 1, batch order on stream 2; the seed also picks the stratified
split), so a rerun, or a run of any part of the sweep, gives the same numbers.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

import lucid
import lucid.nn as nn
from lucid._demo_report import ProgressBar, plot_sweep, require, sweep_table
from lucid._demo_training import (
    BATCH_SIZE,
    LucidOrder,
    accuracy,
    layer_statistics,
    standardised_split,
    train_epoch,
)
from lucid.nn import init

DEPTHS = (8, 16, 32)  # the sweep of the README; --depths has no default
DATASETS = ("digits", "breast_cancer")
SEEDS = 3
EPOCHS = 20
WIDTH = 128
# Klambauer et al. suggest 0.05 or 0.1 for AlphaDropout; at 0.1 the noise of 32 dropout
# layers keeps every network here near chance within the epochs the budget allows.
P = 0.05
LR = 1e-3
TEST_SIZE = 0.25

MODELS = {
    "selu": "SELU + AlphaDropout",
    "relu": "ReLU + Dropout",
    "relu_bn": "ReLU + BatchNorm + Dropout",
}

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def load_dataset(name: str, seed: int, test_size: float = TEST_SIZE) -> Split:
    """(x_train, y_train, x_test, y_test) of scikit-learn's ``name`` ("digits": 1,797
    8×8 images of 10 digits; "breast_cancer": 569 tumours, 30 features, 2 classes),
    split stratified by ``seed`` and standardised with the training side's statistics."""
    if name not in DATASETS:
        raise ValueError(f"name must be one of {', '.join(DATASETS)}, got {name!r}")
    datasets = require("sklearn.datasets", "scikit-learn")
    bunch = datasets.load_digits() if name == "digits" else datasets.load_breast_cancer()
    return standardised_split(bunch.data, bunch.target, seed, test_size)


def build_network(
    kind: str,
    depth: int,
    in_features: int,
    classes: int,
    seed: int = 0,
    width: int = WIDTH,
    p: float = P,
) -> nn.Sequential:
    """``depth`` blocks of ``kind`` (a key of :data:`MODELS`) of ``width`` units, then
    Linear(width, classes); float32. Weights come from ``Generator(seed)``, the dropout
    masks from ``Generator(seed, stream=1)``."""
    if kind not in MODELS:
        raise ValueError(f"kind must be one of {', '.join(MODELS)}, got {kind!r}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be a positive int, got {depth!r}")
    weights = lucid.random.Generator(seed)
    masks = lucid.random.Generator(seed, stream=1)

    def linear(fan_in: int, fan_out: int) -> nn.Linear:
        layer = nn.Linear(fan_in, fan_out, dtype=np.float32)
        if kind == "selu":
            init.lecun_normal(layer.weight, generator=weights)
            init.constant(layer.bias, 0.0)
        else:  # Linear's own rule, on this run's generator
            init.kaiming_uniform(layer.weight, generator=weights)
            bound = 1.0 / math.sqrt(fan_in)
            init.uniform(layer.bias, -bound, bound, generator=weights)
        return layer

    def block(fan_in: int) -> nn.Sequential:
        if kind == "selu":
            selu = (nn.SELU(), nn.AlphaDropout(p, generator=masks))
            return nn.Sequential(linear(fan_in, width), *selu)
        norm = [nn.BatchNorm1d(width).to(np.float32)] if kind == "relu_bn" else []
        return nn.Sequential(
            linear(fan_in, width), *norm, nn.ReLU(), nn.Dropout(p, generator=masks)
        )

    blocks = [block(in_features if i == 0 else width) for i in range(depth)]
    return nn.Sequential(*blocks, linear(width, classes))


def train_run(
    kind: str,
    data: Split,
    depth: int,
    seed: int,
    epochs: int,
    on_epoch: Callable[[float], Any] | None = None,
) -> tuple[np.ndarray, float, nn.Sequential]:
    """Train one network; returns its mean training loss per epoch (training mode, so
    with dropout), its test accuracy at the end, and the trained network."""
    x_train, y_train, x_test, y_test = data
    model = build_network(kind, depth, x_train.shape[1], int(y_train.max()) + 1, seed)
    optimizer = lucid.optim.Adam(model.parameters(), lr=LR)
    schedule = lucid.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
    order = LucidOrder(lucid.random.Generator(seed, stream=2))
    losses = []
    for _ in range(epochs):
        losses.append(train_epoch(model, optimizer, x_train, y_train, order, BATCH_SIZE))
        schedule.step()
        if on_epoch is not None:
            on_epoch(losses[-1])
    return np.array(losses), accuracy(model, x_test, y_test), model


class Sweep:
    """Every (data set, network, depth, seed) run: ``losses[(dataset, depth)][label]``
    (seeds, epochs), ``accuracies[(dataset, kind, depth)]`` one per seed, and
    ``statistics[stage][label]`` (:func:`layer_statistics` of the first seed's networks
    at the deepest depth on the first data set's training inputs, at init and after
    training)."""

    def __init__(self) -> None:
        self.losses: dict[tuple[str, int], dict[str, list[np.ndarray]]] = {}
        self.accuracies: dict[tuple[str, str, int], list[float]] = {}
        self.statistics: dict[str, dict[str, np.ndarray]] = {"at init": {}, "after training": {}}


def run_sweep(
    datasets: list[str], depths: list[int], seeds: list[int], epochs: int, bar: ProgressBar
) -> Sweep:
    """Train every combination, drawing the progress of all their epochs on ``bar``."""
    sweep, done = Sweep(), 0
    total = len(datasets) * len(MODELS) * len(depths) * len(seeds) * epochs
    label_width = max(len(f"{d} {k} depth {n} seed {s}") for d in datasets for k in MODELS
                      for n in depths for s in seeds)  # fmt: skip
    for dataset in datasets:
        for seed in seeds:
            data = load_dataset(dataset, seed)
            for depth in depths:
                for kind, label in MODELS.items():
                    bar.label = f"{dataset} {kind} depth {depth} seed {seed}".ljust(label_width)
                    first = dataset == datasets[0] and seed == seeds[0] and depth == max(depths)
                    if first:
                        shape = data[0].shape[1], int(data[1].max()) + 1
                        network = build_network(kind, depth, *shape, seed)
                        sweep.statistics["at init"][label] = layer_statistics(network, data[0])

                    def tick(loss: float) -> None:
                        nonlocal done
                        done += 1
                        bar(done, total, loss)

                    losses, test, model = train_run(kind, data, depth, seed, epochs, tick)
                    curves = sweep.losses.setdefault((dataset, depth), {})
                    curves.setdefault(label, []).append(losses)
                    sweep.accuracies.setdefault((dataset, kind, depth), []).append(test)
                    if first:
                        sweep.statistics["after training"][label] = layer_statistics(model, data[0])
    bar.close()
    return sweep


def main(args: argparse.Namespace) -> int:
    """Run the sweep that ``python -m lucid.demo --depths ...`` asks for (``args`` from
    :func:`lucid.demo.parse_args`); print its table and write its figure."""
    start = time.perf_counter()
    seeds = list(range(args.seed, args.seed + args.seeds))
    print(
        f"depth sweep: {', '.join(MODELS.values())}; depths {' '.join(map(str, args.depths))} "
        f"of width {WIDTH}, dropout p={P}; {', '.join(args.datasets)}; seeds "
        f"{seeds[0]}..{seeds[-1]}; Adam lr={LR:g} cosine-annealed to 0 over {args.epochs} "
        f"epochs, batch {BATCH_SIZE}",
        flush=True,
    )
    sweep = run_sweep(args.datasets, args.depths, seeds, args.epochs, ProgressBar("sweep"))
    deepest = max(args.depths)
    losses = {
        key: {label: np.array(runs) for label, runs in by_label.items()}
        for key, by_label in sweep.losses.items()
    }
    plot_sweep(
        losses,
        sweep.statistics,
        args.out,
        title=f"Training loss (mean over {len(seeds)} seeds, band: min to max), width {WIDTH}, "
        f"p={P}, Adam lr={LR:g} cosine over {args.epochs} epochs",
        statistics_title=f"each block's output in training mode, depth {deepest}, seed "
        f"{seeds[0]}, on the standardised {args.datasets[0]} training set",
    )
    print(sweep_table(sweep.accuracies, args.datasets, MODELS, args.depths))
    runs = len(sweep.accuracies) * len(seeds)
    print(f"figure written to {args.out} ({runs} runs, {time.perf_counter() - start:.1f} s in all)")
    sys.stdout.flush()
    return 0
