//! GELU: known values of both forms, the derivative against finite differences, and
//! results that do not depend on the chunk size or the thread count.

use lucid::activation::{gelu, Gelu};

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
fn the_derivative_agrees_with_central_differences() {
    for form in [Gelu::Exact, Gelu::Tanh] {
        for i in -60..=60 {
            let x = i as f64 / 10.0 + 0.013; // off the grid, where nothing is special
            let h = 1e-5;
            let numeric = (form.value(x + h) - form.value(x - h)) / (2.0 * h);
            // The difference quotient's own error: h²·|f'''|/6 plus rounding ε·|f|/h.
            let slack = 1e-9 + 1e-11 * form.value(x).abs();
            assert!(
                (form.slope(x) - numeric).abs() <= slack,
                "{form:?} at {x}: {} vs {numeric}",
                form.slope(x)
            );
        }
    }
}

#[test]
fn results_do_not_depend_on_the_chunk_size() {
    let x: Vec<f32> = (0..20_011).map(|i| (i as f32 * 0.37).sin() * 8.0).collect();
    for form in [Gelu::Exact, Gelu::Tanh] {
        for derivative in [false, true] {
            let mut whole = vec![0f32; x.len()];
            gelu(&x, &mut whole, form, derivative, 1 << 20).unwrap();
            for chunk in [64, 4096, 4992] {
                let mut parts = vec![0f32; x.len()];
                gelu(&x, &mut parts, form, derivative, chunk).unwrap();
                assert_eq!(parts, whole, "{form:?} derivative {derivative} chunk {chunk}");
            }
            // Each float32 is the float64 value rounded once.
            let f = if derivative { Gelu::slope } else { Gelu::value };
            assert!(x.iter().zip(&whole).all(|(&v, &y)| y == f(form, v as f64) as f32));
        }
    }
}

#[test]
fn bad_arguments_are_errors_naming_them() {
    let err = Gelu::parse("erf").unwrap_err().to_string();
    assert!(err.contains("approximate") && err.contains("\"erf\""), "{err}");
    let err = gelu(&[1.0f64; 3], &mut [0.0; 2], Gelu::Exact, false, 64).unwrap_err().to_string();
    assert!(err.contains("out") && err.contains("2 elements"), "{err}");
    assert!(gelu(&[1.0f64; 3], &mut [0.0; 3], Gelu::Exact, false, 0).is_err(), "chunk 0");
}
