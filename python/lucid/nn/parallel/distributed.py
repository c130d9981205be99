"""DistributedDataParallel: one model replica per rank, gradients averaged after backward.

Each rank runs the same script on its own part of every batch. At construction the
replica's parameters and buffers are overwritten with rank 0's, so every rank starts
from the same model. ``loss.backward()`` then works as without the wrapper, and when it
returns every parameter's ``.grad`` is the mean over the ranks of the ranks' gradients:
``optimizer.step()`` needs no change and keeps the replicas equal.

How the reduction is triggered: a gradient hook on every trainable parameter queues one
callback (``lucid.autograd.hooks.queue_callback``) the first time a backward pass through
a forward of this wrapper reaches a parameter; the callback runs when that pass has
stored every gradient, and averages them in buckets (``lucid.nn.parallel.buckets``:
flat buffers of ``bucket_cap_mb`` MiB per dtype, parameters in registration order, the
deterministic rank-order sum of lucid.distributed divided by the world size). So the
averaged gradients have the same bits in every run with the same world size. The sum
covers the whole ``.grad``, including what it accumulated before this backward, as in
PyTorch.

Rules, as in PyTorch: every rank runs forward and backward the same number of times
(a rank that skips one leaves the others waiting); a gradient that is None on some
ranks counts as zeros there (None on every rank stays None).

``no_sync()``: forwards inside it mark their backward as local, so the gradients only
accumulate; the first backward of a forward outside it averages the accumulated sums.

Dropout masks that do not depend on the world size: a training-mode forward learns every
rank's batch size (the first dimension of its first Tensor argument, one allgather of
an int) and runs the module inside ``lucid.random.global_rows(rows, B)``, B the sum of
the sizes, so each rank's dropout layers draw the masks of the whole global batch and
keep the bits of the rows this rank holds. Which rows those are is ``batch_rows``:

- ``"strided"`` (the default): rank r holds rows ``range(r, B, W)``, the deal of
  ``lucid.data.DistributedSampler`` (batch k of every rank together is the single
  process's batch k). The local sizes must then be those of ``range(r, B, W)``.
- ``"blocks"``: rank r holds the consecutive rows after those of ranks 0 … r − 1
  (each global batch cut into consecutive pieces in rank order; any sizes).
- ``None``: no rows are opened; each rank draws as a lone process would, and a training
  loop may open ``global_rows`` itself.

So a sample's mask depends only on the generator and its row of the global batch, and
1, 2 or 4 ranks train with the masks of one process on the global batches. Every rank
draws the whole batch's mask (B rows' worth of generator words, the same on every rank,
so the generators stay equal); with one rank nothing is opened, as the rows are the
batch. ``nn.Sequential``'s fused nodes (SELU → AlphaDropout, and Linear before them)
fuse inside the rows too.

Those masks are the same for every world size; the gradients are not quite: each rank
sums its own rows, so another world size groups the float sums differently and they
differ in the last bits (which training with Adam amplifies). ``accumulate`` runs a
step in micro-batches whose gradients are the same bits for every world size dividing
their number (lucid.nn.parallel.accumulate says how).

``broadcast_buffers``: a training-mode forward first sets the buffers (running
statistics) to rank 0's. ``ddp.state_dict()`` has PyTorch's ``module.`` prefix, since
the model is the child ``module``; ``ddp.module.state_dict()`` has none.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from lucid._tensor import Tensor
from lucid.autograd import hooks
from lucid.autograd.function import grad_enabled
from lucid.distributed.collectives import broadcast
from lucid.distributed.group import communicator
from lucid.nn.module import Module
from lucid.nn.parallel import accumulate as _accumulate
from lucid.nn.parallel.buckets import average, make_buckets
from lucid.random import global_rows

__all__ = ["DistributedDataParallel"]

_NAME = "DistributedDataParallel"
_BATCH_ROWS = ("strided", "blocks", None)


def _local_rows(args: tuple[Any, ...], kwargs: dict[str, Any]) -> int | None:
    """The first dimension of the first Tensor among the arguments, or None."""
    for value in (*args, *kwargs.values()):
        if isinstance(value, Tensor):
            return int(value.shape[0]) if value.shape else None
    return None


def _held_rows(sizes: list[int | None], rank: int, batch_rows: str) -> tuple[range, int] | None:
    """This rank's rows of the global batch and its size, from every rank's batch size
    (None: no Tensor argument on that rank); None when no rank has a batch."""
    if all(size is None for size in sizes):
        return None
    if any(size is None for size in sizes):
        raise ValueError(
            f"{_NAME}: every rank's forward needs a batched Tensor argument for the "
            f"dropout rows, got batch sizes {sizes} by rank"
        )
    counts = [int(size) for size in sizes if size is not None]
    total, world = sum(counts), len(counts)
    if batch_rows == "blocks":
        start = sum(counts[:rank])
        return range(start, start + counts[rank]), total
    strided = [len(range(r, total, world)) for r in range(world)]
    if counts != strided:
        raise ValueError(
            f"{_NAME}: batch_rows='strided' needs the ranks' batch sizes of range(r, B, W) "
            f"for B={total}, W={world}, that is {strided}, got {counts} (use "
            "batch_rows='blocks' for consecutive pieces of each global batch)"
        )
    return range(rank, total, world), total


def _check_same_model(comm: Any, module: Module) -> None:
    """A ValueError on every rank when the replicas' parameters or buffers differ."""
    layout = [
        (kind, name, tuple(t.shape), t.dtype.name)
        for kind, members in (
            ("parameter", module.named_parameters()),
            ("buffer", module.named_buffers()),
        )
        for name, t in members
    ]
    layouts = comm.allgather(layout)
    for rank, other in enumerate(layouts):
        if other != layouts[0]:
            differ = [f"{a} vs {b}" for a, b in zip(layouts[0], other, strict=False) if a != b][:3]
            if len(other) != len(layouts[0]):
                differ.append(f"{len(layouts[0])} vs {len(other)} tensors")
            raise ValueError(
                f"{_NAME}: rank {rank}'s model differs from rank 0's: " + "; ".join(differ)
            )


def _on_gradient(ref: weakref.ref) -> Callable[[Any, np.ndarray], None]:
    """The parameters' gradient hook: queue the reduction of a synced backward."""

    def hook(tensor: Any, grad: np.ndarray) -> None:
        ddp = ref()
        if ddp is not None and ddp._armed:
            hooks.queue_callback(ddp._reduce)

    return hook


def _remove(handles: list[Any]) -> None:
    for handle in handles:
        handle.remove()


class DistributedDataParallel(Module):
    """Data parallelism over the ranks of lucid.distributed (PyTorch's class and names).

    ``module``: the model, the same architecture on every rank. ``broadcast_buffers``:
    give the buffers rank 0's values at each training-mode forward. ``bucket_cap_mb``:
    the size of a gradient bucket in MiB (PyTorch's 25 by default). ``batch_rows``:
    which rows of the global batch this rank's input holds, for the dropout masks
    ("strided", "blocks" or None; see the module docstring). ``device_ids`` and
    ``output_device`` are accepted as None or "cpu" only.
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        broadcast_buffers: bool = True,
        bucket_cap_mb: float = 25,
        batch_rows: str | None = "strided",
    ) -> None:
        super().__init__()
        comm = communicator(_NAME)
        if not isinstance(module, Module):
            raise TypeError(
                f"{_NAME}: module must be a lucid.nn.Module, got {type(module).__name__}"
            )
        for name, value in (("device_ids", device_ids), ("output_device", output_device)):
            if value not in (None, "cpu", ["cpu"]):
                raise ValueError(f"{_NAME}: {name} must be None or 'cpu', got {name}={value!r}")
        if not isinstance(broadcast_buffers, (bool, np.bool_)):
            raise TypeError(f"{_NAME}: broadcast_buffers must be a bool, got {broadcast_buffers!r}")
        if (
            isinstance(bucket_cap_mb, bool)
            or not isinstance(bucket_cap_mb, (int, float))
            or not bucket_cap_mb > 0
            or not np.isfinite(bucket_cap_mb)
        ):
            raise ValueError(
                f"{_NAME}: bucket_cap_mb must be a positive number, got {bucket_cap_mb!r}"
            )
        if batch_rows is not None and not (
            isinstance(batch_rows, str) and batch_rows in _BATCH_ROWS
        ):
            raise ValueError(
                f"{_NAME}: batch_rows must be 'strided', 'blocks' or None, got {batch_rows!r}"
            )
        self.module = module
        self.batch_rows = batch_rows
        self.broadcast_buffers = bool(broadcast_buffers)
        self.bucket_cap_mb = float(bucket_cap_mb)
        _check_same_model(comm, module)
        for param in module.parameters():
            broadcast(param, 0)
        for buffer in module.buffers():
            broadcast(buffer, 0)
        trainable = [p for p in module.parameters() if p.requires_grad]
        cap = max(1, int(self.bucket_cap_mb * 2**20))
        self._buckets = make_buckets(trainable, cap)
        self._sync = True  # False inside no_sync()
        self._armed = False  # a synced forward awaits its backward
        # The hooks reach the wrapper through a weak reference: the parameters must not
        # keep it alive, and when it goes its hooks go too (the module trains alone again).
        on_gradient = _on_gradient(weakref.ref(self))
        handles = [p.register_hook(on_gradient) for p in trainable]
        weakref.finalize(self, _remove, handles)

    @property
    def buckets(self) -> list[Any]:
        """The gradient buckets, in reduction order (each has ``params`` and ``buffer``)."""
        return list(self._buckets)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        if self.training and self.broadcast_buffers:
            for buffer in self.module.buffers():
                broadcast(buffer, 0)
        if grad_enabled():
            self._armed = self._sync
        if not self.training or self.batch_rows is None:
            return self.module(*args, **kwargs)
        comm = communicator(_NAME)
        if comm.Get_size() == 1:  # the rows are the whole batch: nothing to open
            return self.module(*args, **kwargs)
        sizes = comm.allgather(_local_rows(args, kwargs))
        held = _held_rows(sizes, comm.Get_rank(), self.batch_rows)
        if held is None:
            return self.module(*args, **kwargs)
        with global_rows(*held):
            return self.module(*args, **kwargs)

    def _reduce(self) -> None:
        self._armed = False
        # The group as it is now: one destroyed since construction is a RuntimeError.
        comm = communicator(_NAME)
        if comm.Get_size() > 1:  # the mean over one rank is its gradient, bit for bit
            average(comm, self._buckets)

    def accumulate(self, loss_fn: Callable[..., Any], *batch: Any, micro_batches: int) -> float:
        """Forward and backward of this rank's rows of a global batch in micro-batches,
        with gradients whose bits do not depend on the world size.

        ``batch``: Tensors (or arrays) whose first dimension is this rank's rows
        ``range(r, B, W)`` of the global batch of B rows (a DistributedSampler's deal;
        every rank holds B / W), and anything else, passed whole. ``micro_batches``: V,
        a power of two that the world size divides and that divides B. Each of this
        rank's V / W micro-batches runs ``loss_fn(self.module, *pieces)``, which returns
        a 0-d Tensor (the micro-batch's mean loss, say), and its backward. Then every
        parameter's ``.grad`` gets, added to what it held, the mean of the V
        micro-batches' gradients, summed in a fixed tree (lucid.nn.parallel.accumulate
        says which), the same bits on every rank and for every world size dividing V.
        Returns the mean of the V losses.

        Inside ``loss_fn`` the micro-batch's rows are ``lucid.random.current_rows()``;
        every generator the model draws from (the default one, each module's
        ``generator``) starts each micro-batch where it stood at the call, so the
        dropout masks are those of the global batch. Any other randomness in ``loss_fn``
        is its own. Layers that mix rows (BatchNorm's statistics) see a micro-batch. An
        error (bad arguments, on any rank, or one ``loss_fn`` raises) leaves the
        gradients and those generators as they were.
        """
        self._armed = False
        return _accumulate.accumulate(
            communicator(_NAME), self.module, self._buckets, loss_fn, batch, micro_batches
        )

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Inside, forwards' backwards only accumulate gradients locally; the first synced
        backward after it averages the accumulated sums."""
        previous = self._sync
        self._sync = False
        try:
            yield
        finally:
            self._sync = previous

    def extra_repr(self) -> str:
        return f"buckets={len(self._buckets)}, bucket_cap_mb={self.bucket_cap_mb:g}"
