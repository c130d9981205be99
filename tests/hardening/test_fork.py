"""lucid across fork(): kernels in forked children, locks held at the fork, worker
processes of every start method, and the default generator of a forked child.

Every case runs in a child interpreter with a timeout, so a hang fails one test (the
bug these tests guard against is a child that waits forever on a thread pool whose
threads did not survive the fork, or on a lock another thread held at the fork).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from _isolated import run_script

import lucid
from lucid import random

# Prints one JSON line: what the script found. Every kernel below gets more than one
# chunk's worth of elements (65,536), so it runs on the thread pool.
_KERNELS = r"""
import hashlib, json, os, sys
import numpy as np
import lucid
from lucid import _C

N = 1 << 18
x32 = np.linspace(-3, 3, N, dtype=np.float32)
x64 = x32.astype(np.float64)
probs = np.linspace(0, 1, N)


def digest(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(np.ascontiguousarray(np.asarray(p)).tobytes())
    return h.hexdigest()


def kernels(seed):
    g = _C.Generator(seed, 3)
    out = {}
    for name, x in (("f32", x32), ("f64", x64)):
        for kind in ("alpha", "standard"):
            y, m = _C.dropout_forward(x, 0.2, g, kind)
            dx = _C.dropout_backward(x, m)
            out[f"dropout {kind} {name}"] = digest(y, dx, m.to_storage())
        m = _C.dropout_mask(N // 64, 0.3, g)
        y = _C.dropout_rows_forward(x, m, 64)
        out[f"rows {name}"] = digest(y, _C.dropout_rows_backward(x, m, 64))
        out[f"rand {name}"] = digest(g.rand(N, name.replace("f", "float")))
        out[f"randn {name}"] = digest(g.randn(N, name.replace("f", "float")))
        selu = _C.activation_forward("selu", x), _C.activation_backward("elu", x, x, (1.0,))
        out[f"selu {name}"] = digest(*selu)
        gelu = _C.activation_forward("gelu", x), _C.activation_backward("gelu_tanh", x, x)
        out[f"gelu {name}"] = digest(*gelu)
        out[f"copy {name}"] = digest(_C.parallel_copy(x))
    out["bernoulli"] = digest(g.bernoulli(probs))
    t = lucid.random.randn(512, 512, generator=g)
    out["autograd"] = digest(lucid.nn.functional.alpha_dropout(t, 0.1, generator=g).data)
    return out
"""


def test_every_kernel_in_a_forked_child_gives_the_parents_bits():
    found = run_script(
        _KERNELS
        + r"""
parent = kernels(11)  # also starts the thread pool in the parent
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, json.dumps(kernels(11)).encode())
    os._exit(0)
os.close(w)
child = json.loads(os.read(r, 1 << 20).decode() or "{}")
_, status = os.waitpid(pid, 0)
print(json.dumps({"parent": parent, "child": child, "exit": os.waitstatus_to_exitcode(status)}))
"""
    )
    assert found["exit"] == 0
    assert len(found["parent"]) == 18
    assert found["child"] == found["parent"]


_CHURN = r"""
import json, os, threading, time
import numpy as np
from lucid import _C

x = np.linspace(-1, 1, 1 << 17, dtype=np.float32)
reference = np.asarray(_C.dropout_forward(x, 0.1, _C.Generator(5))[0]).copy()
stop = threading.Event()


def churn():
    # Allocation and release of pooled (>= 64 KiB) buffers take the buffer pool's lock
    # with the GIL released, so the main thread can fork while this one holds it.
    while not stop.is_set():
        for numel in (1 << 14, 1 << 16, 1 << 19):
            _C.Storage("float32", numel, False)


threading.Thread(target=churn, daemon=True).start()
hung = failed = 0
start = time.monotonic()
for _ in range(FORKS):
    pid = os.fork()
    if pid == 0:
        ok = len(_C.Storage("float32", 1 << 16, False)) == 1 << 16
        y = np.asarray(_C.dropout_forward(x, 0.1, _C.Generator(5))[0])
        os._exit(0 if ok and (y == reference).all() else 3)
    deadline = time.monotonic() + 10
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            failed += os.waitstatus_to_exitcode(status) != 0
            break
        if time.monotonic() > deadline:
            hung += 1
            os.kill(pid, 9)
            os.waitpid(pid, 0)
            break
        time.sleep(0.0005)
    if hung:
        break  # one hang is the answer; more would only take longer
stop.set()
print(json.dumps({"hung": hung, "failed": failed, "seconds": time.monotonic() - start}))
"""


def test_a_thousand_forks_while_another_thread_churns_pooled_buffers_never_hang():
    found = run_script(_CHURN.replace("FORKS", "1000"), timeout=300)
    assert found["hung"] == 0, f"a forked child hung: {found}"
    assert found["failed"] == 0, f"forked children got other bits: {found}"


_WORKERS = r"""
import numpy as np
from lucid import _C


def digest(seed):
    x = np.linspace(-2, 2, 1 << 18, dtype=np.float32)
    y, mask = _C.dropout_forward(x, 0.1, _C.Generator(seed))
    dx = _C.dropout_backward(np.ones_like(x), mask)
    return int(np.asarray(y).view(np.uint32).sum(dtype=np.uint64)), mask.count_ones(), float(
        np.asarray(dx).sum(dtype=np.float64)
    )
"""


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_worker_processes_run_dropout_after_a_warm_parent(method, tmp_path: Path):
    (tmp_path / "lucid_fork_workers.py").write_text(_WORKERS)
    found = run_script(
        f"""
import json, multiprocessing, sys
sys.path.insert(0, {str(tmp_path)!r})
import lucid_fork_workers as w

if __name__ == "__main__":
    here = [w.digest(seed) for seed in range(6)]  # starts the parent's thread pool
    with multiprocessing.get_context({method!r}).Pool(2) as pool:
        there = pool.map(w.digest, range(6))
    print(json.dumps({{"here": here, "there": there}}))
""",
        timeout=180,
    )
    assert found["there"] == found["here"]
    assert len({tuple(d) for d in found["here"]}) == 6  # the seeds give different masks


_STREAMS = r"""
import json, os
import lucid

lucid.random.seed(123)
lucid.random.rand(10)  # the parent moves on before it forks
mine = lucid.random.Generator(7)
children = []
for k in range(3):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        state = lucid.random.get_state()
        draws = lucid.random.rand(8).data.tolist()
        own = lucid.random.rand(8, generator=mine).data.tolist()
        os.write(w, json.dumps([state, draws, own]).encode())
        os._exit(0)
    os.close(w)
    children.append(json.loads(os.read(r, 1 << 16).decode()))
    os.waitpid(pid, 0)
parent = [lucid.random.get_state(), lucid.random.rand(8).data.tolist(),
          lucid.random.rand(8, generator=mine).data.tolist()]
lucid.random.seed(123)
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(w, json.dumps(lucid.random.get_state()).encode())
    os._exit(0)
os.close(w)
reseeded = json.loads(os.read(r, 1 << 16).decode())
os.waitpid(pid, 0)
print(json.dumps({"children": children, "parent": parent, "reseeded": reseeded}))
"""


def test_forked_children_draw_from_streams_of_their_own_the_same_on_everyrun_script():
    first = run_script(_STREAMS)
    assert run_script(_STREAMS) == first  # reproducible: a seed fixes every child's draws too
    children, parent = first["children"], first["parent"]
    for k, (state, _, _) in enumerate(children):
        assert state == [123, random.fork_stream(0, k), 0]
    # Distinct from the parent and from each other.
    draws = [parent[1]] + [child[1] for child in children]
    assert len({tuple(d) for d in draws}) == 4
    # The parent's own default generator is untouched by its forks.
    assert parent[0][:2] == [123, 0]
    # A generator the user made keeps its state in a child: every child and the
    # parent draw the same numbers from it.
    assert all(child[2] == parent[2] for child in children)
    # Seeding again starts the count of forks again.
    assert first["reseeded"] == [123, random.fork_stream(0, 0), 0]


def test_fork_streams_are_distinct_and_move_every_bit():
    streams = {random.fork_stream(s, k) for s in range(64) for k in range(64)}
    assert len(streams) == 64 * 64
    assert not streams & set(range(64))  # no child lands on a small user stream
    flips = [
        bin(random.fork_stream(0, k) ^ random.fork_stream(0, k + 1)).count("1") for k in range(1000)
    ]
    # Independent bits flip 32 of 64 on average; the mean of 1,000 has sd 4/sqrt(1000).
    assert abs(sum(flips) / len(flips) - 32) < 5 * 4 / 1000**0.5


def test_set_num_threads_sizes_the_pool_and_the_bits_do_not_change():
    found = run_script(
        r"""
import json
import lucid
import numpy as np
start = lucid.get_num_threads()
digests, counts = [], []
for n in (1, 2, 8):
    lucid.set_num_threads(n)
    counts.append(lucid.get_num_threads())
    g = lucid.random.Generator(3)
    x = lucid.random.randn(1 << 20, generator=g)
    y = lucid.nn.functional.alpha_dropout(x, 0.3, generator=g)
    digests.append(int(y.data.view(np.uint32).sum(dtype=np.uint64)))
print(json.dumps({"start": start, "counts": counts, "digests": digests}))
""",
        env={**os.environ, "RAYON_NUM_THREADS": "3"},
    )
    assert found["start"] == 3  # RAYON_NUM_THREADS is the starting value
    assert found["counts"] == [1, 2, 8]
    assert len(set(found["digests"])) == 1


@pytest.mark.parametrize(
    ("value", "error", "message"),
    [
        (0, ValueError, r"n must be a number of threads in \[1, 1024\], got 0"),
        (-2, ValueError, "n must be in"),
        (1025, ValueError, r"n must be a number of threads in \[1, 1024\], got 1025"),
        (2**64, ValueError, "n must be in"),
        (2.0, TypeError, "n must be an int, got float 2.0"),
        (True, TypeError, "n must be an int, got bool True"),
        ("4", TypeError, "n must be an int, got str '4'"),
    ],
)
def test_set_num_threads_refuses_what_is_not_a_positive_count(value, error, message):
    before = lucid.get_num_threads()
    with pytest.raises(error, match=message):
        lucid.set_num_threads(value)
    assert lucid.get_num_threads() == before
