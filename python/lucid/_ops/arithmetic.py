"""lucid 2.x's function forms of the arithmetic operators: add, sub, multiply, div and
power, each the same op as its operator (``add(a, b)`` is ``a + b``), with numpy's
broadcasting and the operators' gradients (lucid._ops.elementwise)."""

from __future__ import annotations

from typing import Any

from lucid._ops import integer
from lucid._ops._common import as_tensor, real_operand
from lucid._ops.elementwise import Add, Div, Mul, Pow, Sub
from lucid._tensor import Tensor

__all__ = ["add", "div", "multiply", "power", "sub"]


def _operands(op: str, a: Any, b: Any) -> tuple[Any, Any]:
    """Both operands; at least one becomes a Tensor, so the result is one."""
    a, b = real_operand(a, op, "a"), real_operand(b, op, "b")
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = as_tensor(a, op, "a")
    return a, b


def add(a: Any, b: Any, /) -> Any:
    """``a + b``, element-wise with broadcasting."""
    return Add.apply(*_operands("add", a, b))


def sub(a: Any, b: Any, /) -> Any:
    """``a - b``, element-wise with broadcasting."""
    return Sub.apply(*_operands("sub", a, b))


def multiply(a: Any, b: Any, /) -> Any:
    """``a * b``, element-wise with broadcasting."""
    return Mul.apply(*_operands("multiply", a, b))


def div(a: Any, b: Any, /, floor: bool = False) -> Any:
    """``a / b``; with ``floor=True`` it is ``a // b`` (an int64 result without a
    gradient, as the ``//`` operator)."""
    if not isinstance(floor, bool):
        raise TypeError(f"div: floor must be a bool, got {floor!r}")
    a, b = _operands("div", a, b)
    return integer.floor_divide(a, b) if floor else Div.apply(a, b)


def power(a: Any, b: Any, /) -> Any:
    """``a ** b`` with broadcasting; differentiable in each operand that is a tensor.

    The gradients are the ``**`` operator's: b·a^(b-1) (0 where b is 0) and a^b·log(a)
    (0 where a is 0 and the power finite)."""
    return Pow.apply(*_operands("power", a, b))
