"""lucid.data against torch.utils.data: the lengths random_split gives fractions, the
number and sizes of a loader's batches, and default_collate's dtypes and shapes."""

import numpy as np
import pytest

import lucid.data

torch = pytest.importorskip("torch")
tdata = pytest.importorskip("torch.utils.data")

FRACTIONS = [[0.5, 0.5], [0.3, 0.3, 0.4], [1 / 3] * 3, [0.25] * 4, [0.1, 0.2, 0.7], [1.0]]


@pytest.mark.filterwarnings("ignore:Length of split")  # PyTorch's note on empty parts
@pytest.mark.parametrize("fractions", FRACTIONS)
def test_random_split_gives_fractions_the_lengths_pytorch_gives(fractions):
    for n in range(0, 30):
        ours = [len(p) for p in lucid.data.random_split(list(range(n)), fractions, seed=0)]
        theirs = [len(p) for p in tdata.random_split(list(range(n)), fractions)]
        assert ours == theirs, (n, fractions)


@pytest.mark.parametrize("n, batch_size, drop_last", [(10, 3, False), (10, 3, True), (9, 3, True)])
def test_batch_count_and_sizes_match(n, batch_size, drop_last):
    ours = lucid.data.DataLoader(list(range(n)), batch_size, drop_last=drop_last)
    theirs = tdata.DataLoader(list(range(n)), batch_size, drop_last=drop_last)
    assert len(ours) == len(theirs)
    assert [b.tolist() for b in ours] == [b.tolist() for b in theirs]


def test_default_collate_dtypes_and_shapes_match_for_arrays_and_numbers():
    cases = [
        [np.ones((2, 3), np.float32)] * 4,
        [np.ones(2, np.float64)] * 2,
        [np.arange(3)] * 2,
        [1, 2, 3],
        [1.5, 2.5],
        [True, False],
    ]
    for batch in cases:
        ours = lucid.data.default_collate(batch)
        theirs = tdata.default_collate(batch)
        assert ours.shape == tuple(theirs.shape)
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), batch
        np.testing.assert_array_equal(ours.data, theirs.numpy())
