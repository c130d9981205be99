"""Train the demo's self-normalising network data-parallel over MPI.

    mpiexec -n 2 python examples/train_ddp.py --steps 20 --global-batch 64 --seed 0 --out ddp.lcd

Every rank builds the network of ``python -m lucid.demo`` (eight blocks of Linear →
SELU → AlphaDropout, then a Linear head; lecun_normal weights and the masks' generator
from ``--seed``), wraps it in DistributedDataParallel and trains it with Adam on
scikit-learn's digits. A DistributedSampler deals each global batch of B images, so
rank r of W holds rows ``range(r, B, W)`` of it. Each step runs through
``DistributedDataParallel.accumulate`` in ``--micro-batches`` V micro-batches (4 by
default): their dropout masks are the global batch's, and their gradients are summed in
a fixed tree. So the run does not depend on the number of ranks: for every W dividing
V the masks and the trained parameters are the same bits.

``--micro-batches 0`` steps the plain way instead (``loss.backward()`` on the rank's
whole share): the masks are still the same bits for every W, but each rank sums its own
rows, so the gradients differ in the last bits between world sizes, and Adam on this
eight-block network amplifies that over the steps.

Batches never cross an epoch's end: each epoch takes the full global batches of the
sampler's order (``drop_last``), the same ones for every W. At the end rank 0 writes,
with ``lucid.save``, ``{"state_dict": the model's parameters, "masks": {layer name:
(B, features) uint8 array of 0 (dropped) and 1 (kept)}}``, each dropout layer's mask
for the whole last global batch, gathered from all ranks in global row order.

Run with plain ``python`` it is a world of one process. Give each rank one thread
(``RAYON_NUM_THREADS=1``) when the ranks share a machine's cores.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

import lucid
import lucid.distributed as dist
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.data import DataLoader, DistributedSampler, TensorDataset
from lucid.demo import LR, build_model, load_digits_split
from lucid.nn.parallel import DistributedDataParallel


class Run:
    """Everything one rank trains with."""

    def __init__(self, seed: int, global_batch: int, micro_batches: int) -> None:
        rank, world = dist.get_rank(), dist.get_world_size()
        if global_batch % world:
            raise ValueError(
                f"--global-batch must be a multiple of the {world} ranks, got {global_batch}"
            )
        power_of_two = micro_batches & (micro_batches - 1) == 0
        if micro_batches and (
            not power_of_two or micro_batches % world or global_batch % micro_batches
        ):
            raise ValueError(
                f"--micro-batches must be a power of two, a multiple of the {world} ranks, "
                f"that divides --global-batch {global_batch}, got {micro_batches}"
            )
        digits = load_digits_split(seed)
        if global_batch > len(digits.x_train):
            raise ValueError(
                f"--global-batch must be at most the {len(digits.x_train)} training images, "
                f"got {global_batch}"
            )
        self.global_batch, self.micro_batches = global_batch, micro_batches
        self.model = build_model(seed=seed)
        self.dropouts = [
            (name, layer)
            for name, layer in self.model.named_modules()
            if isinstance(layer, (nn.Dropout, nn.AlphaDropout))
        ]
        self.last_masks: dict[str, np.ndarray] = {}
        self.ddp = DistributedDataParallel(self.model)
        self.optimizer = lucid.optim.Adam(self.ddp.parameters(), lr=LR)
        data = TensorDataset(digits.x_train, digits.y_train)
        self.sampler = DistributedSampler(data, world, rank, seed=seed, drop_last=True)
        self.loader = DataLoader(
            data, batch_size=global_batch // world, sampler=self.sampler, drop_last=True
        )
        self.epoch = 0
        self._batches: Any = iter(())

    @property
    def steps_per_epoch(self) -> int:
        return len(self.loader)

    def _next_batch(self) -> Any:
        for _ in range(2):  # the current epoch's next batch, else the next epoch's first
            batch = next(self._batches, None)
            if batch is not None:
                return batch
            self.sampler.set_epoch(self.epoch)
            self.epoch += 1
            self._batches = iter(self.loader)
        raise AssertionError("an epoch without a batch")  # the checks above exclude it

    def _loss(self, module: nn.Module, x: lucid.Tensor, y: lucid.Tensor) -> lucid.Tensor:
        """One micro-batch's mean loss."""
        return F.cross_entropy(module(x), y)

    def _noted_loss(self, module: nn.Module, x: lucid.Tensor, y: lucid.Tensor) -> lucid.Tensor:
        """:meth:`_loss`, its rows of the masks noted for :meth:`masks`."""
        loss = self._loss(module, x, y)
        held = lucid.random.current_rows()
        assert held is not None  # accumulate runs this inside the micro-batch's rows
        rows, total = held
        for name, layer in self.dropouts:
            mask = layer.mask.data
            whole = self.last_masks.setdefault(name, np.zeros((total, *mask.shape[1:]), mask.dtype))
            whole[list(rows)] = mask
        return loss

    def step(self, note_masks: bool = False) -> float:
        """One optimizer step on the next global batch: its mean loss over the ranks
        through ``accumulate``, this rank's own in plain steps. ``note_masks``: keep the
        step's masks for :meth:`masks` (plain steps always leave them in the layers)."""
        x, y = self._next_batch()
        self.optimizer.zero_grad()
        if self.micro_batches:
            self.last_masks = {}
            loss_fn = self._noted_loss if note_masks else self._loss
            loss = self.ddp.accumulate(loss_fn, x, y, micro_batches=self.micro_batches)
        else:
            local = self._loss(self.ddp, x, y)  # this rank's mean; DDP averages
            local.backward()
            loss = local.item()
        self.optimizer.step()
        return loss

    def train(self, steps: int) -> float:
        """``steps`` optimizer steps, the masks of the last noted; its mean loss."""
        self.ddp.train()
        loss = float("nan")
        for i in range(steps):
            loss = self.step(note_masks=i == steps - 1)
        if not self.micro_batches:  # the ranks' means, averaged
            total = lucid.Tensor(np.array([loss]))
            dist.all_reduce(total, op="mean")
            loss = float(total.item())
        return loss

    def masks(self) -> dict[str, np.ndarray]:
        """Each dropout layer's mask for the last global batch, in global row order."""
        world = dist.get_world_size()
        gathered = {}
        for name, layer in self.dropouts:
            if self.micro_batches:  # every rank noted its own rows; the others are 0
                whole = lucid.Tensor(self.last_masks[name])
                dist.all_reduce(whole)
                gathered[name] = whole.data.astype(np.uint8)
                continue
            local = layer.mask
            parts = [lucid.zeros(local.shape, dtype=local.dtype) for _ in range(world)]
            dist.all_gather(parts, local)
            # Rank r's row i is global row i·W + r.
            whole = np.stack([p.data for p in parts], axis=1).reshape(self.global_batch, -1)
            gathered[name] = whole.astype(np.uint8)
        return gathered


class Options(NamedTuple):
    steps: int
    global_batch: int
    seed: int
    out: Path
    micro_batches: int


def parse_args(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])

    def positive(text: str) -> int:
        value = int(text)
        if value < 1:
            raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
        return value

    def seed(text: str) -> int:
        value = int(text)
        if not 0 <= value < 2**32:
            raise argparse.ArgumentTypeError(f"must be in [0, 2**32), got {value}")
        return value

    parser.add_argument("--steps", type=positive, default=20, help="optimizer steps (20)")
    parser.add_argument(
        "--global-batch", type=positive, default=64, help="images per step over all ranks (64)"
    )
    parser.add_argument("--seed", type=seed, default=0, help="split, weights, masks, order (0)")
    parser.add_argument("--out", type=Path, default=Path("ddp.lcd"), help="where rank 0 saves")
    parser.add_argument(
        "--micro-batches", type=int, default=4,
        help="micro-batches per global batch, a power of two (4; 0: plain steps)",
    )  # fmt: skip
    args = parser.parse_args(argv)
    if args.micro_batches < 0:
        parser.error(f"--micro-batches must be at least 0, got {args.micro_batches}")
    return Options(args.steps, args.global_batch, args.seed, args.out, args.micro_batches)


def main(argv: list[str] | None = None) -> int:
    options = parse_args(argv)
    dist.init_process_group("mpi")
    try:
        run = Run(options.seed, options.global_batch, options.micro_batches)
    except ValueError as error:  # the same on every rank: each exits with the message
        print(f"train_ddp.py: error: {error}", file=sys.stderr)
        return 2
    loss = run.train(options.steps)
    masks = run.masks()
    if dist.get_rank() == 0:
        path = lucid.save({"state_dict": run.model.state_dict(), "masks": masks}, options.out)
        print(
            f"{options.steps} steps of {options.global_batch} images on "
            f"{dist.get_world_size()} rank(s): last loss {loss:.4f}; saved {path}"
        )
    dist.destroy_process_group()
    return 0


if __name__ == "__main__":
    sys.exit(main())
