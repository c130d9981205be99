"""One run for the determinism tests: every rank all-reduces its inputs (float32 over
twelve decades, drawn from the rank's seed) and trains a small MLP for three steps
under DistributedDataParallel with 256-byte buckets; rank 0 saves the sum and the
trained parameters to the .npz named by the first argument."""

import sys

import numpy as np

import lucid
import lucid.distributed as dist
import lucid.nn as nn
import lucid.optim as optim
from lucid.nn.parallel import DistributedDataParallel


def inputs(rank: int) -> np.ndarray:
    rng = np.random.default_rng(500 + rank)
    return (rng.normal(size=4096) * 10.0 ** rng.integers(-6, 6, size=4096)).astype(np.float32)


if __name__ == "__main__":
    dist.init_process_group()
    rank = dist.get_rank()
    lucid.manual_seed(0)
    total = lucid.Tensor(inputs(rank))
    dist.all_reduce(total)
    model = nn.Sequential(
        nn.Linear(6, 32, dtype=np.float32), nn.Tanh(), nn.Linear(32, 1, dtype=np.float32)
    )
    ddp = DistributedDataParallel(model, bucket_cap_mb=256 / 2**20)
    opt = optim.SGD(ddp.parameters(), lr=0.1)
    rng = np.random.default_rng(900 + rank)
    for _ in range(3):
        x = lucid.Tensor(rng.normal(size=(16, 6)).astype(np.float32))
        opt.zero_grad()
        nn.functional.mse_loss(ddp(x), lucid.Tensor(np.ones((16, 1), np.float32))).backward()
        opt.step()
    if rank == 0:
        params = {f"param{i}": p.data for i, p in enumerate(model.parameters())}
        np.savez(sys.argv[1], total=total.data, buckets=len(ddp.buckets), **params)
    dist.destroy_process_group()
