"""lucid 2.x's error classes (``lucid.error``), each under the built-in error this
library raised before it had them, so ``except ValueError`` / ``except RuntimeError``
code keeps working:

- ``UnknownDeviceError`` (a ValueError, from lucid._dtypes): a device other than "cpu".
- ``BackwardError`` (a RuntimeError): the backward walk found a gradient it cannot use
  (the wrong number from an op's backward, the wrong shape, a seed of the wrong shape).
- ``DeviceMismatchError`` (a RuntimeError, as PyTorch's device errors): tensors on two
  devices meeting in one op. Every tensor here is on the CPU, so nothing raises it; it
  exists for code that catches it.
"""

from __future__ import annotations

from typing import Any

from lucid._dtypes import UnknownDeviceError

__all__ = ["BackwardError", "DeviceMismatchError", "UnknownDeviceError"]


class BackwardError(RuntimeError):
    """backward could not use a gradient. ``BackwardError(shape, op)`` gives lucid 2.x's
    message; ``reason`` replaces it with one that says what went wrong."""

    def __init__(self, shape: Any, op: object, reason: str | None = None) -> None:
        self.shape, self.op = shape, op
        super().__init__(
            reason
            if reason is not None
            else f"Exception above occurred for tensor of shape {shape} on operation {op}."
        )


class DeviceMismatchError(RuntimeError):
    """A tensor on device ``from_`` used with one on ``to`` (lucid 2.x's arguments)."""

    def __init__(self, to: Any, from_: Any) -> None:
        self.to, self.from_ = to, from_
        super().__init__(f"Attempted access of '{to}' tensor from '{from_}' tensor.")
