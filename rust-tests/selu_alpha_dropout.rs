//! SELU then alpha dropout in one pass each way (`dropout::fused`): bit for bit the
//! unfused pair (`activation::forward` then `dropout::forward`; `dropout::backward`
//! then `activation::backward`) from the same generator state, at every SIMD level,
//! for 1 and 2 threads, any chunk size, streamed stores, p = 0 and p = 1, a broadcast
//! dy; the row kernels (one bit per channel) against `channel`'s likewise; the law
//! against a plain reference; length errors.

mod common;

use common::{at_every_simd_level, chunk, edge_sizes, ramp, reference_keep, with_stream_bytes, with_threads};
use lucid::activation::{self, Activation, SELU};
use lucid::dropout::{self, channel, fused, Coefficients};
use lucid::mask::BitMask;
use lucid::par::Chunk;
use lucid::rng::Generator;
use lucid::simd::Float;

/// A ramp with the values that test the edges: ±0, NaN, ±∞, deep negatives, tiny ones.
fn inputs<T: Float>(n: usize) -> Vec<T> {
    let specials = [0.0, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -800.0, -40.0, 1e-300, -1e-9];
    let mut z: Vec<f64> = ramp(n).iter().map(|v| 4.0 * v).collect();
    for (i, &s) in specials.iter().enumerate() {
        if let Some(v) = z.get_mut(i * 37 % n.max(1)) {
            *v = s;
        }
    }
    z.into_iter().map(T::from_f64).collect()
}

fn bits<T: Float>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

type Pass<T> = (Vec<T>, BitMask, Vec<T>, Vec<T>);

/// (y, mask, dz for a full dy, dz for a one-element dy), fused or unfused.
fn run<T: Float>(z: &[T], p: f64, seed: u64, ch: Chunk, fuse: bool) -> Pass<T> {
    let n = z.len();
    let coef = Coefficients::alpha(p).unwrap();
    let plan = dropout::plan(coef, n, &mut Generator::new(seed, 3)).unwrap();
    let (mut y, mut mask) = (vec![T::from_f64(0.0); n], BitMask::zeros(n));
    let dy: Vec<T> = ramp(n + 5)[5..].iter().map(|&v| T::from_f64(v - 0.25)).collect();
    let one = [T::from_f64(-1.5)];
    let (mut dz, mut dz1) = (vec![T::from_f64(0.0); n], vec![T::from_f64(0.0); n]);
    if fuse {
        fused::forward(z, &mut y, &mut mask, &plan, ch).unwrap();
        fused::backward(z, &dy, &mask, coef.a, &mut dz, ch).unwrap();
        fused::backward(z, &one, &mask, coef.a, &mut dz1, ch).unwrap();
    } else {
        let mut s = vec![T::from_f64(0.0); n];
        activation::forward(z, &mut s, Activation::Selu, ch).unwrap();
        dropout::forward(&s, &mut y, &mut mask, &plan, ch).unwrap();
        let mut g = vec![T::from_f64(0.0); n];
        dropout::backward(&dy, &mask, coef.a, &mut g, ch).unwrap();
        activation::backward(z, &g, &mut dz, Activation::Selu, ch).unwrap();
        dropout::backward(&one, &mask, coef.a, &mut g, ch).unwrap();
        activation::backward(z, &g, &mut dz1, Activation::Selu, ch).unwrap();
    }
    (y, mask, dz, dz1)
}

fn same<T: Float>(a: &Pass<T>, b: &Pass<T>, what: &str) {
    assert_eq!(bits(&a.0), bits(&b.0), "y, {what}");
    assert_eq!(a.1, b.1, "mask, {what}");
    assert_eq!(bits(&a.2), bits(&b.2), "dz, {what}");
    assert_eq!(bits(&a.3), bits(&b.3), "dz for a one-element dy, {what}");
}

fn fused_is_unfused<T: Float>(sizes: &[usize], ps: &[f64]) {
    for &n in sizes {
        let z = inputs::<T>(n);
        for &p in ps {
            let reference = run(&z, p, 11, Chunk::for_len(n), false);
            for threads in [1, 2] {
                for ch in [Chunk::for_len(n), chunk(4096), chunk(3 * 4096)] {
                    let got = with_threads(threads, || run(&z, p, 11, ch, true));
                    same(&got, &reference, &format!("n = {n}, p = {p}, {threads} threads, {ch:?}"));
                }
            }
        }
    }
}

#[test]
fn fused_is_the_unfused_pair_bit_for_bit_at_every_simd_level() {
    let ps = [0.0, 0.1, 0.5, 0.97, 1.0];
    at_every_simd_level(|_| {
        fused_is_unfused::<f32>(&edge_sizes(), &ps);
        fused_is_unfused::<f64>(&[0, 1, 65, 1000, 70_001], &ps);
    });
}

#[test]
fn streamed_stores_give_the_same_bits() {
    with_stream_bytes(0, || {
        fused_is_unfused::<f32>(&[1, 64, 4097, 70_001], &[0.2, 1.0]);
        fused_is_unfused::<f64>(&[63, 70_001], &[0.2]);
    });
}

#[test]
fn fused_follows_the_law_of_selu_then_alpha_dropout() {
    let n = 20_000;
    let z = inputs::<f64>(n);
    let p = 0.3;
    let coef = Coefficients::alpha(p).unwrap();
    let plan = dropout::plan(coef, n, &mut Generator::new(9, 0)).unwrap();
    let (mut y, mut mask) = (vec![0.0; n], BitMask::zeros(n));
    fused::forward(&z, &mut y, &mut mask, &plan, Chunk::DEFAULT).unwrap();
    let keep = reference_keep(&plan.draw.unwrap(), n, coef.threshold);
    let dy = ramp(n);
    let mut dz = vec![0.0; n];
    fused::backward(&z, &dy, &mask, coef.a, &mut dz, Chunk::DEFAULT).unwrap();
    for i in 0..n {
        assert_eq!(mask.get(i), keep[i], "bit {i}");
        let want = if keep[i] { coef.a * SELU.value(z[i]) + coef.b } else { coef.dropped };
        assert_eq!(y[i].to_bits(), want.to_bits(), "y[{i}] for z = {}", z[i]);
        let grad = dy[i] * if keep[i] { coef.a } else { 0.0 };
        assert_eq!(dz[i].to_bits(), (grad * SELU.slope(z[i])).to_bits(), "dz[{i}]");
    }
}

#[test]
fn p_zero_is_selu_and_p_one_is_zeros() {
    let z = inputs::<f32>(5000);
    let (y, mask, dz, _) = run(&z, 0.0, 1, Chunk::DEFAULT, true);
    assert_eq!(mask, BitMask::ones(5000));
    let mut s = vec![0f32; 5000];
    activation::forward(&z, &mut s, Activation::Selu, Chunk::DEFAULT).unwrap();
    assert_eq!(bits(&y), bits(&s));
    assert!(dz.iter().zip(&z).all(|(g, v)| v.is_nan() == g.is_nan()));
    let (y, mask, dz, dz1) = run(&z, 1.0, 1, Chunk::DEFAULT, true);
    assert_eq!(mask, BitMask::zeros(5000));
    assert!(y.iter().all(|&v| v.to_bits() == 0));
    // dy·0·selu'(z): zero, but NaN where z is (selu'(NaN) is NaN), as unfused.
    for (i, v) in z.iter().enumerate() {
        assert_eq!(dz[i] == 0.0, !v.is_nan(), "dz[{i}]");
        assert_eq!(dz1[i] == 0.0, !v.is_nan(), "dz1[{i}]");
    }
}

#[test]
fn lengths_that_disagree_are_errors_naming_the_argument() {
    let coef = Coefficients::alpha(0.5).unwrap();
    let plan = dropout::plan(coef, 10, &mut Generator::new(0, 0)).unwrap();
    let z = [0.5f32; 10];
    let mut mask = BitMask::zeros(10);
    let err = fused::forward(&z, &mut [0f32; 9], &mut mask, &plan, Chunk::DEFAULT).unwrap_err();
    assert!(err.to_string().contains("y"), "{err}");
    let err =
        fused::forward(&z, &mut [0f32; 10], &mut BitMask::zeros(11), &plan, Chunk::DEFAULT).unwrap_err();
    assert!(err.to_string().contains("mask"), "{err}");
    let err = fused::backward(&z, &[1f32; 9], &mask, coef.a, &mut [0f32; 10], Chunk::DEFAULT).unwrap_err();
    assert!(err.to_string().contains("dy"), "{err}");
    let err =
        fused::backward(&z[..9], &[1f32; 10], &mask, coef.a, &mut [0f32; 10], Chunk::DEFAULT).unwrap_err();
    assert!(err.to_string().contains("z"), "{err}");
    let err = fused::backward(&z, &[1f32; 10], &mask, coef.a, &mut [0f32; 8], Chunk::DEFAULT).unwrap_err();
    assert!(err.to_string().contains("dz"), "{err}");
}

/// (y, dz for a full dy, dz for a one-element dy) by rows, fused or unfused.
fn rows<T: Float>(z: &[T], mask: &BitMask, row: usize, coef: &Coefficients, fuse: bool) -> [Vec<T>; 3] {
    let (n, ch) = (z.len(), Chunk::for_len(z.len()));
    let dy: Vec<T> = ramp(n + 2)[2..].iter().map(|&v| T::from_f64(v)).collect();
    let one = [T::from_f64(0.75)];
    let mut out = [vec![T::from_f64(0.0); n], vec![T::from_f64(0.0); n], vec![T::from_f64(0.0); n]];
    if fuse {
        fused::rows_forward(z, &mut out[0], mask, row, coef, ch).unwrap();
        fused::rows_backward(z, &dy, mask, row, coef.a, &mut out[1], ch).unwrap();
        fused::rows_backward(z, &one, mask, row, coef.a, &mut out[2], ch).unwrap();
    } else {
        let (mut s, mut g) = (vec![T::from_f64(0.0); n], vec![T::from_f64(0.0); n]);
        activation::forward(z, &mut s, Activation::Selu, ch).unwrap();
        channel::forward(&s, &mut out[0], mask, row, coef, ch).unwrap();
        channel::backward(&dy, mask, row, coef.a, &mut g, ch).unwrap();
        activation::backward(z, &g, &mut out[1], Activation::Selu, ch).unwrap();
        channel::backward(&one, mask, row, coef.a, &mut g, ch).unwrap();
        activation::backward(z, &g, &mut out[2], Activation::Selu, ch).unwrap();
    }
    out
}

fn rows_match<T: Float>() {
    for (count, row) in [(0, 5), (1, 1), (3, 1), (70_001, 1), (7, 9), (130, 1001), (2, 70_001)] {
        let z = inputs::<T>(count * row);
        for p in [0.3, 1.0] {
            let coef = Coefficients::alpha(p).unwrap();
            let plan = dropout::plan(coef, count, &mut Generator::new(4, 2)).unwrap();
            let mut mask = BitMask::zeros(count);
            dropout::sample(&mut mask, &plan, Chunk::for_len(count)).unwrap();
            let reference = rows(&z, &mask, row, &coef, false);
            for threads in [1, 2] {
                let got = with_threads(threads, || rows(&z, &mask, row, &coef, true));
                for (g, r) in got.iter().zip(&reference) {
                    assert_eq!(bits(g), bits(r), "{count} rows of {row}, p = {p}, {threads} threads");
                }
            }
        }
    }
}

#[test]
fn fused_rows_are_the_unfused_channel_pair_bit_for_bit_at_every_simd_level() {
    at_every_simd_level(|_| {
        rows_match::<f32>();
        rows_match::<f64>();
    });
}

#[test]
fn row_lengths_that_disagree_are_errors() {
    let coef = Coefficients::alpha(0.5).unwrap();
    let mask = BitMask::ones(3);
    let z = [0.5f64; 12];
    let err = fused::rows_forward(&z[..11], &mut [0.0; 12], &mask, 4, &coef, Chunk::DEFAULT).unwrap_err();
    assert!(err.to_string().contains("z") && err.to_string().contains("3 rows of 4"), "{err}");
    let err =
        fused::rows_backward(&z, &[1.0; 11], &mask, 4, coef.a, &mut [0.0; 12], Chunk::DEFAULT).unwrap_err();
    assert!(err.to_string().contains("dy"), "{err}");
}
