"""Module: the base class of every layer and model, with PyTorch's and lucid's semantics.

Parameters, buffers and sub-modules are registered by attribute assignment, in
definition order; iteration, ``train``/``eval``, ``to``, ``state_dict`` and
``load_state_dict`` walk that tree. Hooks are in lucid.nn.hooks, state dicts in
lucid.nn.state_dict.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from lucid import _storage
from lucid._dtypes import check_device
from lucid._ops.inplace import bump
from lucid._tensor import Tensor
from lucid.autograd.mode import no_grad
from lucid.nn.conversion import cast_floating, to_args
from lucid.nn.hooks import HOOK_REGISTRIES, HookMixin, call_with_hooks
from lucid.nn.parameter import Buffer, Parameter
from lucid.nn.state_dict import IncompatibleKeys, StateDictKeyError, StateDictMixin

__all__ = ["IncompatibleKeys", "Module", "StateDictKeyError"]

_REGISTRIES = ("_parameters", "_buffers", "_modules")


def _check_name(kind: str, name: Any) -> str:
    if not isinstance(name, str):
        raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
    if name == "":
        raise KeyError(f'{kind} name can\'t be empty string ""')
    if "." in name:
        raise KeyError(f'{kind} name can\'t contain ".", got {name!r}')
    return name


def _add_indent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    return "\n".join(lines[:1] + [" " * spaces + line for line in lines[1:]])


class Module(HookMixin, StateDictMixin):
    """Base class of all layers and models; subclasses call ``super().__init__()`` first
    and define ``forward``."""

    #: Where the parameters live: lucid here runs on the CPU only (lucid 2.x's attribute).
    device = "cpu"
    #: True while a forward or backward hook is registered (see lucid.nn.hooks).
    _hooked = False
    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _modules: dict[str, Module | None]

    def __init__(self) -> None:
        # object.__setattr__: our own __setattr__ needs these registries to exist.
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "_non_persistent_buffers", set())

    # ---- registration -------------------------------------------------------------

    def _require_init(self, what: str) -> None:
        if "_parameters" not in self.__dict__:
            raise AttributeError(
                f"cannot assign {what} before Module.__init__() call: "
                f"{type(self).__name__}.__init__ must call super().__init__() first"
            )

    def _forget(self, name: str, keep: str) -> None:
        # Leaves ``keep`` alone so that re-assigning a name keeps its place in the order.
        for registry in _REGISTRIES:
            if registry != keep:
                self.__dict__[registry].pop(name, None)
        self.__dict__["_non_persistent_buffers"].discard(name)
        self.__dict__.pop(name, None)

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        modules = self.__dict__.get("_modules")
        buffers = self.__dict__.get("_buffers")
        if isinstance(value, Parameter):
            self._require_init("parameters")
            self._forget(name, "_parameters")
            params[name] = value  # type: ignore[index]
        elif isinstance(value, Buffer):
            self._require_init("buffers")
            self._forget(name, "_buffers")
            buffers[name] = value  # type: ignore[index]
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as parameter {name!r} "
                    "(lucid.nn.Parameter or None expected)"
                )
            params[name] = None
        elif isinstance(value, Module):
            self._require_init("module")
            self._forget(name, "_modules")
            modules[name] = value  # type: ignore[index]
        elif modules is not None and name in modules:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} as child module {name!r} "
                    "(lucid.nn.Module or None expected)"
                )
            modules[name] = None
        elif buffers is not None and name in buffers:
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(
                    f"cannot assign {type(value).__name__} as buffer {name!r} "
                    "(lucid.Tensor or None expected)"
                )
            buffers[name] = value
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: registered names live in the registries.
        attrs = self.__dict__
        if "_parameters" not in attrs:
            if name in _REGISTRIES or name == "training":
                raise AttributeError(
                    f"{type(self).__name__} has no attribute {name!r}: "
                    f"{type(self).__name__}.__init__ must call super().__init__() first"
                )
        else:
            for registry in _REGISTRIES:
                if name in attrs[registry]:
                    return attrs[registry][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        for registry in _REGISTRIES:
            if name in self.__dict__.get(registry, ()):
                del self.__dict__[registry][name]
                self.__dict__["_non_persistent_buffers"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        names = set(super().__dir__())
        for registry in _REGISTRIES:
            names.update(self.__dict__.get(registry, ()))
        return sorted(names)

    def _check_new_name(self, kind: str, name: Any, registry: str) -> str:
        self._require_init(kind + "s")
        name = _check_name(kind, name)
        if hasattr(self, name) and name not in self.__dict__[registry]:
            raise KeyError(f"attribute {name!r} already exists")
        return name

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (a Parameter, or None for an absent one) as ``name``."""
        name = self._check_new_name("parameter", name, "_parameters")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"cannot assign {type(param).__name__} object to parameter {name!r} "
                "(lucid.nn.Parameter or None required)"
            )
        self._forget(name, "_parameters")
        self._parameters[name] = param

    def register_buffer(
        self, name: str, buffer: Any, dtype: Any = None, persistent: bool = True
    ) -> None:
        """Register a non-learnable Tensor; persistent buffers are part of state_dict().

        ``buffer`` is a Tensor (kept as it is, or a cast copy when ``dtype`` differs), an
        array, list or number (a Buffer of its values, in ``dtype`` when given), or None.
        lucid's third argument is ``dtype``; PyTorch's is ``persistent``, so a bool there
        is taken as ``persistent``.
        """
        if isinstance(dtype, bool):
            dtype, persistent = None, dtype
        name = self._check_new_name("buffer", name, "_buffers")
        if buffer is not None:
            target = None if dtype is None else _storage.resolve_dtype(dtype)
            if not isinstance(buffer, Tensor):
                try:
                    buffer = Buffer(buffer, dtype=target)
                except (TypeError, ValueError) as err:
                    raise TypeError(
                        f"cannot assign {type(buffer).__name__} object to buffer {name!r} "
                        f"(a Tensor, an array, a number or None required): {err}"
                    ) from None
            elif target is not None and buffer.dtype != target:
                buffer = Buffer(buffer, dtype=target)
        self._forget(name, "_buffers")
        self._buffers[name] = buffer
        if not persistent:
            self._non_persistent_buffers.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Register ``module`` (or None) as the child ``name``."""
        name = self._check_new_name("module", name, "_modules")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        self._forget(name, "_modules")
        self._modules[name] = module

    register_module = add_module

    # ---- iteration ----------------------------------------------------------------

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """This module and its descendants, depth first, each once (by identity)."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is not None:
                sub = f"{prefix}.{name}" if prefix else name
                yield from module.named_modules(memo, sub, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        for _, module in self.named_modules():
            yield module

    def named_children(self) -> Iterator[tuple[str, Module]]:
        seen: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in seen:
                seen.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        for _, module in self.named_children():
            yield module

    def _named_members(
        self, registry: str, prefix: str, recurse: bool, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Any]]:
        # ids, not the tensors: Tensor's == is element-wise, so tensors may be unhashable.
        seen: set[int] = set()
        owners = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for owner_prefix, owner in owners:
            for name, value in owner.__dict__[registry].items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{owner_prefix}.{name}" if owner_prefix else name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(dotted name, parameter) pairs; a parameter shared by two owners comes once."""
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, buffer in self.named_buffers(recurse=recurse):
            yield buffer

    def apply(self, fn: Callable[[Module], Any]) -> Module:
        """Call ``fn`` on this module, then on every child (recursively), as lucid 2.x
        does (PyTorch calls it on the children first); returns self."""
        fn(self)
        for module in self.children():
            module.apply(fn)
        return self

    # ---- modes and gradients ------------------------------------------------------

    def train(self, mode: bool = True) -> Module:
        """Set training mode on this module and all descendants; returns self."""
        if not isinstance(mode, (bool, np.bool_)):
            raise TypeError(f"train(mode) expects a bool, got mode={mode!r}")
        self.training = bool(mode)
        for module in self.children():
            module.train(mode)
        return self

    def eval(self) -> Module:
        """Set evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def count_parameters(self, recurse: bool = True) -> int:
        """The number of parameter elements (a shared parameter counted once)."""
        return sum(param.size for param in self.parameters(recurse=recurse))

    @property
    def parameter_size(self) -> int:
        """``count_parameters()`` of the whole tree, as lucid's property."""
        return self.count_parameters(recurse=True)

    def reset_parameters(self) -> None:
        """lucid's default: set every parameter of this module and its descendants to
        zero, in place. Layers with an initialisation (Linear) override it."""
        for param in self.parameters():
            param.data[...] = 0
            bump(param)

    def to(self, *args: Any, **kwargs: Any) -> Module:
        """``to(device)``, ``to(dtype)``, ``to(device, dtype)`` or by keyword: device
        "cpu" only (lucid.UnknownDeviceError, a ValueError, otherwise); a floating dtype
        casts every floating parameter (and its grad) and buffer into new storage of that
        dtype, keeping the tensor objects (so optimizers keep them) and counting a write.
        Returns self."""
        device, dtype = to_args(args, kwargs)
        if device is not None:
            check_device(device)
        if dtype is None:
            return self
        with no_grad():
            for tensor in [*self.parameters(), *self.buffers()]:
                cast_floating(tensor, dtype)
        return self

    def zero_grad(self) -> None:
        """Reset the gradient of every parameter, as Tensor.zero_grad() does."""
        for param in self.parameters():
            param.zero_grad()

    # ---- state --------------------------------------------------------------------

    def __copy__(self) -> Module:
        """The same parameters, buffers and children, in registries of its own (as a plain
        object's copy has its own __dict__): ``copy.fc = ...`` leaves this module alone."""
        new = type(self).__new__(type(self))
        new.__dict__.update(self.__dict__)
        for name in set(self.__dict__) & {
            *_REGISTRIES,
            *HOOK_REGISTRIES,
            "_non_persistent_buffers",
        }:
            new.__dict__[name] = self.__dict__[name].copy()
        return new

    # ---- calling and printing -----------------------------------------------------

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(
            f'Module [{type(self).__name__}] is missing the required "forward" function'
        )

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._hooked:
            return call_with_hooks(self, args, kwargs)
        return self.forward(*args, **kwargs)

    def extra_repr(self) -> str:
        """The text inside this module's parentheses before its children; override it."""
        return ""

    def __repr__(self) -> str:
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        child_lines = [
            f"({name}): " + _add_indent(repr(module), 2) for name, module in self._modules.items()
        ]
        lines = extra_lines + child_lines
        body = ""
        if len(extra_lines) == 1 and not child_lines:
            body = extra_lines[0]
        elif lines:
            body = "\n  " + "\n  ".join(lines) + "\n"
        return f"{type(self).__name__}({body})"
