"""lucid.distributed: data-parallel training over MPI (PyTorch's ``torch.distributed``
names for the part lucid has).

Run ``mpiexec -n N python train.py``; each process calls ``init_process_group()``. The
collectives (``broadcast``, ``all_reduce``, ``all_gather``, ``barrier``) work in place on
the tensors' Rust storage, and ``all_reduce`` reduces in rank order, so its result is
the same bits in every run. Importing this package needs no MPI; calling it needs mpi4py
(``pip install "lucid-rs[distributed]"``).
"""

from lucid.distributed.collectives import ReduceOp, all_gather, all_reduce, broadcast
from lucid.distributed.group import (
    barrier,
    destroy_process_group,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
)

__all__ = [
    "ReduceOp",
    "all_gather",
    "all_reduce",
    "barrier",
    "broadcast",
    "destroy_process_group",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
]
