"""Whole runs on 2 and 4 ranks give the same bits: all_reduce's sum is the rank-order
fold of the inputs, and DDP training with several buckets repeats exactly. These
tests launch their own mpiexec jobs (tests/distributed/_mpi_world.py), so they run
under plain pytest only."""

from __future__ import annotations

import numpy as np
import pytest
from _mpi_world import HERE, launch, needs_mpi, plain_only
from job_reduce_and_train import inputs

pytestmark = [needs_mpi, plain_only]


def _run(n: int, path) -> dict[str, np.ndarray]:
    result = launch(n, [str(HERE / "job_reduce_and_train.py"), str(path)])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with np.load(path) as saved:
        return dict(saved)


@pytest.mark.parametrize("n", [2, 4])
def test_two_runs_give_the_same_bits_and_the_sum_is_the_rank_order_fold(n, tmp_path):
    first, second = _run(n, tmp_path / "first.npz"), _run(n, tmp_path / "second.npz")
    assert first.keys() == second.keys()
    for key in first:
        assert first[key].tobytes() == second[key].tobytes(), key
    assert int(first["buckets"]) > 1
    fold = inputs(0)
    for rank in range(1, n):
        fold = np.add(fold, inputs(rank))
    assert first["total"].tobytes() == fold.tobytes()
