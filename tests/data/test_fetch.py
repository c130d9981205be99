"""lucid.data.collate.fetch: a TensorDataset's batch under default_collate is gathered
in one take per tensor, with the bits, dtypes and shapes of the per-sample stack; a
tensor that requires grad, another collate_fn or another dataset take the per-sample
path; a loader gives the same batches as before, in-process and from workers (in a
child interpreter with a timeout, so a hang fails the test)."""

import subprocess
import sys
import textwrap

import numpy as np
import pytest

import lucid
from lucid.data import DataLoader, Subset, TensorDataset, default_collate
from lucid.data.collate import fetch


def _dataset():
    rng = np.random.default_rng(0)
    return TensorDataset(
        rng.normal(size=(20, 3, 2)).astype(np.float32),
        rng.integers(0, 5, size=20),
        rng.normal(size=20),
        rng.random(20) < 0.5,
    )


def _per_sample(ds, indices):
    return default_collate([ds[i] for i in indices])


@pytest.mark.parametrize("indices", [[3, 1, 4, 1, 5], [19], list(range(20)), [-1, 0]])
def test_the_gather_has_the_per_sample_stacks_bits_dtypes_and_shapes(indices):
    ds = _dataset()
    got, want = fetch(ds, indices, default_collate), _per_sample(ds, indices)
    assert isinstance(got, tuple) and len(got) == len(want) == 4
    for g, w in zip(got, want, strict=True):
        assert isinstance(g, lucid.Tensor)
        assert (g.dtype, g.shape, g.requires_grad) == (w.dtype, w.shape, False)
        assert g.data.tobytes() == w.data.tobytes()
    # The batch is new storage: writing it leaves the dataset alone.
    got[0].data[...] = 0
    assert np.abs(ds.tensors[0].data).sum() > 0


def test_out_of_range_indices_are_index_errors_either_way():
    ds = _dataset()
    for path in (lambda i: fetch(ds, i, default_collate), lambda i: _per_sample(ds, i)):
        with pytest.raises(IndexError, match="index 20 is out of bounds"):
            path([0, 20])


def test_other_cases_take_the_per_sample_path():
    x = lucid.Tensor(np.arange(6.0).reshape(3, 2), requires_grad=True)
    (batch,) = fetch(TensorDataset(x), [2, 0], default_collate)
    batch.sum().backward()  # the stack carries the graph back to x
    np.testing.assert_array_equal(x.grad, [[1, 1], [0, 0], [1, 1]])
    calls = []

    def collate(samples):
        calls.append(len(samples))
        return default_collate(samples)

    ds = _dataset()
    fetch(ds, [1, 2], collate)
    assert calls == [2]
    subset = Subset(ds, [5, 6, 7])
    got, want = fetch(subset, [2, 0], default_collate), _per_sample(ds, [7, 5])
    assert all(g.data.tobytes() == w.data.tobytes() for g, w in zip(got, want, strict=True))


def test_a_loader_gives_the_per_sample_batches():
    ds = _dataset()
    loader = DataLoader(ds, 6, shuffle=True, generator=lucid.random.Generator(4))
    order = DataLoader(TensorDataset(np.arange(20)), 6, shuffle=True,
                       generator=lucid.random.Generator(4))  # fmt: skip
    for batch, (indices,) in zip(loader, order, strict=True):
        want = _per_sample(ds, indices.data.tolist())
        assert all(g.data.tobytes() == w.data.tobytes() for g, w in zip(batch, want, strict=True))


WORKERS = """
import numpy as np
import lucid
from lucid.data import DataLoader, TensorDataset, default_collate

rng = np.random.default_rng(0)
ds = TensorDataset(rng.normal(size=(20, 3)).astype(np.float32), rng.integers(0, 5, size=20))
order = DataLoader(TensorDataset(np.arange(20)), 6, shuffle=True,
                   generator=lucid.random.Generator(4))
loader = DataLoader(ds, 6, shuffle=True, num_workers=2, generator=lucid.random.Generator(4))
count = 0
for batch, (indices,) in zip(loader, order, strict=True):
    want = default_collate([ds[i] for i in indices.data.tolist()])
    for g, w in zip(batch, want, strict=True):
        assert (g.dtype, g.shape) == (w.dtype, w.shape)
        assert g.data.tobytes() == w.data.tobytes()
    count += 1
assert count == 4
print("ok")
"""


@pytest.mark.skipif(sys.platform == "win32", reason="uses fork")
def test_workers_give_the_per_sample_batches():
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(WORKERS)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-3000:]
