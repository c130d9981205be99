"""Utilities over a model's parameters: gradient norms and clipping."""

from lucid.nn.utils.clip_grad import (
    clip_grad_norm,
    clip_grad_norm_,
    clip_grad_value,
    clip_grad_value_,
    get_total_norm,
    grad_norm,
)

__all__ = [
    "clip_grad_norm",
    "clip_grad_norm_",
    "clip_grad_value",
    "clip_grad_value_",
    "get_total_norm",
    "grad_norm",
]
