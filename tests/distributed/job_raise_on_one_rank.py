"""Rank 1 raises while rank 0 waits in a barrier that rank 1 never reaches: the job
must end (rank 1's excepthook aborts it) instead of hanging."""

import lucid.distributed as dist

dist.init_process_group()
if dist.get_rank() == 1:
    print(1 / 0)
dist.barrier()
print(f"rank {dist.get_rank()} passed the barrier")
