"""Creation functions: tensor, zeros, ones, full, empty and their ``_like`` forms.

``dtype`` takes lucid's dtype objects (``lucid.Float64``), numpy dtypes and names, and
Python's float, int (int64) and bool (lucid._dtypes.resolve). Without ``dtype``, floats
are the default float dtype (float64, lucid 2.x's, unless lucid.set_default_dtype chose
float32); ``full`` infers it from ``fill_value`` as numpy does. ``device`` must be "cpu"
or None (lucid._dtypes.check_device).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid import _dtypes, _storage
from lucid._tensor import Tensor

__all__ = [
    "empty",
    "empty_like",
    "full",
    "full_like",
    "ones",
    "ones_like",
    "tensor",
    "zeros",
    "zeros_like",
]


def tensor(
    data: Any,
    requires_grad: bool = False,
    keep_grad: bool = False,
    dtype: Any = None,
    device: Any = "cpu",
) -> Tensor:
    """A new tensor holding a copy of ``data``, with Tensor's dtype rules."""
    return Tensor(
        data, requires_grad=requires_grad, keep_grad=keep_grad, dtype=dtype, device=device
    )


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"shape must be non-negative ints, got {shape!r}")
    return tuple(int(s) for s in shape)


def _filled(
    shape: tuple[int, ...],
    value: Any,
    dtype: Any,
    requires_grad: bool,
    keep_grad: bool,
    device: Any,
) -> Tensor:
    """A new tensor of ``shape`` holding ``value`` everywhere, or uninitialised values
    when ``value`` is None."""
    _dtypes.check_device(device)
    if value is None:
        values = _storage.empty(shape, _dtypes.resolve(dtype))
    else:
        values = _storage.zeros(shape, _dtypes.resolve(dtype))
        if value:
            values.fill(value)
    out = Tensor._wrap(values, requires_grad=requires_grad)
    out.keep_grad = bool(keep_grad)
    return out


def zeros(
    *shape: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
) -> Tensor:
    """A tensor of zeros; ``shape`` as ints or one tuple."""
    return _filled(_shape(shape), 0, dtype, requires_grad, keep_grad, device)


def ones(
    *shape: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
) -> Tensor:
    """A tensor of ones; ``shape`` as ints or one tuple."""
    return _filled(_shape(shape), 1, dtype, requires_grad, keep_grad, device)


def _like(
    t: Any, value: Any, dtype: Any, requires_grad: bool, keep_grad: bool, device: Any
) -> Tensor:
    ref = t if isinstance(t, Tensor) else Tensor(t)
    dtype = ref.dtype if dtype is None else dtype
    return _filled(ref.shape, value, dtype, requires_grad, keep_grad, device)


def zeros_like(
    t: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Zeros of ``t``'s shape, in ``t``'s dtype unless ``dtype`` is given; ``device``
    None means t's ("cpu")."""
    return _like(t, 0, dtype, requires_grad, keep_grad, device)


def ones_like(
    t: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Ones of ``t``'s shape, in ``t``'s dtype unless ``dtype`` is given; ``device``
    None means t's ("cpu")."""
    return _like(t, 1, dtype, requires_grad, keep_grad, device)


def _fill_value(value: Any) -> Any:
    if not isinstance(value, (bool, int, float, np.bool_, np.integer, np.floating)):
        raise TypeError(f"full: fill_value must be a real number or bool, got {value!r}")
    return value


def full(
    shape: Any,
    fill_value: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
) -> Tensor:
    """A tensor of ``shape`` (an int or a tuple) holding ``fill_value`` everywhere;
    without ``dtype``, fill_value's: int64 for an int, bool for a bool, the default
    float dtype for a float (numpy's inference, as lucid 2.x)."""
    dims = _shape((shape,) if isinstance(shape, (int, np.integer)) else (shape,))
    value = _fill_value(fill_value)
    if dtype is None:
        dtype = Tensor(value).dtype
    return _filled(dims, value, dtype, requires_grad, keep_grad, device)


def full_like(
    t: Any,
    fill_value: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """``fill_value`` in ``t``'s shape, in ``t``'s dtype unless ``dtype`` is given."""
    return _like(t, _fill_value(fill_value), dtype, requires_grad, keep_grad, device)


def empty(
    *shape: Any,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
) -> Tensor:
    """A tensor of ``shape`` (ints or one tuple) whose values are whatever the new
    storage holds; the default float dtype unless ``dtype`` is given."""
    return _filled(_shape(shape), None, dtype, requires_grad, keep_grad, device)


def empty_like(
    t: Any,
    /,
    dtype: Any = None,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = None,
) -> Tensor:
    """Uninitialised values in ``t``'s shape and (unless ``dtype`` is given) dtype."""
    return _like(t, None, dtype, requires_grad, keep_grad, device)
