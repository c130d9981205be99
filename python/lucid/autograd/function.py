"""Function: the base class of every differentiable operation.

Each operation is a small subclass with ``forward`` next to ``backward`` (tinygrad's
classic ``function.py``): forward computes on numpy views of the inputs and saves on
``self`` only what backward needs; ``apply`` runs it and records the node in the graph.

A recorded Function is a node of the graph: its ``parents`` are the nodes that made its
inputs' values (a Function, or a leaf Tensor that requires grad), not the input Tensors,
so an in-place write that gives a tensor a new history leaves earlier consumers of the
tensor sending their gradient to its old one.

Also here: the switch that says whether ops record the graph (``grad_enabled``; the
``no_grad`` context managers over it are in lucid.autograd.mode), and ``Kernel``, the
one adapter for ops that run a Rust kernel of lucid._C.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np

from lucid.autograd.versions import saved_versions, share

__all__ = [
    "Function",
    "Kernel",
    "grad_enabled",
    "kernel_gradient",
    "set_grad_enabled",
    "unbroadcast",
]


class _GradState(threading.local):
    enabled = True


# Per thread, as in PyTorch: a no_grad evaluation loop in one thread never stops another
# thread from recording its training step.
_grad = _GradState()


def grad_enabled() -> bool:
    """True when operations on tensors that require grad record the graph."""
    return _grad.enabled


def set_grad_enabled(mode: bool) -> None:
    """Turn graph recording on or off for the current thread."""
    _grad.enabled = bool(mode)


def unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes that numpy broadcasting added to or stretched in ``shape``."""
    if type(grad) is not np.ndarray:
        grad = np.asarray(grad)
    if grad.shape == shape or grad.shape == tuple(shape):
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
        """Run forward on the inputs' arrays; record the node when a gradient can flow."""
        return cls().run(*inputs, **kwargs)

    def run(self, *inputs: Any, **kwargs: Any) -> Any:
        """``apply`` on this node, for a caller that reads what forward kept on it (the
        dropout mask, say) whether or not the node is recorded.

        The node is recorded when grad mode is on, some Tensor input requires grad and
        the output is floating-point (integer and bool results have no gradient).
        """
        tensor = _tensor_class
        cls = type(self)
        # One plain loop, not comprehensions or generators: this runs for every op.
        needs = []
        arrays = []
        parents = []
        for x in inputs:
            if isinstance(x, tensor):
                arrays.append(x._data)
                if x._requires_grad:
                    needs.append(True)
                    parents.append(x if x._ctx is None else x._ctx)
                    continue
            else:
                arrays.append(x)
            needs.append(False)
            parents.append(None)
        self.needs_input_grad = need_tuple = tuple(needs)
        values = self.forward(*arrays, **kwargs) if kwargs else self.forward(*arrays)
        out = tensor._wrap(values, _origin=cls.__name__)
        if cls.is_view:
            share(out, inputs[0])
        if _grad.enabled and True in needs and values.dtype.kind == "f":
            # parents_of(inputs, needs) and _set_output(out), inline.
            self.parents = tuple(parents)
            if cls.saved_inputs or cls.saved_output:
                self._saved = saved_versions(cls, inputs, need_tuple, out, tensor)
            self._output_meta = (values.shape, values.dtype)
            self._out = weakref.ref(out)
            out._ctx = self
            out._requires_grad = True
        return out

    def _set_output(self, out: Any) -> None:
        """Make this node the one that made ``out``'s current values."""
        self._output_meta = (out._data.shape, out._data.dtype)
        self._out = weakref.ref(out)
        out._ctx = self
        out._requires_grad = True


def kernel_gradient(grad: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """The broadcast-seed rule: the upstream gradient as lucid._C's backward kernels take
    it, flat and C-contiguous in the input's dtype, or as one element when it is one
    value everywhere (zero strides: the seed of ``backward()`` or the gradient of a
    sum), which the kernels spread without a full-size array ever being made."""
    if grad.size > 1 and not any(grad.strides):
        return np.full(1, grad.flat[0], dtype=dtype)
    return np.ascontiguousarray(grad, dtype=dtype).reshape(-1)


class Kernel(Function):
    """The adapter for an op on one float tensor that runs a lucid._C kernel.

    A subclass defines ``kernel(x, ...)``, given x flat and C-contiguous and forward's
    other arguments, and ``kernel_backward(dy)``, given the upstream gradient by the
    broadcast-seed rule (:func:`kernel_gradient`); each returns a new ``_C.Storage`` of
    x's length, which the adapter views in x's shape. ``self.x`` is the flat input when
    the subclass declares that backward reads it (``saved_inputs``).
    """

    fresh_grads = True  # every dx is a new Storage

    def forward(self, x: np.ndarray, *args: Any, **kwargs: Any) -> np.ndarray:  # type: ignore[override]
        self.shape, self.dtype = x.shape, x.dtype
        flat = np.ascontiguousarray(x).reshape(-1)
        if self.saved_inputs:
            self.x = flat
        return np.asarray(self.kernel(flat, *args, **kwargs)).reshape(self.shape)

    def backward(self, grad: np.ndarray) -> tuple[np.ndarray]:  # type: ignore[override]
        dx = self.kernel_backward(kernel_gradient(grad, self.dtype))
        return (np.asarray(dx).reshape(self.shape),)

    def kernel(self, x: np.ndarray, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define kernel")

    def kernel_backward(self, dy: np.ndarray) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define kernel_backward")


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
