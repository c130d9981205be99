"""The loader's side of its worker processes: starting them, handing out batches,
receiving them in order, and shutting them down whatever happens.

Batch i of an epoch goes to worker i mod num_workers, at most ``prefetch_factor``
batches ahead per worker. Each worker has a task pipe and a result pipe of its own,
whose writing end only it holds, so a worker's death closes its result pipe: reads
never wait on a dead worker. Every wait is ``multiprocessing.connection.wait`` on the
result pipes and the workers' sentinels with a timeout, so a worker killed by a signal
is reported as a RuntimeError naming it and the signal. The processes are daemons and
are shut down by a weakref finalizer of their owner (the epoch's iterator, or the
loader with ``persistent_workers``), which also runs at interpreter exit.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import time
import weakref
from multiprocessing.connection import Connection, wait
from typing import Any

from lucid.data import _transfer, _worker

__all__ = ["WorkerPool", "resolve_context"]

_POLL = 5.0  # seconds between liveness checks while waiting for a batch
_JOIN = 2.0  # seconds a worker gets to exit after being told to


def resolve_context(spec: Any) -> Any:
    """The multiprocessing context for ``spec``: fork where available, else spawn."""
    if spec is None:
        return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    if isinstance(spec, str):
        if spec not in mp.get_all_start_methods():
            raise ValueError(
                f"multiprocessing_context must be one of {mp.get_all_start_methods()}, got {spec!r}"
            )
        return mp.get_context(spec)
    if hasattr(spec, "Process") and hasattr(spec, "Pipe"):
        return spec
    raise TypeError(
        f"multiprocessing_context must be a start method's name or a context, got "
        f"{type(spec).__name__}"
    )


def _death(k: int, process: Any) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        return f"DataLoader worker {k} (pid {process.pid}) was killed by signal {name}"
    return f"DataLoader worker {k} (pid {process.pid}) exited unexpectedly with exit code {code}"


def _shutdown(processes: list[Any], tasks: list[Connection], results: list[Connection]) -> None:
    for conn in tasks:
        try:
            conn.send(None)
        except (OSError, ValueError):
            pass
    for conn in results:  # a worker blocked writing a batch gets a broken pipe
        conn.close()
    deadline = time.monotonic() + _JOIN
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.terminate()
            process.join(_JOIN)
        if process.is_alive():
            process.kill()
            process.join()
    for conn in tasks:
        conn.close()


class WorkerPool:
    """``loader.num_workers`` worker processes over the loader's dataset."""

    def __init__(self, loader: Any, owner: Any) -> None:
        ctx = resolve_context(loader.multiprocessing_context)
        forked = ctx.get_start_method() == "fork"
        self.num_workers = loader.num_workers
        self.processes: list[Any] = []
        self.tasks: list[Connection] = []
        self.results: list[Connection] = []
        self.tag = 0
        self.closed = False
        self._finalizer = weakref.finalize(
            owner, _shutdown, self.processes, self.tasks, self.results
        )
        try:
            for k in range(self.num_workers):
                task_r, task_w = ctx.Pipe(duplex=False)
                result_r, result_w = ctx.Pipe(duplex=False)
                ours = [*self.tasks, *self.results, task_w, result_r]
                process = ctx.Process(
                    target=_worker.worker_loop,
                    args=(
                        k,
                        self.num_workers,
                        loader.dataset,
                        loader.collate_fn,
                        loader.worker_init_fn,
                        (loader.batch_size, loader.shuffle),
                        task_r,
                        result_w,
                        ours if forked else [],
                        os.getpid(),
                    ),
                    daemon=True,
                    name=f"lucid.data worker {k}",
                )
                process.start()
                # The parent no longer needs the arguments; dropping them keeps the
                # finalizer from holding the dataset (or the loader through it) alive.
                process._args = ()  # type: ignore[attr-defined]
                task_r.close()
                result_w.close()
                self.processes.append(process)
                self.tasks.append(task_w)
                self.results.append(result_r)
        except BaseException:
            self.shutdown()
            raise

    def shutdown(self) -> None:
        self.closed = True
        self._finalizer()

    def _send(self, k: int, message: tuple[Any, ...]) -> None:
        try:
            self.tasks[k].send(message)
        except OSError:
            pass  # the worker is gone: collect reports it, naming it

    def start_epoch(self, epoch_seed: int, order: Any = None) -> int:
        """Tell the workers a new epoch starts: its seed, and its order when a sampler
        gave it (else they compute it from the seed)."""
        self.tag += 1
        for k in range(self.num_workers):
            self._send(k, ("epoch", self.tag, (epoch_seed, order)))
        return self.tag

    def submit(self, tag: int, i: int) -> None:
        self._send(i % self.num_workers, ("batch", tag, i))

    def _read(self, k: int, tag: int, ready: dict[int, Any]) -> None:
        conn = self.results[k]
        try:
            message = conn.recv()
            kind, got_tag, i = message[:3]
            if kind == "batch":
                structure, layouts = message[3:]
                if got_tag == tag:
                    ready[i] = ("batch", _transfer.read_batch(conn, structure, layouts))
                else:
                    _transfer.skip_batch(conn, layouts)
            elif got_tag == tag:
                ready[i] = ("error", message[3])
        except (EOFError, OSError):
            self.processes[k].join(_JOIN)
            raise RuntimeError(_death(k, self.processes[k])) from None

    def collect(self, tag: int, ready: dict[int, Any], wanted: int, timeout: float) -> None:
        """Read what the workers sent until batch ``wanted`` is in ``ready`` (as
        ("batch", batch) or ("error", description)); a dead worker, or ``timeout``
        seconds (> 0) without it, is a RuntimeError."""
        sentinels = {p.sentinel: k for k, p in enumerate(self.processes)}
        readers = {id(c): k for k, c in enumerate(self.results)}
        start = time.monotonic()
        while wanted not in ready:
            left = _POLL if timeout <= 0 else timeout - (time.monotonic() - start)
            if left <= 0:
                k = wanted % self.num_workers
                raise RuntimeError(
                    f"DataLoader timed out after {timeout} s waiting for batch {wanted} "
                    f"from worker {k} (pid {self.processes[k].pid})"
                )
            for obj in wait([*self.results, *sentinels], min(left, _POLL)):
                if isinstance(obj, Connection):
                    self._read(readers[id(obj)], tag, ready)
            for k, process in enumerate(self.processes):
                if not process.is_alive():
                    while self.results[k].poll(0):  # what it sent before it died
                        self._read(k, tag, ready)
                    raise RuntimeError(_death(k, process))
