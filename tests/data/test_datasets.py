"""lucid.data's datasets (python/lucid/data/datasets.py): Subset, TensorDataset,
ConcatDataset and the Dataset base."""

import numpy as np
import pytest

import lucid
from lucid.data import ConcatDataset, Dataset, Subset, TensorDataset


class Squares(Dataset):
    def __init__(self, n):
        self.n = n
        self.tag = "squares"

    def __getitem__(self, i):
        if not 0 <= i < self.n:
            raise IndexError(i)
        return i * i

    def __len__(self):
        return self.n


def test_dataset_is_abstract_and_iterates_and_adds():
    with pytest.raises(TypeError):
        Dataset()
    a, b = Squares(3), Squares(2)
    assert list(a) == [0, 1, 4] and repr(a) == "Dataset(n=3)"
    both = a + b
    assert isinstance(both, ConcatDataset) and list(both) == [0, 1, 4, 0, 1]


def test_subset_maps_its_indices_and_passes_attributes_on():
    sub = Subset(Squares(10), [3, 1, 4])
    assert len(sub) == 3 and [sub[i] for i in range(3)] == [9, 1, 16] and list(sub) == [9, 1, 16]
    assert sub.tag == "squares" and repr(sub) == "Subset(n=3)"
    assert Subset(Squares(5), np.array([4, 0])).indices == [4, 0]
    assert Subset(Squares(5), lucid.Tensor(np.array([2]))).indices == [2]


def test_subset_refuses_negative_out_of_range_and_non_int_indices():
    with pytest.raises(ValueError, match=r"indices\[1\] must be in \[0, 5\).*got -1"):
        Subset(Squares(5), [0, -1])
    with pytest.raises(ValueError, match=r"indices\[0\].*got 5"):
        Subset(Squares(5), [5])
    with pytest.raises(TypeError, match=r"indices\[0\] must be an int, got float 1.0"):
        Subset(Squares(5), [1.0])


def test_tensor_dataset_gives_rows_of_each_tensor():
    x, y = np.arange(12.0).reshape(4, 3), np.array([1, 0, 1, 1])
    ds = TensorDataset(x, lucid.Tensor(y))
    assert len(ds) == 4 and len(ds.tensors) == 2
    for i in range(4):
        xi, yi = ds[i]
        assert xi.tolist() == x[i].tolist() and yi.item() == y[i]
    assert ds.tensors[0].dtype == np.float64 and ds.tensors[1].dtype == np.int64
    assert "n=4" in repr(ds) and ds.to("cpu") is ds


def test_tensor_dataset_refuses_mismatched_lengths_none_and_0d():
    with pytest.raises(ValueError, match=r"tensors\[0\] has 4, tensors\[1\] has 3"):
        TensorDataset(np.zeros(4), np.zeros(3))
    with pytest.raises(ValueError, match="at least one"):
        TensorDataset()
    with pytest.raises(ValueError, match=r"tensors\[0\] must be at least 1-D"):
        TensorDataset(np.float64(1.0))


def test_concat_dataset_indexes_across_parts_and_from_the_end():
    ds = ConcatDataset([Squares(3), Squares(0), Squares(2)])
    assert ds.cumulative_sizes == [3, 3, 5] and len(ds) == 5
    assert [ds[i] for i in range(5)] == [0, 1, 4, 0, 1]
    assert [ds[i] for i in range(-5, 0)] == [0, 1, 4, 0, 1]
    for bad in (5, -6):
        with pytest.raises(IndexError, match=f"index {bad} is out of range"):
            ds[bad]
    with pytest.raises(TypeError, match="idx must be an int"):
        ds["0"]
    assert len(ConcatDataset([])) == 0
