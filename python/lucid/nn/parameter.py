"""Parameter and Buffer: Tensors that a Module registers, as learnable or as state, when
assigned to it."""

from __future__ import annotations

from typing import Any

from lucid._tensor import Tensor

__all__ = ["Buffer", "Parameter"]


class Parameter(Tensor):
    """A leaf Tensor with ``requires_grad=True`` that Module collects in ``parameters()``.

    ``data`` is anything ``Tensor`` accepts; a Tensor's values are copied into the
    parameter's own storage (as lucid does), so the parameter never aliases its source
    and is never part of the source's graph. ``device`` is lucid's, "cpu" only.
    """

    def __init__(self, data: Any, dtype: Any = None, device: str = "cpu") -> None:
        super().__init__(data, requires_grad=True, dtype=dtype, device=device)


class Buffer(Tensor):
    """A Tensor that needs no gradient, registered as a buffer (state, not learnable) when
    assigned to a Module, as lucid's and PyTorch's ``nn.Buffer``. ``data`` is copied into
    storage of its own, in ``dtype`` when given."""

    def __init__(self, data: Any, dtype: Any = None, device: str = "cpu") -> None:
        super().__init__(data, requires_grad=False, dtype=dtype, device=device)
