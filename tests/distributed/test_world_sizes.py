"""The masks of a Dropout and an AlphaDropout layer under DistributedDataParallel are
the same bits on 1, 2 and 4 ranks, and the bits one process without DDP draws on the
whole global batches; the parameters agree to 1e-6. The jobs run under real MPI
(tests/distributed/job_masks.py), so these tests run under plain pytest only."""

from __future__ import annotations

import numpy as np
import pytest
from _mpi_world import HERE, launch, needs_mpi, plain_only
from job_masks import STEPS, batch, build, dropouts

import lucid
import lucid.nn as nn
import lucid.optim as optim

pytestmark = [needs_mpi, plain_only]


def _job(n: int, path) -> dict[str, np.ndarray]:
    result = launch(n, [str(HERE / "job_masks.py"), str(path)])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    with np.load(path) as saved:
        return dict(saved)


def _one_process() -> dict[str, np.ndarray]:
    """The same steps in this process, on the whole batches, without DDP."""
    model = build()
    opt = optim.SGD(model.parameters(), lr=0.1)
    saved = {}
    for step in range(STEPS):
        x, y = batch(step)
        opt.zero_grad()
        nn.functional.mse_loss(model(lucid.Tensor(x)), lucid.Tensor(y)).backward()
        opt.step()
        for i, layer in enumerate(dropouts(model)):
            saved[f"step{step}_mask{i}"] = layer.mask.data.copy()
    return {**saved, **{f"param{i}": p.data.copy() for i, p in enumerate(model.parameters())}}


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[int, dict[str, np.ndarray]]:
    folder = tmp_path_factory.mktemp("world-sizes")
    return {n: _job(n, folder / f"n{n}.npz") for n in (1, 2, 4)}


def test_masks_are_the_same_bits_on_1_2_and_4_ranks_and_without_ddp(runs):
    want = _one_process()
    masks = [k for k in want if "mask" in k]
    assert len(masks) == 2 * STEPS
    for key in masks:
        # Not a trivial mask: both kinds of units at every step.
        assert 0 < want[key].sum() < want[key].size, key
        for n, run in runs.items():
            assert run[key].shape == want[key].shape, (n, key)
            assert run[key].tobytes() == want[key].tobytes(), (n, key)


def test_parameters_agree_to_1e_6_on_1_2_and_4_ranks(runs):
    """Relative to each tensor's largest magnitude: the gradients' sums run in another
    order on each world size, so the last bits differ, and an element that a few
    updates brought near 0 keeps the absolute error of the larger values it came from."""
    want = _one_process()
    params = [k for k in want if k.startswith("param")]
    assert len(params) == 4
    for n, run in runs.items():
        for key in params:
            scale = float(np.abs(want[key]).max())
            error = float(np.abs(run[key].astype(np.float64) - want[key]).max())
            assert error <= 1e-6 * scale, (n, key, error / scale)
