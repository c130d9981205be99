"""DistributedSampler: every rank sees the same order and takes disjoint shards that
make up the epoch; batch k of all ranks is the contiguous slice k of the order; the
DataLoader takes it as ``sampler=`` with and without workers."""

import numpy as np
import pytest

import lucid
from lucid.data import DataLoader, DistributedSampler, TensorDataset


def dataset(n):
    return TensorDataset(lucid.tensor(np.arange(n, dtype=np.int64)))


@pytest.mark.parametrize("n", [0, 1, 7, 10, 12])
@pytest.mark.parametrize("world", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_shards_are_the_order_dealt_round_robin(n, world, drop_last):
    ds = dataset(n)
    order = list(DistributedSampler(ds, 1, 0, seed=5, drop_last=drop_last))
    assert sorted(order) == list(range(n))  # one replica: the whole permutation
    shards = [
        list(DistributedSampler(ds, world, r, seed=5, drop_last=drop_last)) for r in range(world)
    ]
    per = n // world if drop_last else -(-n // world)
    assert all(len(s) == per for s in shards)
    padded = np.resize(order, world * per).tolist() if n else []
    for r, shard in enumerate(shards):
        assert shard == padded[r::world]
    if not drop_last:
        assert set().union(*map(set, shards)) == set(range(n))


def test_the_order_follows_seed_and_epoch_and_not_shuffled_is_in_order():
    ds = dataset(50)
    a = DistributedSampler(ds, 2, 0, seed=3)
    first = list(a)
    assert list(DistributedSampler(ds, 2, 0, seed=3)) == first
    a.set_epoch(1)
    assert list(a) != first
    assert list(DistributedSampler(ds, 2, 0, seed=4)) != first
    assert list(DistributedSampler(ds, 2, 1, shuffle=False)) == list(range(1, 50, 2))


@pytest.mark.parametrize("workers", [0, 2])
def test_rank_batches_together_are_the_single_process_batches(workers):
    ds, world, b = dataset(37), 2, 4
    single = DataLoader(ds, batch_size=world * b, sampler=DistributedSampler(ds, 1, 0, seed=9))
    ranks = [
        list(
            DataLoader(
                ds,
                batch_size=b,
                sampler=DistributedSampler(ds, world, r, seed=9),
                num_workers=workers,
            )
        )
        for r in range(world)
    ]
    order = list(DistributedSampler(ds, 1, 0, seed=9))
    padded = np.resize(order, world * -(-37 // world)).tolist()  # padded as the sampler pads
    for k, batch in enumerate(single):
        rows = np.zeros(len(ranks[0][k][0].data) * world, dtype=np.int64)
        for r in range(world):
            rows[r::world] = ranks[r][k][0].data
        assert rows.tolist() == padded[k * world * b : (k + 1) * world * b]
        # Without padding the sets agree with the single process's batch.
        if (k + 1) * world * b <= 37:
            assert rows.tolist() == batch[0].data.tolist()


@pytest.mark.parametrize(
    "kwargs, error, pattern",
    [
        ({"num_replicas": 0, "rank": 0}, ValueError, "num_replicas must be at least 1, got 0"),
        (
            {"num_replicas": 2, "rank": 2},
            ValueError,
            r"rank must be in \[0, num_replicas=2\), got 2",
        ),
        ({"num_replicas": 2.0, "rank": 0}, TypeError, "num_replicas must be an int"),
        ({"num_replicas": 2, "rank": 0, "shuffle": 1}, TypeError, "shuffle must be a bool"),
        ({}, RuntimeError, "needs num_replicas and rank, or lucid.distributed.init_process_group"),
    ],
)
def test_bad_arguments_name_themselves(kwargs, error, pattern):
    with pytest.raises(error, match=pattern):
        DistributedSampler(dataset(4), **kwargs)


def test_the_loader_refuses_a_sampler_with_shuffle_and_a_non_sampler():
    ds = dataset(4)
    with pytest.raises(ValueError, match="sampler and shuffle=True"):
        DataLoader(ds, sampler=DistributedSampler(ds, 1, 0), shuffle=True)
    with pytest.raises(TypeError, match="sampler must be an iterable of indices with a length"):
        DataLoader(ds, sampler=3)
    with pytest.raises(ValueError, match="epoch must be at least 0"):
        DistributedSampler(ds, 1, 0).set_epoch(-1)
