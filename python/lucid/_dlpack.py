"""DLPack, both ways: tensors export their Rust storage without a copy, and
``lucid.from_dlpack`` reads any object with ``__dlpack__`` into new storage.

Export: a tensor's ``data`` is a C-contiguous numpy view of its ``Storage``, so numpy's
own ``ndarray.__dlpack__`` describes the same memory. The capsule's owner holds that
view, and the view holds the Storage: the memory lives as long as any consumer's array.

Import: a Storage owns memory that Rust allocated and cannot adopt another library's
buffer, so ``from_dlpack`` copies the values once into new storage, as ``lucid.tensor``
does. ``copy=False`` asks for a view and is a BufferError, as the array API standard
says for a copy that cannot be avoided.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _dtypes, _storage

__all__ = ["CPU", "export", "export_device", "storage_values"]

#: DLPack's (device type, index) for CPU memory: kDLCPU is 1.
CPU = (1, 0)


def export(
    tensor: Any,
    *,
    stream: Any = None,
    max_version: tuple[int, int] | None = None,
    dl_device: Any = None,
    copy: bool | None = None,
) -> Any:
    """``Tensor.__dlpack__``: a DLPack capsule over the tensor's storage (no copy unless
    ``copy=True``). Writes through the consumer's array show in the tensor."""
    if stream is not None:
        raise BufferError(f"__dlpack__: stream must be None for CPU memory, got {stream!r}")
    if dl_device is not None and tuple(dl_device) != CPU:
        raise BufferError(
            f"__dlpack__: dl_device must be {CPU} (kDLCPU; tensors live in CPU memory "
            f"here), got {dl_device!r}"
        )
    if copy is not None and not isinstance(copy, (bool, np.bool_)):
        raise TypeError(f"__dlpack__: copy must be a bool or None, got {copy!r}")
    array: np.ndarray = tensor.data
    return array.__dlpack__(max_version=max_version, copy=copy)


def export_device(tensor: Any) -> tuple[int, int]:
    """``Tensor.__dlpack_device__``: (1, 0), DLPack's CPU."""
    return CPU


def storage_values(x: Any, device: Any = None, copy: bool | None = None) -> np.ndarray:
    """``x``'s values, read through DLPack, copied once into new storage (see module doc).

    ``x`` must have ``__dlpack__`` (a numpy array, a PyTorch CPU tensor, ...) in CPU
    memory and hold float32, float64, int64 or bool; ``device`` must be "cpu" or None.
    """
    _dtypes.check_device(device)
    if copy is not None and not isinstance(copy, (bool, np.bool_)):
        raise TypeError(f"from_dlpack: copy must be a bool or None, got {copy!r}")
    if not (hasattr(x, "__dlpack__") and hasattr(x, "__dlpack_device__")):
        raise TypeError(
            f"from_dlpack: x must support DLPack (__dlpack__ and __dlpack_device__), "
            f"got {type(x).__name__}"
        )
    where = tuple(x.__dlpack_device__())
    if where[:1] != CPU[:1]:
        raise BufferError(
            f"from_dlpack: x must be in CPU memory (DLPack device type 1), got device "
            f"{where!r} of {type(x).__name__}; move it to the CPU first"
        )
    if copy is False:
        raise BufferError(
            "from_dlpack: copy=False cannot be honoured: a tensor's memory is a Rust "
            "Storage, which cannot adopt another library's buffer; the values are copied "
            "once (copy=None or True)"
        )
    src = np.from_dlpack(x)
    if src.dtype not in _storage.DTYPES:
        raise TypeError(
            f"from_dlpack: x must hold float32, float64, int64 or bool, got {src.dtype} "
            "(convert it first, or use lucid.tensor, which casts)"
        )
    return _storage.copy_of(src, src.dtype)
