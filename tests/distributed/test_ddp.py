"""DistributedDataParallel on 2 ranks: replicas start equal, training on halves of each
global batch follows single-process training on the whole batch, no_sync accumulates,
gradients missing on a rank count as zeros, buckets follow their rules.

Each ``@collective`` test runs on every rank (tests/distributed/_mpi_world.py says how).
The single-process references run on each rank alone, without collectives.
"""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest
from _mpi_world import collective

import lucid
import lucid.distributed as dist
import lucid.nn as nn
import lucid.optim as optim
from lucid.nn.parallel import DistributedDataParallel

GLOBAL_BATCH = 8


def _mlp(dtype, seed: int) -> nn.Module:
    """A small MLP without dropout, its weights drawn from numpy with ``seed``."""
    model = nn.Sequential(
        nn.Linear(5, 16, dtype=dtype),
        nn.Tanh(),
        nn.Linear(16, 8, dtype=dtype),
        nn.ReLU(),
        nn.Linear(8, 1, dtype=dtype),
    )
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.data[...] = rng.normal(0.0, 0.5, size=p.shape)
    return model


def _batch(step: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(1000 + step)
    x = rng.normal(size=(GLOBAL_BATCH, 5))
    return x.astype(dtype), np.sin(x.sum(axis=1, keepdims=True)).astype(dtype)


def _params(model: nn.Module) -> list[np.ndarray]:
    return [p.data.copy() for p in model.parameters()]


def _gathered(array: np.ndarray) -> list[np.ndarray]:
    out = [lucid.zeros(array.shape, dtype=array.dtype) for _ in range(dist.get_world_size())]
    dist.all_gather(out, lucid.Tensor(array))
    return [t.data for t in out]


@collective
def test_parameters_and_buffers_are_rank_0s_after_construction():
    rank = dist.get_rank()
    model = nn.Sequential(_mlp(np.float64, seed=rank), nn.BatchNorm1d(1))
    model[1].running_mean.data[...] = rank + 3.0
    rank0 = _params(_mlp(np.float64, seed=0))
    ddp = DistributedDataParallel(model)
    assert ddp.module is model
    for got, want in zip(_params(model[0]), rank0, strict=True):
        np.testing.assert_array_equal(got, want)
    assert model[1].running_mean.tolist() == [3.0]
    # Buffers written on a rank follow rank 0's again at the next training forward.
    model[1].running_var.data[...] = rank + 1.0
    ddp(lucid.Tensor(np.ones((4, 5))))
    for got in _gathered(model[1].running_mean.data):
        np.testing.assert_array_equal(got, model[1].running_mean.data)


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
@collective
def test_twenty_steps_on_two_ranks_follow_one_process_on_the_global_batches(optimizer):
    rank, size = dist.get_rank(), dist.get_world_size()
    make = {
        "sgd": lambda ps: optim.SGD(ps, lr=0.05, momentum=0.9),
        "adam": lambda ps: optim.Adam(ps, lr=1e-3),
    }[optimizer]
    alone = _mlp(np.float32, seed=7)
    ddp = DistributedDataParallel(_mlp(np.float32, seed=7 + rank))
    alone_opt, ddp_opt = make(alone.parameters()), make(ddp.parameters())
    share = GLOBAL_BATCH // size
    mine = slice(rank * share, (rank + 1) * share)
    for step in range(20):
        x, y = _batch(step, np.float32)
        alone_opt.zero_grad()
        nn.functional.mse_loss(alone(lucid.Tensor(x)), lucid.Tensor(y)).backward()
        alone_opt.step()
        ddp_opt.zero_grad()
        # The mean over this rank's rows; DDP's average over ranks is the global mean.
        nn.functional.mse_loss(ddp(lucid.Tensor(x[mine])), lucid.Tensor(y[mine])).backward()
        ddp_opt.step()
    for got, want in zip(_params(ddp.module), _params(alone), strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-7)
    for got, theirs in zip(_params(ddp.module), map(_gathered, _params(ddp.module)), strict=True):
        assert all(t.tobytes() == got.tobytes() for t in theirs)  # replicas stay equal


@collective
def test_averaged_gradients_are_the_rank_order_mean_of_the_local_ones():
    rank, size = dist.get_rank(), dist.get_world_size()
    twin = _mlp(np.float32, seed=3)
    ddp = DistributedDataParallel(_mlp(np.float32, seed=3), bucket_cap_mb=300 / 2**20)
    assert len(ddp.buckets) > 1  # 300-byte buckets: several
    x, y = _batch(rank, np.float32)
    nn.functional.mse_loss(twin(lucid.Tensor(x)), lucid.Tensor(y)).backward()
    nn.functional.mse_loss(ddp(lucid.Tensor(x)), lucid.Tensor(y)).backward()
    for local, synced in zip(twin.parameters(), ddp.module.parameters(), strict=True):
        ranks = _gathered(local.grad)
        fold = ranks[0].copy()
        for g in ranks[1:]:
            fold = fold + g
        assert synced.grad.tobytes() == (fold / np.float32(size)).tobytes()


@collective
def test_no_sync_accumulation_equals_one_synced_step_on_the_concatenation():
    rank = dist.get_rank()
    first = DistributedDataParallel(_mlp(np.float64, seed=5))
    second = DistributedDataParallel(_mlp(np.float64, seed=5))
    xa, ya = _batch(10 + rank, np.float64)
    xb, yb = _batch(20 + rank, np.float64)

    def loss(model, x, y):  # a sum over rows, so two micro-batches add up to their union
        return nn.functional.mse_loss(model(lucid.Tensor(x)), lucid.Tensor(y), reduction="sum")

    with first.no_sync():
        loss(first, xa, ya).backward()
    local = [p.grad.copy() for p in first.module.parameters()]
    loss(first, xb, yb).backward()
    loss(second, np.concatenate([xa, xb]), np.concatenate([ya, yb])).backward()
    for a, b in zip(first.module.parameters(), second.module.parameters(), strict=True):
        np.testing.assert_allclose(a.grad, b.grad, rtol=1e-12, atol=1e-12)
    # Inside no_sync the gradients were this rank's own: the ranks' differ. After the
    # synced backward every rank holds the same bits.
    assert not np.array_equal(*_gathered(local[0])[:2])
    for p in first.module.parameters():
        assert all(g.tobytes() == p.grad.tobytes() for g in _gathered(p.grad))


class _Branches(nn.Module):
    """Three layers: one always used, one only when asked, one never."""

    def __init__(self) -> None:
        super().__init__()
        self.used, self.sometimes, self.never = nn.Linear(2, 1), nn.Linear(2, 1), nn.Linear(2, 1)

    def forward(self, x, both: bool):
        out = self.used(x)
        return out + self.sometimes(x) if both else out


@collective
def test_a_gradient_missing_on_some_ranks_counts_as_zeros_there():
    rank, size = dist.get_rank(), dist.get_world_size()
    model = _Branches()
    ddp = DistributedDataParallel(model)
    ddp(lucid.Tensor(np.ones((1, 2))), both=rank == 0).sum().backward()
    assert model.used.weight.grad.tolist() == [[1.0, 1.0]]
    np.testing.assert_array_equal(model.sometimes.weight.grad, [[1.0 / size, 1.0 / size]])
    np.testing.assert_array_equal(model.sometimes.bias.grad, [1.0 / size])
    assert model.never.weight.grad is None and model.never.bias.grad is None


@collective
def test_buckets_hold_each_dtype_in_registration_order_under_the_cap():
    layers = [nn.Linear(4, 4), nn.Linear(4, 4, dtype=np.float32), nn.Linear(4, 4)]
    model = nn.Sequential(*layers)
    cap_mb = 200 / 2**20  # one 4x4 float64 weight (128 bytes) and its bias (32) fit
    ddp = DistributedDataParallel(model, bucket_cap_mb=cap_mb)
    params = list(model.parameters())
    for bucket in ddp.buckets:
        assert len({p.dtype for p in bucket.params}) == 1
        assert sum(p.data.nbytes for p in bucket.params) <= 200 or len(bucket.params) == 1
        positions = [next(i for i, q in enumerate(params) if q is p) for p in bucket.params]
        assert positions == sorted(positions)
    assert sorted(id(p) for b in ddp.buckets for p in b.params) == sorted(map(id, params))
    assert [len(b.params) for b in ddp.buckets] == [2, 2, 2]


@collective
def test_state_dict_keys_have_the_module_prefix_and_bad_arguments_are_errors():
    model = _mlp(np.float64, seed=0)
    ddp = DistributedDataParallel(model)
    assert list(ddp.state_dict()) == [f"module.{k}" for k in model.state_dict()]
    with pytest.raises(TypeError, match="module must be a lucid.nn.Module, got int"):
        DistributedDataParallel(3)
    for cap in (0, -1.0, float("nan"), "25"):
        with pytest.raises(ValueError, match="bucket_cap_mb must be a positive number"):
            DistributedDataParallel(model, bucket_cap_mb=cap)
    with pytest.raises(
        ValueError, match="device_ids must be None or 'cpu', got device_ids=\\[0\\]"
    ):
        DistributedDataParallel(model, device_ids=[0])


@collective
def test_replicas_that_differ_are_a_value_error_on_every_rank():
    rank = dist.get_rank()
    with pytest.raises(ValueError, match="rank 1's model differs from rank 0's"):
        DistributedDataParallel(nn.Linear(3, 2 + (rank == 1)))


@collective
def test_a_freed_wrapper_leaves_its_module_training_alone():
    rank = dist.get_rank()
    model = _mlp(np.float64, seed=1)
    ddp = DistributedDataParallel(model)
    ref = weakref.ref(ddp)
    del ddp
    gc.collect()
    assert ref() is None
    x, y = _batch(rank, np.float64)
    nn.functional.mse_loss(model(lucid.Tensor(x)), lucid.Tensor(y)).backward()
    grads = _gathered(next(model.parameters()).grad)
    assert not np.array_equal(grads[0], grads[1])  # each rank's own gradient
