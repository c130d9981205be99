"""ParameterList and ParameterDict: parameters held by position or by name.

Each entry is registered as a parameter of the container under its key ("0", "1", ...
or the given name), so it appears in ``parameters()``, in ``state_dict()`` as "0" or
"weights.1" when the container is an attribute "weights", and is moved by ``to()``.
Entries must be lucid.nn.Parameter (as in lucid 2.x; PyTorch would wrap a plain Tensor,
which here would copy it); anything else is a TypeError. The reprs are lucid's: one
"(key): <parameter>" line per entry.
"""

from __future__ import annotations

import operator
from collections.abc import ItemsView, Iterable, Iterator, KeysView, Mapping, ValuesView
from typing import Any, cast

from lucid.nn.module import Module, _add_indent
from lucid.nn.parameter import Parameter

__all__ = ["ParameterDict", "ParameterList"]

_MISSING = object()


def _check_param(owner: str, what: str, value: Any) -> Parameter:
    if not isinstance(value, Parameter):
        hint = " (wrap a Tensor in lucid.nn.Parameter)" if value is not None else ""
        raise TypeError(
            f"{owner}: {what} must be a lucid.nn.Parameter, got {type(value).__name__}{hint}"
        )
    return value


def _entries_repr(module: Module) -> str:
    lines = [f"({key}): " + _add_indent(repr(p), 2) for key, p in module._parameters.items()]
    body = "\n  " + "\n  ".join(lines) + "\n" if lines else ""
    return f"{type(module).__name__}({body})"


def _values(module: Module) -> list[Parameter]:
    # The containers check every entry they take, so none is None.
    return cast("list[Parameter]", list(module._parameters.values()))


class ParameterList(Module):
    """A list of parameters, registered under "0", "1", ... (renumbered after insert and
    del, so the keys are always the positions)."""

    def __init__(self, parameters: Iterable[Parameter] | None = None) -> None:
        super().__init__()
        if parameters is not None:
            self.extend(parameters)

    def _index(self, idx: Any) -> int:
        try:
            i = operator.index(idx)
        except TypeError:
            raise TypeError(
                f"ParameterList indices must be integers or slices, got "
                f"{type(idx).__name__} {idx!r}"
            ) from None
        n = len(self)
        if not -n <= i < n:
            raise IndexError(f"ParameterList index {i} is out of range for length {n}")
        return i % n

    def _renumber(self, params: list[Parameter]) -> None:
        self._parameters.clear()
        for i, param in enumerate(params):
            self._parameters[str(i)] = param

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(_values(self))

    def __getitem__(self, idx: Any) -> Any:
        """The parameter at ``idx`` (negative counts from the end); a slice gives a new
        ParameterList of the same parameters."""
        if isinstance(idx, slice):
            return type(self)(_values(self)[idx])
        return _values(self)[self._index(idx)]

    def __setitem__(self, idx: Any, param: Parameter) -> None:
        if isinstance(idx, slice):
            raise TypeError(f"ParameterList item assignment takes an int index, got {idx!r}")
        i = self._index(idx)
        self._parameters[str(i)] = _check_param("ParameterList", f"the value at {idx!r}", param)

    def __delitem__(self, idx: Any) -> None:
        params = _values(self)
        if isinstance(idx, slice):
            del params[idx]
        else:
            del params[self._index(idx)]
        self._renumber(params)

    def __iadd__(self, parameters: Iterable[Parameter]) -> ParameterList:
        return self.extend(parameters)

    def append(self, param: Parameter) -> ParameterList:
        """Add ``param`` at the end; returns self."""
        self._parameters[str(len(self))] = _check_param("ParameterList.append", "param", param)
        return self

    def extend(self, parameters: Iterable[Parameter]) -> ParameterList:
        """Add every parameter of ``parameters`` at the end (all checked first, so a bad
        one adds none); returns self."""
        if isinstance(parameters, (Parameter, str, Mapping)) or not isinstance(
            parameters, Iterable
        ):
            raise TypeError(
                "ParameterList.extend: parameters must be an iterable of Parameters, got "
                f"{type(parameters).__name__}"
            )
        items = list(parameters)
        for i, param in enumerate(items):
            _check_param("ParameterList.extend", f"parameters[{i}]", param)
        for param in items:
            self._parameters[str(len(self))] = param
        return self

    def insert(self, index: int, param: Parameter) -> None:
        """Insert ``param`` before ``index``, as list.insert (lucid 2.x's method)."""
        _check_param("ParameterList.insert", "param", param)
        try:
            i = operator.index(index)
        except TypeError:
            raise TypeError(
                f"ParameterList.insert: index must be an int, got {type(index).__name__} {index!r}"
            ) from None
        params = _values(self)
        params.insert(i, param)
        self._renumber(params)

    def __repr__(self) -> str:
        return _entries_repr(self)


class ParameterDict(Module):
    """A dict of parameters by name, in insertion order, with the mapping API.

    Names must be strings that contain no "." and are not attributes of ParameterDict
    ("keys", "forward"), as for any parameter.
    """

    def __init__(self, parameters: Any = None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def _missing(self, key: Any) -> KeyError:
        return KeyError(f"ParameterDict has no parameter named {key!r}")

    def __getitem__(self, key: str) -> Parameter:
        if key not in self._parameters:
            raise self._missing(key)
        return cast("Parameter", self._parameters[key])

    def __setitem__(self, key: str, param: Parameter) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__} {key!r}")
        _check_param("ParameterDict", f"the value for {key!r}", param)
        self.register_parameter(key, param)

    def __delitem__(self, key: str) -> None:
        if key not in self._parameters:
            raise self._missing(key)
        del self._parameters[key]

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._parameters))

    def keys(self) -> KeysView[str]:
        return self._parameters.keys()

    def values(self) -> ValuesView[Parameter]:
        return self._parameters.values()  # type: ignore[return-value]

    def items(self) -> ItemsView[str, Parameter]:
        return self._parameters.items()  # type: ignore[return-value]

    def get(self, key: str, default: Any = None) -> Any:
        return self._parameters.get(key, default)

    def pop(self, key: str, default: Any = _MISSING) -> Any:
        """Remove the parameter named ``key`` and return it (or ``default`` if given
        and there is none)."""
        if key not in self._parameters and default is not _MISSING:
            return default
        param = self[key]
        del self[key]
        return param

    def popitem(self) -> tuple[str, Parameter]:
        """Remove and return the last (key, parameter) pair."""
        if not self._parameters:
            raise KeyError("popitem(): ParameterDict is empty")
        key = next(reversed(self._parameters))
        return key, self.pop(key)

    def setdefault(self, key: str, default: Parameter) -> Parameter:
        """The parameter named ``key``, after adding ``default`` under it if absent."""
        if key not in self._parameters:
            self[key] = default
        return self[key]

    def clear(self) -> None:
        self._parameters.clear()

    def copy(self) -> ParameterDict:
        """A new ParameterDict of the same parameters (not copies of them)."""
        return type(self)(self.items())

    def update(self, parameters: Any) -> None:
        """Add or replace parameters from a mapping, a ParameterDict or (key, parameter)
        pairs; everything is checked first, so a bad entry changes nothing."""
        if isinstance(parameters, (Mapping, ParameterDict)):
            pairs = list(parameters.items())
        elif isinstance(parameters, (Module, str)) or not isinstance(parameters, Iterable):
            raise TypeError(
                "ParameterDict.update: parameters must be a mapping or an iterable of "
                f"(key, parameter) pairs, got {type(parameters).__name__}"
            )
        else:
            pairs = []
            for i, pair in enumerate(parameters):
                if isinstance(pair, (str, bytes)) or not isinstance(pair, Iterable):
                    raise TypeError(
                        f"ParameterDict.update: element {i} must be a (key, parameter) "
                        f"pair, got {type(pair).__name__}"
                    )
                pair = tuple(pair)
                if len(pair) != 2:
                    raise ValueError(
                        f"ParameterDict.update: element {i} must be a (key, parameter) "
                        f"pair, got {len(pair)} items"
                    )
                pairs.append(pair)
        for key, param in pairs:
            if not isinstance(key, str):
                raise TypeError(
                    f"ParameterDict keys must be strings, got {type(key).__name__} {key!r}"
                )
            self._check_new_name("parameter", key, "_parameters")  # "keys", "a.b", ...
            _check_param("ParameterDict", f"the value for {key!r}", param)
        for key, param in pairs:
            self.register_parameter(key, param)

    def __repr__(self) -> str:
        return _entries_repr(self)
