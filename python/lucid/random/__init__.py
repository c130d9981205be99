"""Random numbers from lucid's counter-based ChaCha8 generator.

A :class:`Generator` is (seed, stream, offset). Each call reserves the words it needs
and advances the offset, so the same seed gives the same numbers on any number of
threads, and ``Generator(seed, stream=k)`` gives worker k a disjoint, reproducible
sequence. The default generator is seeded from the operating system at import; call
:func:`seed` for reproducible runs (:func:`initial_seed` tells the seed in use).
A forked child's default generator continues on a stream of its own (see
:func:`fork_stream`), so forked workers never repeat each other's draws.
"""

from __future__ import annotations

import math
import os
import secrets
import sys
from typing import Any

import numpy as np

import lucid._C as _C
from lucid import _dtypes, _storage
from lucid._dtypes import check_device
from lucid._tensor import Tensor
from lucid.random import _integers
from lucid.random._rows import current_rows, global_rows

__all__ = [
    "Generator",
    "bernoulli",
    "current_rows",
    "default_generator",
    "fork_stream",
    "get_seed",
    "get_state",
    "global_rows",
    "initial_seed",
    "permutation",
    "rand",
    "randint",
    "randn",
    "seed",
    "set_state",
    "uniform",
]

Generator = _C.Generator

_U64 = 1 << 64


def _check_seed(value: Any, name: str = "seed") -> int:
    """An int in [-2**63, 2**64), as PyTorch takes; negatives wrap to their u64 bits."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    value = int(value)
    if not -(1 << 63) <= value < _U64:
        raise ValueError(f"{name} must be in [-2**63, 2**64), got {value}")
    return value % _U64


default_generator: _C.Generator = Generator(secrets.randbits(64))

# ---- the default generator across fork() ---------------------------------------------
#
# A forked child inherits the default generator's state, so every worker made with
# os.fork or multiprocessing's "fork" start method would draw exactly its parent's
# numbers (and its siblings'): silently correlated workers. Instead, child k (the k-th
# fork since the last seed) continues on its own stream, derived from the parent's stream
# and k, from offset 0 with the same seed: distinct from the parent and from every
# sibling, and the same on every run of the same program. Generators the user made
# are left as they are, since their state was chosen. Children of the "spawn" and
# "forkserver" start methods import lucid afresh and seed from the operating system.

_MASK64 = (1 << 64) - 1
_forks = 0  # children forked since the default generator was last seeded or restored


def _mix64(z: int) -> int:
    """SplitMix64's finaliser: a bijection of 64-bit words that scatters every bit."""
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9 & _MASK64
    z = (z ^ (z >> 27)) * 0x94D049BB133111EB & _MASK64
    return z ^ (z >> 31)


def fork_stream(stream: int, k: int) -> int:
    """The stream that the k-th forked child (k = 0, 1, ...) of a process whose default
    generator is on ``stream`` continues on."""
    return _mix64(stream ^ _mix64((k + 0x9E3779B97F4A7C15) & _MASK64))


def _after_fork_in_parent() -> None:
    global _forks
    _forks += 1


def _after_fork_in_child() -> None:
    global _forks
    seed_, stream, _ = default_generator.get_state()
    default_generator.set_state((seed_, fork_stream(stream, _forks), 0))
    _forks = 0


os.register_at_fork(after_in_parent=_after_fork_in_parent, after_in_child=_after_fork_in_child)


def seed(seed: int) -> None:
    """Seed the default generator (stream 0, offset 0); ``seed`` may be passed by name."""
    global _forks
    default_generator.set_state((_check_seed(seed), 0, 0))
    _forks = 0


def initial_seed() -> int:
    """The seed of the default generator."""
    return default_generator.seed


def get_seed() -> int:
    """The seed of the default generator (lucid's name for :func:`initial_seed`): the
    one given to :func:`seed` (a negative one as its 64-bit pattern), else the one drawn
    from the operating system at import."""
    return default_generator.seed


def get_state() -> tuple[int, int, int]:
    """The default generator's (seed, stream, offset)."""
    return default_generator.get_state()


def set_state(state: tuple[int, int, int]) -> None:
    """Restore the default generator from :func:`get_state`."""
    global _forks
    default_generator.set_state(state)
    _forks = 0


def _shape(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    out = []
    for s in shape:
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"shape must be non-negative ints, got {shape!r}")
        out.append(int(s))
    return tuple(out)


def _float_dtype(dtype: Any) -> np.dtype:
    resolved = _storage.resolve_dtype(dtype)
    if resolved.kind != "f":
        raise TypeError(f"dtype must be float32 or float64, got {resolved}")
    return resolved


def check_generator(generator: Any) -> _C.Generator:
    """``generator``, or the default one for None; anything else is a TypeError."""
    if generator is None:
        return default_generator
    if not isinstance(generator, _C.Generator):
        raise TypeError(
            f"generator must be a lucid.random.Generator, got {type(generator).__name__}"
        )
    return generator


def _numel(shape: tuple[int, ...], dtype: np.dtype) -> int:
    """The element count, exactly (numpy's int64 product wraps); a shape whose bytes
    no address space holds is a ValueError before any word is reserved."""
    numel = math.prod(shape)
    if numel * dtype.itemsize > sys.maxsize:
        raise ValueError(
            f"shape {shape} has {numel} elements of {dtype}: {numel * dtype.itemsize} bytes "
            "is more than any allocation can hold"
        )
    return numel


def _sample(kind: str, shape: tuple[Any, ...], requires_grad: bool, dtype: Any, gen: Any) -> Any:
    shape = _shape(shape)
    resolved = _float_dtype(dtype)
    numel = _numel(shape, resolved)
    storage = getattr(check_generator(gen), kind)(numel, _storage.DTYPES[resolved])
    return Tensor._wrap(_storage.wrap(storage, shape), requires_grad=requires_grad)


def rand(*shape: Any, requires_grad: bool = False, dtype: Any = None, generator: Any = None) -> Any:
    """Uniform values in [0, 1), in the default float dtype unless ``dtype`` is given:
    float32 from one word each, float64 from two."""
    return _sample("rand", shape, requires_grad, dtype, generator)


def randn(
    *shape: Any, requires_grad: bool = False, dtype: Any = None, generator: Any = None
) -> Any:
    """Standard normal values (Box–Muller, two words per pair)."""
    return _sample("randn", shape, requires_grad, dtype, generator)


def uniform(
    low: float = 0.0,
    high: float = 1.0,
    size: Any = 1,
    requires_grad: bool = False,
    dtype: Any = None,
    generator: Any = None,
) -> Any:
    """Uniform values in [low, high); ``size`` is the shape (lucid's default 1: one value
    of shape (1,); () for a 0-D tensor)."""
    if not (np.isfinite(low) and np.isfinite(high) and low <= high):
        raise ValueError(
            f"low and high must be finite with low <= high, got low={low}, high={high}"
        )
    size = _size(size)
    out = rand(*size, dtype=dtype, generator=generator)
    data = out.data
    data *= high - low
    data += low
    out.requires_grad = requires_grad
    return out


def bernoulli(
    probs: Any,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
    *,
    generator: Any = None,
    dtype: Any = np.int64,
) -> Any:
    """0/1 values, 1 with probability ``probs`` (element-wise): int64 as in lucid 2.x
    unless ``dtype`` is given (``dtype=probs.dtype`` gives PyTorch's float result).

    Element i is 1 iff word i < round(probs[i]·2³²): exact to 2⁻³².
    """
    check_device(device)
    target = _dtypes.resolve(dtype)
    if requires_grad and target.kind != "f":
        raise TypeError(f"bernoulli: requires_grad needs a float dtype, got {target}")
    p = probs.data if isinstance(probs, Tensor) else np.asarray(probs)
    if p.dtype.kind != "f":
        p = p.astype(np.float32)
    elif p.dtype not in (np.float32, np.float64):
        p = p.astype(np.float64)
    p = np.ascontiguousarray(p)
    bits = _storage.wrap(check_generator(generator).bernoulli(p.reshape(-1)), p.shape)
    out = Tensor._wrap(_storage.copy_of(bits, target), requires_grad=requires_grad)
    out.keep_grad = bool(keep_grad)
    return out


def _size(size: Any) -> tuple[int, ...]:
    """numpy's ``size``: an int, a sequence of ints, or None for one value (shape ())."""
    if size is None:
        return ()
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        return _shape((size,))
    if isinstance(size, (tuple, list)):
        return _shape(tuple(size))
    raise TypeError(f"size must be an int or a tuple of ints, got {type(size).__name__} {size!r}")


def _int_arg(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    return int(value)


def randint(
    low: int,
    high: int | None = None,
    size: Any = 1,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
    *,
    generator: Any = None,
) -> Any:
    """Uniform int64 values in [low, high), or in [0, low) when ``high`` is None (numpy's
    rule); ``size`` is the shape (an int, a tuple, or None for a 0-D tensor).

    Each value is Lemire's multiply-shift of a 64-bit word made of three generator words
    (no rejection, so the same seed gives the same values on any number of threads);
    each integer's probability is within 2⁻⁶⁴ of 1 / (high − low).
    """
    check_device(device)
    low = _int_arg("low", low)
    if high is None:
        low, high = 0, low
    else:
        high = _int_arg("high", high)
    if not low < high:
        raise ValueError(f"randint needs low < high, got low={low}, high={high}")
    if low < -(1 << 63) or high > 1 << 63:
        raise ValueError(f"low and high must fit int64, got low={low}, high={high}")
    shape = _size(size)
    numel = _numel(shape, np.dtype(np.int64))
    words = _integers.words64(check_generator(generator), numel)
    values = (_integers.below(words, high - low) + np.uint64(low % _U64)).view(np.int64)
    return Tensor(values.reshape(shape), requires_grad, keep_grad, np.int64)


def permutation(
    n: int,
    dtype: Any = int,
    requires_grad: bool = False,
    keep_grad: bool = False,
    device: Any = "cpu",
    *,
    generator: Any = None,
) -> Any:
    """A random ordering of 0, 1, ..., n − 1, as a tensor of ``dtype`` (int64 by default).

    The order sorts n random 64-bit keys (three generator words each; ties, which keep
    index order, are the only departure from uniform: the distribution is within
    n(n − 1)/2⁶⁵ of uniform in total variation).
    """
    check_device(device)
    n = _int_arg("n", n)
    if n < 0:
        raise ValueError(f"n must be non-negative, got {n}")
    resolved = _storage.resolve_dtype(dtype)
    if resolved.kind == "b" or (resolved.kind == "f" and n > 2 ** np.finfo(resolved).nmant + 1):
        raise TypeError(f"dtype {resolved} cannot hold every index below n={n}")
    keys = _integers.words64(check_generator(generator), _numel((n,), np.dtype(np.int64)))
    order = np.argsort(keys, kind="stable")
    return Tensor(order, requires_grad, keep_grad, resolved)
