//! GELU and ELU/SELU: known values, derivatives against finite differences, backward
//! as dy times the rounded slope, and results that do not depend on the chunk size.

mod common;

use common::chunk;
use lucid::activation::{
    backward, forward, value_slope_f32, Activation, Elu, Gelu, SELU_ALPHA as ALPHA, SELU_SCALE as LAMBDA,
};
use lucid::par::Chunk;

const SELU: Elu = Elu { alpha: ALPHA, scale: LAMBDA };

/// Each activation under test as (name, activation, value, slope).
type Scalar = Box<dyn Fn(f64) -> f64 + Sync>;

fn functions() -> [(&'static str, Activation, Scalar, Scalar); 4] {
    let elu = Elu { alpha: 0.7, scale: 1.3 };
    [
        ("gelu", Activation::Gelu, Box::new(|x| Gelu::Exact.value(x)), Box::new(|x| Gelu::Exact.slope(x))),
        (
            "gelu tanh",
            Activation::GeluTanh,
            Box::new(|x| Gelu::Tanh.value(x)),
            Box::new(|x| Gelu::Tanh.slope(x)),
        ),
        ("selu", Activation::Selu, Box::new(|x| SELU.value(x)), Box::new(|x| SELU.slope(x))),
        (
            "elu",
            Activation::Elu { alpha: 0.7, scale: 1.3 },
            Box::new(move |x| elu.value(x)),
            Box::new(move |x| elu.slope(x)),
        ),
    ]
}

fn close(got: f64, want: f64, ulps: f64) -> bool {
    (got - want).abs() <= ulps * f64::EPSILON * want.abs()
}

#[test]
fn exact_gelu_matches_known_values_of_the_normal_cdf() {
    // x·Φ(x) with Φ(1) = 0.841344746068542948585…, Φ(−1) = 0.158655253931457051415…,
    // Φ(3) = 0.998650101968369905473…, Φ(−10) = 7.61985302416052606597…e−24.
    for (x, want) in [
        (1.0, 0.841_344_746_068_542_9),
        (-1.0, -0.158_655_253_931_457_05),
        (3.0, 2.995_950_305_905_11),
        (-10.0, -7.619_853_024_160_526e-23),
        (0.0, 0.0),
    ] {
        // The argument −x/√2 is rounded (relative ε/2), and erfc(u) has condition
        // number about 2u² = x²: allow that on top of erfc's own ulp or two.
        let got = Gelu::Exact.value(x);
        assert!(close(got, want, 2.0 + x * x), "GELU({x}) = {got:e}, want {want:e}");
    }
}

#[test]
fn tanh_gelu_matches_pytorch() {
    // torch.nn.functional.gelu(x, approximate="tanh") in float64, PyTorch 2.15.
    for (x, want) in
        [(1.0, 0.841_191_990_608_276_8), (-1.0, -0.158_808_009_391_723_24), (3.0, 2.996_362_607_918_227)]
    {
        let got = Gelu::Tanh.value(x);
        assert!(close(got, want, 4.0), "GELU_tanh({x}) = {got:e}, want {want:e}");
    }
}

#[test]
fn selu_and_elu_match_their_definitions() {
    // λ·x above 0; λα(eˣ − 1) below, exact for tiny x thanks to expm1.
    assert_eq!(SELU.value(1.0), LAMBDA);
    assert!(close(SELU.value(-1.0), LAMBDA * ALPHA * (-1f64).exp_m1(), 1.0));
    assert!(close(SELU.value(-1e-300), -LAMBDA * ALPHA * 1e-300, 1.0));
    assert!(close(SELU.value(-800.0), -LAMBDA * ALPHA, 1.0));
    let elu = Elu { alpha: 0.5, scale: 1.0 };
    assert_eq!((elu.value(2.0), elu.slope(2.0), elu.slope(0.0)), (2.0, 1.0, 0.5));
    assert!(SELU.value(f64::NAN).is_nan() && SELU.slope(f64::NAN).is_nan());
    assert_eq!((SELU.value(f64::INFINITY), SELU.value(f64::NEG_INFINITY)), (f64::INFINITY, -LAMBDA * ALPHA));
}

#[test]
fn the_derivatives_agree_with_central_differences() {
    for (name, _, value, slope) in functions() {
        for i in -60..=60 {
            let x = i as f64 / 10.0 + 0.013; // off the grid and off SELU's kink at 0
            let h = 1e-5;
            let numeric = (value(x + h) - value(x - h)) / (2.0 * h);
            // The difference quotient's own error: h²·|f'''|/6 plus rounding ε·|f|/h.
            let slack = 1e-9 + 1e-11 * value(x).abs();
            assert!((slope(x) - numeric).abs() <= slack, "{name} at {x}: {} vs {numeric}", slope(x));
        }
    }
}

#[test]
fn results_do_not_depend_on_the_chunk_size() {
    let x: Vec<f32> = (0..20_011).map(|i| (i as f32 * 0.37).sin() * 8.0).collect();
    let dy: Vec<f32> = (0..20_011).map(|i| (i as f32 * 0.11).cos()).collect();
    for (name, act, value, slope) in functions() {
        let (mut y, mut dx) = (vec![0f32; x.len()], vec![0f32; x.len()]);
        forward(&x, &mut y, act, chunk(1 << 20)).unwrap();
        backward(&x, &dy, &mut dx, act, chunk(1 << 20)).unwrap();
        // Each output is the float32 formula's, or the float64 value rounded once where
        // there is none; dx is dy times the rounded slope.
        let f32_formula =
            |v: f32| value_slope_f32(act, v).unwrap_or((value(v as f64) as f32, slope(v as f64) as f32));
        assert!(x.iter().zip(&y).all(|(&v, &o)| o == f32_formula(v).0), "{name}");
        assert!(x.iter().zip(&dy).zip(&dx).all(|((&v, &g), &o)| o == g * f32_formula(v).1), "{name}");
        // A one-element dy stands for that value everywhere.
        let (mut one, mut full) = (vec![0f32; x.len()], vec![0f32; x.len()]);
        backward(&x, &[0.75], &mut one, act, chunk(4096)).unwrap();
        backward(&x, &vec![0.75; x.len()], &mut full, act, chunk(4096)).unwrap();
        assert!(one == full, "{name}: a broadcast dy");
        for size in [4096, 8192, 3 * 4096] {
            let (mut y2, mut dx2) = (vec![0f32; x.len()], vec![0f32; x.len()]);
            forward(&x, &mut y2, act, chunk(size)).unwrap();
            backward(&x, &dy, &mut dx2, act, chunk(size)).unwrap();
            assert!(y2 == y && dx2 == dx, "{name} chunk {size}");
        }
        // The scalar form agrees with the formula it names.
        assert!(x
            .iter()
            .all(|&v| act.value(v as f64) == value(v as f64) && act.slope(v as f64) == slope(v as f64)));
    }
}

#[test]
fn every_simd_level_gives_the_same_values() {
    // The test above compares each output with the function called here (baseline
    // x86_64 code); at the default level the kernels run their AVX2 build.
    common::at_every_simd_level(|_| results_do_not_depend_on_the_chunk_size());
}

#[test]
fn bad_arguments_are_errors_naming_them() {
    let err = Gelu::parse("erf").unwrap_err().to_string();
    assert!(err.contains("approximate") && err.contains("\"erf\""), "{err}");
    let f = Activation::Selu;
    let err = forward(&[1.0f64; 3], &mut [0.0; 2], f, Chunk::DEFAULT).unwrap_err().to_string();
    assert!(err.contains("out") && err.contains("2 elements"), "{err}");
    let err = backward(&[1.0f64; 3], &[1.0; 4], &mut [0.0; 3], f, Chunk::DEFAULT).unwrap_err().to_string();
    assert!(err.contains("dy") && err.contains("4 elements"), "{err}");
    assert!(Chunk::new(0).is_err(), "chunk 0");
    // The table: names and params are checked, each error naming the argument and value.
    assert_eq!(Activation::parse("selu", &[]).unwrap(), Activation::Selu);
    assert_eq!(Activation::parse("elu", &[0.5]).unwrap(), Activation::Elu { alpha: 0.5, scale: 1.0 });
    let err = Activation::parse("relu", &[]).unwrap_err().to_string();
    assert_eq!(err, "name must be one of \"elu\", \"selu\", \"gelu\", \"gelu_tanh\", got \"relu\"");
    let err = Activation::parse("gelu", &[1.0]).unwrap_err().to_string();
    assert_eq!(err, "params must be () for \"gelu\", got (1.0,)");
    let err = Activation::parse("elu", &[1.0, f64::INFINITY]).unwrap_err().to_string();
    assert!(
        err.starts_with("params must be (alpha,) or (alpha, scale)") && err.ends_with("got (1.0, inf)"),
        "{err}"
    );
}

#[test]
fn the_branch_free_exponentials_are_within_an_ulp_or_so_of_libm() {
    use lucid::activation::{exp_nonpositive, expm1_nonpositive};
    let ulps = |got: f64, want: f64| {
        if got == want {
            return 0.0;
        }
        (got - want).abs() / (want.abs() * f64::EPSILON).max(f64::from_bits(1))
    };
    let (mut worst_expm1, mut worst_exp) = (0f64, 0f64);
    let mut points: Vec<f64> = (0..=2_000_000).map(|i| -800.0 * i as f64 / 2e6).collect();
    points.extend((0..=2000).map(|i| -(10f64.powf(-320.0 + i as f64 * 0.16))));
    points.extend([-0.0, -37.5, -37.49, -37.51, -745.2, -745.1, -708.4, -0.3465, -0.3466]);
    for &x in &points {
        worst_expm1 = worst_expm1.max(ulps(expm1_nonpositive(x), libm::expm1(x)));
        // Subnormal results carry fewer bits: compare those absolutely, in units of the
        // smallest subnormal.
        let (got, want) = (exp_nonpositive(x), libm::exp(x));
        if want >= f64::MIN_POSITIVE {
            worst_exp = worst_exp.max(ulps(got, want));
        } else {
            assert!((got - want).abs() <= 2.0 * f64::from_bits(1), "exp({x}) = {got:e}, libm {want:e}");
        }
    }
    assert!(worst_expm1 <= 2.0 && worst_exp <= 2.0, "expm1 {worst_expm1} ulps, exp {worst_exp} ulps");
    assert!(expm1_nonpositive(f64::NAN).is_nan() && exp_nonpositive(f64::NAN).is_nan());
    assert_eq!((expm1_nonpositive(f64::NEG_INFINITY), exp_nonpositive(f64::NEG_INFINITY)), (-1.0, 0.0));
    assert_eq!((expm1_nonpositive(-0.0).to_bits(), exp_nonpositive(0.0)), ((-0.0f64).to_bits(), 1.0));
}

/// Ulps between two float32s (the line of float32s, −0 at +0).
fn ulps32(a: f32, b: f32) -> i64 {
    let ordinal = |v: f32| {
        if v.is_sign_negative() {
            -((v.to_bits() & 0x7fff_ffff) as i64)
        } else {
            v.to_bits() as i64
        }
    };
    (ordinal(a) - ordinal(b)).abs()
}

#[test]
fn float32_selu_and_elu_are_within_2_ulp_of_the_float64_formula_rounded_once() {
    // eˣ − 1 and eˣ within an ulp at worst (rust-tests/mathf.rs), one multiply by
    // scale·α rounded to float32: 2 ulp in all; scale·x above 0 is within an ulp.
    let xs: Vec<f32> =
        (0..=4_000_000).map(|i| -110.0 + i as f32 * 30e-6).chain([-0.0, 0.0, 1e-30, -1e-40]).collect();
    for (act, e) in [
        (Activation::Selu, SELU),
        (Activation::Elu { alpha: 0.7, scale: 1.3 }, Elu { alpha: 0.7, scale: 1.3 }),
    ] {
        let (mut worst_value, mut worst_slope) = (0, 0);
        for &x in &xs {
            let (v, s) = value_slope_f32(act, x).expect("a float32 formula");
            worst_value = worst_value.max(ulps32(v, e.value(x as f64) as f32));
            worst_slope = worst_slope.max(ulps32(s, e.slope(x as f64) as f32));
        }
        assert!(worst_value <= 2 && worst_slope <= 2, "{act:?}: {worst_value} and {worst_slope} ulps");
    }
}

#[test]
fn float32_kernels_give_the_formula_streamed_or_not_aligned_or_not() {
    // The special values both in the vector body and in the tail.
    let tiny = f32::from_bits(1);
    let specials = [0.0, -0.0, tiny, -tiny, 1e-30, -1e-30, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
    let mut x: Vec<f32> = specials.to_vec();
    x.extend((0..3 * 4096 + 77).map(|i| (i as f32 * 0.37).sin() * 30.0));
    x.extend(specials);
    let dy: Vec<f32> = (0..x.len()).map(|i| (i as f32 * 0.11).cos()).collect();
    // (at_every_simd_level restores the threshold with the level.)
    {
        common::at_every_simd_level(|level| {
            lucid::simd::set_stream_bytes(0).unwrap();
            for (_, act, _, _) in functions() {
                for skip in [0, 1] {
                    // Skipping one element leaves the output unaligned: the stores are then normal.
                    let (xs, gs) = (&x[skip..], &dy[skip..]);
                    let (mut y, mut dx) =
                        (common::aligned_zeros::<f32>(x.len()), common::aligned_zeros::<f32>(x.len()));
                    let (y, dx) = (
                        &mut y.as_mut_slice::<f32>().unwrap()[skip..],
                        &mut dx.as_mut_slice::<f32>().unwrap()[skip..],
                    );
                    forward(xs, y, act, chunk(4096)).unwrap();
                    backward(xs, gs, dx, act, chunk(4096)).unwrap();
                    for ((&v, &g), (&o, &d)) in xs.iter().zip(gs).zip(y.iter().zip(dx.iter())) {
                        let (value, slope) = value_slope_f32(act, v).unwrap();
                        assert!(
                            o.to_bits() == value.to_bits() && d.to_bits() == (g * slope).to_bits(),
                            "{act:?} at {v} ({level:?}, skip {skip})"
                        );
                    }
                }
            }
        })
    }
}

#[test]
fn float32_gelu_is_within_3_ulp_of_the_float64_formula_and_its_slope_of_its_terms() {
    let xs: Vec<f32> = (0..=3_000_000)
        .map(|i| -15.0 + i as f32 * 10e-6)
        .chain([-0.0, 0.0, 1e-30, -1e-40, 1e30, -1e30, -1.6e18, -20.0])
        .collect();
    let (mut worst_value, mut worst_slope) = (0, 0f64);
    for &x in &xs {
        let (v, s) = value_slope_f32(Activation::Gelu, x).expect("a float32 formula");
        let want = Gelu::Exact.value(x as f64);
        // Subnormal values carry fewer digits: count those in units of the least subnormal.
        worst_value = worst_value.max(ulps32(v, want as f32));
        // The slope's two terms cancel near x = −0.75: bound its error by their size
        // (and by the least subnormal, where the slope underflows).
        let xd = x as f64;
        let terms = 0.5 * libm::erfc(-xd * std::f64::consts::FRAC_1_SQRT_2)
            + (xd * 0.398_942_280_401_432_7 * (-0.5 * xd * xd).exp()).abs();
        let err = (s as f64 - Gelu::Exact.slope(xd)).abs()
            / (terms * f32::EPSILON as f64 + f32::from_bits(1) as f64);
        worst_slope = worst_slope.max(err);
    }
    assert!(
        worst_value <= 3 && worst_slope <= 2.5,
        "GELU: {worst_value} ulps, slope {worst_slope} ε of its terms"
    );
}

#[test]
fn float32_tanh_gelu_is_close_to_the_float64_formula() {
    // The formula as x·σ(2z) in float64 (where 1 + tanh(z) would cancel to 0 in the
    // tail); e^(−2z) from a float32 z has the error of z's rounding, a few ε of |2z|,
    // so the bound grows with it; values under 2⁻¹²⁶ may be off by two least subnormals
    // (x/(1 + e^(−2z)) underflows through an infinite e^(−2z)).
    let xs: Vec<f32> = (0..=2_000_000)
        .map(|i| -12.0 + i as f32 * 10e-6)
        .chain([-0.0, 0.0, 1e-30, -1e-40, 1e30, -1e30, -1.6e18, -30.0])
        .collect();
    let (k, c) = (0.797_884_560_802_865_4, 0.044_715);
    for &x in &xs {
        let (v, s) = value_slope_f32(Activation::GeluTanh, x).expect("a float32 formula");
        let (xd, xc) = (x as f64, (x as f64).clamp(-20.0, 20.0));
        let z2 = 2.0 * k * (xc + c * xc * xc * xc);
        let sigma = 1.0 / (1.0 + (-z2).exp());
        let (want, slope) =
            (xd * sigma, sigma + xd * sigma * (1.0 - sigma) * 2.0 * k * (1.0 + 3.0 * c * xc * xc));
        let bound = (4.0 + 3.0 * z2.abs()) * f32::EPSILON as f64;
        assert!(
            (v as f64 - want).abs() <= bound * want.abs() + 3e-45,
            "GELU_tanh({x:e}) = {v:e}, want {want:e}"
        );
        let err = (s as f64 - slope).abs();
        assert!(
            err <= bound * (1.0 + (xd * slope).abs()) + 3e-45,
            "GELU_tanh'({x:e}) = {s:e}, want {slope:e}"
        );
    }
}

#[test]
fn float32_special_values_are_the_float64_formulas() {
    // Signed zeros, the least subnormals, the infinities and NaN: the float32 value and
    // slope have the float64 ones' sign, NaN-ness and infinities, and are within 2 ulp
    // of them rounded.
    let tiny = f32::from_bits(1);
    let specials = [0.0, -0.0, tiny, -tiny, 1e-30, -1e-30, f32::INFINITY, f32::NEG_INFINITY, f32::NAN];
    for (name, act, value, slope) in functions() {
        for x in specials {
            let (v, s) = value_slope_f32(act, x).expect("a float32 formula");
            for (got, want, what) in
                [(v, value(x as f64) as f32, "value"), (s, slope(x as f64) as f32, "slope")]
            {
                let same = if want.is_nan() {
                    got.is_nan()
                } else {
                    got.is_sign_negative() == want.is_sign_negative()
                        && got.is_infinite() == want.is_infinite()
                        && ulps32(got, want) <= 2
                };
                assert!(same, "{name} {what} at {x:e}: {got:e}, the float64 formula's {want:e}");
            }
        }
    }
}
