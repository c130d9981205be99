"""DataLoader.state_dict / load_state_dict (python/lucid/data/loader.py): a loader
restored in a fresh process yields the rest of the interrupted epoch, then the epochs of
the uninterrupted run."""

import json
import subprocess
import sys
import textwrap

import pytest

import lucid
from lucid.data import DataLoader, Dataset


class Numbers(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return i

    def __len__(self):
        return self.n


def _epoch(it):
    return [b.tolist() for b in it]


def _loader(seed=None, **kw):
    gen = None if seed is None else lucid.random.Generator(seed)
    return DataLoader(Numbers(29), 4, shuffle=True, generator=gen, **kw)


@pytest.mark.parametrize("stop", [0, 1, 5, 7, 8])
def test_a_restored_loader_continues_the_epoch_and_the_next_ones(stop):
    whole = _loader(9)
    expected = [_epoch(whole) for _ in range(3)]
    run = _loader(9)
    _epoch(run)
    it = iter(run)
    done = [next(it).tolist() for _ in range(stop)]
    state = json.loads(json.dumps(run.state_dict()))  # plain data
    assert state["epoch"] == 1 and state["position"] == stop and state["in_epoch"]
    fresh = _loader(9)
    fresh.load_state_dict(state)
    rest = [_epoch(fresh) for _ in range(2)]
    assert done + rest[0] == expected[1] and rest[1] == expected[2]


def test_state_between_epochs_starts_the_next_epoch():
    whole = _loader(4)
    expected = [_epoch(whole) for _ in range(2)]
    run = _loader(4)
    _epoch(run)
    state = run.state_dict()
    assert (state["epoch"], state["position"], state["epoch_seed"]) == (1, 0, None)
    fresh = _loader(4)
    fresh.load_state_dict(state)
    assert _epoch(fresh) == expected[1]


def test_with_the_default_generator_its_saved_state_completes_the_checkpoint():
    lucid.random.seed(21)
    whole = _loader()
    expected = [_epoch(whole) for _ in range(3)]
    lucid.random.seed(21)
    run = _loader()
    _epoch(run)
    it = iter(run)
    done = [next(it).tolist() for _ in range(3)]
    state, rng = run.state_dict(), lucid.random.get_state()
    assert state["generator"] is None and state["epoch_seed"] is not None
    lucid.random.seed(0)  # anything in between
    fresh = _loader()
    lucid.random.set_state(rng)
    fresh.load_state_dict(state)
    assert done + _epoch(fresh) == expected[1] and _epoch(fresh) == expected[2]


def test_an_abandoned_epoch_counts_and_the_next_iter_starts_a_new_one():
    run = _loader(2)
    it = iter(run)
    next(it)
    assert run.state_dict()["position"] == 1
    first = _epoch(run)
    assert run.state_dict()["epoch"] == 2 and sorted(sum(first, [])) == list(range(29))


def test_an_unshuffled_loader_resumes_by_position():
    run = DataLoader(Numbers(10), 3)
    it = iter(run)
    next(it), next(it)
    fresh = DataLoader(Numbers(10), 3)
    fresh.load_state_dict(run.state_dict())
    assert _epoch(fresh) == [[6, 7, 8], [9]] and _epoch(fresh) == _epoch(DataLoader(Numbers(10), 3))


def test_a_state_that_does_not_fit_is_refused():
    state = _loader(1).state_dict()
    with pytest.raises(ValueError, match="batch_size=4 but this loader has 5"):
        DataLoader(
            Numbers(29), 5, shuffle=True, generator=lucid.random.Generator(1)
        ).load_state_dict(state)
    with pytest.raises(ValueError, match="both or neither"):
        _loader().load_state_dict(state)
    with pytest.raises(ValueError, match="missing"):
        _loader(1).load_state_dict({"epoch": 0})
    with pytest.raises(TypeError, match="state must be a dict"):
        _loader(1).load_state_dict([1])
    with pytest.raises(ValueError, match=r"state\['position'\] must be at least 0"):
        _loader(1).load_state_dict({**state, "position": -1})
    mid = {**state, "in_epoch": True, "position": 2}
    with pytest.raises(ValueError, match="a shuffled epoch needs its seed"):
        _loader(1).load_state_dict({**mid, "epoch_seed": None})
    with pytest.raises(TypeError, match=r"state\['epoch_seed'\] must be an int, got str"):
        _loader(1).load_state_dict({**mid, "epoch_seed": "7"})


FRESH = """
import json, sys
import lucid
from lucid.data import DataLoader, TensorDataset
import numpy as np
ds = TensorDataset(np.arange(37))
loader = DataLoader(ds, 5, shuffle=True, generator=lucid.random.Generator(13), num_workers=WORKERS)
if sys.argv[1] == "save":
    for _ in loader:
        pass
    it = iter(loader)
    done = [next(it)[0].tolist() for _ in range(3)]
    print(json.dumps({"state": loader.state_dict(), "done": done}))
elif sys.argv[1] == "whole":
    print(json.dumps([[b[0].tolist() for b in loader] for _ in range(3)]))
else:
    loader.load_state_dict(json.loads(sys.stdin.read()))
    print(json.dumps([[b[0].tolist() for b in loader] for _ in range(2)]))
"""


@pytest.mark.parametrize("workers", [0, 2])
def test_a_loader_restored_in_a_fresh_process_continues_the_run(workers):
    code = textwrap.dedent(FRESH).replace("WORKERS", str(workers))

    def run(mode, stdin=""):
        out = subprocess.run(
            [sys.executable, "-c", code, mode],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(out.stdout)

    whole = run("whole")
    saved = run("save")
    rest = run("load", json.dumps(saved["state"]))
    assert saved["done"] + rest[0] == whole[1] and rest[1] == whole[2]
