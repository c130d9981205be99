"""The loop a DataLoader worker process runs, and get_worker_info.

A worker reads messages from its task pipe: ``("epoch", tag, (epoch_seed, order))``
starts an epoch (its order is the sampler's when the loader sends one, else computed
here from the seed, as the loader computes it),
``("batch", tag, i)`` asks for batch i of it, None ends the worker. Each batch goes
back on the result pipe (lucid.data._transfer); an exception goes back as its class
and its traceback's text. Before loading batch i the process-wide generators are
seeded for it (lucid.data._order.seed_batch), so a batch's random draws do not depend
on which worker loads it.
"""

from __future__ import annotations

import os
import pickle
import signal
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from lucid import _C
from lucid import random as _random
from lucid.data import _order, _transfer
from lucid.data.collate import fetch

__all__ = ["WorkerInfo", "describe_error", "get_worker_info", "worker_loop"]

_PARENT_POLL = 1.0  # seconds between checks that the loader's process is still there


@dataclass
class WorkerInfo:
    """What a worker knows of itself: ``id`` (0 to num_workers − 1), ``num_workers``,
    ``seed`` (PyTorch's: the epoch seed + id, mod 2⁶⁴; None before the first epoch),
    ``epoch_seed`` and ``dataset`` (this process's copy)."""

    id: int
    num_workers: int
    seed: int | None
    epoch_seed: int | None
    dataset: Any


_info: WorkerInfo | None = None


def get_worker_info() -> WorkerInfo | None:
    """This worker's :class:`WorkerInfo`, or None in a process that is no worker."""
    return _info


def describe_error(exc: BaseException, where: str) -> tuple[Any, str, str]:
    """(the exception's class if it pickles, else None; its name; a message with the
    worker's traceback) for the loader to raise again."""
    cls: Any = type(exc)
    try:
        pickle.dumps(cls)
    except Exception:
        cls = None
    text = "".join(traceback.format_exception(exc))
    return cls, type(exc).__name__, f"Caught {type(exc).__name__} in {where}.\nOriginal {text}"


def _seed_for_init(epoch_seed: int, worker_id: int) -> None:
    # Streams 2⁶³ + id: apart from the batches' streams 1, 2, ... of lucid.data._order.
    _random.set_state((epoch_seed, (1 << 63) + worker_id, 0))


def worker_loop(
    worker_id: int,
    num_workers: int,
    dataset: Any,
    collate_fn: Callable[[list[Any]], Any],
    worker_init_fn: Callable[[int], None] | None,
    layout: tuple[int, bool],
    tasks: Connection,
    results: Connection,
    inherited: list[Connection],
    parent: int,
) -> None:
    """Serve batches until told to stop, the task pipe closes or the parent is gone.
    ``layout`` is (batch_size, shuffle); ``inherited`` the loader's ends of the pipes,
    which a forked child holds copies of and closes, so that a worker's death closes
    its result pipe for the loader."""
    global _info
    for conn in inherited:
        conn.close()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the loader's to handle
    _C.set_num_threads(1)  # the workers are the parallelism
    batch_size, shuffle = layout
    _info = WorkerInfo(worker_id, num_workers, None, None, dataset)
    n = len(dataset)
    order = None
    epoch_seed = 0
    init_error: tuple[Any, str, str] | None = None
    started = False
    try:
        while True:
            if not tasks.poll(_PARENT_POLL):
                if os.getppid() != parent:
                    return
                continue
            message = tasks.recv()
            if message is None:
                return
            kind, tag, value = message
            if kind == "epoch":
                epoch_seed, given = value
                order = _order.epoch_order(n, shuffle, epoch_seed) if given is None else given
                _info.seed = (epoch_seed + worker_id) % (1 << 64)
                _info.epoch_seed = epoch_seed
                if not started:
                    started = True
                    _seed_for_init(epoch_seed, worker_id)
                    if worker_init_fn is not None:
                        try:
                            worker_init_fn(worker_id)
                        except Exception as exc:
                            init_error = describe_error(
                                exc, f"worker_init_fn of DataLoader worker process {worker_id}"
                            )
                continue
            if init_error is not None:
                results.send(("error", tag, value, init_error))
                continue
            assert order is not None
            try:
                _order.seed_batch(epoch_seed, value)
                indices = _order.batch_indices(order, value, batch_size)
                batch = fetch(dataset, indices, collate_fn)
            except Exception as exc:
                where = f"DataLoader worker process {worker_id} (batch {value})"
                results.send(("error", tag, value, describe_error(exc, where)))
                continue
            try:
                _transfer.send_batch(results, ("batch", tag, value), batch)
            except (pickle.PicklingError, TypeError, AttributeError) as exc:
                # raised while pickling the header, before any byte was written
                where = f"DataLoader worker process {worker_id} (sending batch {value})"
                results.send(("error", tag, value, describe_error(exc, where)))
    except (BrokenPipeError, EOFError, ConnectionResetError):
        return  # the loader went away or closed the pipes: nothing to report to
    finally:
        tasks.close()
        results.close()
