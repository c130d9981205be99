"""lucid 2.x's histogram, histogram2d and histogramdd (lucid._ops.histograms): counts
and edges against numpy, the default ranges, bad arguments named."""

import numpy as np
import pytest

import lucid
from lucid import Tensor

A = np.array([0.5, 1.0, 1.5, 2.0, 2.0, 3.5, 4.0])
B = np.array([1.0, 0.0, 2.0, 2.0, 3.0, 1.0, 0.5])


@pytest.mark.parametrize(
    "bins, range_, density", [(10, None, False), (3, (0.0, 5.0), False), (4, None, True)]
)
def test_histogram_matches_numpy(bins, range_, density):
    hist, edges = lucid.histogram(Tensor(A), bins, range_, density)
    h, e = np.histogram(A, bins, range_, density=density)
    np.testing.assert_allclose(hist.data, h)
    np.testing.assert_allclose(edges.data, e[None])  # one row, as lucid 2.x's
    assert hist.dtype == edges.dtype == np.float64 and edges.shape == (1, bins + 1)
    assert not hist.requires_grad


def test_histogram2d_matches_numpy_with_edges_stacked():
    hist, edges = lucid.histogram2d(Tensor(A), Tensor(B), [3, 3])
    h, ex, ey = np.histogram2d(A, B, 3, [(A.min(), A.max()), (B.min(), B.max())])
    np.testing.assert_allclose(hist.data, h)
    np.testing.assert_allclose(edges.data, np.stack([ex, ey]))
    assert lucid.histogram2d(Tensor(A), Tensor(B))[0].shape == (10, 10)


def test_histogramdd_matches_numpy():
    rows = np.stack([A, B, A * B], axis=1)
    ranges = [(0.0, 4.0), (0.0, 3.0), (0.0, 8.0)]
    hist, edges = lucid.histogramdd(Tensor(rows), 2, ranges, density=True)
    h, e = np.histogramdd(rows, 2, ranges, density=True)
    np.testing.assert_allclose(hist.data, h)
    np.testing.assert_allclose(edges.data, np.stack(e))


def test_histograms_refuse_bad_arguments():
    with pytest.raises(ValueError, match=r"histogram: input_ must be 1-D, got shape \(1, 7\)"):
        lucid.histogram(Tensor(A[None]))
    with pytest.raises(ValueError, match="bins must be 1 positive ints, got 0"):
        lucid.histogram(Tensor(A), 0)
    with pytest.raises(TypeError, match="bins must be an int or a list of ints"):
        lucid.histogram(Tensor(A), 2.5)
    with pytest.raises(ValueError, match="range must be 1 finite"):
        lucid.histogram(Tensor(A), 3, (2.0, 1.0))
    with pytest.raises(ValueError, match="a and b must have one shape"):
        lucid.histogram2d(Tensor(A), Tensor(B[:3]))
    with pytest.raises(ValueError, match="every axis needs the same number of bins"):
        lucid.histogramdd(Tensor(np.stack([A, B], 1)), [2, 3], [(0, 4), (0, 3)])
    with pytest.raises(ValueError, match=r"must be 2-D \(N, D\)"):
        lucid.histogramdd(Tensor(A), 2, [(0, 4)])
