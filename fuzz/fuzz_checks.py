"""What the fuzz target (fuzz_c.py) checks in an accepted call's answer: which arrays
the binding must take, and the laws its outputs obey given the mask it returned."""

from __future__ import annotations

import math

import fuzz_inputs as fi
import numpy as np

from lucid import _C


def is_float_array(x: object) -> bool:
    """What float_array! takes: a native float32/float64 ndarray (subclasses too)."""
    return isinstance(x, np.ndarray) and x.dtype in fi.FLOATS


def accepted(x: np.ndarray) -> bool:
    """Whether the binding can read `x` in place: C-contiguous and aligned. (A
    Fortran-ordered array must be refused: its memory order is not its order.)"""
    return x.size == 0 or (x.flags.c_contiguous and x.flags.aligned)


def flat(x: np.ndarray) -> np.ndarray:
    return x.ravel(order="C")


def view(s: _C.Storage, dtype: np.dtype) -> np.ndarray:
    assert isinstance(s, _C.Storage), type(s)
    assert s.dtype == np.dtype(dtype).name and s.nbytes == s.numel * np.dtype(dtype).itemsize
    return np.frombuffer(s, dtype=dtype)


def bits(mask: _C.Mask) -> np.ndarray:
    m = np.frombuffer(mask.to_storage("bool"), dtype=np.bool_)
    assert len(m) == len(mask) and int(m.sum()) == mask.count_ones(), mask
    assert mask.nbytes == (len(mask) + 63) // 64 * 8, mask
    return m


def same(got: np.ndarray, want: np.ndarray, tol: float = 0.0) -> None:
    """Equal values (NaN equal to NaN), within `tol` relative to |want| if given."""
    assert got.shape == want.shape, (got.shape, want.shape)
    with np.errstate(all="ignore"):
        ok = (got == want) | (np.isnan(got) & np.isnan(want))
        if tol:
            ok |= np.abs(got - want) <= tol * np.abs(want)
    bad = np.flatnonzero(~ok)
    assert not bad.size, (
        f"{bad.size} wrong values, first at {bad[0]}: {got[bad[0]]} != {want[bad[0]]}"
    )


def affine(x: np.ndarray, keep: np.ndarray, mask: _C.Mask, y: np.ndarray) -> None:
    """Kept y = a·x + b (within a rounding or two: the kernels may fuse), dropped y =
    the dropped value exactly."""
    t = x.dtype.type
    with np.errstate(all="ignore"):
        want = np.where(keep, t(mask.a) * x + t(mask.b), t(mask.dropped))
    same(y, want, tol=4 * float(np.finfo(x.dtype).eps))


def scaled(dy: np.ndarray, keep: np.ndarray, a: float, n: int, dx: np.ndarray) -> None:
    """dx = dy·(a or 0); a dy of one element stands for every element."""
    t = dy.dtype.type
    g = np.broadcast_to(dy, (n,)) if dy.size == 1 else dy
    with np.errstate(all="ignore"):
        same(dx, g * np.where(keep, t(a), t(0.0)))


_erfc = np.vectorize(math.erfc, otypes=[np.float64])
SQRT_HALF, INV_SQRT_2PI, TANH_K = math.sqrt(0.5), 1 / math.sqrt(2 * math.pi), math.sqrt(2 / math.pi)


def gelu_terms(x: np.ndarray, approximate: str, derivative: bool) -> list[np.ndarray]:
    """The terms whose sum is GELU(x) or GELU'(x), in float64, by the kernel's formulas
    (erfc and tanh from the C library and numpy here), last the scale that bounds the
    rounding error: the terms' magnitudes (and in 1 − t², of 1 + t², as t rounds)."""
    x = x.astype(np.float64)
    if approximate == "none":
        cdf = 0.5 * _erfc(-SQRT_HALF * x)
        if not derivative:
            return [x * cdf, np.abs(x * cdf)]
        xc = np.clip(x, -40.0, 40.0)
        density = x * (INV_SQRT_2PI * np.exp(-0.5 * xc * xc))
        return [cdf, density, np.abs(cdf) + np.abs(density)]
    xc = np.clip(x, -20.0, 20.0)
    t = np.tanh(TANH_K * (xc + 0.044715 * (xc * xc * xc)))
    if not derivative:
        return [0.5 * x, 0.5 * x * t, 0.5 * np.abs(x) * (1 + np.abs(t))]
    inner = TANH_K * (1.0 + 3.0 * 0.044715 * xc * xc)
    # In the kernel's order: for huge x, 0.5·x·0 is 0 before the finite inner multiplies.
    slope_t = 0.5 * x * (1.0 - t * t) * inner
    scale = 0.5 * (1 + np.abs(t)) + 0.5 * np.abs(x) * (1 + t * t) * inner
    return [0.5 * (1.0 + t), slope_t, scale]


def elu_terms(x: np.ndarray, alpha: float, scale: float, derivative: bool) -> list[np.ndarray]:
    """scale·ELU_alpha(x) or its derivative in float64 (numpy's expm1 and exp), then the
    scale that bounds the rounding error (its magnitude: nothing cancels)."""
    x = x.astype(np.float64)
    negative = np.minimum(x, 0.0)
    if derivative:
        value = np.where(x > 0, scale, scale * (alpha * np.exp(negative)))
    else:
        value = np.where(x > 0, scale * x, scale * (alpha * np.expm1(negative)))
    value[np.isnan(x)] = np.nan
    return [value, np.abs(value)]


def activation_law(x: np.ndarray, terms: list[np.ndarray], got: np.ndarray, dy=None) -> None:
    """Forward (dy None): got is the sum of the terms but the last, within 8 ulps (of
    got's dtype) of the last, the error scale. Backward: got = dy · that slope, rounded
    to the dtype first, as the kernel does, and non-finite wherever dy is (±inf times
    a slope that is 0 only to within its rounding may give NaN or either infinity).
    Otherwise NaN and ±inf exactly where the formula gives them."""
    with np.errstate(all="ignore"):
        *parts, scale = terms
        want = sum(parts[1:], parts[0])
        checked, magnitude = np.ones(want.shape, dtype=bool), np.ones(want.shape)
        if dy is not None:
            g = np.broadcast_to(dy, want.shape)
            checked = np.isfinite(g)
            assert not np.isfinite(got[~checked]).any(), "a finite dx for a non-finite dy"
            want = g * want.astype(got.dtype)  # in the dtype, as the kernel multiplies
            magnitude = np.abs(g.astype(np.float64))
    x, got, want = x[checked], got[checked], want[checked]
    scale, magnitude = scale[checked], magnitude[checked]
    info = np.finfo(got.dtype)
    rounded = want.astype(got.dtype)
    g64, w64 = got.astype(np.float64), want.astype(np.float64)
    with np.errstate(all="ignore"):
        # 8 ulps of the scale, times |dy| last so the bound overflows only when it must;
        # a zero dy times an overflowed scale (0·inf) bounds nothing.
        bound = (8 * float(info.eps) * scale) * magnitude + 8 * float(info.tiny)
        bound = np.nan_to_num(bound, nan=np.inf, posinf=np.inf)
        near_max = lambda v: np.abs(v) + bound >= float(info.max)  # noqa: E731
        ok = (got == rounded) | (np.abs(g64 - w64) <= bound)
        # Within its bound of the largest float, an answer may round to ±inf or not.
        ok |= (np.sign(g64) == np.sign(w64)) & near_max(g64) & near_max(w64)
    # NaN exactly where the formula gives NaN.
    assert np.array_equal(np.isnan(got), np.isnan(rounded)), "NaN where the formula has none"
    bad = np.flatnonzero(~(ok | np.isnan(got)))
    at = x[bad[0]] if bad.size else None
    assert not bad.size, f"at x = {at!r}: {got[bad[0]]} != {want[bad[0]]}"


def twin(obj: object, copied: object) -> None:
    """A copy or unpickled twin of a Generator or Mask is equal to it and independent:
    a Generator's twin gives the same next words (and drawing from one does not move
    the other), a Mask's has the same bits and coefficients."""
    assert type(copied) is type(obj) and copied is not obj, (obj, copied)
    if isinstance(obj, _C.Generator):
        assert isinstance(copied, _C.Generator)
        assert copied.get_state() == obj.get_state(), (obj, copied)
        ahead = view(copied.rand(37, "float32"), np.float32)
        assert copied.get_state() != obj.get_state(), "the twin shares the original's state"
        same(view(obj.rand(37, "float32"), np.float32), ahead)
        assert copied.get_state() == obj.get_state(), (obj, copied)
    elif isinstance(obj, _C.Mask):
        assert isinstance(copied, _C.Mask)
        assert (copied.a, copied.b, copied.dropped) == (obj.a, obj.b, obj.dropped)
        assert np.array_equal(bits(copied), bits(obj))
