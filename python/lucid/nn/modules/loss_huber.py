"""HuberLoss, a Module over lucid.nn.functional.huber_loss.

The positional order is lucid's: (reduction, delta). Both are checked when the layer
is built; None is lucid's spelling of "none", as for the other losses.
"""

from __future__ import annotations

from typing import Any

from lucid._tensor import Tensor
from lucid.nn.functional.loss_huber import check_delta, huber_loss
from lucid.nn.modules.loss import _Loss

__all__ = ["HuberLoss"]


class HuberLoss(_Loss):
    """Huber loss: ½d² for errors d up to ``delta``, linear beyond; see huber_loss."""

    def __init__(self, reduction: str | None = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        self.delta = check_delta("HuberLoss", delta)

    def forward(self, input_: Tensor, target: Any) -> Tensor:
        return huber_loss(input_, target, delta=self.delta, reduction=self.reduction)

    def extra_repr(self) -> str:
        return super().extra_repr() + f", delta={self.delta}"
