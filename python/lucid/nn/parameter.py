"""Parameter: a Tensor that a Module registers as learnable when assigned to it."""

from __future__ import annotations

from typing import Any

from lucid._tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A leaf Tensor with ``requires_grad=True`` that Module collects in ``parameters()``.

    ``data`` is anything ``Tensor`` accepts; a Tensor's values are copied into the
    parameter's own storage (as lucid does), so the parameter never aliases its source
    and is never part of the source's graph.
    """

    def __init__(self, data: Any, dtype: Any = None) -> None:
        super().__init__(data, requires_grad=True, dtype=dtype)

    def __repr__(self) -> str:
        text = super().__repr__()
        # Tensor's repr spells "Tensor(" rather than type(self).__name__.
        if text.startswith("Tensor("):
            text = "Parameter(" + text[len("Tensor(") :]
        return text
