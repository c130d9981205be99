"""Function: the base class of every differentiable operation.

Each operation is a small subclass with ``forward`` next to ``backward`` (tinygrad's
classic ``function.py``): forward computes on numpy views of the inputs and saves on
``self`` only what backward needs; ``apply`` runs it and records the node in the graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from lucid.autograd.mode import grad_enabled

__all__ = ["Function", "unbroadcast"]


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that numpy broadcasting added to or stretched in ``shape``."""
    grad = np.asarray(grad)
    if grad.shape == tuple(shape):
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and grad.shape[lead + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape)


class Function:
    """One differentiable operation; ``apply`` is how it is called.

    Subclasses define::

        def forward(self, *arrays, **kwargs) -> np.ndarray   # a Rust-storage view
        def backward(self, grad) -> tuple[np.ndarray | None, ...]

    ``forward`` receives the positional inputs of ``apply`` with every Tensor replaced by
    its numpy view (other values, such as Python scalars, pass through unchanged) and the
    keyword arguments as given. ``backward`` receives the gradient of the output and
    returns one entry per positional input, each of that input's exact shape (None: no
    gradient; entries for non-Tensor inputs are ignored). The graph checks the shapes
    and casts each gradient to its tensor's dtype.

    Set during ``apply``: ``self.needs_input_grad`` (one bool per positional input, so
    backward may skip work) and, when the graph is recorded, ``self.parents`` (the
    positional inputs, None in place of non-Tensors).
    """

    needs_input_grad: tuple[bool, ...]
    parents: tuple[Any, ...]
    #: True when backward returns new arrays in Rust storage that nothing else holds
    #: (a different one per input): a leaf may then keep one as its ``.grad``, uncopied.
    fresh_grads: bool = False

    def forward(self, *arrays: Any, **kwargs: Any) -> np.ndarray:
        raise NotImplementedError(f"{type(self).__name__} must define forward")

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray | None, ...]:
        raise NotImplementedError(f"{type(self).__name__} does not define backward")

    @classmethod
    def apply(cls, *inputs: Any, **kwargs: Any) -> Any:
        """Run forward on the inputs' arrays; record the node when a gradient can flow.

        The node is recorded when grad mode is on, some Tensor input requires grad and
        the output is floating-point (integer and bool results have no gradient).
        """
        # Imported here: lucid._tensor imports this module while it is being defined.
        from lucid._tensor import Tensor

        ctx = cls()
        ctx.needs_input_grad = tuple(isinstance(x, Tensor) and x.requires_grad for x in inputs)
        arrays = [x.data if isinstance(x, Tensor) else x for x in inputs]
        out = Tensor._wrap(ctx.forward(*arrays, **kwargs), _origin=cls.__name__)
        if grad_enabled() and any(ctx.needs_input_grad) and out.dtype.kind == "f":
            ctx.parents = tuple(x if isinstance(x, Tensor) else None for x in inputs)
            out._ctx = ctx
            out._requires_grad = True
        return out
