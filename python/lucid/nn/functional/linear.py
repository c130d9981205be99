"""The affine map y = x Wᵀ + b, built from Tensor ops so autograd differentiates it."""

from __future__ import annotations

from lucid._tensor import Tensor

__all__ = ["linear"]


def _check_tensor(name: str, value: object) -> Tensor:
    if not isinstance(value, Tensor):
        raise TypeError(f"{name} must be a lucid Tensor, got {type(value).__name__}")
    return value


def linear(input_: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """``input_ @ weight.T + bias`` for input (..., in), weight (out, in), bias (out,).

    The leading dimensions of ``input_`` (any number, including none) are kept: the
    output has shape (..., out). All tensors must share one dtype, as in PyTorch.
    """
    x = _check_tensor("input_", input_)
    w = _check_tensor("weight", weight)
    shapes = f"input_ {x.shape}, weight {w.shape}" + (
        "" if bias is None else f", bias {_check_tensor('bias', bias).shape}"
    )
    if len(w.shape) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features); got {shapes}")
    out_features, in_features = w.shape
    if len(x.shape) == 0 or x.shape[-1] != in_features:
        raise ValueError(
            f"linear: input_'s last dimension must equal weight's in_features "
            f"({in_features}); got {shapes}"
        )
    if bias is not None and tuple(bias.shape) != (out_features,):
        raise ValueError(f"linear: bias must have shape ({out_features},); got {shapes}")
    dtypes = {t.dtype for t in (x, w, bias) if t is not None}
    if len(dtypes) > 1:
        names = ", ".join(
            f"{n} {t.dtype}"
            for n, t in (("input_", x), ("weight", w), ("bias", bias))
            if t is not None
        )
        raise TypeError(f"linear: input_, weight and bias must share a dtype; got {names}")

    # Fold leading dimensions into one so only a 2-D matmul is needed.
    lead = tuple(x.shape[:-1])
    y = x.reshape(-1, in_features) @ w.T
    if bias is not None:
        y = y + bias
    return y.reshape(*lead, out_features)
