"""The Rust GELU and SELU/ELU kernels to the ulp: the exact GELU against math.erfc, SELU
against numpy's expm1 and exp, float32 as the float64 value rounded once, and the
special values PyTorch gives."""

import math
import warnings

import numpy as np
import pytest

import lucid.nn.functional as F
from lucid import Tensor

ALPHA = 1.6732632423543772848170429916717
SCALE = 1.0507009873554804934193349852946
erfc_ref = np.vectorize(math.erfc, otypes=[np.float64])


def erf_points():
    rng = np.random.default_rng(0)
    edges = np.array([0.5, 1.0, 1.5, 2.0, 26.0])
    near_edges = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, 30)])
    tiny = np.logspace(-308, 0, 2000)
    points = np.concatenate(
        [np.linspace(-30, 30, 60001), rng.standard_normal(20000) * 4, tiny, near_edges]
    )
    return np.concatenate([points, -points])


SQRT_HALF = math.sqrt(0.5)  # the correctly rounded 1/√2, as the kernel uses
INV_SQRT_2PI = 1 / math.sqrt(2 * math.pi)


def gelu_ref(x):
    """x·Φ(x) through math.erfc (the C library's), with the kernel's argument rounding:
    erfc(u) has condition number 2u², so the same rounded u must go in on both sides."""
    return x * (0.5 * erfc_ref(-SQRT_HALF * x))


def gelu_slope_terms(x):
    """GELU'(x) = Φ(x) + x·φ(x), as its two terms."""
    xc = np.clip(x, -40, 40)
    return 0.5 * erfc_ref(-SQRT_HALF * x), x * (INV_SQRT_2PI * np.exp(-0.5 * xc * xc))


EPS = np.finfo(np.float64).eps


def worst_relative_error(x, got, want):
    """(max |got − want| / |want| over the x where want is normal, the x where it is);
    where want is 0, got must be 0 too. Subnormal results carry fewer digits."""
    np.testing.assert_array_equal(got[want == 0], want[want == 0])
    normal = np.abs(want) > np.finfo(want.dtype).tiny
    rel = np.abs(got[normal] - want[normal]) / np.abs(want[normal])
    return rel.max(), x[normal][np.argmax(rel)]


def test_exact_gelu_matches_math_erfc_to_a_few_ulps_everywhere():
    x = erf_points()
    # Both erfc are within an ulp of the truth (libm's in the kernel, the C library's here).
    rel, worst = worst_relative_error(x, F.gelu(Tensor(x), approximate="none").data, gelu_ref(x))
    assert rel <= 4 * EPS, f"worst at x = {worst!r}: {rel:.3g}"
    # Deep in the lower tail, where 1 + erf(x/√2) would be 0: GELU(−37) ≈ −2.1e-298.
    tail = np.array([-20.0, -37.0])
    np.testing.assert_allclose(
        F.gelu(Tensor(tail), approximate="none").data, gelu_ref(tail), rtol=4 * EPS
    )


def test_exact_gelu_gradient_matches_its_formula_through_math_erfc():
    x = erf_points()
    t = Tensor(x, requires_grad=True)
    F.gelu(t, approximate="none").sum().backward()
    cdf, density = gelu_slope_terms(x)
    # The terms cancel near x = −0.75, where GELU' crosses 0: bound the error by the
    # terms' magnitudes (a few ulps of each, from erfc, exp and the roundings).
    err = np.abs(t.grad - (cdf + density))
    bound = 8 * EPS * (np.abs(cdf) + np.abs(density))
    assert np.all(err <= bound), f"worst at x = {x[np.argmax(err / bound)]!r}"


def test_float32_gelu_is_within_3_ulp_of_the_float64_value():
    # float32 GELU is computed in float32 (erfc's parts, 4 ulp: rust-tests/mathf.rs;
    # 3 at worst here); it was the float64 value rounded once, 1 ulp, before.
    x = erf_points().astype(np.float32)
    got = F.gelu(Tensor(x), approximate="none").data
    want = gelu_ref(x.astype(np.float64)).astype(np.float32)
    assert got.dtype == np.float32
    ulps = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32).astype(np.int64))
    assert ulps.max() <= 3, f"worst at x = {x[np.argmax(ulps)]!r}: {ulps.max()} ulps"


def test_gelu_special_values_match_pytorch():
    # PyTorch 2.x: GELU(−inf) = −inf·Φ(−inf) = −inf·0 = NaN, and NaN gradients at ±inf.
    for approximate in ("none", "tanh"):
        x = Tensor([-np.inf, np.inf, np.nan, -0.0, -1000.0], dtype="float64", requires_grad=True)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            y = F.gelu(x, approximate=approximate)
            y.sum().backward()
        np.testing.assert_array_equal(y.data, [np.nan, np.inf, np.nan, -0.0, -0.0])
        assert np.signbit(y.data[3]) and np.signbit(y.data[4])
        np.testing.assert_array_equal(x.grad, [np.nan, np.nan, np.nan, 0.5, 0.0])


def test_gelu_of_a_non_contiguous_view():
    x = np.linspace(-4, 4, 24).reshape(4, 6)
    t = Tensor(x)[:, ::2].T  # stepped, then transposed
    want = gelu_ref(x[:, ::2].T)
    np.testing.assert_allclose(F.gelu(t, approximate="none").data, want, rtol=4e-16)


def selu_points():
    """Both sides of 0, tiny magnitudes, and the far tail where eˣ − 1 rounds to −1."""
    rng = np.random.default_rng(1)
    points = np.concatenate(
        [np.linspace(-40, 5, 90001), rng.standard_normal(20000) * 3, -np.logspace(-308, 0, 2000)]
    )
    return np.concatenate([points, [-37.5, -37.4, -745.0, -800.0]])


def test_selu_in_float64_is_within_two_ulps_of_expm1_everywhere():
    x = selu_points()
    got = F.selu(Tensor(x)).data
    with np.errstate(all="ignore"):
        want = np.where(x > 0, SCALE * x, SCALE * (ALPHA * np.expm1(np.minimum(x, 0))))
    rel, worst = worst_relative_error(x, got, want)
    assert rel <= 2 * EPS, f"worst at x = {worst!r}: {rel:.3g}"


def test_selu_gradient_in_float64_is_within_two_ulps_of_exp():
    x = selu_points()
    t = Tensor(x, requires_grad=True)
    F.selu(t).sum().backward()
    with np.errstate(all="ignore"):
        want = np.where(x > 0, SCALE, SCALE * (ALPHA * np.exp(np.minimum(x, 0))))
    rel, worst = worst_relative_error(x, t.grad, want)
    assert rel <= 2 * EPS, f"worst at x = {worst!r}: {rel:.3g}"


@pytest.mark.parametrize("fn", [F.selu, lambda t: F.elu(t, 0.5)], ids=["selu", "elu(0.5)"])
def test_float32_selu_and_elu_are_within_2_ulp_of_the_float64_values(fn):
    # The kernel computes in float32 (eˣ − 1 within 2 ulp, then one multiply by
    # scale·α: 2 ulp in all, rust-tests/activation.rs); it rounded the float64 value
    # once, exactly, before.
    x = selu_points().astype(np.float32)
    got, want = fn(Tensor(x)).data, fn(Tensor(x.astype(np.float64))).data.astype(np.float32)
    assert got.dtype == np.float32
    ulps = np.abs(got.view(np.int32).astype(np.int64) - want.view(np.int32).astype(np.int64))
    assert ulps.max() <= 2, f"worst at x = {x[np.argmax(ulps)]!r}: {ulps.max()} ulps"
