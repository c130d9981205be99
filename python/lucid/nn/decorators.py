"""lucid 2.x's class decorators for writing layers: ``auto_repr`` (an ``extra_repr``
from named attributes) and ``set_state_dict_pass_attr`` (attributes left out of
``state_dict``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["auto_repr", "set_state_dict_pass_attr"]

T = TypeVar("T", bound=type)


def _names(decorator: str, attr_names: tuple[Any, ...]) -> tuple[str, ...]:
    bad = [n for n in attr_names if not isinstance(n, str) or not n.isidentifier()]
    if bad:
        raise TypeError(f"{decorator}: attribute names must be identifiers, got {bad[0]!r}")
    return attr_names


def auto_repr(*attr_names: str) -> Callable[[T], T]:
    """A class decorator: the Module's ``extra_repr`` lists ``name=value`` for each name
    (None for an attribute not set), so ``repr`` reads ``Layer(size=3, eps=1e-05)``."""
    names = _names("auto_repr", attr_names)

    def extra_repr(self: Any) -> str:
        return ", ".join(f"{name}={getattr(self, name, None)}" for name in names)

    def decorate(cls: T) -> T:
        cls.extra_repr = extra_repr  # type: ignore[attr-defined]
        return cls

    return decorate


def set_state_dict_pass_attr(*attr_names: str) -> Callable[[T], T]:
    """A class decorator: the parameters, buffers and submodules of these names are left
    out of the Module's ``state_dict`` (and so not expected by ``load_state_dict``); the
    names replace any the class had. (lucid 2.7.9's has no effect: its Module.__init__
    shadows the class attribute with an empty set.)"""
    names = frozenset(_names("set_state_dict_pass_attr", attr_names))

    def decorate(cls: T) -> T:
        cls._state_dict_pass_attr = names  # type: ignore[attr-defined]
        return cls

    return decorate
