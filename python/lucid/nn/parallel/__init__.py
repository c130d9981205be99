"""lucid.nn.parallel: data-parallel training (``DistributedDataParallel``) over the ranks
of lucid.distributed."""

from lucid.nn.parallel.distributed import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
