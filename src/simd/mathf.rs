//! float32 eˣ, eˣ − 1 and erfc evaluated in float32, written once over [`Lanes32`]
//! (`lanes32.rs`): one f32 (the loops over it vectorise for the AVX2 build) or one
//! AVX-512 vector of 16. Every version runs the same IEEE operations in the same order,
//! fused multiply-adds included (the FMA instructions; libm's correctly rounded `fmaf`
//! in the baseline build), so results do not depend on the CPU or the level.
//!
//! x = k·ln 2 + r with |r| <= ln 2 / 2: x·log₂e rounded to the integer k in one fused
//! step, Cody and Waite's two-part ln 2 so x − k·LN2_HI is exact, eʳ − 1 = r + r²·q(r)
//! with q a minimax polynomial of degree 5 (relative error under 2⁻²⁹·⁷), then scaled by
//! 2ᵏ made from the rounded x·log₂e's own bits. eˣ − 1 is within 2 ulp of the correctly
//! rounded result over the whole float32 range, eˣ too down to its subnormals (1 ulp at
//! worst where rust-tests look: every float32 at a stride, the edges in full). erfc(x)
//! is e^(−x²)·erfcx(|x|), x² split exactly so the large exponent loses nothing, within
//! 4 ulp.

#[cfg(target_arch = "x86_64")]
pub use super::lanes32::store;
pub use super::lanes32::Lanes32;

/// 1.5·2²³: x + ROUND + n, for an integer n in [1, 254] and |x| well under 2²², rounds x
/// to an integer k and holds k + n in the low bits of its significand.
const ROUND: f32 = 12_582_912.0;
const LOG2_E: f32 = std::f32::consts::LOG2_E;
/// ln 2 to 16 significant bits (0x3f317200), so k·LN2_HI is exact for |k| <= 256.
const LN2_HI: f32 = f32::from_bits(0x3f31_7200);
/// ln 2 − LN2_HI (0x35bfbe8e).
const LN2_LO: f32 = f32::from_bits(0x35bf_be8e);
/// 2⁻⁶⁴, the power of 2 [`ExpNonpositive`] applies last.
const TWO_M64: f32 = f32::from_bits(63 << 23);
/// 2⁻²⁵: below it in magnitude eˣ − 1 rounds to x.
const TINY: f32 = f32::from_bits(102 << 23);
/// q(r) of eʳ − 1 = r + r²·q(r): the minimax fit of degree 5 over |r| <= 0.3466 for
/// the relative error of eʳ − 1, coefficients rounded to float32 one at a time (each
/// rounding refitted by the rest), the first fixed at 1/2.
const EXPM1_POLY: [f32; 6] = [
    0.5,
    f32::from_bits(0x3e2a_aaaa),
    f32::from_bits(0x3d2a_aa97),
    f32::from_bits(0x3c08_89a1),
    f32::from_bits(0x3ab6_7c39),
    f32::from_bits(0x394e_b87b),
];

/// (t, eʳ − 1) for x + lo = k·ln 2 + r, x in [−160, 89] and |lo| small: t = x·log₂e +
/// `bias` rounded once, so k = t − bias is the integer nearest x·log₂e and t holds k +
/// bias − ROUND in its low bits; |r| <= ln 2 / 2 but for log₂e's rounding (2⁻²³·|x|).
#[inline(always)]
fn reduce<A: Lanes32>(x: A, lo: Option<A>, bias: A) -> (A, A) {
    let c = |v: f32| x.lane(v);
    let t = x.fma(c(LOG2_E), bias);
    let k = t.sub(bias);
    // Exact: where k ≠ 0, |x| > 1/4 and both x and k·LN2_HI are multiples of 2⁻²⁵, and
    // the difference is under 1/2.
    let r = k.fma(c(-LN2_HI), x);
    // With lo, its sum with −k·LN2_LO (both small) is rounded first, so r is rounded once.
    let r = match lo {
        Some(lo) => r.add(k.fma(c(-LN2_LO), lo)),
        None => k.fma(c(-LN2_LO), r),
    };
    // Loops, not folds: a closure need not be inlined, and out of line a vector's
    // instructions would not be enabled.
    let n = EXPM1_POLY.len() - 1;
    let mut q = c(EXPM1_POLY[n]);
    for &v in EXPM1_POLY[..n].iter().rev() {
        q = q.fma(r, c(v));
    }
    (t, r.mul(r).fma(q, r))
}

/// eˣ − 1 in float32: −1 below −18 (where eˣ is under a quarter ulp of 1), inf above
/// 88.73; NaN stays NaN and ±0 keeps its sign.
#[inline(always)]
pub fn expm1f<A: Lanes32>(x: A) -> A {
    let c = |v: f32| x.lane(v);
    let (t, p) = reduce(x.max(c(-18.0)).min(c(88.8)), None, c(ROUND + 126.0));
    // h = 2ᵏ⁻¹ is normal for k in [−26, 128], and 2·(h·p + (h − 1/2)) is s·p + (s − 1)
    // for s = 2ᵏ rounded once, overflowing only where that does (at k = 128).
    let h = t.exponent();
    let y = h.fma(p, h.sub(c(0.5)));
    // Under 2⁻²⁵ in magnitude eˣ − 1 rounds to x (and h·p would lose a subnormal's
    // last bit); NaN stays NaN.
    A::select(c(TINY).less(x.abs()), y.add(y), x)
}

/// eˣ − 1 for x < 0, with [`expm1f`]'s bits there (anything at 0 and above, or NaN):
/// k <= 0, so one power of 2 serves.
#[inline(always)]
pub fn expm1_negative<A: Lanes32>(x: A) -> A {
    let c = |v: f32| x.lane(v);
    let (t, p) = reduce(x.max(c(-18.0)), None, c(ROUND + 127.0));
    let s = t.exponent(); // 2ᵏ, k in [−26, 0]
    s.fma(p, s.sub(c(1.0)))
}

/// e^(hi + lo) for hi <= 0 (anything above) and |lo| small, as 2ᵏ⁺⁶⁴ and p = eʳ − 1,
/// the 2⁻⁶⁴ applied last so a subnormal result is rounded there. hi is clamped to
/// −110 (e⁻¹¹⁰·64 is under half the least subnormal), so 2ᵏ⁺⁶⁴ stays normal; NaN
/// passes the clamp (max returns its second operand where one is NaN).
#[derive(Clone, Copy)]
pub struct ExpNonpositive<A> {
    s: A,
    p: A,
}

impl<A: Lanes32> ExpNonpositive<A> {
    #[inline(always)]
    pub fn of(hi: A, lo: Option<A>) -> Self {
        let (t, p) = reduce(hi.lane(-110.0).max(hi), lo, hi.lane(ROUND + 191.0));
        ExpNonpositive { s: t.exponent(), p }
    }

    /// e^(hi + lo).
    #[inline(always)]
    pub fn value(self) -> A {
        self.s.fma(self.p, self.s).mul(self.s.lane(TWO_M64))
    }

    /// e^(hi + lo)·m for |m| <= 64: 2ᵏ⁺⁶⁴·m (exact), plus its product with p, rounded
    /// once, times 2⁻⁶⁴.
    #[inline(always)]
    pub fn times(self, m: A) -> A {
        let sm = self.s.mul(m);
        sm.fma(self.p, sm).mul(m.lane(TWO_M64))
    }
}

/// eˣ for x <= 0 (anything above), with [`expf`]'s bits there.
#[inline(always)]
pub fn exp_nonpositive<A: Lanes32>(x: A) -> A {
    ExpNonpositive::of(x, None).value()
}

/// e^(hi + lo)·m for hi <= 0, |lo| small and |m| <= 64 (see [`ExpNonpositive`]).
#[inline(always)]
pub fn exp_times<A: Lanes32>(hi: A, lo: A, m: A) -> A {
    ExpNonpositive::of(hi, Some(lo)).times(m)
}

/// eˣ in float32: 0 below −104 (eˣ is then under half the least subnormal), inf above
/// 88.73; NaN stays NaN. Below 0 it is [`exp_nonpositive`]; from 0 on 2ᵏ⁻¹ doubled
/// last, as in [`expm1f`].
#[inline(always)]
pub fn expf<A: Lanes32>(x: A) -> A {
    let c = |v: f32| x.lane(v);
    // NaN passes both clamps.
    let xc = c(88.8).min(c(-104.0).max(x));
    let below = xc.less(c(0.0));
    let (t, p) = reduce(xc, None, A::select(below, c(ROUND + 191.0), c(ROUND + 126.0)));
    let s = t.exponent();
    s.fma(p, s).mul(A::select(below, c(TWO_M64), c(2.0)))
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

/// e^(a²)·erfc(a)·s for a = u/w in [0, 10.3] (erfcx falls from 1 to 0.054), w = 1 or
/// √2 and s a power of 2 (so the result is erfcx's times s exactly): the polynomial P
/// in q = (u − 2w)/(u + 2w) over d = (1 + 2u/w)/s, and the division's exact residual
/// value·d − P (over P, the value's relative rounding error). The constants 2w and 2/w
/// are rounded to float32 (within 2⁻²⁵ relatively), u/w never is.
#[inline(always)]
pub fn erfcx_times<A: Lanes32>(u: A, w: f64, s: f64) -> (A, A) {
    let c = |v: f64| u.lane(v as f32);
    let q = u.sub(c(2.0 * w)).div(u.add(c(2.0 * w)));
    let mut p = u.lane(ERFC_POLY[0]);
    for &v in &ERFC_POLY[1..] {
        p = p.fma(q, u.lane(v));
    }
    let d = u.fma(c(2.0 / w / s), c(1.0 / s));
    let value = p.div(d);
    (value, value.fms(d, p))
}

/// P of [`erfcx_times`] is in [1, 1.13]: the residual times this is the relative
/// rounding error within 7%.
pub const ERFCX_RESIDUAL: f32 = 1.0 / 1.064;

/// (hi, lo) with hi + lo = −x²·h exactly, h a power of 2 (and x²·h normal or 0): hi
/// rounded, lo its rounding error by a fused multiply-subtract.
#[inline(always)]
pub fn minus_square<A: Lanes32>(x: A, h: f32) -> (A, A) {
    let xh = x.mul(x.lane(-h));
    let hi = xh.mul(x);
    (hi, xh.fms(x, hi))
}

/// erf(x) for |x| <= 1/2 from its Taylor series to x¹³ (the next term is under 2⁻³⁰
/// of the sum).
#[inline(always)]
fn erf_small<A: Lanes32>(x: A) -> A {
    let c = |v: f32| x.lane(v);
    let x2 = x.mul(x);
    let mut p = c(1.0 / 9_360.0);
    for v in [-1.0 / 1_320.0, 1.0 / 216.0, -1.0 / 42.0, 1.0 / 10.0, -1.0 / 3.0] {
        p = p.fma(x2, c(v));
    }
    let t = x.mul(c(std::f32::consts::FRAC_2_SQRT_PI));
    t.fma(x2.mul(p), t)
}

/// erfc(x) in float32: 1 − erf(x) for |x| < 1/2, else e^(−x²) from the exact split of
/// x², times erfcx(|x|), and 2 − erfc(−x) below 0; 0 above 10.06, 2 below −3.9; NaN
/// stays NaN.
#[inline(always)]
pub fn erfcf<A: Lanes32>(x: A) -> A {
    let c = |v: f32| x.lane(v);
    let a = x.abs().min(c(10.3));
    let (hi, lo) = minus_square(a, 1.0);
    let (g, residual) = erfcx_times(a, 1.0, 1.0);
    // erfcx's rounding error taken out of the exponent.
    let e = exp_times(hi, residual.fma(c(-ERFCX_RESIDUAL), lo), g);
    let large = A::select(x.less(c(0.0)), c(2.0).sub(e), e);
    let small = c(1.0).sub(erf_small(x.max(c(-0.5)).min(c(0.5))));
    A::select(x.nan(), x, A::select(a.less(c(0.5)), small, large))
}
