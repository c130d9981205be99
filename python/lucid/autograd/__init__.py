"""lucid.autograd: the tape that records operations and walks them backward.

- :class:`Function` is the base class of every differentiable operation, and
  :class:`Kernel` the adapter for those that run a Rust kernel.
- :func:`backward` (called by ``Tensor.backward``) walks the graph in reverse order.
- :mod:`lucid.autograd.versions`: the version counters that make backward refuse values
  changed in place after an op saved them.
- :class:`no_grad`, :class:`enable_grad` and :func:`grad_enabled` switch recording per
  thread.
"""

from lucid.autograd.function import Function, Kernel, grad_enabled, set_grad_enabled, unbroadcast
from lucid.autograd.graph import backward, topological_order
from lucid.autograd.mode import enable_grad, no_grad

__all__ = [
    "Function",
    "Kernel",
    "backward",
    "enable_grad",
    "grad_enabled",
    "no_grad",
    "set_grad_enabled",
    "topological_order",
    "unbroadcast",
]
