"""What the property tests share: hypothesis settings, strategies for shapes, values,
drop probabilities, generator states and memory layouts, and the dropout family's laws
written out in numpy, independently of the Rust core.

Examples are derandomised, so every run (and CI) tries the same inputs. For a longer,
random search on a workstation, set LUCID_PROPERTIES=deep: twenty times the examples,
drawn afresh each run. Not a test module (pytest collects test_*.py only).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import lucid
import lucid.nn.functional as F
from lucid import Tensor, nn

_DEEP = os.environ.get("LUCID_PROPERTIES") == "deep"

#: Deterministic, no deadline (the first call of a test pays numpy's warm-up), no
#: example database (nothing is written into the repository) and no "explain" phase
#: (slow, and the failing example is printed either way).
BASE = settings(
    derandomize=not _DEEP,
    phases=[Phase.explicit, Phase.generate, Phase.target, Phase.shrink],
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def examples(n: int) -> settings:
    """The shared settings with ``n`` examples (twenty times more in deep mode)."""
    return settings(BASE, max_examples=n * 20 if _DEEP else n)


# ---- the dropout family's laws ------------------------------------------------------

LAMBDA = 1.0507009873554805
ALPHA = 1.6732632423543772
ALPHA_PRIME = -LAMBDA * ALPHA


def coefficients(kind: str, p: float) -> tuple[float, float, float]:
    """(A, B, dropped value) in float64 from the README's formulas, for 0 < p <= 1."""
    if p == 1.0:
        return 0.0, 0.0, 0.0
    if kind == "standard":
        return 1.0 / (1.0 - p), 0.0, 0.0
    a = ((1.0 - p) * (1.0 + p * ALPHA_PRIME * ALPHA_PRIME)) ** -0.5
    b = -a * ALPHA_PRIME * p
    return a, b, a * ALPHA_PRIME + b


def law_output(x: np.ndarray, keep: np.ndarray, kind: str, p: float) -> np.ndarray:
    """kept: A·x + B as one multiply then one add in x's dtype; dropped: the dropped value."""
    dt = x.dtype.type
    a, b, dropped = coefficients(kind, p)
    with np.errstate(all="ignore"):
        kept = x * dt(a) + dt(b)
    return np.where(np.broadcast_to(keep, x.shape), kept, dt(dropped))


def law_gradient(dy: np.ndarray, keep: np.ndarray, kind: str, p: float) -> np.ndarray:
    """A·m·dy in dy's dtype."""
    dt = dy.dtype.type
    a = coefficients(kind, p)[0]
    with np.errstate(over="ignore", invalid="ignore"):  # inf·0 is NaN, as in the kernels
        return dy * np.where(np.broadcast_to(keep, dy.shape), dt(a), dt(0))


def block_up(words: int) -> int:
    return -(-words // 16) * 16


def offset_after(offset: int, n: int, p: float) -> int:
    """The generator offset after a training call that draws a mask of n elements:
    ⌈n/4⌉ byte words rounded to a block, n tie words, and the end rounded to a block."""
    if n == 0 or p in (0.0, 1.0):
        return offset
    return block_up(offset + block_up(-(-n // 4)) + n)


def generator_at(state: tuple[int, int, int]) -> Any:
    gen = lucid.random.Generator(state[0], stream=state[1])
    gen.set_state(state)
    return gen


def keep_oracle(state: tuple[int, int, int], p: float, noise: tuple[int, ...]) -> np.ndarray:
    """The keep mask a call from ``state`` draws for a mask of shape ``noise``, read
    back from the public API: standard dropout of ones in float64 is 1/(1 − p) where
    kept and 0 where dropped. Every member draws its mask by the same rule."""
    if p == 0.0:
        return np.ones(noise, dtype=bool)
    ones = Tensor(np.ones(noise, dtype=np.float64))
    return F.dropout(ones, p, generator=generator_at(state)).data != 0


def assert_bits_equal(actual: np.ndarray, expected: np.ndarray, what: str = "values") -> None:
    """Same shape, dtype and bits, except that any NaN matches any NaN."""
    assert actual.shape == expected.shape, f"{what}: shape {actual.shape} != {expected.shape}"
    assert actual.dtype == expected.dtype, f"{what}: dtype {actual.dtype} != {expected.dtype}"
    uint = np.uint32 if actual.dtype == np.float32 else np.uint64
    nan_a, nan_e = np.isnan(actual), np.isnan(expected)
    same = (actual.view(uint) == expected.view(uint)) | (nan_a & nan_e)
    if not same.all():
        at = np.argwhere(~same)[0]
        i = tuple(int(k) for k in at)
        raise AssertionError(
            f"{what}: {int((~same).sum())} of {same.size} differ; first at {i}: "
            f"{actual[i]!r} != {expected[i]!r}"
        )


@dataclass(frozen=True)
class Member:
    """One dropout of the family: its functional form, its module and its mask layout.

    ``spatial`` is None for one mask bit per element, k for one per channel of a
    (C, ...k dims) or (N, C, ...k dims) input, and -1 for one per (N, C) of any
    (N, C, ...) input.
    """

    name: str
    fn: Callable[..., Tensor]
    module: type
    kind: str
    spatial: int | None

    def noise(self, shape: tuple[int, ...]) -> tuple[int, ...]:
        if self.spatial is None:
            return shape
        lead = 2 if self.spatial == -1 else len(shape) - self.spatial
        return shape[:lead] + (1,) * (len(shape) - lead)


FAMILY = [
    Member("dropout", F.dropout, nn.Dropout, "standard", None),
    Member("dropout1d", F.dropout1d, nn.Dropout1d, "standard", 1),
    Member("dropout2d", F.dropout2d, nn.Dropout2d, "standard", 2),
    Member("dropout3d", F.dropout3d, nn.Dropout3d, "standard", 3),
    Member("alpha_dropout", F.alpha_dropout, nn.AlphaDropout, "alpha", None),
    Member("feature_alpha_dropout", F.feature_alpha_dropout, nn.FeatureAlphaDropout, "alpha", -1),
]


# ---- strategies ---------------------------------------------------------------------

dtypes = st.sampled_from([np.dtype(np.float32), np.dtype(np.float64)])

_EDGE_P = [0.0, 1.0, 0.5, 5e-324, 2.0**-33, 2.0**-32, 1e-9, 1 - 2.0**-32, 1 - 1e-9]
_EDGE_P += [math.nextafter(1.0, 0.0), 1 - 2.0**-24, 0.1, 0.9]
#: Drop probabilities: the ends, values next to them, and anything in [0, 1].
probabilities = st.one_of(st.sampled_from(_EDGE_P), st.floats(0.0, 1.0))
#: Drop probabilities strictly inside (0, 1), where a mask is drawn.
inner_probabilities = st.one_of(
    st.sampled_from([p for p in _EDGE_P if 0.0 < p < 1.0]),
    st.floats(0.0, 1.0, exclude_min=True, exclude_max=True),
)

_U64 = st.integers(0, 2**64 - 1)
#: (seed, stream, offset): any seed and stream, offsets up to 2⁴⁰ words.
states = st.tuples(_U64, _U64, st.one_of(st.just(0), st.integers(0, 2**40)))


def shapes_for(member: Member, max_side: int = 5) -> st.SearchStrategy[tuple[int, ...]]:
    """Shapes the member takes: any rank up to 5 per element, (C, ...) or (N, C, ...)
    with the member's spatial rank per channel; sides from 0 (empty) to ``max_side``."""
    if member.spatial is None:
        return array_shapes(min_dims=0, max_dims=5, min_side=0, max_side=max_side)
    if member.spatial == -1:
        return array_shapes(min_dims=2, max_dims=5, min_side=0, max_side=max_side)
    ranks = [member.spatial + 1, member.spatial + 2]
    return st.sampled_from(ranks).flatmap(
        lambda r: array_shapes(min_dims=r, max_dims=r, min_side=0, max_side=max_side)
    )


_SPECIALS = [0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -3e38, 3e38, 1e300, 5e-324]


@st.composite
def values(draw: Any, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """Normal values at a random scale with a few special ones (±0, ±inf, NaN, tiny,
    huge) written over them; C-contiguous."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    scale = draw(st.sampled_from([1.0, 1e-3, 1e3]))
    x = np.asarray(rng.standard_normal(shape) * scale, dtype=dtype)
    if x.size:
        for _ in range(draw(st.integers(0, 3))):
            i = draw(st.integers(0, x.size - 1))
            with np.errstate(over="ignore"):
                x.flat[i] = dtype.type(draw(st.sampled_from(_SPECIALS)))
    return x


@dataclass(frozen=True)
class Layout:
    """How an input of some shape is laid out in memory: ``base`` is what a tensor is
    built from, ``view`` picks the input out of it (works on numpy arrays and on lucid
    tensors alike)."""

    name: str
    perm: tuple[int, ...] = ()
    slices: tuple[slice, ...] = ()

    def view(self, base: Any) -> Any:
        if self.name == "transposed":
            return base.transpose(tuple(int(i) for i in np.argsort(self.perm)))
        if self.name == "strided":
            return base[self.slices]
        return base

    def place(self, target: np.ndarray, x: np.ndarray) -> None:
        """Write ``x`` into the part of ``target`` (a base-shaped array) that ``view`` picks."""
        if self.name == "strided":
            target[self.slices] = x
        else:
            self.view(target)[...] = x

    def build(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """A base array whose view equals ``x`` (and is not C-contiguous when it can't be)."""
        if self.name == "fortran":
            return np.array(x, order="F")  # asfortranarray would make 0-d 1-d
        if self.name == "transposed":
            return x.transpose(self.perm).copy()  # ascontiguousarray would make 0-d 1-d
        if self.name == "strided":
            size = tuple(_extent(s, n) for s, n in zip(self.slices, x.shape, strict=True))
            base = rng.standard_normal(size).astype(x.dtype)
            base[self.slices] = x
            return base
        return x


def _extent(s: slice, n: int) -> int:
    """The length a base axis needs so that ``s`` picks exactly n elements from it."""
    step = abs(s.step)
    return max(n * step, 1) if n else step


@st.composite
def layouts(draw: Any, shape: tuple[int, ...]) -> Layout:
    """Contiguous, Fortran-ordered, transposed or sliced with steps of 1-3 (negative too)."""
    name = draw(st.sampled_from(["contiguous", "fortran", "transposed", "strided"]))
    if name == "transposed":
        return Layout(name, perm=tuple(draw(st.permutations(range(len(shape))))))
    if name == "strided":
        slices = []
        for n in shape:
            step = draw(st.sampled_from([1, 2, 3, -1, -2]))
            slices.append(slice(None, None, step) if n else slice(0, 0, step))
        return Layout(name, slices=tuple(slices))
    return Layout(name)


# ---- values for finite differences --------------------------------------------------


def reals(shape: tuple[int, ...], low: float = -2.0, high: float = 2.0) -> Any:
    """float64 arrays of ``shape`` with values in [low, high]."""
    return arrays(np.float64, shape, elements=st.floats(low, high, allow_subnormal=False))


@st.composite
def off_lattice(draw: Any, shape: tuple[int, ...], unique: bool = False, parity: int = -1) -> Any:
    """float64 values (k + f)/4 with an integer k and f in [0.2, 0.8]: at least 0.05 from
    every multiple of 1/4, so from 0 and from any kink or bound placed there. With
    ``unique`` the k differ, so values are at least 0.1 apart; ``parity`` 0 or 1 makes
    every k even or odd (two such arrays differ by at least 0.1 everywhere)."""
    half = max(40, math.prod(shape))  # room for unique values in any shape
    k = draw(arrays(np.int64, shape, elements=st.integers(-half, half - 1), unique=unique))
    if parity in (0, 1):
        k = 2 * (k // 2) + parity
    f = draw(arrays(np.float64, shape, elements=st.floats(0.2, 0.8)))
    return np.asarray((k + f) / 4)  # 0-d arithmetic gives a numpy scalar


def fd_check(
    forward: Callable[[], Tensor],
    leaves: list[Tensor],
    seed: int,
    eps: float = 1e-6,
    rtol: float = 1e-5,
    atol: float = 1e-6,
) -> None:
    """Gradients of sum(w·forward()) for a random w against central differences.

    ``forward`` rebuilds the output from the float64 ``leaves`` each time it is called
    (a module, or a dropout re-seeded to one generator state); each leaf is nudged in
    place, one element at a time. Every leaf must get a gradient that is not all zero.
    """
    out = forward()
    w = np.random.default_rng(seed).standard_normal(out.shape)
    out.grad = w.copy()
    out.backward()
    grads = [leaf.grad for leaf in leaves]

    def loss() -> float:
        with lucid.no_grad():
            return float((np.asarray(forward().data, dtype=np.float64) * w).sum())

    for i, (leaf, grad) in enumerate(zip(leaves, grads, strict=True)):
        assert grad is not None and grad.shape == leaf.shape, f"leaf {i}: gradient {grad!r}"
        fd = np.zeros(leaf.shape)
        values_ = leaf.data
        for j in np.ndindex(leaf.shape):
            x0 = values_[j]
            values_[j] = x0 + eps
            up = loss()
            values_[j] = x0 - eps
            down = loss()
            values_[j] = x0
            fd[j] = (up - down) / (2 * eps)
        assert np.any(fd != 0), f"leaf {i}: finite differences are all zero"
        np.testing.assert_allclose(grad, fd, rtol=rtol, atol=atol, err_msg=f"leaf {i}")
