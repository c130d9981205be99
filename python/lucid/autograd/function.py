"""Function: the base class of every differentiable operation.

Each operation is a small subclass with ``forward`` next to ``backward`` (tinygrad's
classic ``function.py``): forward computes on numpy views of the inputs and saves on
``self`` only what backward needs; ``apply`` runs it and records the node in the graph.

A recorded Function is a node of the graph: its ``parents`` are the nodes that made its
inputs' values (a Function, or a leaf Tensor that requires grad), not the input Tensors,
so an in-place write that gives a tensor a new history leaves earlier consumers of the
tensor sending their gradient to its old one.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from lucid.autograd import versions
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
    backward may skip work) and, when the graph is recorded, ``self.parents`` (per
    positional input, the node that made its values, or None when it needs no gradient).

    What backward reads is declared, so that an in-place write into it is caught (see
    lucid.autograd.versions): ``saved_inputs`` maps each input whose values backward
    reads to the inputs whose gradients need them (None: any gradient), and
    ``saved_output`` says that backward reads the output's values. Shapes, dtypes and
    copies made in forward need no declaration.
    """

    needs_input_grad: tuple[bool, ...]
    parents: tuple[Any, ...]
    #: True when backward returns new arrays in Rust storage that nothing else holds
    #: (a different one per input): a leaf may then keep one as its ``.grad``, uncopied.
    fresh_grads: ClassVar[bool] = False
    saved_inputs: ClassVar[Mapping[int, tuple[int, ...] | None]] = {}
    saved_output: ClassVar[bool] = False
    #: True when the output is a view of input 0's storage (reshape): the two share a
    #: version counter, and an in-place write recorded on one is seen by the other.
    is_view: ClassVar[bool] = False
    # Set when recorded: the versions to check, (shape, dtype) of the output, and the
    # tensor whose current values this node made (for keep_grad), if it is alive.
    _saved: tuple[tuple[Any, ...], ...] = ()
    _output_meta: tuple[tuple[int, ...], np.dtype]
    _out: Any = None

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
        tensor = _tensor_class
        ctx = cls()
        # List comprehensions, not generators: this runs for every op.
        needs = ctx.needs_input_grad = tuple(
            [isinstance(x, tensor) and x._requires_grad for x in inputs]
        )
        arrays = [x._data if isinstance(x, tensor) else x for x in inputs]
        out = tensor._wrap(ctx.forward(*arrays, **kwargs), _origin=cls.__name__)
        if cls.is_view:
            versions.share(out, inputs[0])
        if grad_enabled() and True in needs and out._data.dtype.kind == "f":
            ctx.parents = parents_of(inputs, needs)
            if cls.saved_inputs or cls.saved_output:
                ctx._saved = versions.saved_versions(cls, inputs, needs, out, tensor)
            ctx._set_output(out)
        return out

    def _set_output(self, out: Any) -> None:
        """Make this node the one that made ``out``'s current values."""
        self._output_meta = (out._data.shape, out._data.dtype)
        self._out = weakref.ref(out)
        out._ctx = self
        out._requires_grad = True


def parents_of(inputs: tuple[Any, ...], needs: tuple[bool, ...]) -> tuple[Any, ...]:
    """Per input, the node its gradient goes to: the Function that made its values, the
    tensor itself for a leaf, None when it needs no gradient."""
    return tuple(
        [
            (x if x._ctx is None else x._ctx) if need else None
            for x, need in zip(inputs, needs, strict=True)
        ]
    )


# lucid._tensor imports this module, so it hands its Tensor class down once defined
# (an import inside apply would cost more than the rest of apply's bookkeeping).
_tensor_class: Any = None


def set_tensor_class(cls: type) -> None:
    """Called by lucid._tensor with Tensor; apply wraps every output in it."""
    global _tensor_class
    _tensor_class = cls
