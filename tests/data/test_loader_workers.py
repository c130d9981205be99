"""DataLoader with worker processes (python/lucid/data/_pool.py, _worker.py,
_transfer.py). Every test runs its loaders in a child interpreter with a timeout, so a
hang fails the test; the child asserts and its exit status is the verdict."""

import os
import subprocess
import sys
import textwrap
import time

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="uses fork, signals and /proc")

PRELUDE = """
import gc, json, multiprocessing as mp, os, random, signal, sys, time
import numpy as np
import lucid
from lucid.data import DataLoader, Dataset, TensorDataset, get_worker_info
from lucid.data import _order

def children():
    # our child processes, zombies too, from /proc (a leftover worker shows here);
    # not multiprocessing's resource tracker, which spawn starts and which lives as
    # long as this process does
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if b"resource_tracker" in f.read():
                        continue
                found.append((int(entry), fields[0]))
    return found

def no_children():
    assert mp.active_children() == [], mp.active_children()
    assert children() == [], children()

class Mixed(Dataset):
    # values of several dtypes, a function of the index only
    def __init__(self, n):
        self.n = n
    def __len__(self):
        return self.n
    def __getitem__(self, i):
        x = np.sin(np.arange(6, dtype=np.float64) * (i + 1)).reshape(2, 3)
        return {"x": lucid.Tensor(x.astype(np.float32)), "d": x, "i": i, "odd": bool(i % 2),
                "raw": np.full(3, i, np.uint8), "name": f"s{i}"}

def mixed_collate(samples):
    out = lucid.data.default_collate([{k: v for k, v in s.items() if k != "raw"} for s in samples])
    out["raw"] = np.stack([s["raw"] for s in samples])  # stays a numpy uint8 array
    return out

def fingerprint(batch):
    # every value's dtype, shape and bytes; strings as they are
    out = []
    for key in sorted(batch):
        v = batch[key]
        if isinstance(v, lucid.Tensor):
            assert lucid._storage.is_storage_view(v.data)  # landed in Rust storage
            v = v.data
        if isinstance(v, np.ndarray):
            out.append((key, str(v.dtype), v.shape, v.tobytes().hex()))
        else:
            out.append((key, repr(v)))
    return out

def epochs(loader, count=2):
    return [[fingerprint(b) for b in loader] for _ in range(count)]
"""


def run_child(code: str, timeout: float = 60) -> str:
    started = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-c", PRELUDE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "PYTHONFAULTHANDLER": "1"},
    )
    assert out.returncode == 0, (
        f"exit {out.returncode} after {time.monotonic() - started:.1f} s\n{out.stderr}"
    )
    return out.stdout


def test_batches_come_in_order_with_the_bits_of_num_workers_0():
    run_child(
        """
        for shuffle, drop_last in ((False, False), (True, True)):
            def make(w):
                return DataLoader(Mixed(23), 4, shuffle=shuffle, drop_last=drop_last,
                                  collate_fn=mixed_collate, num_workers=w,
                                  generator=lucid.random.Generator(3))
            expected = epochs(make(0))
            assert len(expected[0]) == (5 if drop_last else 6)
            for w in (1, 2, 3):
                assert epochs(make(w)) == expected, (w, shuffle)
        ds = TensorDataset(np.arange(8.0), np.arange(8))
        x, y = next(iter(DataLoader(ds, 3, num_workers=2)))
        assert x.dtype == np.float64 and y.dtype == np.int64 and y.tolist() == [0, 1, 2]
        # a state saved without workers resumes with them
        alone = DataLoader(ds, 3)
        it = iter(alone)
        next(it)
        helped = DataLoader(ds, 3, num_workers=1)
        helped.load_state_dict(alone.state_dict())
        assert [b[1].tolist() for b in helped] == [[3, 4, 5], [6, 7]]
        no_children()
        """
    )


def test_worker_randomness_follows_the_batch_number_and_repeats_on_a_rerun():
    run_child(
        """
        class Noisy(Dataset):
            def __len__(self):
                return 24
            def __getitem__(self, i):
                info = get_worker_info()
                who = [-1, -1, -1] if info is None else [info.id, info.num_workers, info.seed]
                return {"lucid": lucid.random.rand(2, dtype=np.float64).data.tolist(),
                        "np": float(np.random.random()), "py": random.random(),
                        "i": i, "who": who}

        def run(w):
            loader = DataLoader(Noisy(), 5, shuffle=True, num_workers=w,
                                generator=lucid.random.Generator(8),
                                collate_fn=lambda s: s)
            return [list(loader) for _ in range(2)]

        assert get_worker_info() is None
        def draws(epochs):
            return [[{k: s[k] for k in ("lucid", "np", "py", "i")} for s in b]
                    for e in epochs for b in e]

        runs = {w: run(w) for w in (1, 2, 3)}
        # the same draws for any number of workers, and on a rerun
        assert draws(runs[1]) == draws(runs[2]) == draws(runs[3])
        assert run(2) == runs[2]

        # The law: batch i of an epoch draws from (epoch seed, stream i + 1) whoever loads it.
        gen = lucid.random.Generator(8)
        for epoch in range(2):
            seed = _order.draw_epoch_seed(gen)
            order = _order.epoch_order(24, True, seed)
            for w in (2, 3):
                for i, batch in enumerate(runs[w][epoch]):
                    assert [s["i"] for s in batch] == _order.batch_indices(order, i, 5)
                    assert all(s["who"] == [i % w, w, seed + i % w] for s in batch)
                    _order.seed_batch(seed, i)
                    for s in batch:
                        assert s["lucid"] == lucid.random.rand(2, dtype=np.float64).data.tolist()
                        assert s["np"] == float(np.random.random()) and s["py"] == random.random()
        values = [v for e in runs[3] for b in e for s in b for v in s["lucid"]]
        assert len(set(values)) == len(values) == 2 * 2 * 24  # no two draws repeat
        no_children()
        """
    )


def test_a_worker_exception_is_raised_again_with_its_traceback():
    out = run_child(
        """
        class Bad(Dataset):
            def __len__(self):
                return 12
            def __getitem__(self, i):
                if i == 7:
                    raise KeyError(f"no sample {i}")
                if i == 10:
                    raise TwoArgs("a", "b")
                return i

        class TwoArgs(Exception):
            def __init__(self, a, b):
                super().__init__(a, b)

        try:
            for _ in DataLoader(Bad(), 2, num_workers=2):
                pass
        except KeyError as exc:
            text = str(exc)
            assert "Caught KeyError in DataLoader worker process 1 (batch 3)" in text, text
            assert "no sample 7" in text and "in __getitem__" in text and "Traceback" in text
            assert "\\\\n" not in text  # the message itself, not its repr
        else:
            raise AssertionError("no error")
        no_children()
        try:
            list(DataLoader(lucid.data.Subset(Bad(), [10]), num_workers=1))
        except RuntimeError as exc:  # TwoArgs cannot be made from one message
            assert "Caught TwoArgs" in str(exc) and "TwoArgs: ('a', 'b')" in str(exc)
        else:
            raise AssertionError("no error")

        def init(k):
            raise ValueError(f"init {k} failed")
        try:
            list(DataLoader(Bad(), 2, num_workers=2, worker_init_fn=init))
        except ValueError as exc:
            assert "worker_init_fn of DataLoader worker process 0" in str(exc)
            assert "init 0 failed" in str(exc)
        else:
            raise AssertionError("no error")
        no_children()
        print("done")
        """
    )
    assert out.strip() == "done"


def test_a_worker_killed_by_a_signal_is_a_runtime_error_naming_it():
    run_child(
        """
        class Killer(Dataset):
            def __len__(self):
                return 40
            def __getitem__(self, i):
                if i == 14:  # batch 7: worker 7 mod 3 = 1
                    assert get_worker_info().id == 1
                    os.kill(os.getpid(), signal.SIGKILL)
                return i

        got = []
        try:
            for batch in DataLoader(Killer(), 2, num_workers=3):
                got.append(batch.tolist())
        except RuntimeError as exc:
            assert "DataLoader worker 1" in str(exc) and "SIGKILL" in str(exc), str(exc)
        else:
            raise AssertionError("no error")
        assert got == [[2 * i, 2 * i + 1] for i in range(len(got))] and len(got) <= 7
        no_children()
        """
    )


def test_no_worker_is_left_after_the_loop_a_break_an_error_or_collection():
    run_child(
        """
        ds = TensorDataset(np.arange(60.0))
        loader = DataLoader(ds, 4, shuffle=True, num_workers=2)
        for _ in loader:
            pass
        no_children()
        for _ in loader:
            break
        no_children()
        try:
            for _ in loader:
                raise ZeroDivisionError
        except ZeroDivisionError:
            pass
        gc.collect()
        no_children()
        it = iter(loader)
        next(it)
        assert len(mp.active_children()) == 2
        del it
        gc.collect()
        no_children()
        # a worker blocked on a batch larger than the pipe holds still goes away
        big = DataLoader(TensorDataset(np.zeros((64, 100_000))), 32, num_workers=2)
        it = iter(big)
        assert next(it)[0].shape == (32, 100_000)
        del it
        no_children()
        """
    )


def test_workers_are_gone_after_interpreter_exit():
    out = run_child(
        """
        kept = DataLoader(TensorDataset(np.arange(50.0)), 2, num_workers=2)
        it = iter(kept)
        next(it)
        persistent = DataLoader(TensorDataset(np.arange(50.0)), 2, num_workers=2,
                                persistent_workers=True)
        next(iter(persistent))
        print(json.dumps([p.pid for p in mp.active_children()]))
        """
    )
    pids = [int(p) for p in out.strip().strip("[]").split(",")]
    assert len(pids) == 4
    deadline = time.monotonic() + 20
    left = pids
    while left and time.monotonic() < deadline:
        left = [p for p in left if os.path.exists(f"/proc/{p}") and _alive(p)]
        time.sleep(0.05)
    assert left == []


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_persistent_workers_serve_every_epoch_and_leave_with_the_loader():
    run_child(
        """
        class Where(Dataset):
            def __len__(self):
                return 10
            def __getitem__(self, i):
                return {"i": i, "pid": os.getpid(), "inits": INITS[:]}

        INITS = []  # in each worker: the ids worker_init_fn was called with

        def make(**kw):
            return DataLoader(Where(), 3, shuffle=True, generator=lucid.random.Generator(5),
                              collate_fn=lambda s: s, worker_init_fn=INITS.append, **kw)

        plain = make(num_workers=2)
        loader = make(num_workers=2, persistent_workers=True)
        pids = []
        for epoch in range(3):
            batches = list(loader)
            expected = list(plain)
            assert [[s["i"] for s in b] for b in batches] == [[s["i"] for s in b] for b in expected]
            pids.append(sorted({s["pid"] for b in batches for s in b}))
            # worker_init_fn ran once in each worker, with its id (batch i: worker i mod 2)
            assert all(s["inits"] == [i % 2] for i, b in enumerate(batches) for s in b)
        assert pids[0] == pids[1] == pids[2] and len(pids[0]) == 2
        for _ in loader:
            break
        assert len(list(loader)) == 4  # a broken-off epoch leaves the workers usable
        old = iter(loader)
        next(old)
        new = iter(loader)
        try:
            next(old)
        except RuntimeError as exc:
            assert "replaced by a newer iter()" in str(exc)
        else:
            raise AssertionError("no error")
        assert len(list(new)) == 4
        assert len(mp.active_children()) == 2
        del loader, old, new
        gc.collect()
        no_children()
        """
    )


def test_spawned_workers_give_the_same_batches():
    run_child(
        """
        ds = TensorDataset(np.arange(30.0).reshape(15, 2), np.arange(15))
        def make(w, **kw):
            return DataLoader(ds, 4, shuffle=True, num_workers=w,
                              generator=lucid.random.Generator(2), **kw)
        plain = make(0)
        expected = [[(x.tolist(), y.tolist()) for x, y in plain] for _ in range(2)]
        assert expected[0] != expected[1]
        spawned = make(2, multiprocessing_context="spawn", persistent_workers=True)
        assert [[(x.tolist(), y.tolist()) for x, y in spawned] for _ in range(2)] == expected
        del spawned
        gc.collect()
        no_children()
        """
    )


def test_a_slow_worker_past_the_timeout_is_a_runtime_error():
    run_child(
        """
        class Slow(Dataset):
            def __len__(self):
                return 4
            def __getitem__(self, i):
                time.sleep(30)
                return i
        try:
            next(iter(DataLoader(Slow(), 2, num_workers=1, timeout=0.5)))
        except RuntimeError as exc:
            assert "timed out after 0.5 s waiting for batch 0 from worker 0" in str(exc)
        else:
            raise AssertionError("no error")
        no_children()
        try:
            DataLoader(Slow(), num_workers=1, multiprocessing_context="nonsense")
        except ValueError as exc:
            assert "multiprocessing_context must be one of" in str(exc)
        """
    )
