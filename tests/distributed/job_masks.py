"""One run for the world-size test: three SGD steps of a Dropout → Linear → SELU →
AlphaDropout → Linear network under DistributedDataParallel on global batches of
``B`` rows, each rank holding rows ``range(r, B, W)`` (DistributedSampler's deal).
After each step the ranks gather both layers' masks back into global row order; rank 0
saves them and the trained parameters to the .npz named by the first argument."""

import sys

import numpy as np

import lucid
import lucid.distributed as dist
import lucid.nn as nn
import lucid.optim as optim
from lucid.nn.parallel import DistributedDataParallel

B = 12  # divisible by 1, 2 and 4
STEPS = 3


def build() -> nn.Sequential:
    """The network, float32 weights from numpy's seed 0, both dropout layers drawing
    from one Generator(5, stream=2)."""
    masks = lucid.random.Generator(5, stream=2)
    model = nn.Sequential(
        nn.Dropout(0.25, generator=masks),
        nn.Linear(6, 16, dtype=np.float32),
        nn.SELU(),
        nn.AlphaDropout(0.2, generator=masks),
        nn.Linear(16, 2, dtype=np.float32),
    )
    rng = np.random.default_rng(0)
    for p in model.parameters():
        p.data[...] = rng.normal(0.0, 0.4, size=p.shape)
    return model


def batch(step: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(100 + step)
    x = rng.normal(size=(B, 6)).astype(np.float32)
    return x, rng.normal(size=(B, 2)).astype(np.float32)


def dropouts(model: nn.Module) -> list[nn.Module]:
    return [m for m in model.modules() if isinstance(m, (nn.Dropout, nn.AlphaDropout))]


if __name__ == "__main__":
    dist.init_process_group()
    rank, size = dist.get_rank(), dist.get_world_size()
    model = build()
    ddp = DistributedDataParallel(model)
    opt = optim.SGD(ddp.parameters(), lr=0.1)
    saved = {}
    for step in range(STEPS):
        x, y = batch(step)
        opt.zero_grad()
        loss = nn.functional.mse_loss(ddp(lucid.Tensor(x[rank::size])), lucid.Tensor(y[rank::size]))
        loss.backward()
        opt.step()
        for i, layer in enumerate(dropouts(model)):
            local = layer.mask
            parts = [lucid.zeros(local.shape, dtype=local.dtype) for _ in range(size)]
            dist.all_gather(parts, local)
            # Rank r's row i is global row i·W + r.
            whole = np.stack([p.data for p in parts], axis=1).reshape(B, -1)
            saved[f"step{step}_mask{i}"] = whole
    if rank == 0:
        params = {f"param{i}": p.data for i, p in enumerate(model.parameters())}
        np.savez(sys.argv[1], **saved, **params)
    dist.destroy_process_group()
