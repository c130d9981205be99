"""erf and erfc in float64 for exact GELU, element-wise over numpy arrays.

numpy has no erf, and lucid depends on nothing else. A series with only positive
terms serves |x| < 1.5 and a continued fraction the rest; both are checked against
math.erf and math.erfc in tests/nn/test_activation.py.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SERIES_LIMIT = 1.5  # series below, continued fraction at and above
_CF_TERMS = 80  # enough for 1e-15 at |x| = 1.5; it converges faster for larger |x|


def _series_terms(limit: float) -> int:
    """Terms of the series below until a term is under 1e-17 of the sum at ``limit``."""
    y, term, total, n = 2 * limit * limit, 1.0, 1.0, 0
    while term > 1e-17 * total:
        n += 1
        term *= y / (2 * n + 1)
        total += term
    return n


# (upper bound of |x|, terms needed there): fewer terms where |x| is small.
_SERIES_BANDS = tuple((b, _series_terms(b)) for b in (0.5, 1.0, _SERIES_LIMIT))
# 1 / (2n+1)!! for n = 0, 1, ...: the series' coefficients.
_SERIES_COEFFS = tuple(1.0 / math.prod(range(1, 2 * n + 2, 2)) for n in range(40))


def _erf_series(x: np.ndarray, terms: int) -> np.ndarray:
    """erf(x) = 2/√π · x · e^(−x²) · Σ (2x²)^n / (2n+1)!!, whose terms are all positive.

    Horner's scheme from the last term; no cancellation, so accurate to a few ulp.
    """
    y = 2.0 * x * x
    total = np.full_like(x, _SERIES_COEFFS[terms])
    for c in reversed(_SERIES_COEFFS[:terms]):
        total *= y
        total += c
    return _TWO_OVER_SQRT_PI * x * np.exp(-x * x) * total


def _erfc_continued_fraction(x: np.ndarray) -> np.ndarray:
    """erfc(x) = e^(−x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))) for x >= 1.5.

    Evaluated from the tail up. Past x = 27.3 erfc underflows to 0; clipping there keeps
    x² finite for huge x without changing any result.
    """
    x = np.minimum(x, 30.0)
    t = x.copy()
    for k in range(_CF_TERMS, 0, -1):
        t = x + (0.5 * k) / t
    return _exp_minus_square(x) / (math.sqrt(math.pi) * t)


def _exp_minus_square(x: np.ndarray) -> np.ndarray:
    """e^(−x²) without the rounding error of x² (relative x²·2⁻⁵³, 1e-13 at x = 26).

    As Cody: with h = x rounded down to 1/16, h² is exact and x² = h² + (x − h)(x + h).
    """
    h = np.trunc(x * 16.0) / 16.0
    return np.exp(-h * h) * np.exp(-(x - h) * (x + h))


def _erf_parts(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(erf(|x|) where |x| < 1.5, erfc(|x|) where |x| >= 1.5 or is NaN, that mask)."""
    a = np.abs(np.asarray(x, dtype=np.float64))
    erf_small = np.zeros_like(a)
    lower = 0.0
    for upper, terms in _SERIES_BANDS:
        band = (a >= lower) & (a < upper)
        if band.any():
            erf_small[band] = _erf_series(a[band], terms)
        lower = upper
    large = ~(a < _SERIES_LIMIT)  # NaN goes here and stays NaN
    erfc_large = np.zeros_like(a)
    if large.any():
        erfc_large[large] = _erfc_continued_fraction(a[large])
    return erf_small, erfc_large, large


def _erf(x: Any) -> np.ndarray:
    """The error function in float64, element-wise; within ~1e-15 relative of math.erf."""
    x = np.asarray(x, dtype=np.float64)
    erf_small, erfc_large, large = _erf_parts(x)
    return np.copysign(np.where(large, 1.0 - erfc_large, erf_small), x)


def _erfc(x: Any) -> np.ndarray:
    """1 − erf(x) in float64, within ~1e-14 relative of math.erfc where it is normal."""
    x = np.asarray(x, dtype=np.float64)
    erf_small, erfc_large, large = _erf_parts(x)
    upper = np.where(large, erfc_large, 1.0 - erf_small)  # erfc(|x|)
    return np.where(x < 0, 2.0 - upper, upper)
