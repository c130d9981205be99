"""Uniform integers from the counter-based generator, with a fixed number of words each.

The generator hands out 32-bit ChaCha8 words through its samplers; a float32 uniform is
the top 24 bits of one word, exactly (``(w >> 8)·2⁻²⁴``). Three words therefore give
72 independent uniform bits, of which the top 64 make one 64-bit word. From a 64-bit
word w, an integer in [0, n) is Lemire's multiply-shift ``(w·n) >> 64``: no rejection,
so every value costs exactly three words, a draw can be cut into chunks anywhere, and
the result is the same on any number of threads. Each of the n values has
⌊2⁶⁴/n⌋ or ⌈2⁶⁴/n⌉ preimages, so its probability differs from 1/n by less than 2⁻⁶⁴.
"""

from __future__ import annotations

import numpy as np

import lucid._C as _C
from lucid import _storage

__all__ = ["WORDS_PER_VALUE", "below", "words64"]

#: 32-bit words each 64-bit word (and so each integer) takes.
WORDS_PER_VALUE = 3

_LOW32 = np.uint64(0xFFFFFFFF)
_S32, _S40, _S24, _S16, _S8 = (np.uint64(s) for s in (32, 40, 24, 16, 8))


def words64(generator: _C.Generator, count: int) -> np.ndarray:
    """``count`` uniform 64-bit words (uint64) from 3·count words of ``generator``."""
    storage = generator.rand(WORDS_PER_VALUE * count, _storage.DTYPES[np.dtype(np.float32)])
    units = np.asarray(storage).reshape(count, WORDS_PER_VALUE)
    # Each unit is k·2⁻²⁴ with k < 2²⁴ an integer: scaling back is exact.
    bits = (units.astype(np.float64) * float(1 << 24)).astype(np.uint64)
    return (bits[:, 0] << _S40) | (bits[:, 1] << _S16) | (bits[:, 2] >> _S8)


def _mulhi(w: np.ndarray, n: int) -> np.ndarray:
    """⌊w·n / 2⁶⁴⌋ for uint64 words w and 0 < n < 2⁶⁴, in 32-bit halves (no overflow)."""
    n1, n0 = np.uint64(n >> 32), np.uint64(n & 0xFFFFFFFF)
    w1, w0 = w >> _S32, w & _LOW32
    p00, p01, p10, p11 = w0 * n0, w0 * n1, w1 * n0, w1 * n1
    middle = (p00 >> _S32) + (p01 & _LOW32) + (p10 & _LOW32)  # < 3·2³²
    return p11 + (p01 >> _S32) + (p10 >> _S32) + (middle >> _S32)


def below(words: np.ndarray, n: int) -> np.ndarray:
    """Lemire's map of uint64 ``words`` onto [0, n), 1 <= n <= 2⁶⁴, as uint64."""
    if n == 1 << 64:
        return words.copy()
    return _mulhi(words, n)
