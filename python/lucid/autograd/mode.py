"""``no_grad`` and ``enable_grad``: context managers and decorators over the per-thread
switch (``grad_enabled``, in lucid.autograd.function, which every op reads)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from lucid.autograd.function import grad_enabled, set_grad_enabled

__all__ = ["enable_grad", "no_grad"]

F = TypeVar("F", bound=Callable[..., Any])


class _GradMode:
    """A context manager and decorator that sets the grad mode and restores it on exit."""

    _mode: bool

    def __new__(cls, func: Callable[..., Any] | None = None) -> Any:
        self = super().__new__(cls)
        if func is None:
            return self
        # Bare ``@no_grad`` (no parentheses) hands us the function itself.
        if not callable(func):
            raise TypeError(f"{cls.__name__}() takes no arguments, got {func!r}")
        return self(func)

    def __init__(self, func: Callable[..., Any] | None = None) -> None:
        # A stack, so one instance can be entered again while already active.
        self._previous: list[bool] = []

    def __enter__(self) -> None:
        self._previous.append(grad_enabled())
        set_grad_enabled(self._mode)

    def __exit__(self, *exc: object) -> None:
        set_grad_enabled(self._previous.pop())

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            # A fresh instance per call: the decorated function may run in many threads.
            with type(self)():
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


class no_grad(_GradMode):
    """Operations inside record no graph: ``with lucid.no_grad():`` or ``@lucid.no_grad()``."""

    _mode = False


class enable_grad(_GradMode):
    """Record the graph again inside a ``no_grad`` region."""

    _mode = True
