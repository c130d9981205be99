"""einops patterns: parsed once, then turned into a plan of reshapes, one transpose, a
reduction or a tiling for each input shape (both steps are cached).

A pattern is ``"<input> -> <output>"``, each side a list of axes separated by spaces:
a name (``b``, ``h1``), a group of names merged into one axis (``(h w)``), ``...`` for
the axes the pattern does not name (at most once a side; in the output it may be in a
group, ``(...)``), ``1`` or ``()`` for an axis of length 1, and an integer for an
unnamed axis of that length: in the input's groups one to reduce (``(h 2)``), in
``repeat``'s output a new one. A name appears at most once a side. In the input, one
name of a group may be left to be inferred; every other size comes from the keyword
arguments.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["Plan", "plan"]

_TOKEN = re.compile(r"\.\.\.|\([^()]*\)|[^\s()]+|\(|\)")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ELLIPSIS = "..."
_MERGED = "(...)"  # the ellipsis inside a group: its axes merged into one

# One side: a list of groups; a group is a tuple of axes (names, "..." or ints).
Axis = str | int
Side = tuple[tuple[Axis, ...], ...]


@dataclass(frozen=True)
class Plan:
    """What to do to a tensor of one shape: reshape to ``split`` (the input's elementary
    axes), reduce ``reduced`` away (reduce), permute by ``perm``, insert and tile the
    new axes (``tiled``: the elementary shape before tiling and the repeats), then
    reshape to ``shape``."""

    split: tuple[int, ...]
    reduced: tuple[int, ...]
    perm: tuple[int, ...]
    tiled: tuple[tuple[int, ...], tuple[int, ...]] | None
    shape: tuple[int, ...]


def _axis(token: str, pattern: str) -> Axis:
    if token == _ELLIPSIS or _NAME.match(token):
        return token
    if token.isdigit():
        return int(token)
    raise ValueError(f"einops: {token!r} is not an axis name in pattern {pattern!r}")


def _side(text: str, pattern: str, is_input: bool) -> Side:
    groups: list[tuple[Axis, ...]] = []
    for token in _TOKEN.findall(text):
        if token in ("(", ")"):
            raise ValueError(f"einops: unbalanced parentheses in pattern {pattern!r}")
        if token.startswith("("):
            inner = tuple(_axis(t, pattern) for t in token[1:-1].split())
            if is_input and _ELLIPSIS in inner:
                raise ValueError(f"einops: '...' cannot be in a group of the input: {pattern!r}")
            if is_input:  # unnamed input axes get names of their own: "#<position>=<size>"
                inner = tuple(
                    f"#{len(groups)}.{k}={a}" if isinstance(a, int) and a != 1 else a
                    for k, a in enumerate(inner)
                )
            inner = tuple(_MERGED if a == _ELLIPSIS else a for a in inner)
            groups.append(tuple(a for a in inner if a != 1))  # (1) is (): length 1
        else:
            axis = _axis(token, pattern)
            groups.append(() if axis == 1 else (axis,))
    names = [a for g in groups for a in g if isinstance(a, str)]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"einops: axis {name!r} appears twice on one side of {pattern!r}")
    return tuple(groups)


@functools.lru_cache(maxsize=512)
def parse(pattern: str) -> tuple[Side, Side]:
    """The two sides of ``pattern``; anything malformed is a ValueError naming it."""
    if not isinstance(pattern, str):
        raise TypeError(f"einops: pattern must be a str, got {type(pattern).__name__}")
    if pattern.count("->") != 1:
        raise ValueError(
            f"einops: pattern must have one '->' between input and output, got {pattern!r}"
        )
    left_text, right_text = pattern.split("->")
    left, right = _side(left_text, pattern, True), _side(right_text, pattern, False)
    if any(isinstance(a, int) for g in left for a in g):
        raise ValueError(
            f"einops: only 1 may stand alone for an axis in the input of {pattern!r} "
            "(an integer in a group, (h 2), is an unnamed axis)"
        )
    for side in (left, right):
        if sum(g.count(_ELLIPSIS) + g.count(_MERGED) for g in side) > 1:
            raise ValueError(f"einops: '...' appears twice on one side of {pattern!r}")
    if any(_ELLIPSIS in g or _MERGED in g for g in right) and (_ELLIPSIS,) not in left:
        raise ValueError(f"einops: '...' is in the output but not the input of {pattern!r}")
    return left, right


def _expand(side: Side, count: int) -> Side:
    """``...`` replaced by ``count`` axes named "...0", "...1", ... (merged in a group)."""
    names = tuple(f"...{i}" for i in range(count))
    out: list[tuple[Axis, ...]] = []
    for group in side:
        if group == (_ELLIPSIS,):
            out.extend((name,) for name in names)
        elif _MERGED in group:
            k = group.index(_MERGED)
            out.append(group[:k] + names + group[k + 1 :])
        else:
            out.append(group)
    return tuple(out)


def _sizes(left: Side, shape: tuple[int, ...], given: dict[str, int], pattern: str) -> dict:
    given = dict(given)
    given.update(
        {a: int(a.split("=")[1]) for g in left for a in g if isinstance(a, str) and a[0] == "#"}
    )
    sizes: dict[Axis, int] = {}
    for group, dim in zip(left, shape, strict=True):
        unknown = [a for a in group if a not in given and isinstance(a, str) and "." not in a]
        known = 1
        for a in group:
            if a in given:
                known *= given[a]  # type: ignore[index]
        if not group:
            if dim != 1:
                raise ValueError(f"einops: an axis of length 1 in {pattern!r} has length {dim}")
            continue
        if len(group) == 1 and isinstance(group[0], str) and group[0].startswith("..."):
            sizes[group[0]] = dim
            continue
        if len(unknown) > 1:
            raise ValueError(
                f"einops: give the sizes of all but one of {unknown} in group "
                f"({' '.join(map(str, group))}) of {pattern!r}"
            )
        if unknown:
            if known == 0 or dim % known:
                raise ValueError(
                    f"einops: axis of length {dim} cannot be split into group "
                    f"({' '.join(map(str, group))}) with the sizes given in {pattern!r}"
                )
            sizes[unknown[0]] = dim // known
        elif known != dim:
            raise ValueError(
                f"einops: group ({' '.join(map(str, group))}) has size {known} but its axis "
                f"has length {dim} in {pattern!r}"
            )
        for a in group:
            if a in given:
                sizes[a] = given[a]  # type: ignore[index]
    return sizes


def _product(values: list[int]) -> int:
    out = 1
    for v in values:
        out *= v
    return out


@functools.lru_cache(maxsize=1024)
def plan(
    kind: str, pattern: str, shape: tuple[int, ...], given_items: tuple[tuple[str, int], ...]
) -> Plan:
    """The plan for ``kind`` ("rearrange", "reduce" or "repeat") of a tensor of ``shape``."""
    given = dict(given_items)
    left, right = parse(pattern)
    explicit = sum(1 for g in left if g != (_ELLIPSIS,))
    has_ellipsis = len(left) != explicit
    if (len(shape) < explicit) if has_ellipsis else (len(shape) != explicit):
        raise ValueError(
            f"einops: pattern {pattern!r} has {explicit} axes in its input "
            f"{'(and ...) ' if has_ellipsis else ''}but the tensor has {len(shape)} "
            f"dimensions (shape {shape})"
        )
    count = len(shape) - explicit
    left, right = _expand(left, count), _expand(right, count)
    sizes = _sizes(left, shape, given, pattern)
    in_axes = [a for g in left for a in g]
    out_axes = [a for g in right for a in g]
    in_names, out_names = set(in_axes), {a for a in out_axes if isinstance(a, str)}
    new = [a for a in out_axes if a not in in_names]
    lost = [a for a in in_axes if a not in out_names]
    if kind != "reduce" and any(str(a).startswith("#") for a in lost):
        raise ValueError(f"einops: an unnamed input axis can only be reduced: {pattern!r}")
    if kind == "rearrange" and (new or lost):
        raise ValueError(
            f"einops: rearrange needs the same axes on both sides of {pattern!r}; "
            f"{'only in the input: ' + str(lost) if lost else 'only in the output: ' + str(new)}"
        )
    if kind == "reduce" and new:
        raise ValueError(f"einops: reduce's output has axes not in its input ({new}): {pattern!r}")
    if kind == "repeat" and lost:
        raise ValueError(
            f"einops: repeat's input has axes not in its output: {lost} in {pattern!r}"
        )
    for a in new:
        if isinstance(a, str) and a not in given:
            raise ValueError(f"einops: give the size of new axis {a!r} of {pattern!r}")
        sizes[a] = a if isinstance(a, int) else given[a]
    for name in given:
        if name not in in_names and name not in out_names:
            raise ValueError(f"einops: size given for {name!r}, which {pattern!r} does not name")

    kept: list[Axis] = [a for a in in_axes if a in out_names]
    reduced = tuple(i for i, a in enumerate(in_axes) if a not in out_names)
    order = [a for a in out_axes if a in in_names]
    perm = tuple(kept.index(a) for a in order)
    tiled = None
    if new:
        base = tuple(1 if a in new else sizes[a] for a in out_axes)
        reps = tuple(sizes[a] if a in new else 1 for a in out_axes)
        tiled = (base, reps)
    final = tuple(_product([sizes[a] for a in g]) for g in right)
    split = tuple(sizes[a] for a in in_axes)
    return Plan(split, reduced, perm, tiled, final)
