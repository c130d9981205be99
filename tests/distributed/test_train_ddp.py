"""examples/train_ddp.py under mpiexec -n 1, 2 and 4: the saved masks are the same bits
and 0/1 at the demo's keep rate; the trained parameters are the same bits (far inside
the 1e-6 asked for). Steps without micro-batches draw the same masks too. The runs
launch their own mpiexec jobs (tests/distributed/_mpi_world.py), so these tests run
under plain pytest only."""

from __future__ import annotations

import math

import numpy as np
import pytest
from _mpi_world import ROOT, launch, needs_mpi, plain_only

import lucid
from lucid.demo import DEPTH, WIDTH, P, build_model

pytestmark = [needs_mpi, plain_only]

B = 64


def _train(n: int, path, *extra: str) -> dict:
    args = ["--steps", "20", "--global-batch", str(B), "--seed", "3", "--out", str(path)]
    result = launch(n, [str(ROOT / "examples" / "train_ddp.py"), *args, *extra])
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"20 steps of {B} images on {n} rank(s)" in result.stdout
    return lucid.load(path)


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[int, dict]:
    folder = tmp_path_factory.mktemp("train-ddp")
    return {n: _train(n, folder / f"n{n}.lcd") for n in (1, 2, 4)}


def test_masks_are_the_same_bits_on_1_2_and_4_ranks(runs):
    masks = runs[1]["masks"]
    assert len(masks) == DEPTH
    kept = np.stack(list(masks.values()))
    assert kept.shape == (DEPTH, B, WIDTH) and kept.dtype == np.uint8
    assert set(np.unique(kept).tolist()) == {0, 1}
    # The keep rate is 1 − p; six standard errors of the mean of these bits bound it.
    bound = 6 * math.sqrt(P * (1 - P) / kept.size)
    assert abs(kept.mean() - (1 - P)) < bound
    for n in (2, 4):
        assert runs[n]["masks"].keys() == masks.keys()
        for name, mask in masks.items():
            assert runs[n]["masks"][name].tobytes() == mask.tobytes(), (n, name)


def test_parameters_are_the_same_bits_on_1_2_and_4_ranks(runs):
    state = runs[1]["state_dict"]
    assert len(state) == 2 * (DEPTH + 1)
    start = build_model(seed=3).state_dict()
    assert any(not np.array_equal(state[k], np.asarray(start[k])) for k in state)  # it trained
    for n in (2, 4):
        for name, value in state.items():
            got = runs[n]["state_dict"][name]
            assert got.dtype == value.dtype == np.float32
            assert got.tobytes() == value.tobytes(), (n, name)


def test_plain_steps_draw_the_same_masks_too(runs, tmp_path):
    plain = _train(2, tmp_path / "plain.lcd", "--micro-batches", "0")
    for name, mask in runs[1]["masks"].items():
        assert plain["masks"][name].tobytes() == mask.tobytes(), name


def test_a_global_batch_the_ranks_do_not_divide_is_a_clear_error(tmp_path):
    result = launch(2, [str(ROOT / "examples" / "train_ddp.py"), "--global-batch", "63",
                        "--out", str(tmp_path / "x.lcd")])  # fmt: skip
    assert result.returncode != 0
    assert "--global-batch must be a multiple of the 2 ranks, got 63" in result.stderr
    assert not (tmp_path / "x.lcd").exists()
