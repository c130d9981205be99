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

from lucid.autograd import hooks
from lucid.autograd.function import grad_enabled
from lucid.distributed.collectives import broadcast
from lucid.distributed.group import communicator
from lucid.nn.module import Module
from lucid.nn.parallel.buckets import average, make_buckets

__all__ = ["DistributedDataParallel"]

_NAME = "DistributedDataParallel"


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
    the size of a gradient bucket in MiB (PyTorch's 25 by default). ``device_ids`` and
    ``output_device`` are accepted as None or "cpu" only.
    """

    def __init__(
        self,
        module: Module,
        device_ids: Any = None,
        output_device: Any = None,
        broadcast_buffers: bool = True,
        bucket_cap_mb: float = 25,
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
        self.module = module
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
        return self.module(*args, **kwargs)

    def _reduce(self) -> None:
        self._armed = False
        # The group as it is now: one destroyed since construction is a RuntimeError.
        average(communicator(_NAME), self._buckets)

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
