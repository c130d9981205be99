"""Module hooks: registration, handles, and the hooked path of ``Module.__call__``.

lucid's spellings and call order (lucid 2.x, with PyTorch's keywords):

- ``register_forward_pre_hook(hook)``: ``hook(module, args)`` runs before ``forward``; a
  result other than None replaces the positional inputs (a non-tuple becomes a 1-tuple).
  With ``with_kwargs=True``: ``hook(module, args, kwargs)`` returns None or
  ``(args, kwargs)``.
- ``register_forward_hook(hook)``: ``hook(module, args, output)`` runs after ``forward``
  (``args`` as forward received them); a result other than None replaces the output.
  With ``with_kwargs=True``: ``hook(module, args, kwargs, output)``.
- ``register_backward_hook(hook)``: ``hook(output, grad)`` runs in backward right after
  the op that made a Tensor output has passed ``grad``, the output's gradient (a
  read-only numpy array), on; the result is ignored. This is lucid's tensor-hook
  convention (PyTorch's deprecated hook of this name takes the module instead). The
  hooks registered when the module is called are the ones its output runs; an output
  that is a leaf (forward returned an input that needs a gradient) runs none.
- ``register_full_backward_hook(hook)`` (PyTorch's and later lucid 2.x's):
  ``hook(module, grad_input, grad_output)`` runs once per backward of a call, when the
  gradients of the module's positional Tensor inputs are computed: ``grad_input`` has
  one entry per positional input (None where none is needed), ``grad_output`` one per
  output (a Tensor or a tuple). Its result is ignored, as in lucid 2.x (PyTorch's may
  replace ``grad_input``). ``register_full_backward_pre_hook(hook)``:
  ``hook(module, grad_output)`` runs just before them; a result other than None
  replaces the ``grad_output`` they see, not the gradient that flows (as lucid 2.x). A
  call whose inputs or outputs do not all receive a gradient runs neither.

The state-dict hooks (``register_state_dict_pre_hook``, ``register_state_dict_hook``,
``register_load_state_dict_pre_hook``, ``register_load_state_dict_post_hook``, with
later lucid 2.x's signatures) are registered here and run by lucid.nn.state_dict.

Hooks run in registration order (``prepend=True`` puts one first). Each registration
returns a RemovableHandle: ``handle.remove()`` (PyTorch), ``handle()`` (lucid 2.x's
returned callable) or ``with handle:`` unregisters it. ``copy.deepcopy`` and pickling
keep a module's hooks (the same callables, in registries of the copy's own, so a handle
removes from its own module only); a hook that cannot be pickled (a lambda, a local
function) makes pickling fail, as any object holding it would: remove it first.
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable
from typing import Any

import numpy as np

from lucid._ops.movement import Reshape
from lucid._tensor import Tensor
from lucid.autograd.function import grad_enabled

__all__ = ["HOOK_REGISTRIES", "HookMixin", "RemovableHandle", "call_with_hooks"]

#: Instance attributes that hold the hooks a call runs, made on first registration.
_CALL_HOOKS = (
    "_forward_pre_hooks",
    "_forward_hooks",
    "_backward_hooks",
    "_full_backward_pre_hooks",
    "_full_backward_hooks",
)
#: All the hook registries, those of state dicts too (lucid.nn.state_dict runs them).
HOOK_REGISTRIES = (
    *_CALL_HOOKS,
    "_state_dict_pre_hooks",
    "_state_dict_hooks",
    "_load_state_dict_pre_hooks",
    "_load_state_dict_post_hooks",
)
_ids = itertools.count()


class RemovableHandle:
    """Unregisters one hook: ``remove()``, calling the handle, or leaving ``with``."""

    __slots__ = ("_module", "_registry", "id")

    def __init__(self, module: Any, registry: str, key: int) -> None:
        self._module = weakref.ref(module)
        self._registry = registry
        self.id = key

    def remove(self) -> None:
        """Unregister the hook; a second call does nothing."""
        module = self._module()
        if module is not None:
            module.__dict__.get(self._registry, {}).pop(self.id, None)
            _update_hooked(module)

    __call__ = remove  # lucid 2.x returns a callable that removes the hook

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _update_hooked(module: Any) -> None:
    # The one flag __call__ reads: False (the class default) keeps the plain path.
    hooked = any(module.__dict__.get(name) for name in _CALL_HOOKS)
    module.__dict__["_hooked"] = hooked


def _check_hook(hook: Any, kind: str) -> None:
    if not callable(hook):
        raise TypeError(f"{kind} hook must be callable, got hook={hook!r}")


class HookMixin:
    """The ``register_*_hook`` methods of Module."""

    def _add_hook(self, registry: str, entry: Any, prepend: bool) -> RemovableHandle:
        hooks = self.__dict__.get(registry)
        if hooks is None:
            hooks = self.__dict__[registry] = {}
        key = next(_ids)
        if prepend:
            items = list(hooks.items())
            hooks.clear()
            hooks[key] = entry
            hooks.update(items)
        else:
            hooks[key] = entry
        _update_hooked(self)
        return RemovableHandle(self, registry, key)

    def register_forward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Run ``hook(module, args)`` before forward; see lucid.nn.hooks."""
        _check_hook(hook, "forward pre-")
        return self._add_hook("_forward_pre_hooks", (hook, bool(with_kwargs)), prepend)

    def register_forward_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False, with_kwargs: bool = False
    ) -> RemovableHandle:
        """Run ``hook(module, args, output)`` after forward; see lucid.nn.hooks."""
        _check_hook(hook, "forward")
        return self._add_hook("_forward_hooks", (hook, bool(with_kwargs)), prepend)

    def register_backward_hook(
        self, hook: Callable[[Tensor, np.ndarray], Any], *, prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(output, grad)`` when the output's gradient is complete."""
        _check_hook(hook, "backward")
        return self._add_hook("_backward_hooks", hook, prepend)

    def register_full_backward_pre_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(module, grad_output)`` before the full backward hooks; a result
        other than None replaces the ``grad_output`` they see."""
        _check_hook(hook, "full backward pre-")
        return self._add_hook("_full_backward_pre_hooks", hook, prepend)

    def register_full_backward_hook(
        self, hook: Callable[..., Any], *, prepend: bool = False
    ) -> RemovableHandle:
        """Run ``hook(module, grad_input, grad_output)`` once the gradients of this call's
        inputs are computed; see lucid.nn.hooks."""
        _check_hook(hook, "full backward")
        return self._add_hook("_full_backward_hooks", hook, prepend)

    def register_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Run ``hook(module, prefix, keep_vars)`` as ``state_dict`` starts here."""
        _check_hook(hook, "state dict pre-")
        return self._add_hook("_state_dict_pre_hooks", hook, False)

    def register_state_dict_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Run ``hook(module, destination, prefix, keep_vars)`` as ``state_dict`` ends."""
        _check_hook(hook, "state dict")
        return self._add_hook("_state_dict_hooks", hook, False)

    def register_load_state_dict_pre_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Run ``hook(module, state_dict, strict)`` before ``load_state_dict`` checks."""
        _check_hook(hook, "load state dict pre-")
        return self._add_hook("_load_state_dict_pre_hooks", hook, False)

    def register_load_state_dict_post_hook(self, hook: Callable[..., Any]) -> RemovableHandle:
        """Run ``hook(module, missing_keys, unexpected_keys, strict)`` after a load."""
        _check_hook(hook, "load state dict post-")
        return self._add_hook("_load_state_dict_post_hooks", hook, False)


def _on_backward(tensor: Tensor, callback: Callable[[np.ndarray], None]) -> bool:
    """Call ``callback(grad)`` after the backward of the node that made ``tensor``, as
    lucid runs a tensor's hooks after its backward op; a node's callbacks run in the
    order attached (an inner module's before the outer one's when both return the same
    tensor). False when ``tensor`` is a leaf: no node of this call to run them from."""
    node = tensor._ctx
    if node is None:
        return False
    attached = node.__dict__.get("_module_hooks")
    if attached is None:
        attached = node._module_hooks = []
        run_node = node.backward

        def backward(grad: np.ndarray) -> Any:
            grads = run_node(grad)
            view = grad.view()
            view.flags.writeable = False  # hooks may read it, not change it
            for call in list(attached):
                call(view)
            return grads

        node.backward = backward  # this node only; the class's backward is untouched
    attached.append(callback)
    return True


def _attach_backward_hooks(output: Tensor, hooks: list[Any]) -> None:
    alive, values = weakref.ref(output), output.data

    def run(grad: np.ndarray) -> None:
        out = alive()
        if out is None:  # nothing else holds the output: its values, as a leaf
            out = Tensor._wrap(values)
        for hook in hooks:
            hook(out, grad)

    _on_backward(output, run)


class _FullBackward:
    """One call's gradients for its full backward hooks: those of the positional Tensor
    inputs that need one (each through a reshape node of its own, so that only this
    module's share arrives) and of the Tensor outputs; the hooks run once all are in."""

    def __init__(self, module: Any, args: tuple[Any, ...]) -> None:
        self.module = module
        self.pre = list(module.__dict__.get("_full_backward_pre_hooks", {}).values())
        self.hooks = list(module.__dict__.get("_full_backward_hooks", {}).values())
        self.inputs: list[Any] = [None] * len(args)
        self.wanted_inputs: set[int] = set()
        self.outputs: list[Any] = []
        self.wanted_outputs: set[int] = set()
        self.got: dict[tuple[str, int], np.ndarray] = {}

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        wrapped = list(args)
        for i, arg in enumerate(args):
            if isinstance(arg, Tensor) and arg.requires_grad:
                wrapped[i] = view = Reshape.apply(arg, shape=arg.shape)
                self.wanted_inputs.add(i)
                _on_backward(view, self._receiver("input", i))
        return tuple(wrapped)

    def watch_outputs(self, output: Any) -> None:
        outputs = output if isinstance(output, tuple) else (output,)
        self.outputs = [None] * len(outputs)
        for j, out in enumerate(outputs):
            if isinstance(out, Tensor) and _on_backward(out, self._receiver("output", j)):
                self.wanted_outputs.add(j)

    def _receiver(self, kind: str, index: int) -> Callable[[np.ndarray], None]:
        def receive(grad: np.ndarray) -> None:
            self.got[kind, index] = grad
            done = {i for k, i in self.got if k == "input"} >= self.wanted_inputs
            if done and {i for k, i in self.got if k == "output"} >= self.wanted_outputs:
                self._fire()

        return receive

    def _fire(self) -> None:
        got, self.got = self.got, {}  # a later backward of the same graph runs them again
        grad_output = tuple(got.get(("output", j)) for j in range(len(self.outputs)))
        grad_input = tuple(got.get(("input", i)) for i in range(len(self.inputs)))
        for hook in self.pre:
            result = hook(self.module, grad_output)
            if result is not None:
                grad_output = tuple(result)
        for hook in self.hooks:
            hook(self.module, grad_input, grad_output)


def _pre_hooks(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    for hook, with_kwargs in list(module.__dict__.get("_forward_pre_hooks", {}).values()):
        if with_kwargs:
            result = hook(module, args, kwargs)
            if result is None:
                continue
            if not (isinstance(result, tuple) and len(result) == 2):
                raise TypeError(
                    f"forward pre-hook {hook!r} with with_kwargs=True must return None or a "
                    f"tuple (args, kwargs), got {type(result).__name__}"
                )
            args, kwargs = result
            args = args if isinstance(args, tuple) else (args,)
        else:
            result = hook(module, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
    return args, kwargs


def call_with_hooks(module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with its hooks, in lucid's order: pre-hooks, forward,
    forward hooks, then the backward hooks attached to a Tensor output."""
    args, kwargs = _pre_hooks(module, args, kwargs)
    full = None
    if grad_enabled() and (
        module.__dict__.get("_full_backward_hooks")
        or module.__dict__.get("_full_backward_pre_hooks")
    ):
        full = _FullBackward(module, args)
        args = full.wrap_inputs(args)
    output = module.forward(*args, **kwargs)
    for hook, with_kwargs in list(module.__dict__.get("_forward_hooks", {}).values()):
        result = hook(module, args, kwargs, output) if with_kwargs else hook(module, args, output)
        if result is not None:
            output = result
    backward_hooks = list(module.__dict__.get("_backward_hooks", {}).values())
    if backward_hooks and isinstance(output, Tensor) and grad_enabled():
        _attach_backward_hooks(output, backward_hooks)
    if full is not None:
        full.watch_outputs(output)
    return output
