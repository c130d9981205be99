"""Containers: Sequential, ModuleList and ModuleDict, with PyTorch's semantics.

An ``nn.SELU`` directly followed by an ``nn.AlphaDropout`` or ``nn.FeatureAlphaDropout``
in training mode runs as one node, SELU and alpha dropout in one pass each way, bit for
bit as the two calls (see ``_fuses`` for when); an ``nn.Linear`` before such a pair
(with an AlphaDropout) joins that node too (``_fuses_linear``).

Children are registered as sub-modules under their keys ("0", "1", ... or the given
names), so their parameters appear in ``named_parameters`` and ``state_dict`` as
"0.weight" or "layers.1.bias". Every entry must be a Module (None is refused too).
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, cast

import numpy as np

from lucid._tensor import Tensor
from lucid.nn.module import Module
from lucid.nn.modules.activation import SELU
from lucid.nn.modules.dropout import AlphaDropout, FeatureAlphaDropout
from lucid.nn.modules.linear import Linear

__all__ = ["ModuleDict", "ModuleList", "Sequential"]


def _check_module(owner: str, what: str, value: Any) -> Module:
    if not isinstance(value, Module):
        raise TypeError(
            f"{owner}: {what} must be a lucid.nn.Module, got {type(value).__name__} {value!r}"
        )
    return value


def _index(owner: str, idx: Any, length: int) -> int:
    """``idx`` (an int, negative counting from the end) as a position in [0, length)."""
    try:
        i = operator.index(idx)
    except TypeError:
        raise TypeError(
            f"{owner} indices must be integers or slices, got {type(idx).__name__} {idx!r}"
        ) from None
    if not -length <= i < length:
        raise IndexError(f"{owner} index {i} is out of range for length {length}")
    return i % length


def _no_slice(owner: str, idx: Any) -> Any:
    if isinstance(idx, slice):
        raise TypeError(f"{owner} item assignment takes an int index, got the slice {idx!r}")
    return idx


def _listed(owner: str, modules: Any) -> list[Module]:
    """The modules of an iterable, all checked before any is used."""
    if isinstance(modules, (Module, str, Mapping)) or not isinstance(modules, Iterable):
        raise TypeError(
            f"{owner}: modules must be an iterable of Modules, got {type(modules).__name__}"
        )
    items = list(modules)
    for i, module in enumerate(items):
        _check_module(owner, f"modules[{i}]", module)
    return items


def _children(modules: dict[str, Module | None]) -> list[Module]:
    """A container's modules in order. Containers check every module they take, so
    none is None (Module allows None entries in general)."""
    return cast("list[Module]", list(modules.values()))


def _fuses(first: Module, second: Module, input_: Any) -> bool:
    """Whether ``first`` then ``second`` on ``input_`` is SELU then alpha dropout that
    one node computes bit for bit (lucid.nn.functional.selu_alpha_dropout): an
    ``nn.SELU`` (not in place) then an ``nn.AlphaDropout`` or ``nn.FeatureAlphaDropout``
    in training mode, the exact classes, neither with hooks, on a float tensor. Anything
    else runs module by module."""
    return (
        type(first) is SELU
        and type(second) in _ALPHA_DROPOUTS
        and second.training
        and not first.inplace
        and not first._hooked
        and not second._hooked
        and isinstance(input_, Tensor)
        and input_.dtype in _FLOATS
    )


def _fuses_linear(modules: list[Module], i: int, input_: Any) -> bool:
    """Whether modules[i], [i + 1] and [i + 2] on ``input_`` are an ``nn.Linear``, an
    ``nn.SELU`` and an ``nn.AlphaDropout`` (exact classes, no hooks) that one node
    computes bit for bit (selu_dropout.LinearSeluAlphaDropout): the pair fuses, the
    dropout draws (p > 0), and ``input_`` is 2-D in the dtype of the Linear's weight
    and bias, of shapes that fit (anything else runs as before and gives its errors),
    so no cast or reshape comes between (inside ``lucid.random.global_rows`` too: the
    node then keeps its rows' part of the whole batch's mask, as the pair would)."""
    if i + 2 >= len(modules):
        return False
    linear, dropout = modules[i], modules[i + 2]
    if type(linear) is not Linear or linear._hooked or type(dropout) is not AlphaDropout:
        return False
    if not _fuses(modules[i + 1], dropout, input_) or dropout.p == 0.0:
        return False
    weight, bias = linear.weight, linear.bias
    if not isinstance(weight, Tensor) or len(input_.shape) != 2 or len(weight.shape) != 2:
        return False
    return (
        weight.dtype == input_.dtype
        and input_.shape[1] == weight.shape[1]
        and (
            bias is None
            or (
                isinstance(bias, Tensor)
                and bias.dtype == input_.dtype
                and tuple(bias.shape) == tuple(weight.shape[:1])
            )
        )
    )


_FLOATS = (np.float32, np.float64)
_ALPHA_DROPOUTS = (AlphaDropout, FeatureAlphaDropout)


class Sequential(Module):
    """Modules called in order, each on the previous one's output.

    ``Sequential(m0, m1, ...)`` keys them "0", "1", ...; ``Sequential(OrderedDict(...))``
    (or any dict) keeps the given names. Indexing takes negative ints, and a slice gives
    a new Sequential of the same modules under the same keys.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], Mapping):
            pairs = list(args[0].items())
            for key, module in pairs:
                _check_module("Sequential", f"the module named {key!r}", module)
        else:
            pairs = [(str(i), m) for i, m in enumerate(args)]
            for i, module in enumerate(args):
                _check_module("Sequential", f"argument {i}", module)
        for key, module in pairs:
            self.add_module(key, module)

    def forward(self, input_: Any) -> Any:
        modules = _children(self._modules)
        i = 0
        while i < len(modules):
            if _fuses_linear(modules, i, input_):
                linear = cast("Linear", modules[i])
                dropout = cast("AlphaDropout", modules[i + 2])
                input_ = dropout.forward_after_linear_selu(linear.weight, linear.bias, input_)
                i += 3
            elif i + 1 < len(modules) and _fuses(modules[i], modules[i + 1], input_):
                input_ = cast("AlphaDropout", modules[i + 1]).forward_after_selu(input_)
                i += 2
            else:
                input_ = modules[i](input_)
                i += 1
        return input_

    def __getitem__(self, idx: Any) -> Any:
        if isinstance(idx, slice):
            return type(self)(OrderedDict(list(self._modules.items())[idx]))
        keys = list(self._modules)
        return self._modules[keys[_index("Sequential", idx, len(keys))]]

    def __setitem__(self, idx: Any, module: Module) -> None:
        keys = list(self._modules)
        key = keys[_index("Sequential", _no_slice("Sequential", idx), len(keys))]
        self._modules[key] = _check_module("Sequential", f"the module at {idx!r}", module)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(_children(self._modules))

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end under the key str(len(self)); returns self."""
        _check_module("Sequential.append", "module", module)
        key = str(len(self))
        if key in self._modules:  # possible when the keys were given as names
            raise KeyError(f"Sequential.append: key {key!r} is already taken")
        self.add_module(key, module)
        return self


class ModuleList(Module):
    """A list of modules, registered under "0", "1", ... (renumbered after insert/del)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _renumber(self, modules: list[Module]) -> None:
        self._modules.clear()
        for i, module in enumerate(modules):
            self._modules[str(i)] = module

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(_children(self._modules))

    def __getitem__(self, idx: Any) -> Any:
        values = _children(self._modules)
        if isinstance(idx, slice):
            return type(self)(values[idx])
        return values[_index("ModuleList", idx, len(values))]

    def __setitem__(self, idx: Any, module: Module) -> None:
        i = _index("ModuleList", _no_slice("ModuleList", idx), len(self))
        self._modules[str(i)] = _check_module("ModuleList", f"the module at {idx!r}", module)

    def __delitem__(self, idx: Any) -> None:
        values = _children(self._modules)
        if isinstance(idx, slice):
            del values[idx]
        else:
            del values[_index("ModuleList", idx, len(values))]
        self._renumber(values)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        self._modules[str(len(self))] = _check_module("ModuleList.append", "module", module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Add every module of ``modules`` at the end (all or none); returns self."""
        for module in _listed("ModuleList.extend", modules):
            self._modules[str(len(self))] = module
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before ``index``, as list.insert (negative and past-the-end
        indices included); later modules move up one key."""
        _check_module("ModuleList.insert", "module", module)
        try:
            i = operator.index(index)
        except TypeError:
            raise TypeError(
                f"ModuleList.insert: index must be an int, got {type(index).__name__} {index!r}"
            ) from None
        values = _children(self._modules)
        values.insert(i, module)
        self._renumber(values)


class ModuleDict(Module):
    """A dict of modules by name, in insertion order, with the mapping API.

    Names must be strings that are not attributes of ModuleDict ("keys", "forward") and
    contain no ".", as for any sub-module.
    """

    def __init__(self, modules: Any = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def _check_key(self, key: Any) -> str:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict keys must be strings, got {type(key).__name__} {key!r}")
        return key

    def __getitem__(self, key: str) -> Module:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module named {key!r}")
        return self._modules[key]  # type: ignore[return-value]

    def __setitem__(self, key: str, module: Module) -> None:
        self._check_key(key)
        self.add_module(key, _check_module("ModuleDict", f"the value for {key!r}", module))

    def __delitem__(self, key: str) -> None:
        if key not in self._modules:
            raise KeyError(f"ModuleDict has no module named {key!r}")
        del self._modules[key]

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._modules))

    def keys(self) -> KeysView[str]:
        return self._modules.keys()

    def values(self) -> ValuesView[Module]:
        return self._modules.values()  # type: ignore[return-value]

    def items(self) -> ItemsView[str, Module]:
        return self._modules.items()  # type: ignore[return-value]

    def pop(self, key: str) -> Module:
        """Remove the module named ``key`` and return it."""
        module = self[key]
        del self[key]
        return module

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules: Any) -> None:
        """Add or replace modules from a mapping, a ModuleDict or (key, module) pairs;
        everything is checked first, so a bad entry changes nothing."""
        if isinstance(modules, (Mapping, ModuleDict)):
            pairs = list(modules.items())
        elif isinstance(modules, (Module, str)) or not isinstance(modules, Iterable):
            raise TypeError(
                "ModuleDict.update: modules must be a mapping or an iterable of "
                f"(key, module) pairs, got {type(modules).__name__}"
            )
        else:
            pairs = []
            for i, pair in enumerate(modules):
                if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable):
                    raise TypeError(
                        f"ModuleDict.update: element {i} must be a (key, module) pair, got "
                        f"{type(pair).__name__} {pair!r}"
                    )
                pair = tuple(pair)
                if len(pair) != 2:
                    raise ValueError(
                        f"ModuleDict.update: element {i} must be a (key, module) pair, got "
                        f"{len(pair)} items"
                    )
                pairs.append(pair)
        for key, module in pairs:
            self._check_key(key)
            self._check_new_name("module", key, "_modules")  # "keys", "a.b", ...
            _check_module("ModuleDict", f"the value for {key!r}", module)
        for key, module in pairs:
            self.add_module(key, module)
