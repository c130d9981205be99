"""DistributedDataParallel's dropout rows on 2 ranks: each rank's Dropout and
AlphaDropout masks, outputs and input gradients are the rows it holds of what one
process computes on the whole global batch (rows dealt as DistributedSampler deals
them, or in blocks), the generators stay equal, and sizes that do not fit the deal are
a ValueError on every rank.

Each ``@collective`` test runs on every rank (tests/distributed/_mpi_world.py says how).
The single-process references run on each rank alone, without collectives.
"""

from __future__ import annotations

import numpy as np
import pytest
from _mpi_world import collective

import lucid
import lucid.distributed as dist
import lucid.nn as nn
from lucid.nn.parallel import DistributedDataParallel

B = 7  # odd: the strided deal gives the ranks 4 and 3 rows


def _model(seed: int = 0) -> tuple[nn.Sequential, lucid.random.Generator]:
    """Dropout on the input, Linear, SELU, AlphaDropout, Linear; float64 weights from
    numpy, both dropout layers drawing from one Generator(11, stream=1)."""
    masks = lucid.random.Generator(11, stream=1)
    model = nn.Sequential(
        nn.Dropout(0.3, generator=masks),
        nn.Linear(6, 10),
        nn.SELU(),
        nn.AlphaDropout(0.2, generator=masks),
        nn.Linear(10, 3),
    )
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data[...] = rng.normal(0.0, 0.5, size=p.shape)
    return model, masks


def _batch(seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(B, 6))


def _run(model: nn.Module, x: np.ndarray) -> dict[str, np.ndarray]:
    """One forward and backward of ``model`` on ``x``: the masks, output and x's gradient."""
    inputs = lucid.Tensor(x, requires_grad=True)
    out = model(inputs)
    (out * out).sum().backward()
    layers = [m for m in model.modules() if isinstance(m, (nn.Dropout, nn.AlphaDropout))]
    result = {f"mask{i}": layer.mask.data.copy() for i, layer in enumerate(layers)}
    return {**result, "out": out.data.copy(), "grad": inputs.grad.copy()}


def _comm():
    from mpi4py import MPI

    return MPI.COMM_WORLD


def _check_rows(deal: list[np.ndarray], batch_rows: str) -> None:
    rank = dist.get_rank()
    x = _batch()
    alone, alone_masks = _model()
    want = _run(alone, x)
    ddp_model, ddp_masks = _model()
    got = _run(DistributedDataParallel(ddp_model, batch_rows=batch_rows), x[deal[rank]])
    for key, value in want.items():
        if key != "out" and key != "grad":
            assert got[key].shape == (len(deal[rank]), value.shape[1])
        assert got[key].tobytes() == value[deal[rank]].tobytes(), key
    assert ddp_masks.get_state() == alone_masks.get_state()
    # Together the ranks hold every row once.
    rows = np.concatenate(_comm().allgather(deal[rank]))
    assert sorted(rows.tolist()) == list(range(B))


@collective
def test_strided_rows_are_the_single_process_rows_of_the_global_batch():
    size = dist.get_world_size()
    _check_rows([np.arange(r, B, size) for r in range(size)], "strided")


@collective
def test_blocks_of_any_sizes_are_the_single_process_rows_of_the_global_batch():
    size = dist.get_world_size()
    cuts = [0, *range(2, size + 1), B]  # 2 rows, then 1 each, then the rest
    _check_rows([np.arange(cuts[r], cuts[r + 1]) for r in range(size)], "blocks")


@collective
def test_without_rows_each_rank_draws_as_a_lone_process():
    rank, size = dist.get_rank(), dist.get_world_size()
    mine = _batch()[rank::size]
    alone, _ = _model()
    want = _run(alone, mine)
    model, _ = _model()
    got = _run(DistributedDataParallel(model, batch_rows=None), mine)
    assert got["mask0"].tobytes() == want["mask0"].tobytes()
    # So every rank's first rows drop the same units: the masks repeat across ranks.
    firsts = _comm().allgather(got["mask0"][0])
    assert all(f.tobytes() == firsts[0].tobytes() for f in firsts)


@collective
def test_sizes_that_do_not_fit_the_strided_deal_are_a_value_error_on_every_rank():
    rank = dist.get_rank()
    model, _ = _model()
    ddp = DistributedDataParallel(model)
    x = lucid.Tensor(_batch()[: 2 if rank == 0 else 5])
    with pytest.raises(ValueError, match=r"range\(r, B, W\) for B=7, W=2, that is \[4, 3\]"):
        ddp(x)
    ddp.eval()  # no masks are drawn in eval mode, so no rows are needed
    assert ddp(x).shape == (x.shape[0], 3)
    ddp.train()
    with pytest.raises(ValueError, match="every rank's forward needs a batched Tensor"):
        ddp(x if rank == 0 else x.data)  # a numpy array on rank 1


@collective
def test_batch_rows_must_be_strided_blocks_or_none():
    model, _ = _model()
    for bad in ("rows", 1, ["strided"]):
        with pytest.raises(ValueError, match="batch_rows must be 'strided', 'blocks' or None"):
            DistributedDataParallel(model, batch_rows=bad)
