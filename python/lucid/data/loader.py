"""DataLoader: batches of a map-style dataset, in order or shuffled by lucid's generator,
loaded in this process or by worker processes (lucid.data._pool).

Each ``iter(loader)`` is one epoch. An epoch that shuffles or uses workers draws its
epoch seed from ``generator`` (the default generator if None) when it starts; the order
and the workers' randomness follow from it (lucid.data._order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from lucid import random as _random
from lucid.data import _order, _pool
from lucid.data.collate import default_collate, fetch

__all__ = ["DataLoader"]


def _check_int(name: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {name}={value!r}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {name}={value!r}")
    return value


def _check_bool(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {name}={value!r}")
    return value


def _check_callable(name: str, value: Any) -> Any:
    if value is not None and not callable(value):
        raise TypeError(f"{name} must be callable or None, got {type(value).__name__}")
    return value


class DataLoader:
    """Batches of ``batch_size`` samples of ``dataset``, made by ``collate_fn``
    (:func:`default_collate` if None), in order or, with ``shuffle``, in an order drawn
    for each epoch. PyTorch's keywords: ``drop_last`` (no short last batch),
    ``num_workers`` (processes that load batches; 0: this one), ``generator`` (a
    lucid.random.Generator for the epoch seeds), ``worker_init_fn`` (called with the
    worker id in each new worker), ``persistent_workers`` (keep the workers between
    epochs), ``prefetch_factor`` (batches in flight per worker, 2 by default),
    ``timeout`` (seconds to wait for a batch from the workers; 0: no limit),
    ``multiprocessing_context`` ("fork", "spawn", "forkserver" or a context; fork where
    the platform has it) and ``sampler`` (an iterable of sample indices with a length,
    taken anew each epoch, such as :class:`DistributedSampler`; not with ``shuffle``)."""

    default_collate = staticmethod(default_collate)

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        collate_fn: Callable[[list[Any]], Any] | None = None,
        *,
        drop_last: bool = False,
        num_workers: int = 0,
        generator: Any = None,
        worker_init_fn: Callable[[int], None] | None = None,
        persistent_workers: bool = False,
        prefetch_factor: int | None = None,
        timeout: float = 0,
        multiprocessing_context: Any = None,
        sampler: Any = None,
    ) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"dataset must have __len__ and __getitem__, got {type(dataset).__name__}"
            )
        self.dataset = dataset
        self.batch_size = _check_int("batch_size", batch_size, 1)
        self.shuffle = _check_bool("shuffle", shuffle)
        if sampler is not None:
            if not (hasattr(sampler, "__iter__") and hasattr(sampler, "__len__")):
                raise TypeError(
                    f"sampler must be an iterable of indices with a length, got "
                    f"{type(sampler).__name__}"
                )
            if shuffle:
                raise ValueError("sampler and shuffle=True cannot be combined (the sampler orders)")
        self.sampler = sampler
        self.collate_fn = _check_callable("collate_fn", collate_fn) or default_collate
        self.drop_last = _check_bool("drop_last", drop_last)
        self.num_workers = _check_int("num_workers", num_workers, 0)
        if generator is not None and not isinstance(generator, _random.Generator):
            raise TypeError(
                "generator must be a lucid.random.Generator or None, got "
                f"{type(generator).__name__}"
            )
        self.generator = generator
        self.worker_init_fn = _check_callable("worker_init_fn", worker_init_fn)
        self.persistent_workers = _check_bool("persistent_workers", persistent_workers)
        if persistent_workers and num_workers == 0:
            raise ValueError("persistent_workers=True needs num_workers > 0, got num_workers=0")
        if prefetch_factor is not None:
            if num_workers == 0:
                raise ValueError(
                    f"prefetch_factor={prefetch_factor!r} needs num_workers > 0 (it counts "
                    "batches in flight per worker); leave it None for num_workers=0"
                )
            _check_int("prefetch_factor", prefetch_factor, 1)
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers else prefetch_factor
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout >= 0:
            raise ValueError(f"timeout must be a number >= 0, got timeout={timeout!r}")
        self.timeout = float(timeout)
        _pool.resolve_context(multiprocessing_context)  # a bad one is refused here
        self.multiprocessing_context = multiprocessing_context
        self._workers: _pool.WorkerPool | None = None  # the persistent workers
        # The epoch in progress (or the next one) and how far it has gone.
        self._epoch = 0
        self._in_epoch = False
        self._position = 0
        self._epoch_seed: int | None = None
        self._resume = False
        self._token = 0

    def __len__(self) -> int:
        return _order.batch_count(self._samples(), self.batch_size, self.drop_last)

    def _samples(self) -> int:
        """Samples an epoch visits: the sampler's length, else the dataset's."""
        return len(self.dataset) if self.sampler is None else len(self.sampler)

    def _epoch_indices(self, epoch_seed: int | None) -> Any:
        """The epoch's sample indices: the sampler's, else in order or shuffled."""
        if self.sampler is None:
            return _order.epoch_order(len(self.dataset), self.shuffle, epoch_seed)
        order = np.asarray(list(self.sampler), dtype=np.int64)
        if order.shape != (len(self.sampler),):
            raise ValueError(
                f"sampler gave {order.size} indices but its len() is {len(self.sampler)}"
            )
        return order

    def _needs_seed(self) -> bool:
        return self.shuffle or self.num_workers > 0

    def _start_epoch(self) -> tuple[int, int, int | None]:
        """(token, first batch, epoch seed) of the epoch an ``iter`` starts."""
        if self._resume:
            self._resume = False
            if self._epoch_seed is None and self._needs_seed():
                # saved by a loader without workers or shuffle: the order needs no seed,
                # the workers' draws get a new one
                self._epoch_seed = _order.draw_epoch_seed(self.generator)
        else:
            if self._in_epoch:  # the last epoch was left unfinished
                self._epoch += 1
            self._position = 0
            self._epoch_seed = (
                _order.draw_epoch_seed(self.generator) if self._needs_seed() else None
            )
        self._in_epoch = True
        self._token += 1
        return self._token, self._position, self._epoch_seed

    def _yielded(self, token: int) -> None:
        if token == self._token:
            self._position += 1

    def _finished(self, token: int) -> None:
        if token == self._token and self._in_epoch:
            self._epoch += 1
            self._in_epoch = False
            self._position = 0
            self._epoch_seed = None

    def state_dict(self) -> dict[str, Any]:
        """Where the loader is, as plain data: ``epoch`` (the epoch in progress, or the
        next one; counted from 0), ``position`` (batches of it already yielded),
        ``epoch_seed`` (the seed of its order and worker randomness; None before it
        starts or when it needs none), ``generator`` (the state of the loader's own
        generator, as ``Generator.get_state`` gives it, or None without one) and the
        settings the order depends on. The default generator, when the loader draws
        from it, is saved with ``lucid.random.get_state()`` like every other use of it."""
        in_epoch = self._in_epoch
        return {
            "epoch": self._epoch,
            "position": self._position if in_epoch else 0,
            "epoch_seed": self._epoch_seed if in_epoch else None,
            "in_epoch": in_epoch,
            "generator": None if self.generator is None else list(self.generator.get_state()),
            "dataset_length": self._samples(),
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
        }

    def load_state_dict(self, state: Any) -> None:
        """Continue from ``state`` (from :meth:`state_dict`): the next ``iter`` yields the
        rest of the interrupted epoch, and the epochs after it are those of the run that
        was saved."""
        if not isinstance(state, dict):
            raise TypeError(f"state must be a dict, got {type(state).__name__}")
        missing = sorted({"epoch", "position", "epoch_seed", "in_epoch", "generator"} - set(state))
        if missing:
            raise ValueError(f"state is missing {missing}")
        for key, ours in (
            ("dataset_length", self._samples()),
            ("batch_size", self.batch_size),
            ("shuffle", self.shuffle),
            ("drop_last", self.drop_last),
        ):
            if key in state and state[key] != ours:
                raise ValueError(f"state has {key}={state[key]!r} but this loader has {ours!r}")
        epoch = _check_int("state['epoch']", state["epoch"], 0)
        position = _check_int("state['position']", state["position"], 0)
        in_epoch = _check_bool("state['in_epoch']", state["in_epoch"])
        seed = state["epoch_seed"]
        if in_epoch and seed is not None:
            seed = _random._check_seed(seed, "state['epoch_seed']")
        elif in_epoch and self.shuffle:
            raise ValueError("state['epoch_seed'] is None, but a shuffled epoch needs its seed")
        gen_state = state["generator"]
        if (gen_state is None) != (self.generator is None):
            raise ValueError(
                f"state has generator={gen_state!r} but this loader has generator="
                f"{self.generator!r}: both or neither must have one"
            )
        if self.generator is not None:
            self.generator.set_state(tuple(gen_state))
        self._epoch, self._in_epoch, self._resume = epoch, in_epoch, in_epoch
        self._position = position if in_epoch else 0
        self._epoch_seed = seed if in_epoch else None

    def __iter__(self) -> Iterator[Any]:
        token, start, seed = self._start_epoch()
        if self.num_workers == 0:
            return _InProcessIter(self, token, start, seed)
        assert seed is not None
        return _WorkerIter(self, token, start, seed)

    def __repr__(self) -> str:
        return (
            f"DataLoader(n={len(self.dataset)}, batch_size={self.batch_size}, "
            f"shuffle={self.shuffle}, num_workers={self.num_workers})"
        )


class _InProcessIter:
    """One epoch's batches, loaded here."""

    def __init__(self, loader: DataLoader, token: int, start: int, seed: int | None) -> None:
        self._loader = loader
        self._token = token
        self._order = loader._epoch_indices(seed)
        self._next = start
        self._count = _order.batch_count(len(self._order), loader.batch_size, loader.drop_last)

    def __iter__(self) -> _InProcessIter:
        return self

    def __len__(self) -> int:
        return self._count

    def __next__(self) -> Any:
        loader = self._loader
        if self._next >= self._count:
            loader._finished(self._token)
            raise StopIteration
        indices = _order.batch_indices(self._order, self._next, loader.batch_size)
        batch = fetch(loader.dataset, indices, loader.collate_fn)
        self._next += 1
        loader._yielded(self._token)
        return batch


class _WorkerIter:
    """One epoch's batches, loaded by worker processes and yielded in order."""

    def __init__(self, loader: DataLoader, token: int, start: int, seed: int) -> None:
        self._loader = loader
        self._token = token
        self._count = _order.batch_count(loader._samples(), loader.batch_size, loader.drop_last)
        self._next = self._sent = start
        self._ready: dict[int, Any] = {}
        self._done = start >= self._count
        if loader.persistent_workers:
            if loader._workers is None or loader._workers.closed:
                loader._workers = _pool.WorkerPool(loader, owner=loader)
            self._pool = loader._workers
        else:
            self._pool = _pool.WorkerPool(loader, owner=self)
        given = None if loader.sampler is None else loader._epoch_indices(seed)
        self._tag = self._pool.start_epoch(seed, given)
        assert loader.prefetch_factor is not None
        self._window = loader.num_workers * loader.prefetch_factor
        self._fill()

    def __iter__(self) -> _WorkerIter:
        return self

    def __len__(self) -> int:
        return self._count

    def _fill(self) -> None:
        while self._sent < min(self._count, self._next + self._window):
            self._pool.submit(self._tag, self._sent)
            self._sent += 1

    def _close(self) -> None:
        self._done = True
        if not self._loader.persistent_workers:
            self._pool.shutdown()

    def _fail(self) -> None:
        self._done = True
        self._pool.shutdown()

    def __next__(self) -> Any:
        if self._done or self._next >= self._count:
            if not self._done:
                self._close()
            self._loader._finished(self._token)
            raise StopIteration
        if self._pool.closed or self._pool.tag != self._tag:
            self._done = True
            raise RuntimeError(
                "this epoch's iterator was replaced by a newer iter() of the same "
                "DataLoader (persistent workers serve one epoch at a time)"
            )
        i = self._next
        try:
            self._pool.collect(self._tag, self._ready, i, self._loader.timeout)
        except BaseException:
            self._fail()
            raise
        kind, value = self._ready.pop(i)
        if kind == "error":
            self._fail()
            raise _rebuilt(value)
        self._next += 1
        self._fill()
        self._loader._yielded(self._token)
        return value


class _Message(str):
    """A message whose repr is itself."""

    def __repr__(self) -> str:
        return str(self)


def _rebuilt(description: tuple[Any, str, str]) -> BaseException:
    """The worker's exception as its own class with the worker's traceback in the
    message, or a RuntimeError if that class cannot be made from a message."""
    cls, _name, message = description
    if cls is not None:
        try:
            # KeyError's str is the repr of its argument: keep the traceback readable
            exc = cls(_Message(message) if issubclass(cls, KeyError) else message)
            if isinstance(exc, BaseException):
                return exc
        except Exception:
            pass
    return RuntimeError(message)
