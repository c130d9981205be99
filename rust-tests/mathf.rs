//! The float32 eˣ − 1, eˣ and erfc of `simd::mathf` against float64 references (libm's,
//! under an ulp of float64, so rounding them to float32 gives the correctly rounded
//! result but for ties): every float32 in [−104, 89] at a stride, and every float32
//! in a window around each edge (0 and the subnormals, where the reduction's k
//! changes, the saturation, overflow and underflow thresholds), plus ±0, ±inf and NaN.
//! The contract is 2 ulp (erfc 4); these points reach 1 (erfc 3), and the tests hold
//! them to that. The AVX-512 vector form must give the scalar form's bits.

use lucid::simd::mathf::{
    erfcf, exp_nonpositive, exp_times, expf, expm1_negative, expm1f, minus_square, ExpNonpositive,
};

/// A float32's place in the ordered line of float32s (−0 and +0 both at 0).
fn ordinal(v: f32) -> i64 {
    let b = v.to_bits();
    if b >> 31 == 1 {
        -((b & 0x7fff_ffff) as i64)
    } else {
        b as i64
    }
}

/// Ulps between `got` and the float64 `want` rounded to float32.
fn ulps(got: f32, want: f64) -> i64 {
    (ordinal(got) - ordinal(want as f32)).abs()
}

/// Every float32 from `lo` to `hi` (both finite, same sign or zero) at a stride of
/// `step` representations.
fn floats(lo: f32, hi: f32, step: usize) -> impl Iterator<Item = f32> {
    (ordinal(lo)..=ordinal(hi)).step_by(step).map(|k| {
        if k < 0 {
            f32::from_bits((-k) as u32 | 0x8000_0000)
        } else {
            f32::from_bits(k as u32)
        }
    })
}

/// The `n` float32s on each side of `e`.
fn around(e: f32, n: i64) -> impl Iterator<Item = f32> {
    let k = ordinal(e);
    let at = |k: i64| if k < 0 { -f32::from_bits((-k) as u32) } else { f32::from_bits(k as u32) };
    (k - n..=k + n).map(at)
}

/// The AVX-512 form of `scalar` gives its bits on `xs` (checked where the CPU has AVX-512F).
macro_rules! same_as_vector {
    ($xs:expr, $f:ident) => {{
        #[cfg(target_arch = "x86_64")]
        {
            use lucid::simd::{mathf, Float};
            #[target_feature(enable = "avx512f")]
            unsafe fn run(xs: &[f32], out: &mut [f32]) {
                for (x, o) in xs.chunks_exact(16).zip(out.chunks_exact_mut(16)) {
                    // SAFETY: 16 values at each; the caller checked AVX-512F.
                    unsafe { mathf::store(o.as_mut_ptr(), $f(f32::load(x.as_ptr()))) };
                }
            }
            let xs: &[f32] = $xs;
            if std::is_x86_feature_detected!("avx512f") {
                let mut out = vec![0f32; xs.len() / 16 * 16];
                // SAFETY: AVX-512F was just detected.
                unsafe { run(xs, &mut out) };
                let differ = out.iter().zip(xs).position(|(v, &x)| v.to_bits() != $f(x).to_bits());
                assert!(
                    differ.is_none(),
                    "{}: vector and scalar differ at x = {:e}",
                    stringify!($f),
                    xs[differ.unwrap()]
                );
            }
        }
    }};
}

/// The worst ulps of `f` against `reference` over `xs`, and where.
fn worst(xs: &[f32], f: fn(f32) -> f32, reference: fn(f64) -> f64) -> (i64, f32) {
    let mut worst = (0, 0.0);
    for &x in xs {
        let u = ulps(f(x), reference(x as f64));
        if u > worst.0 {
            worst = (u, x);
        }
    }
    worst
}

fn stride() -> Vec<f32> {
    floats(0.0, 89.0, 331).chain(floats(-104.0, -0.0, 331)).collect()
}

const LN2: f32 = std::f32::consts::LN_2;

#[test]
fn expm1f_is_within_an_ulp_at_a_stride_over_the_whole_range() {
    let xs = stride();
    assert!(xs.len() > 6_000_000);
    let (u, at) = worst(&xs, expm1f, libm::expm1);
    assert!(u <= 1, "expm1f: {u} ulps at x = {at:e}");
    same_as_vector!(&xs, expm1f);
}

#[test]
fn expf_is_within_an_ulp_at_a_stride_over_the_whole_range() {
    let xs = stride();
    let (u, at) = worst(&xs, expf, libm::exp);
    assert!(u <= 1, "expf: {u} ulps at x = {at:e}");
    same_as_vector!(&xs, expf);
}

#[test]
fn both_are_within_an_ulp_at_every_float_near_their_edges() {
    // The least float32s (the 2²¹ least of each sign, subnormal), where eˣ − 1
    // rounds to x, the switches of k, the saturation of eˣ − 1 at −1 and its clamp,
    // overflow, eˣ's subnormal results and its underflow to 0, and the clamps.
    let mut xs: Vec<f32> = floats(0.0, f32::from_bits(1 << 21), 1).collect();
    xs.extend(floats(-f32::from_bits(1 << 21), -0.0, 1));
    for e in [2f32.powi(-25), 2f32.powi(-24), 2f32.powi(-12), 0.5 * LN2, 1.5 * LN2, 2.5 * LN2] {
        xs.extend(around(e, 1 << 16).chain(around(-e, 1 << 16)));
    }
    for e in [-17.328_68, -18.0, 88.722_84, 88.8, -87.336_55, -103.972_08, -104.0, -100.0] {
        xs.extend(around(e, 1 << 16));
    }
    xs.extend(floats(88.0, 89.0, 1)); // every float32 to past the overflow
    let (u, at) = worst(&xs, expm1f, libm::expm1);
    assert!(u <= 1, "expm1f: {u} ulps at x = {at:e}");
    let (u, at) = worst(&xs, expf, libm::exp);
    assert!(u <= 1, "expf: {u} ulps at x = {at:e}");
    same_as_vector!(&xs, expm1f);
    same_as_vector!(&xs, expf);
}

#[test]
fn the_one_sided_forms_give_the_general_forms_bits_on_their_side() {
    // What the ELU kernels run: eˣ − 1 below 0 and eˣ at and below 0, each with one
    // power of 2 (2ᵏ, and 2ᵏ⁺⁶⁴ then 2⁻⁶⁴).
    let mut xs = stride();
    xs.extend(floats(-f32::from_bits(1 << 21), -0.0, 1));
    for e in [-2f32.powi(-25), -0.5 * LN2, -17.328_68, -18.0, -87.336_55, -103.972_08, -104.0, -110.0] {
        xs.extend(around(e, 1 << 14));
    }
    xs.extend([-200.0, -1e30, f32::MIN, f32::NEG_INFINITY, -0.0, 0.0]);
    for &x in &xs {
        if x < 0.0 {
            assert_eq!(expm1_negative(x).to_bits(), expm1f(x).to_bits(), "eˣ − 1 at {x:e}");
        }
        if x <= 0.0 {
            assert_eq!(exp_nonpositive(x).to_bits(), expf(x).to_bits(), "eˣ at {x:e}");
        }
    }
    assert!(exp_nonpositive(f32::NAN).is_nan());
    let below: Vec<f32> = xs.iter().copied().filter(|&x| x < 0.0).collect();
    same_as_vector!(&below, expm1_negative);
    same_as_vector!(&below, exp_nonpositive);
}

#[test]
fn scaled_exponentials_round_once_and_the_square_splits_exactly() {
    // e^(hi + lo)·m for the GELU kernels' ranges: hi down to −110, |lo| under an ulp of
    // hi, |m| up to 64, within an ulp of the float64 reference rounded to float32 where
    // that is normal and of it unrounded by a least subnormal where it is not; and
    // −h·x² = hi + lo exactly.
    let (mut worst_normal, mut worst_subnormal) = (0, 0.0f64);
    for &hi in floats(-110.0, -0.0, 997).collect::<Vec<_>>().iter() {
        for (j, m) in [1.0f32, 0.3, -7.5, 64.0, 2f32.powi(-20), -1e-30].into_iter().enumerate() {
            let lo = hi * 2f32.powi(-25) * [0.0, 0.7, -0.45][j % 3];
            let got = exp_times(hi, lo, m);
            let want = (hi as f64 + lo as f64).exp() * m as f64;
            if want.abs() >= f32::MIN_POSITIVE as f64 {
                worst_normal = worst_normal.max(ulps(got, want));
            } else {
                let least = f32::from_bits(1) as f64;
                worst_subnormal = worst_subnormal.max((got as f64 - want).abs() / least);
            }
        }
        assert_eq!(ExpNonpositive::of(hi, None).value().to_bits(), exp_nonpositive(hi).to_bits());
    }
    assert!(worst_normal <= 1 && worst_subnormal <= 1.0, "{worst_normal} ulps, {worst_subnormal}");
    // (Where x²·h and its rounding error are normal.)
    for &x in stride().iter().step_by(7).filter(|x| x.abs() >= 2f32.powi(-50)) {
        for h in [1.0, 0.5] {
            let (hi, lo) = minus_square(x, h);
            assert_eq!(hi as f64 + lo as f64, -(h as f64) * (x as f64) * (x as f64), "x = {x:e}");
        }
    }
}

#[test]
fn the_special_values_are_libms() {
    let inf = f32::INFINITY;
    assert_eq!(expm1f(0.0f32).to_bits(), 0);
    assert_eq!(expm1f(-0.0f32).to_bits(), (-0.0f32).to_bits());
    assert_eq!((expm1f(inf), expm1f(-inf), expm1f(f32::MAX), expm1f(f32::MIN)), (inf, -1.0, inf, -1.0));
    assert_eq!((expf(0.0f32), expf(-0.0f32), expf(inf), expf(-inf)), (1.0, 1.0, inf, 0.0));
    assert_eq!((expf(f32::MAX), expf(f32::MIN), expf(-104.0f32)), (inf, 0.0, 0.0));
    let tiny = f32::from_bits(1);
    assert_eq!((expm1f(tiny), expm1f(-tiny), expf(tiny)), (tiny, -tiny, 1.0));
    assert!(expm1f(f32::NAN).is_nan() && expf(f32::NAN).is_nan() && expf(-f32::NAN).is_nan());
    // The vector forms agree on these too.
    let specials =
        [0.0, -0.0, inf, -inf, f32::MAX, f32::MIN, tiny, -tiny, f32::NAN, 1.0, -1.0, 88.7, -88.0, -104.0];
    let specials: Vec<f32> = specials.iter().chain(&[-103.9, 50.0]).copied().collect();
    same_as_vector!(&specials, expm1f);
    same_as_vector!(&specials, expf);
}

#[test]
fn erfcf_is_within_3_ulp_at_a_stride_and_near_its_edges() {
    let mut xs = stride();
    xs.extend(floats(0.0, f32::from_bits(1 << 21), 1).chain(floats(-f32::from_bits(1 << 21), -0.0, 1)));
    // Where its variable q = (|x| − 2)/(|x| + 2) crosses 0, the result's last binades
    // before 2 and before underflow, and the clamp.
    for e in [2.0, -2.0, 0.5, -0.5, 1.0, -3.9, -3.8, 9.0, 10.0, 10.05, 10.3] {
        xs.extend(around(e, 1 << 16));
    }
    let (u, at) = worst(&xs, erfcf, libm::erfc);
    assert!(u <= 3, "erfcf: {u} ulps at x = {at:e}");
    same_as_vector!(&xs, erfcf);
    let inf = f32::INFINITY;
    assert_eq!(
        (erfcf(0.0f32), erfcf(-0.0f32), erfcf(inf), erfcf(-inf), erfcf(20.0f32)),
        (1.0, 1.0, 0.0, 2.0, 0.0)
    );
    assert!(erfcf(f32::NAN).is_nan());
}
