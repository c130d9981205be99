"""lucid.data.DataLoader in one process (python/lucid/data/loader.py) and
default_collate (collate.py)."""

import collections

import numpy as np
import pytest

import lucid
from lucid.data import DataLoader, Dataset, TensorDataset, default_collate


class Numbers(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i

    def __len__(self):
        return self.n


def _flat(loader):
    return [i for batch in loader for i in batch.tolist()]


def test_batches_in_order_with_a_short_last_one_unless_dropped():
    loader = DataLoader(Numbers(10), batch_size=4)
    assert len(loader) == 3 and [b.tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    dropped = DataLoader(Numbers(10), batch_size=4, drop_last=True)
    assert len(dropped) == 2 and [b.tolist() for b in dropped] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert len(DataLoader(Numbers(8), 4, drop_last=True)) == 2 and len(DataLoader(Numbers(0))) == 0
    assert list(DataLoader(Numbers(0), 3)) == []


def test_a_shuffled_epoch_is_the_permutation_of_the_epoch_seed_drawn_from_the_generator():
    n, bs = 23, 5
    loader = DataLoader(Numbers(n), bs, shuffle=True, generator=lucid.random.Generator(11))
    draws = lucid.random.Generator(11)
    for _ in range(3):
        seed = lucid.random.randint(0, 1 << 63, size=None, generator=draws).item()
        order = lucid.random.permutation(n, generator=lucid.random.Generator(seed)).tolist()
        batches = [b.tolist() for b in loader]
        assert [len(b) for b in batches] == [5, 5, 5, 5, 3]
        assert sum(batches, []) == order


def test_without_a_generator_seeding_lucid_random_repeats_the_epochs():
    loader = DataLoader(Numbers(50), 7, shuffle=True)
    lucid.random.seed(1)
    first = [_flat(loader) for _ in range(3)]
    lucid.random.seed(1)
    assert [_flat(loader) for _ in range(3)] == first
    assert all(sorted(e) == list(range(50)) for e in first)
    assert first[0] != first[1]  # two epochs equal with probability 1/50!


def test_an_unshuffled_loader_leaves_the_default_generator_alone():
    state = lucid.random.get_state()
    _flat(DataLoader(Numbers(10), 3))
    assert lucid.random.get_state() == state


def test_default_collate_stacks_tensors_arrays_and_numbers_with_their_dtypes():
    ds = TensorDataset(np.arange(12, dtype=np.float32).reshape(6, 2), np.arange(6))
    x, y = next(iter(DataLoader(ds, 4)))
    assert x.shape == (4, 2) and x.dtype == np.float32 and y.dtype == np.int64
    assert y.tolist() == [0, 1, 2, 3]
    assert default_collate([1, 2]).dtype == np.int64
    assert default_collate([1.5, 2]).dtype == np.float64
    assert default_collate([True, False]).dtype == np.bool_
    arr = default_collate([np.ones((2, 3), np.float32), np.zeros((2, 3), np.float32)])
    assert isinstance(arr, lucid.Tensor) and arr.shape == (2, 2, 3) and arr.dtype == np.float32


def test_default_collate_recurses_into_tuples_lists_dicts_and_named_tuples():
    pair = collections.namedtuple("pair", "a b")
    out = default_collate([{"x": (1, [2.0]), "s": "a"}, {"x": (3, [4.0]), "s": "b"}])
    assert set(out) == {"x", "s"} and out["s"] == ["a", "b"]
    first, (second,) = out["x"]
    assert first.tolist() == [1, 3] and second.tolist() == [2.0, 4.0]
    named = default_collate([pair(1, 2.0), pair(3, 4.0)])
    assert type(named) is pair and named.a.tolist() == [1, 3]
    assert DataLoader.default_collate([lucid.Tensor([1.0])]).shape == (1, 1)
    with pytest.raises(ValueError, match="sample 1"):
        default_collate([(1, 2), (3,)])
    with pytest.raises(TypeError, match="non-empty list"):
        default_collate([])


def test_collate_fn_receives_the_list_of_samples():
    loader = DataLoader(Numbers(5), 2, collate_fn=lambda samples: tuple(samples))
    assert list(loader) == [(0, 1), (2, 3), (4,)]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"batch_size": 0}, ValueError, "batch_size must be at least 1, got batch_size=0"),
        ({"batch_size": 2.0}, TypeError, "batch_size must be an int, got float"),
        ({"batch_size": True}, TypeError, "batch_size must be an int, got bool"),
        ({"num_workers": -1}, ValueError, "num_workers must be at least 0, got num_workers=-1"),
        ({"prefetch_factor": 2}, ValueError, "prefetch_factor=2 needs num_workers > 0"),
        ({"num_workers": 1, "prefetch_factor": 0}, ValueError, "prefetch_factor=0"),
        ({"persistent_workers": True}, ValueError, "needs num_workers > 0"),
        ({"shuffle": 1}, TypeError, "shuffle must be a bool"),
        ({"generator": 3}, TypeError, "generator must be a lucid.random.Generator"),
        ({"collate_fn": 3}, TypeError, "collate_fn must be callable"),
        ({"timeout": -1}, ValueError, "timeout must be a number >= 0, got timeout=-1"),
    ],
)
def test_bad_arguments_are_refused_naming_them(kwargs, error, match):
    with pytest.raises(error, match=match):
        DataLoader(Numbers(4), **kwargs)


def test_a_dataset_without_len_is_refused():
    with pytest.raises(TypeError, match="dataset must have __len__ and __getitem__, got int"):
        DataLoader(3)
