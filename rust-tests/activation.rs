//! GELU and ELU/SELU: known values, derivatives against finite differences, backward
//! as dy times the rounded slope, and results that do not depend on the chunk size.

mod common;

use common::chunk;
use lucid::activation::{
    backward, forward, Activation, Elu, Gelu, SELU_ALPHA as ALPHA, SELU_SCALE as LAMBDA,
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
        // Each output is the float64 value rounded once; dx is dy times the rounded slope.
        assert!(x.iter().zip(&y).all(|(&v, &o)| o == value(v as f64) as f32), "{name}");
        assert!(x.iter().zip(&dy).zip(&dx).all(|((&v, &g), &o)| o == g * slope(v as f64) as f32), "{name}");
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
