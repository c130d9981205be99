"""The loss layers: each a Module over a function in lucid.nn.functional.loss.

As in PyTorch, ``weight`` (and BCEWithLogitsLoss's ``pos_weight``) is registered as a
buffer, so it is in ``state_dict()`` when set and None when not; a list or array given
for it becomes a Tensor. ``reduction`` is checked when the layer is built (None is
lucid's "none"). The positional orders are lucid's: (weight, reduction, eps) for
CrossEntropyLoss, BCELoss and BCEWithLogitsLoss, (weight, reduction) for NLLLoss;
PyTorch's ignore_index, label_smoothing and pos_weight are keyword-only.
"""

from __future__ import annotations

from typing import Any

from lucid._tensor import Tensor
from lucid.nn.functional.loss import (
    _check_eps,
    _check_reduction,
    _check_smoothing,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    mse_loss,
    nll_loss,
)
from lucid.nn.module import Module

__all__ = ["BCELoss", "BCEWithLogitsLoss", "CrossEntropyLoss", "MSELoss", "NLLLoss"]


def _as_tensor(value: Any) -> Tensor | None:
    return value if value is None or isinstance(value, Tensor) else Tensor(value)


class _Loss(Module):
    def __init__(self, reduction: str | None = "mean") -> None:
        super().__init__()
        self.reduction = _check_reduction(reduction)

    def extra_repr(self) -> str:
        return f"reduction={self.reduction}"  # lucid 2.x's form: MSELoss(reduction=mean)


_DEFAULT_OPTIONS = {"ignore_index": -100, "label_smoothing": 0.0}


def _with_options(text: str, **options: Any) -> str:
    """``text`` and the options that differ from PyTorch's defaults, as name=value."""
    extra = [f"{k}={v}" for k, v in options.items() if v != _DEFAULT_OPTIONS[k]]
    return ", ".join([text, *extra])


class _WeightedLoss(_Loss):
    weight: Tensor | None

    def __init__(self, weight: Any = None, reduction: str | None = "mean") -> None:
        super().__init__(reduction)
        self.register_buffer("weight", _as_tensor(weight))


class MSELoss(_Loss):
    """Mean squared error; see lucid.nn.functional.mse_loss."""

    def forward(self, input_: Tensor, target: Any) -> Tensor:
        return mse_loss(input_, target, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Cross entropy of logits and class indices; see lucid.nn.functional.cross_entropy."""

    def __init__(
        self,
        weight: Any = None,
        reduction: str | None = "mean",
        eps: float = 1e-7,
        *,
        ignore_index: int | None = -100,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, reduction)
        self.eps = _check_eps("CrossEntropyLoss", eps, 1.0)
        self.ignore_index = ignore_index
        self.label_smoothing = _check_smoothing(label_smoothing)

    def forward(self, input_: Tensor, target: Any) -> Tensor:
        return cross_entropy(
            input_,
            target,
            weight=self.weight,
            reduction=self.reduction,
            eps=self.eps,
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
        )

    def extra_repr(self) -> str:
        # lucid 2.x shows the reduction; PyTorch's options only when they are not defaults.
        return _with_options(
            super().extra_repr(),
            ignore_index=self.ignore_index,
            label_smoothing=self.label_smoothing,
        )


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities; see lucid.nn.functional.nll_loss."""

    def __init__(
        self, weight: Any = None, reduction: str | None = "mean", *, ignore_index: int | None = -100
    ) -> None:
        super().__init__(weight, reduction)
        self.ignore_index = ignore_index

    def forward(self, input_: Tensor, target: Any) -> Tensor:
        return nll_loss(
            input_,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )

    def extra_repr(self) -> str:
        return _with_options(super().extra_repr(), ignore_index=self.ignore_index)


class BCELoss(_WeightedLoss):
    """Binary cross entropy of probabilities; see lucid.nn.functional.binary_cross_entropy."""

    def __init__(
        self, weight: Any = None, reduction: str | None = "mean", eps: float = 1e-7
    ) -> None:
        super().__init__(weight, reduction)
        self.eps = _check_eps("BCELoss", eps, 0.5)

    def forward(self, input_: Tensor, target: Any) -> Tensor:
        return binary_cross_entropy(
            input_, target, weight=self.weight, reduction=self.reduction, eps=self.eps
        )


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross entropy of logits; see binary_cross_entropy_with_logits.

    The argument order is lucid's: weight, reduction, eps; ``pos_weight`` is keyword-only.
    ``eps`` is kept for lucid's signature only: the loss is computed from the logits,
    which need no clipping, so it changes nothing.
    """

    pos_weight: Tensor | None

    def __init__(
        self,
        weight: Any = None,
        reduction: str | None = "mean",
        eps: float = 1e-7,
        *,
        pos_weight: Any = None,
    ) -> None:
        super().__init__(weight, reduction)
        self.eps = _check_eps("BCEWithLogitsLoss", eps, 0.5)
        self.register_buffer("pos_weight", _as_tensor(pos_weight))

    def forward(self, input_: Tensor, target: Any) -> Tensor:
        return binary_cross_entropy_with_logits(
            input_,
            target,
            weight=self.weight,
            pos_weight=self.pos_weight,
            reduction=self.reduction,
        )
