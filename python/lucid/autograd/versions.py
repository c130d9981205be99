"""Version counters: how autograd notices that values it saved were changed in place.

Every Tensor has a counter (``Tensor._version``), one per storage: a tensor, its
reshapes and its ``detach()`` share it, and every in-place write through lucid bumps
it. A Function declares what its backward reads (``saved_inputs``, ``saved_output``);
``apply`` records those tensors' versions, and backward refuses to run once one of
them has moved on, because the values it would read are not the ones forward saw.

Reshapes are also autograd views (``share``): a tensor and its reshapes are one family,
so an in-place write recorded on one of them gives every other member the new history.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

__all__ = [
    "VersionCounter",
    "check_saved",
    "family",
    "needed",
    "record",
    "saved_versions",
    "share",
    "unshare",
]


class VersionCounter:
    """The number of in-place writes into one storage, shared by the tensors over it."""

    __slots__ = ("value",)

    def __init__(self, value: int = 0) -> None:
        self.value = value


def record(index: int | None, tensor: Any) -> tuple[Any, ...]:
    """The saved-version record of ``tensor``: input ``index``, or the output (None)."""
    counter = tensor._version_counter
    return (index, counter, counter.value, tensor._data.shape, tensor._data.dtype)


def needed(fn: Any, inputs: Sequence[Any], needs: Sequence[bool], tensor: type) -> list[int]:
    """The Tensor inputs whose values ``fn``'s backward reads, given which need a gradient."""
    # Loops, not comprehensions over any(): this runs for every recorded op that saves.
    found = []
    for i, needed_by in fn.saved_inputs.items():
        if not isinstance(inputs[i], tensor):
            continue
        if needed_by is not None:
            for j in needed_by:
                if needs[j]:
                    break
            else:
                continue
        found.append(i)
    return found


def saved_versions(
    fn: Any, inputs: Sequence[Any], needs: Sequence[bool], out: Any, tensor: type
) -> tuple[tuple[Any, ...], ...]:
    """The records of what ``fn``'s backward will read: its saved Tensor inputs (the
    gradients they are read for are needed) and its output if it saves that."""
    found = needed(fn, inputs, needs, tensor)
    if not found and not fn.saved_output:
        return ()  # the common case of a number operand: no comprehension to run
    records = [record(i, inputs[i]) for i in found]
    if fn.saved_output:
        records.append(record(None, out))
    return tuple(records)


def check_saved(ctx: Any) -> None:
    """Raise RuntimeError when a tensor ``ctx`` saved was changed in place since."""
    for index, counter, version, shape, dtype in ctx._saved:
        if counter.value != version:
            op = type(ctx).__name__
            what = "the output" if index is None else f"input {index}"
            raise RuntimeError(
                f"{op}: one of the variables needed for gradient computation has been "
                f"modified by an inplace operation: {what} of {op} (a {dtype} tensor of "
                f"shape {shape}) is at version {counter.value}; expected version {version} "
                "instead. Make the write out of place (x = x + 1 instead of x += 1), or "
                "make it after backward."
            )


def share(view: Any, source: Any) -> None:
    """Make ``view`` (a reshape of ``source``) share its counter and join its family."""
    view._version_counter = source._version_counter
    members = source._family
    if members is None:
        members = source._family = [weakref.ref(source)]
    elif len(members) >= 16 and not len(members) & (len(members) - 1):
        # Dead members are dropped at each power of two: amortised O(1) per reshape.
        members[:] = [ref for ref in members if ref() is not None]
    members.append(weakref.ref(view))
    view._family = members


def unshare(tensor: Any) -> None:
    """``tensor`` got storage of its own: a counter of its own, and out of its family."""
    tensor._version_counter = VersionCounter(tensor._version_counter.value)
    members = tensor._family
    if members is not None:
        members[:] = [ref for ref in members if ref() is not None and ref() is not tensor]
        tensor._family = None


def family(tensor: Any) -> list[Any]:
    """The live tensors that are reshapes of one another with ``tensor``, it first."""
    if tensor._family is None:
        return [tensor]
    others = [ref() for ref in tensor._family]
    return [tensor] + [t for t in others if t is not None and t is not tensor]
