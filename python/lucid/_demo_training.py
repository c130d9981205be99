"""What ``python -m lucid.demo`` and its depth sweep share: the standardised split, one
epoch of training, accuracy, each block's output statistics and the whole-number type
of the command line's options."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

import lucid
import lucid.nn as nn
import lucid.nn.functional as F
from lucid._demo_report import require

BATCH_SIZE = 64


class Shuffler(Protocol):
    """Anything with ``permutation(n)`` giving the indices 0 … n − 1 in some order (a
    numpy Generator, or :class:`LucidOrder`)."""

    def permutation(self, n: int, /) -> Any: ...


class LucidOrder:
    """Batch orders drawn from a lucid Generator, for :func:`train_epoch`."""

    def __init__(self, generator: lucid.random.Generator) -> None:
        self.generator = generator

    def permutation(self, n: int, /) -> np.ndarray:
        return lucid.random.permutation(n, generator=self.generator).data


def standardised_split(
    features: np.ndarray, labels: np.ndarray, seed: int, test_size: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(x_train, y_train, x_test, y_test): a stratified split chosen by ``seed`` (each
    class in the same proportion on both sides), the features standardised with the
    training side's mean and standard deviation, as float32, the labels as int64. A
    feature constant over the training side has no spread to divide by and becomes 0."""
    selection = require("sklearn.model_selection", "scikit-learn")
    x_train, x_test, y_train, y_test = selection.train_test_split(
        features, labels, test_size=test_size, stratify=labels, random_state=seed
    )
    mean = x_train.mean(axis=0)
    std = x_train.std(axis=0)
    std[std == 0] = 1.0
    return (
        ((x_train - mean) / std).astype(np.float32),
        y_train.astype(np.int64),
        ((x_test - mean) / std).astype(np.float32),
        y_test.astype(np.int64),
    )


def train_epoch(
    model: nn.Module,
    optimizer: lucid.optim.Optimizer,
    x: np.ndarray,
    y: np.ndarray,
    rng: Shuffler,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[int, int, float], Any] | None = None,
) -> float:
    """One pass over (x, y) in mini-batches in the order of ``rng.permutation``, with
    cross-entropy loss; returns the mean loss per sample.

    ``on_batch(done, total, mean_loss_so_far)`` is called after each batch (a
    :class:`ProgressBar`, for one). The last batch is smaller when ``batch_size`` does
    not divide ``len(x)``.
    """
    model.train()
    order = rng.permutation(len(x))
    batches = math.ceil(len(x) / batch_size)
    total, seen = 0.0, 0
    for done, start in enumerate(range(0, len(x), batch_size), start=1):
        index = order[start : start + batch_size]
        loss = F.cross_entropy(model(lucid.tensor(x[index])), lucid.tensor(y[index]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(index)
        seen += len(index)
        if on_batch is not None:
            on_batch(done, batches, total / seen)
    return total / seen


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """The fraction of ``x`` that ``model`` classifies as ``y``, in eval mode (no
    dropout); the model is left in the mode it was in."""
    was_training = model.training
    model.eval()
    with lucid.no_grad():
        predicted = model(lucid.tensor(x)).data.argmax(axis=1)
    model.train(was_training)
    return float(np.mean(predicted == y))


def layer_statistics(model: nn.Sequential, x: np.ndarray) -> np.ndarray:
    """Mean and standard deviation of each block's output in training mode.

    ``model`` is a Sequential of blocks and a last head layer, ``x`` a batch of inputs.
    Each block's output (after its activation and dropout, with dropout active) is
    pooled over the batch and the units. Returns an array (depth, 2): column 0 the
    means, column 1 the standard deviations. The model is left in the mode it was in;
    its dropout generator moves on, so a second call sees new masks.
    """
    *blocks, _head = model.children()
    was_training = model.training
    model.train()
    rows = []
    hidden = lucid.tensor(x)
    with lucid.no_grad():
        for block in blocks:
            hidden = block(hidden)
            values = hidden.data.astype(np.float64)
            rows.append((values.mean(), values.std()))
    model.train(was_training)
    return np.array(rows)


def whole_number(low: int, high: int | None = None) -> Callable[[str], int]:
    """An argparse ``type`` for ints in [low, high) (no upper end when ``high`` is None)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be at least {low}, got {value}")
        if high is not None and value >= high:
            raise argparse.ArgumentTypeError(f"must be below {high}, got {value}")
        return value

    return parse
