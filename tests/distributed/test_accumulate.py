"""DistributedDataParallel.accumulate on 2 ranks: the gradients are the fixed tree's
mean of the micro-batches' gradients, computed alone on each rank as the formula says,
bit for bit; the masks are the global batch's; the generators end where one pass over
the global batch leaves them; earlier gradients are added to; bad arguments are errors
on every rank, leaving the gradients and generators as they were.

Each ``@collective`` test runs on every rank (tests/distributed/_mpi_world.py says how).
"""

from __future__ import annotations

import numpy as np
import pytest
from _mpi_world import collective

import lucid
import lucid.distributed as dist
import lucid.nn as nn
import lucid.nn.functional as F
from lucid.nn.parallel import DistributedDataParallel
from lucid.nn.parallel.accumulate import pairwise

B, V = 8, 4  # 2 ranks: 4 rows and 2 micro-batches each


def _model() -> nn.Sequential:
    masks = lucid.random.Generator(3, stream=4)
    model = nn.Sequential(
        nn.Dropout(0.3, generator=masks),
        nn.Linear(5, 12, dtype=np.float32),
        nn.SELU(),
        nn.AlphaDropout(0.25, generator=masks),
        nn.Linear(12, 3, dtype=np.float32),
    )
    rng = np.random.default_rng(2)
    for p in model.parameters():
        p.data[...] = rng.normal(0.0, 0.5, size=p.shape)
    return model


def _batch() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(8)
    return rng.normal(size=(B, 5)).astype(np.float32), rng.integers(0, 3, size=B)


def _loss(module, x, y):
    return F.cross_entropy(module(x), y)


def _dropouts(model):
    return [m for m in model.modules() if isinstance(m, (nn.Dropout, nn.AlphaDropout))]


def _alone() -> dict[str, object]:
    """What the formula gives, on this rank alone: every micro-batch v from the same
    generator state, inside its rows, then ((g0 + g2) + (g1 + g3)) / 4."""
    model = _model()
    generator = _dropouts(model)[0].generator
    start = generator.get_state()
    x, y = _batch()
    grads, losses, masks = {}, {}, {}
    for v in range(V):
        generator.set_state(start)
        with lucid.random.global_rows(range(v, B, V), B):
            loss = _loss(model, lucid.Tensor(x[v::V]), lucid.Tensor(y[v::V]))
        loss.backward()
        grads[v] = [p.grad.copy() for p in model.parameters()]
        losses[v] = loss.item()
        masks[v] = [m.mask.data.copy() for m in _dropouts(model)]
        model.zero_grad()
    mean = [((grads[0][i] + grads[2][i]) + (grads[1][i] + grads[3][i])) / np.float32(V)
            for i in range(len(grads[0]))]  # fmt: skip
    whole = [np.zeros((B, *masks[0][k].shape[1:]), np.float32) for k in range(2)]
    for v in range(V):
        for k in range(2):
            whole[k][v::V] = masks[v][k]
    return {
        "grads": mean,
        "loss": ((losses[0] + losses[2]) + (losses[1] + losses[3])) / V,
        "masks": whole,
        "state": generator.get_state(),
    }


def _mine(array: np.ndarray) -> np.ndarray:
    return array[dist.get_rank() :: dist.get_world_size()]


@collective
def test_gradients_are_the_tree_mean_of_the_micro_batches_bit_for_bit():
    want = _alone()
    model = _model()
    ddp = DistributedDataParallel(model)
    x, y = _batch()
    seen = {}

    def loss_fn(module, xs, ys):
        assert module is model
        out = module(xs)
        rows, total = lucid.random.current_rows()
        assert total == B and len(rows) == B // V
        seen[tuple(rows)] = [m.mask.data.copy() for m in _dropouts(model)]
        return F.cross_entropy(out, ys)

    loss = ddp.accumulate(loss_fn, lucid.Tensor(_mine(x)), lucid.Tensor(_mine(y)), micro_batches=V)
    for p, g in zip(model.parameters(), want["grads"], strict=True):
        assert p.grad.dtype == np.float32
        assert p.grad.tobytes() == g.tobytes()
    assert loss == want["loss"]
    rank = dist.get_rank()
    assert sorted(seen) == [tuple(range(v, B, V)) for v in (rank, rank + 2)]
    for rows, masks in seen.items():
        for mask, whole in zip(masks, want["masks"], strict=True):
            assert mask.tobytes() == whole[list(rows)].tobytes()
    assert _dropouts(model)[0].generator.get_state() == want["state"]
    # The generators end where one pass over the whole batch leaves them.
    reference = _model()
    with lucid.random.global_rows(range(B), B):
        reference(lucid.Tensor(x))
    assert _dropouts(reference)[0].generator.get_state() == want["state"]


@collective
def test_the_mean_is_added_to_earlier_gradients_and_unused_parameters_stay_none():
    model = nn.Sequential(_model(), nn.Linear(1, 1, dtype=np.float32))  # the last: unused
    ddp = DistributedDataParallel(model)
    x, y = _batch()
    batch = lucid.Tensor(_mine(x)), lucid.Tensor(_mine(y))

    def loss_fn(module, xs, ys):
        return _loss(module[0], xs, ys)

    masks = _dropouts(model)[0].generator
    ddp.accumulate(loss_fn, *batch, micro_batches=V)
    once = [p.grad.copy() for p in model[0].parameters()]
    second_start = masks.get_state()
    ddp.accumulate(loss_fn, *batch, micro_batches=V)
    total = [p.grad.copy() for p in model[0].parameters()]
    model.zero_grad()
    masks.set_state(second_start)  # the second step again, from no gradients
    ddp.accumulate(loss_fn, *batch, micro_batches=V)
    for got, first, p in zip(total, once, model[0].parameters(), strict=True):
        assert got.tobytes() == (first + p.grad).tobytes()
    assert model[1].weight.grad is None and model[1].bias.grad is None


@collective
def test_bad_arguments_are_errors_on_every_rank_and_leave_the_gradients():
    rank = dist.get_rank()
    model = _model()
    ddp = DistributedDataParallel(model)
    x, y = _batch()
    batch = lucid.Tensor(_mine(x)), lucid.Tensor(_mine(y))
    ddp.accumulate(_loss, *batch, micro_batches=V)
    before = [p.grad.copy() for p in model.parameters()]
    cases = [
        (TypeError, "rank 0: micro_batches must be an int, got True", True),
        (ValueError, "power of two that the world size 2 divides, got micro_batches=3", 3),
        (ValueError, "that the world size 2 divides, got micro_batches=1", 1),
        (ValueError, "micro_batches=16 must divide the global batch of 8 rows", 16),
        (ValueError, "the ranks' micro_batches and batch rows differ", 2 + 2 * rank),
    ]
    for error, message, micro_batches in cases:
        with pytest.raises(error, match=message):
            ddp.accumulate(_loss, *batch, micro_batches=micro_batches)
    with pytest.raises(ValueError, match=r"differ in their first dimension: \[4, 3\]"):
        ddp.accumulate(_loss, batch[0], batch[1][:3], micro_batches=V)
    # A problem on one rank only is the same error on every rank, naming that rank.
    ys = batch[1][:3] if rank == 1 else batch[1]
    with pytest.raises(ValueError, match=r"rank 1: the batch's tensors differ .*\[4, 3\]"):
        ddp.accumulate(_loss, batch[0], ys, micro_batches=V)
    state = _dropouts(model)[0].generator.get_state()
    with pytest.raises(TypeError, match="loss_fn must return a 0-d lucid Tensor, got Tensor"):
        ddp.accumulate(lambda m, xs, ys: m(xs), *batch, micro_batches=V)  # after a forward
    assert _dropouts(model)[0].generator.get_state() == state
    with pytest.raises(TypeError, match="rank 0: loss_fn must be callable, got int"):
        ddp.accumulate(3, *batch, micro_batches=V)
    for p, g in zip(model.parameters(), before, strict=True):
        assert p.grad.tobytes() == g.tobytes()


def test_the_tree_splits_by_the_lowest_bit_first():
    leaves = {c: [c] for c in range(8)}  # list "+" concatenates: the leaves' order shows
    assert pairwise(leaves, 0, 1, 8) == [0, 4, 2, 6, 1, 5, 3, 7]
    assert pairwise(leaves, 1, 2, 8) == [1, 5, 3, 7]  # rank 1 of 2: its own leaves
    assert pairwise(leaves, 3, 4, 8) == [3, 7]
    assert pairwise(leaves, 5, 8, 8) == [5]
