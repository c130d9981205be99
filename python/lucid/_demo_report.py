"""What ``python -m lucid.demo`` shows: the progress bar, the plot and the summary table,
and the check that the demo's optional packages are installed."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType
from typing import TextIO

import numpy as np

INSTALL = 'pip install "lucid-rs[demo]"'
_NAMES = {"alpha": "AlphaDropout", "standard": "Dropout"}


def require(module: str, package: str) -> ModuleType:
    """Import ``module``, or fail with a message that says how to install ``package``."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ModuleNotFoundError(
            f"lucid.demo needs {package}, which is not installed; install the demo's "
            f"dependencies with: {INSTALL}",
            name=module,
        ) from err


class ProgressBar:
    """A one-line bar on ``stream`` (stderr by default), redrawn in place after each
    batch. It draws nothing when the stream is not a terminal: a log then gets only the
    per-epoch lines that :func:`main` prints."""

    def __init__(self, label: str, stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.width = label, width
        self.stream = sys.stderr if stream is None else stream
        self.active = bool(getattr(self.stream, "isatty", lambda: False)())

    def __call__(self, done: int, total: int, loss: float) -> None:
        if not self.active:
            return
        filled = self.width * done // total
        bar = "#" * filled + "." * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} loss {loss:.4f}")
        self.stream.flush()

    def close(self) -> None:
        """Erase the bar, so the epoch's summary line takes its place."""
        if self.active:
            self.stream.write("\r\033[K")
            self.stream.flush()


def plot_statistics(
    curves: dict[str, dict[str, np.ndarray]], path: str | Path, title: str = ""
) -> None:
    """Write a PNG of mean and standard deviation per layer, with reference lines at 0
    and 1 (what self-normalisation keeps).

    ``curves`` maps a stage ("at init", "after training", ...) to :func:`compare_dropouts`
    output, {"alpha": statistics, "standard": statistics}. Each stage gets a row of two
    panels, mean and standard deviation, on its own scale. Drawn on matplotlib's Agg
    canvas, never in a window.
    """
    figure = require("matplotlib.figure", "matplotlib")
    backend = require("matplotlib.backends.backend_agg", "matplotlib")
    fig = figure.Figure(figsize=(11, 3.6 * len(curves) + 0.5), layout="constrained")
    backend.FigureCanvasAgg(fig)
    panels = fig.subplots(len(curves), 2, squeeze=False, sharex=True)
    for row, (stage, by_kind) in zip(panels, curves.items(), strict=True):
        for column, (ax, name, target) in enumerate(
            zip(row, ("mean", "standard deviation"), (0.0, 1.0), strict=True)
        ):
            ax.axhline(target, color="0.4", linewidth=1, linestyle=":")
            for kind, stats in by_kind.items():
                layers = np.arange(1, len(stats) + 1)
                ax.plot(layers, stats[:, column], marker="o", label=_NAMES[kind])
                ax.set_xticks(layers)
            ax.set_ylabel(name)
            ax.set_title(f"{name} per layer, {stage} (reference {target:g})")
        row[0].legend()
    for ax in panels[-1]:
        ax.set_xlabel("layer (output of Linear → SELU → dropout)")
    fig.suptitle(title)
    fig.savefig(path, format="png", dpi=110)


def summary(curves: dict[str, dict[str, np.ndarray]]) -> str:
    """The first and last layer's (mean, std) of each curve, as a small table."""
    depth = len(next(iter(next(iter(curves.values())).values())))
    lines = [f"{'training-mode outputs (mean, std)':<34}{'layer 1':<18}layer {depth}"]
    for stage, by_kind in curves.items():
        for kind, stats in by_kind.items():
            first, last = (f"{m:+.3f}, {s:.3f}" for m, s in stats[[0, -1]])
            lines.append(f"  {_NAMES[kind] + ', ' + stage:<32}{first:<18}{last}")
    return "\n".join(lines)


def plot_sweep(
    losses: dict[tuple[str, int], dict[str, np.ndarray]],
    statistics: dict[str, dict[str, np.ndarray]],
    path: str | Path,
    title: str = "",
    statistics_title: str = "",
) -> None:
    """Write the depth sweep's PNG: a grid of training-loss curves, one row per data set
    and one column per depth, and under it each block's output mean and standard
    deviation per network.

    ``losses[(dataset, depth)][network]`` is an array (seeds, epochs), drawn as the mean
    over the seeds with a band from the lowest to the highest seed, on a log scale.
    ``statistics[stage][network]`` is an array (depth, 2) from
    :func:`lucid._demo_training.layer_statistics`; each stage gets a row of a mean and
    a standard-deviation panel, with reference lines at 0 and 1.
    """
    figure = require("matplotlib.figure", "matplotlib")
    backend = require("matplotlib.backends.backend_agg", "matplotlib")
    datasets = list(dict.fromkeys(dataset for dataset, _ in losses))
    depths = list(dict.fromkeys(depth for _, depth in losses))
    columns = max(len(depths), 3)  # room for the titles even with one or two depths
    fig = figure.Figure(
        figsize=(4.2 * columns, 3.2 * (len(datasets) + len(statistics)) + 1),
        layout="constrained",
    )
    backend.FigureCanvasAgg(fig)
    top, bottom = fig.subfigures(2, 1, height_ratios=[len(datasets), len(statistics)])
    grid = top.subplots(len(datasets), len(depths), squeeze=False)
    for row, dataset in zip(grid, datasets, strict=True):
        for ax, depth in zip(row, depths, strict=True):
            for network, runs in losses[(dataset, depth)].items():
                epochs = np.arange(1, runs.shape[1] + 1)
                (line,) = ax.plot(epochs, runs.mean(axis=0), label=network)
                ax.fill_between(
                    epochs, runs.min(axis=0), runs.max(axis=0), color=line.get_color(), alpha=0.2
                )
            ax.set_yscale("log")
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.set_title(f"{dataset}, depth {depth}")
            ax.set_xlabel("epoch")
            ax.set_ylabel("training loss")
    grid[0][0].legend(fontsize="small")
    top.suptitle(title, fontsize="medium")
    panels = bottom.subplots(len(statistics), 2, squeeze=False, sharex=True)
    for row, (stage, by_network) in zip(panels, statistics.items(), strict=True):
        for column, (ax, name, target) in enumerate(
            zip(row, ("mean", "standard deviation"), (0.0, 1.0), strict=True)
        ):
            ax.axhline(target, color="0.4", linewidth=1, linestyle=":")
            for network, stats in by_network.items():
                ax.plot(np.arange(1, len(stats) + 1), stats[:, column], marker=".", label=network)
            ax.set_ylabel(name)
            ax.set_title(f"{name} per block, {stage} (reference {target:g})")
            ax.xaxis.get_major_locator().set_params(integer=True)
        row[0].legend(fontsize="small")
    for ax in panels[-1]:
        ax.set_xlabel("block (its output, after activation and dropout)")
    bottom.suptitle(statistics_title, fontsize="medium")
    fig.savefig(path, format="png", dpi=100)


def sweep_table(
    accuracies: dict[tuple[str, str, int], list[float]],
    datasets: list[str],
    networks: dict[str, str],
    depths: list[int],
) -> str:
    """A markdown table of test accuracy, mean ± standard deviation over the seeds (the
    sample one, n − 1; 0 for a single seed), one row per data set and network, one
    column per depth. ``accuracies[(dataset, network, depth)]`` holds one per seed;
    ``networks`` maps each network's key to the name shown."""
    lines = [
        "| data set | network | " + " | ".join(f"depth {d}" for d in depths) + " |",
        "|---|---|" + "---:|" * len(depths),
    ]
    for dataset in datasets:
        for key, name in networks.items():
            cells = []
            for depth in depths:
                values = np.array(accuracies[(dataset, key, depth)])
                spread = values.std(ddof=1) if len(values) > 1 else 0.0
                cells.append(f"{values.mean():.3f} ± {spread:.3f}")
            lines.append(f"| {dataset} | {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
