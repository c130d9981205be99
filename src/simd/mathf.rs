//! float32 eˣ, eˣ − 1 and erfc evaluated in float32, written once over [`Lanes32`]: one f32
//! (the loops over it vectorise for the baseline and AVX2 builds) or one AVX-512
//! vector of 16. Every version runs the same IEEE operations in the same order (no
//! fused multiply-add), so results do not depend on the CPU or the level.
//!
//! x = k·ln 2 + r with |r| <= ln 2 / 2 (Cody and Waite's two-part ln 2, so k·LN2_HI and
//! x − k·LN2_HI are exact), eʳ − 1 from its Taylor series to r⁹ (the next term is under
//! 2⁻³¹ of the sum), then scaled by 2ᵏ built from the exponent bits. eˣ − 1 is within
//! 2 ulp of the correctly rounded result over the whole float32 range, eˣ too down to
//! its subnormals (rust-tests check every float32 at a stride and the edges in full).
//! erfc(x) is e^(−x²)·erfcx(|x|), x² split exactly so the large exponent loses nothing,
//! within 4 ulp.

use super::lanes::Arith;

/// 1.5·2²³: adding and subtracting it rounds a float32 below 2²² in magnitude to an integer.
const ROUND: f32 = 12_582_912.0;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 to 16 significant bits (0x3f317200), so k·LN2_HI is exact for |k| <= 256.
const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
/// ln 2 − LN2_HI (0x35bfbe8e).
const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);

/// The float32 arithmetic the formulas here are written in, beyond [`Arith`]'s.
pub trait Lanes32: Arith {
    /// `v` in every lane (`self` only vouches for the instruction set).
    fn lane(self, v: f32) -> Self;
    fn sub(self, other: Self) -> Self;
    fn div(self, other: Self) -> Self;
    /// Where self < other (false where either is NaN).
    fn less(self, other: Self) -> Self::Keep;
    /// Where self is NaN.
    fn nan(self) -> Self::Keep;
    /// self < other ? self : other (so `other` where either is NaN).
    fn min(self, other: Self) -> Self;
    /// self > other ? self : other (so `other` where either is NaN).
    fn max(self, other: Self) -> Self;
    fn abs(self) -> Self;
    /// The bits of self and `mask`.
    fn and_bits(self, mask: u32) -> Self;
    /// 2ᵏ for an integer-valued k in [−126, 127], exactly: the biased exponent k + 127
    /// is read from the low bits of k + 127 + 1.5·2²³ and shifted into place.
    fn pow2(self) -> Self;
}

impl Lanes32 for f32 {
    #[inline(always)]
    fn lane(self, v: f32) -> f32 {
        v
    }
    #[inline(always)]
    fn sub(self, other: f32) -> f32 {
        self - other
    }
    #[inline(always)]
    fn div(self, other: f32) -> f32 {
        self / other
    }
    #[inline(always)]
    fn less(self, other: f32) -> bool {
        self < other
    }
    #[inline(always)]
    fn nan(self) -> bool {
        self.is_nan()
    }
    #[inline(always)]
    fn min(self, other: f32) -> f32 {
        if self < other {
            self
        } else {
            other
        }
    }
    #[inline(always)]
    fn max(self, other: f32) -> f32 {
        if self > other {
            self
        } else {
            other
        }
    }
    #[inline(always)]
    fn abs(self) -> f32 {
        f32::from_bits(self.to_bits() & 0x7fff_ffff)
    }
    #[inline(always)]
    fn and_bits(self, mask: u32) -> f32 {
        f32::from_bits(self.to_bits() & mask)
    }
    #[inline(always)]
    fn pow2(self) -> f32 {
        let biased = (self + (ROUND + 127.0)).to_bits().wrapping_sub(ROUND.to_bits());
        f32::from_bits(biased << 23)
    }
}

#[cfg(target_arch = "x86_64")]
pub use avx512::store;

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{Lanes32, ROUND};
    use crate::simd::lanes::F32x16;
    use std::arch::x86_64::*;

    /// Write the 16 lanes of `v` to `p` (a normal store, any alignment).
    ///
    /// # Safety
    /// `p` is valid for writing 16 values.
    #[inline(always)]
    pub unsafe fn store(p: *mut f32, v: F32x16) {
        // SAFETY: a vector exists only where the CPU has AVX-512F; the caller promises p.
        unsafe { _mm512_storeu_ps(p, v.0) }
    }

    // SAFETY (every block below): a vector exists only where the CPU has AVX-512F
    // (see `F32x16`), and these are AVX-512F instructions.
    impl Lanes32 for F32x16 {
        #[inline(always)]
        fn lane(self, v: f32) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_set1_ps(v) })
        }
        #[inline(always)]
        fn sub(self, other: F32x16) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_sub_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn div(self, other: F32x16) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_div_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn less(self, other: F32x16) -> u16 {
            // SAFETY: AVX-512F, as above.
            unsafe { _mm512_cmp_ps_mask::<_CMP_LT_OQ>(self.0, other.0) }
        }
        #[inline(always)]
        fn nan(self) -> u16 {
            // SAFETY: AVX-512F, as above.
            unsafe { _mm512_cmp_ps_mask::<_CMP_UNORD_Q>(self.0, self.0) }
        }
        #[inline(always)]
        fn min(self, other: F32x16) -> F32x16 {
            // vminps is a < b ? a : b.
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_min_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn max(self, other: F32x16) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_max_ps(self.0, other.0) })
        }
        #[inline(always)]
        fn abs(self) -> F32x16 {
            self.and_bits(0x7fff_ffff)
        }
        #[inline(always)]
        fn and_bits(self, mask: u32) -> F32x16 {
            let bits =
                // SAFETY: AVX-512F, as above.
                unsafe { _mm512_and_si512(_mm512_castps_si512(self.0), _mm512_set1_epi32(mask as i32)) };
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_castsi512_ps(bits) })
        }
        #[inline(always)]
        fn pow2(self) -> F32x16 {
            // SAFETY: AVX-512F, as above.
            let t = unsafe { _mm512_add_ps(self.0, _mm512_set1_ps(ROUND + 127.0)) };
            // SAFETY: AVX-512F, as above.
            let biased = unsafe {
                _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_set1_epi32(ROUND.to_bits() as i32))
            };
            // SAFETY: AVX-512F, as above.
            F32x16(unsafe { _mm512_castsi512_ps(_mm512_slli_epi32::<23>(biased)) })
        }
    }
}

/// (k, eʳ − 1) for x + lo = k·ln 2 + r, x in [−150, 89] and |lo| small: the reduction
/// (x − k·LN2_HI is exact: the two are within a factor 2 of each other) and the series.
#[inline(always)]
fn reduce<A: Lanes32>(x: A, lo: A) -> (A, A) {
    let c = |v: f32| x.lane(v);
    let k = x.mul(c(LOG2_E)).add(c(ROUND)).sub(c(ROUND));
    let r = x.sub(k.mul(c(LN2_HI))).sub(k.mul(c(LN2_LO))).add(lo);
    let mut q = c(1.0 / 3_628_800.0); // 1/10!
    for v in
        [1.0 / 362_880.0, 1.0 / 40_320.0, 1.0 / 5_040.0, 1.0 / 720.0, 1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5]
    {
        q = q.mul(r).add(c(v));
    }
    (k, r.add(r.mul(r).mul(q)))
}

/// eˣ − 1 in float32: −1 below −18 (where eˣ is under a quarter ulp of 1), inf above
/// 88.73; NaN stays NaN and ±0 keeps its sign.
#[inline(always)]
pub fn expm1f<A: Lanes32>(x: A) -> A {
    let c = |v: f32| x.lane(v);
    let (k, p) = reduce(x.max(c(-18.0)).min(c(88.8)), c(0.0));
    // k is at most 128: 2ᵏ as 2^min(k, 127) times 1 or 2, so eˣ − 1 overflows to inf
    // only where it should (at k = 128, s − 1 rounds to s).
    let kk = k.min(c(127.0));
    let s = kk.pow2();
    let y = s.mul(p).add(s.sub(c(1.0))).mul(k.sub(kk).pow2());
    A::select(c(0.0).less(x.abs()), y, x)
}

/// e^(hi + lo)·m, for hi in [−150, 88.8] (clamped to it) and |lo| under 0.1: the
/// power of 2 of the reduction is applied last, so a subnormal result is rounded once.
#[inline(always)]
pub fn exp_times<A: Lanes32>(hi: A, lo: A, m: A) -> A {
    let c = |v: f32| hi.lane(v);
    let (k, p) = reduce(hi.max(c(-150.0)).min(c(88.8)), lo);
    // 2ᵏ as two factors, so k from −217 to 128 (overflow) stays in range; the first
    // is at least 2⁻¹⁰⁰, so the product with m stays normal for |m| above 2⁻²⁶.
    let kk = k.max(c(-100.0)).min(c(127.0));
    let s = kk.pow2();
    s.add(s.mul(p)).mul(m).mul(k.sub(kk).pow2())
}

/// eˣ in float32: 0 below −104 (eˣ is then under half the least subnormal), inf above
/// 88.73; NaN stays NaN.
#[inline(always)]
pub fn expf<A: Lanes32>(x: A) -> A {
    let c = |v: f32| x.lane(v);
    let y = exp_times(x.max(c(-104.0)), c(0.0), c(1.0));
    A::select(x.nan(), x, y)
}

/// (1 + 2a)·e^(a²)·erfc(a) as a polynomial in q = (a − 2)/(a + 2) (Juffa's variable):
/// a near-minimax fit of degree 11 over a in [0, 10.3], within 0.02·2⁻²⁴ relatively.
const ERFC_POLY: [f32; 12] = [
    f32::from_bits(0x38a6_cb96),
    f32::from_bits(0x3931_edb6),
    f32::from_bits(0xb9d2_0594),
    f32::from_bits(0xbaba_4063),
    f32::from_bits(0x3aa4_2a96),
    f32::from_bits(0x3c0e_b0ac),
    f32::from_bits(0xbc03_939a),
    f32::from_bits(0xbd5e_1382),
    f32::from_bits(0x3e27_fcfe),
    f32::from_bits(0xbe2a_03e8),
    f32::from_bits(0xbdbd_faf5),
    f32::from_bits(0x3fa3_7407),
];

/// e^(a²)·erfc(a) for a in [0, 10.3] (it falls from 1 to 0.054).
#[inline(always)]
pub fn erfcx<A: Lanes32>(a: A) -> A {
    let c = |v: f32| a.lane(v);
    let q = a.sub(c(2.0)).div(a.add(c(2.0)));
    let mut p = c(ERFC_POLY[0]);
    for v in &ERFC_POLY[1..] {
        p = p.mul(q).add(c(*v));
    }
    p.div(a.add(a).add(c(1.0)))
}

/// (hi, lo) with hi + lo = −x²·h exactly but for lo's rounding, h = 1 or 1/2: x split
/// into its upper 12 significant bits and the rest (Dekker), so hi is exact.
#[inline(always)]
pub fn minus_square<A: Lanes32>(x: A, h: f32) -> (A, A) {
    let xh = x.and_bits(0xffff_f000);
    let xl = x.sub(xh);
    (xh.mul(xh).mul(x.lane(-h)), xl.mul(xh.add(xh).add(xl)).mul(x.lane(-h)))
}

/// erf(x) for |x| <= 1/2 from its Taylor series to x¹⁵ (the next term is under 2⁻³⁰
/// of the sum).
#[inline(always)]
fn erf_small<A: Lanes32>(x: A) -> A {
    let c = |v: f32| x.lane(v);
    let x2 = x.mul(x);
    let mut p = c(-1.0 / 75_600.0);
    for v in [1.0 / 9_360.0, -1.0 / 1_320.0, 1.0 / 216.0, -1.0 / 42.0, 1.0 / 10.0, -1.0 / 3.0] {
        p = p.mul(x2).add(c(v));
    }
    let two_over_sqrt_pi = c(std::f32::consts::FRAC_2_SQRT_PI);
    x.mul(two_over_sqrt_pi).add(x.mul(two_over_sqrt_pi).mul(x2.mul(p)))
}

/// erfc(x) in float32: 1 − erf(x) for |x| < 1/2, else e^(−x²) from the exact split of
/// x², times [`erfcx`], and 2 − erfc(−x) below 0; 0 above 10.06, 2 below −3.9; NaN
/// stays NaN.
#[inline(always)]
pub fn erfcf<A: Lanes32>(x: A) -> A {
    let c = |v: f32| x.lane(v);
    let a = x.abs().min(c(10.3));
    let (hi, lo) = minus_square(a, 1.0);
    let e = exp_times(hi, lo, erfcx(a));
    let large = A::select(x.less(c(0.0)), c(2.0).sub(e), e);
    let small = c(1.0).sub(erf_small(x.max(c(-0.5)).min(c(0.5))));
    A::select(x.nan(), x, A::select(a.less(c(0.5)), small, large))
}
