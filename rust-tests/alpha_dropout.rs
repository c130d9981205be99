//! Alpha dropout kernels: the exact law given the mask, the mask against the
//! contract's words, thread-count and chunk independence, statistics and edges.

// Tests index x, y and the mask side by side; an index reads clearer than zips.
#![allow(clippy::needless_range_loop)]

mod common;

use common::{aligned_zeros, at_every_simd_level, chunk, edge_sizes, ramp, reference_keep, with_threads};
use lucid::dropout::{self, Coefficients, Plan, ALPHA, ALPHA_PRIME, LAMBDA};
use lucid::mask::BitMask;
use lucid::par::{Chunk, DEFAULT_CHUNK};
use lucid::rng::{self, Float, Generator};
use rand_core::Rng;

/// Check p and reserve the words an alpha-dropout forward of n elements uses.
fn alpha_plan(p: f64, n: usize, gen: &mut Generator) -> lucid::Result<Plan> {
    dropout::plan(Coefficients::alpha(p)?, n, gen)
}

fn run<T: Float>(x: &[T], p: f64, gen: &mut Generator, chunk: Chunk) -> (Vec<T>, BitMask, Plan) {
    let plan = alpha_plan(p, x.len(), gen).unwrap();
    let mut y = aligned_zeros::<T>(x.len());
    let mut mask = BitMask::zeros(x.len());
    dropout::forward(x, y.as_mut_slice().unwrap(), &mut mask, &plan, chunk).unwrap();
    (y.as_slice().unwrap().to_vec(), mask, plan)
}

/// dropout::backward into an aligned buffer, as from a tensor.
fn backward(dy: &[f32], mask: &BitMask, a: f64) -> Vec<f32> {
    let mut dx = aligned_zeros::<f32>(mask.len());
    dropout::backward(dy, mask, a, dx.as_mut_slice().unwrap(), Chunk::DEFAULT).unwrap();
    dx.as_slice().unwrap().to_vec()
}

fn as_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

#[test]
fn constants_are_selus() {
    assert_eq!(LAMBDA, 1.0507009873554805);
    assert_eq!(ALPHA, 1.6732632423543772);
    assert_eq!(ALPHA_PRIME, -1.7580993408473766);
}

#[test]
fn coefficients_keep_zero_mean_and_unit_variance() {
    // For x with mean 0 and variance 1: E[y] = (1−p)·B + p·(Aα' + B) and
    // E[y²] = (1−p)(A² + B²) + p(Aα' + B)² must be 0 and 1.
    for p in [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.99] {
        let c = Coefficients::alpha(p).unwrap();
        let mean = (1.0 - p) * c.b + p * c.dropped;
        let second = (1.0 - p) * (c.a * c.a + c.b * c.b) + p * c.dropped * c.dropped;
        assert!(mean.abs() < 1e-12, "p={p}: mean {mean}");
        assert!((second - 1.0).abs() < 1e-12, "p={p}: E[y²] {second}");
        assert_eq!(c.threshold, ((1.0 - p) * 4294967296.0).round() as u64);
    }
}

#[test]
fn outputs_follow_the_law_given_the_mask_and_the_mask_follows_the_contract() {
    for p in [0.1, 0.5, 0.9] {
        let n = 10_000;
        let x = as_f32(&ramp(n));
        let mut g = Generator::new(31, 2);
        let (y, mask, plan) = run(&x, p, &mut g, Chunk::DEFAULT);
        let draw = plan.draw.expect("0 < p < 1 draws words");
        let c = plan.coef;
        let (a, b, d) = (c.a as f32, c.b as f32, c.dropped as f32);
        let keep = reference_keep(&draw, n, c.threshold);
        for i in 0..n {
            assert_eq!(mask.get(i), keep[i], "mask bit {i}");
            let want = if keep[i] { a * x[i] + b } else { d };
            assert_eq!(y[i].to_bits(), want.to_bits(), "y[{i}] p={p}");
        }
        assert_eq!(g.offset(), lucid::mask::keep_words(n).next_multiple_of(16));
    }
}

#[test]
fn optimised_kernel_agrees_with_the_reference_for_every_size_offset_and_p() {
    // Sizes off every multiple (word, block, group, span, chunk), offsets not at zero,
    // and thresholds at the edges: T = 2³² (tiny p), tiny T (p near 1), T with zero
    // low bits (p = 0.5: ties always drop) and ordinary ones.
    let c = DEFAULT_CHUNK;
    let sizes = [1, 3, 5, 63, 65, 1023, 1025, 4095, 4097, 8191, c - 1, c + 1, 2 * c + 4097];
    let ps = [1e-12, 0.1, 0.25, 0.5, 0.7, 1.0 - 1e-12, 0.999];
    for (k, &n) in sizes.iter().enumerate() {
        for (j, &p) in ps.iter().enumerate() {
            let mut g = Generator::from_state(k as u64, j as u64, 16 * (k * 7 + j) as u64);
            let x = as_f32(&ramp(n));
            let (y, mask, plan) = run(&x, p, &mut g, Chunk::DEFAULT);
            let keep = reference_keep(&plan.draw.unwrap(), n, plan.coef.threshold);
            let d = plan.coef.dropped as f32;
            let (a, b) = (plan.coef.a as f32, plan.coef.b as f32);
            for i in 0..n {
                assert_eq!(mask.get(i), keep[i], "n={n} p={p} i={i}");
                let want = if keep[i] { a * x[i] + b } else { d };
                assert_eq!(y[i].to_bits(), want.to_bits(), "n={n} p={p} i={i}");
            }
        }
    }
}

#[test]
fn ties_are_settled_by_their_tie_word() {
    // p = 0.1: T >> 24 = 230, so an element whose byte is 230 is decided by its tie word.
    let n = 3 * DEFAULT_CHUNK;
    let (_, mask, plan) = run(&vec![0f32; n], 0.1, &mut Generator::new(5, 0), Chunk::DEFAULT);
    let draw = plan.draw.unwrap();
    let mut stream = draw.rng_at(0);
    let bytes: Vec<u8> = (0..n / 4).flat_map(|_| stream.next_u32().to_le_bytes()).collect();
    let top = (plan.coef.threshold >> 24) as u8;
    let ties: Vec<usize> = (0..n).filter(|&i| bytes[i] == top).collect();
    let kept = ties.iter().filter(|&&i| mask.get(i)).count();
    // About n/256 ties, of which a fraction (T mod 2²⁴)/2²⁴ is kept.
    let frac = (plan.coef.threshold & 0xFF_FFFF) as f64 / (1u64 << 24) as f64;
    let sd = (ties.len() as f64 * frac * (1.0 - frac)).sqrt();
    assert!(ties.len() > 600, "{} ties", ties.len());
    assert!(kept > 0 && kept < ties.len());
    assert!((kept as f64 - ties.len() as f64 * frac).abs() < 5.0 * sd, "{kept} of {} ties kept", ties.len());
}

#[test]
fn float64_runs_in_float64() {
    let x = ramp(5000);
    let (y, mask, plan) = run(&x, 0.3, &mut Generator::new(8, 0), Chunk::DEFAULT);
    let c = plan.coef;
    for i in 0..x.len() {
        let want = if mask.get(i) { c.a * x[i] + c.b } else { c.dropped };
        assert_eq!(y[i].to_bits(), want.to_bits(), "y[{i}]");
    }
}

#[test]
fn results_are_bit_identical_for_any_thread_count_and_chunk_size() {
    for n in edge_sizes() {
        let x = as_f32(&ramp(n));
        let reference = with_threads(1, || run(&x, 0.2, &mut Generator::new(99, 1), Chunk::DEFAULT));
        for (threads, size) in [(2, DEFAULT_CHUNK), (8, DEFAULT_CHUNK), (8, 4096), (2, 3 * 4096), (1, 8192)] {
            let chunk = chunk(size);
            let got = with_threads(threads, || run(&x, 0.2, &mut Generator::new(99, 1), chunk));
            let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
            assert_eq!(bits(&got.0), bits(&reference.0), "n={n} threads={threads} chunk={size}");
            assert_eq!(got.1, reference.1, "mask n={n} threads={threads} chunk={size}");
            let dy = as_f32(&ramp(n).iter().map(|v| v * 3.0).collect::<Vec<_>>());
            let backward = |chunk| {
                let mut dx = vec![0f32; n];
                dropout::backward(&dy, &got.1, got.2.coef.a, &mut dx, chunk).unwrap();
                dx
            };
            let single = with_threads(1, || backward(Chunk::DEFAULT));
            assert_eq!(bits(&with_threads(threads, || backward(chunk))), bits(&single), "dx n={n}");
        }
    }
}

#[test]
fn consecutive_calls_draw_fresh_masks() {
    let x = vec![1f32; 4096];
    let mut g = Generator::new(3, 0);
    let (_, first, _) = run(&x, 0.5, &mut g, Chunk::DEFAULT);
    let (_, second, _) = run(&x, 0.5, &mut g, Chunk::DEFAULT);
    assert_ne!(first, second);
    // Replaying the state replays the mask.
    let (_, again, _) = run(&x, 0.5, &mut Generator::new(3, 0), Chunk::DEFAULT);
    assert_eq!(first, again);
}

#[test]
fn chunk_sizes_must_hold_whole_spans() {
    for bad in [0, 64, 4000, 4096 + 64] {
        let err = Chunk::new(bad).unwrap_err();
        assert_eq!(err.to_string(), format!("chunk must be a positive multiple of 4096, got {bad}"));
    }
    assert_eq!(Chunk::new(3 * 4096).unwrap().elements(), 3 * 4096);
}

#[test]
fn keep_fraction_is_one_minus_p() {
    let n = 1_000_000usize;
    let x = vec![0f32; n];
    let mut g = Generator::new(17, 0);
    for p in [0.05, 0.1, 0.5, 0.9] {
        let (_, mask, _) = run(&x, p, &mut g, Chunk::DEFAULT);
        let kept = mask.count_ones() as f64;
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!((kept - n as f64 * (1.0 - p)).abs() <= 5.0 * sd, "p={p}: kept {kept} of {n}");
    }
}

#[test]
fn standard_normal_input_keeps_mean_zero_and_variance_one() {
    let n = 1_000_000usize;
    let mut g = Generator::new(2017, 0);
    let mut x = vec![0f64; n];
    rng::fill_normal(&mut g, &mut x, Chunk::DEFAULT).unwrap();
    for p in [0.05, 0.1, 0.2, 0.5] {
        let (y, _, _) = run(&x, p, &mut g, Chunk::DEFAULT);
        let nf = n as f64;
        let mean = y.iter().sum::<f64>() / nf;
        let var = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (nf - 1.0);
        // Standard errors from the sample itself: sd/√n for the mean and
        // √((m4 − var²)/n) for the variance.
        let m4 = y.iter().map(|v| (v - mean).powi(4)).sum::<f64>() / nf;
        let (se_mean, se_var) = (var.sqrt() / nf.sqrt(), ((m4 - var * var) / nf).sqrt());
        assert!(mean.abs() < 5.0 * se_mean, "p={p}: mean {mean} ± {se_mean}");
        assert!((var - 1.0).abs() < 5.0 * se_var, "p={p}: variance {var} ± {se_var}");
    }
}

#[test]
fn backward_is_a_times_mask_times_dy() {
    let n = 3 * DEFAULT_CHUNK + 9;
    let x = as_f32(&ramp(n));
    let (_, mask, plan) = run(&x, 0.4, &mut Generator::new(1, 0), Chunk::DEFAULT);
    let dy: Vec<f32> = ramp(n).iter().rev().map(|&v| v as f32 * 2.5).collect();
    let dx = backward(&dy, &mask, plan.coef.a);
    let a = plan.coef.a as f32;
    for i in 0..n {
        let m = if mask.get(i) { 1.0 } else { 0.0 };
        assert_eq!(dx[i].to_bits(), (dy[i] * (a * m)).to_bits(), "dx[{i}]");
    }
}

#[test]
fn p_zero_is_identity_and_p_one_is_zero_without_drawing() {
    let x = as_f32(&ramp(1000));
    let mut g = Generator::new(4, 0);
    let (y, mask, plan) = run(&x, 0.0, &mut g, Chunk::DEFAULT);
    assert_eq!(y, x);
    assert_eq!(mask.count_ones(), 1000);
    assert_eq!(plan.coef.a, 1.0);
    let (y, mask, plan) = run(&x, 1.0, &mut g, Chunk::DEFAULT);
    assert!(y.iter().all(|&v| v == 0.0));
    assert_eq!(mask.count_ones(), 0);
    let mut dx = vec![1f32; 1000];
    dropout::backward(&x, &mask, plan.coef.a, &mut dx, Chunk::DEFAULT).unwrap();
    assert!(dx.iter().all(|&v| v == 0.0));
    assert_eq!(g.offset(), 0, "p = 0 and p = 1 draw no words");
}

#[test]
fn nan_stays_nan_where_kept() {
    let x = vec![f32::NAN; 512];
    let (y, mask, plan) = run(&x, 0.5, &mut Generator::new(6, 0), Chunk::DEFAULT);
    for i in 0..x.len() {
        if mask.get(i) {
            assert!(y[i].is_nan());
        } else {
            assert_eq!(y[i], plan.coef.dropped as f32);
        }
    }
}

#[test]
fn bad_p_is_an_error_naming_p() {
    let mut g = Generator::new(0, 0);
    for bad in [-0.1, 1.0000001, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = alpha_plan(bad, 10, &mut g).unwrap_err();
        assert!(err.to_string().starts_with("p must be a probability in [0, 1], got"), "{err}");
    }
    assert_eq!(g.offset(), 0);
}

#[test]
fn mismatched_lengths_are_errors() {
    let plan = alpha_plan(0.5, 10, &mut Generator::new(0, 0)).unwrap();
    let x = vec![0f32; 10];
    assert!(dropout::forward(&x, &mut [0f32; 9], &mut BitMask::zeros(10), &plan, Chunk::DEFAULT).is_err());
    assert!(dropout::forward(&x, &mut [0f32; 10], &mut BitMask::zeros(11), &plan, Chunk::DEFAULT).is_err());
    assert!(dropout::backward(&x, &BitMask::zeros(10), 1.0, &mut [0f32; 3], Chunk::DEFAULT).is_err());
}

#[test]
fn bit_mask_packs_bits_and_pads_with_zeros() {
    let ones = BitMask::ones(70);
    assert_eq!(ones.count_ones(), 70);
    assert_eq!(ones.words(), &[u64::MAX, 0b11_1111]);
    assert_eq!(ones.nbytes(), 16);
    let mut out = vec![9u8; 70];
    BitMask::zeros(70).unpack_into(&mut out, 0, 1);
    assert!(out.iter().all(|&b| b == 0));
}

#[test]
fn a_one_element_dy_is_broadcast() {
    let n = 2 * DEFAULT_CHUNK + 100;
    let (_, mask, plan) = run(&vec![0f32; n], 0.3, &mut Generator::new(8, 0), Chunk::DEFAULT);
    for c in [1.0f32, -2.5, f32::NAN] {
        let full = backward(&vec![c; n], &mask, plan.coef.a);
        let one = backward(&[c], &mask, plan.coef.a);
        let bits = |v: &[f32]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&one), bits(&full), "dy = {c}");
    }
    assert!(dropout::backward(&[1f32, 2.0], &mask, 1.0, &mut vec![0f32; n], Chunk::DEFAULT).is_err());
}

#[test]
fn every_simd_level_agrees_with_the_reference() {
    at_every_simd_level(|_| {
        optimised_kernel_agrees_with_the_reference_for_every_size_offset_and_p();
        a_one_element_dy_is_broadcast();
        backward_is_a_times_mask_times_dy();
    });
}

#[test]
fn streaming_stores_give_the_same_bits() {
    // With a threshold of 0 every output streams (on CPUs with AVX-512): the kernels
    // must still agree with the reference bit for bit.
    common::with_stream_bytes(0, || {
        let avx512 = lucid::simd::level() >= lucid::simd::Level::Avx512;
        assert_eq!(lucid::simd::streams::<f32>(1), avx512);
        optimised_kernel_agrees_with_the_reference_for_every_size_offset_and_p();
        float64_runs_in_float64();
        a_one_element_dy_is_broadcast();
        backward_is_a_times_mask_times_dy();
        p_zero_is_identity_and_p_one_is_zero_without_drawing();
    });
}

#[test]
fn simd_level_is_set_in_process_and_checked() {
    use lucid::simd::{self, Level};
    at_every_simd_level(|level| {
        assert_eq!(simd::level(), level);
        assert_eq!(simd::config().unwrap().level, level);
    });
    common::with_simd_config(|| {
        let before = simd::config().unwrap();
        if Level::supported() < Level::Avx512 {
            let err = simd::set_level(Level::Avx512).unwrap_err().to_string();
            assert!(err.starts_with("level must be a level this CPU supports"), "{err}");
            assert!(err.ends_with("got \"avx512\""), "{err}");
            assert_eq!(simd::config().unwrap(), before, "a refused level changed the settings");
        }
        // The environment caps the level it names, and a bad value is an error naming it.
        let from = |level: &str| simd::Config::from_vars(Some(level), None);
        assert_eq!(from("scalar").unwrap().level, Level::Scalar);
        assert!(from("avx2").unwrap().level <= Level::Avx2);
        assert_eq!(from("avx512").unwrap().level, Level::supported());
        let err = simd::Config::from_vars(None, Some("lots")).unwrap_err().to_string();
        assert_eq!(err, "LUCID_STREAM_BYTES must be a number of bytes, got \"lots\"");
        let err = Level::parse(simd::LEVEL_VAR, "avx9").unwrap_err().to_string();
        assert_eq!(err, "LUCID_SIMD must be one of \"scalar\", \"avx2\", \"avx512\", got \"avx9\"");
    });
}

#[test]
fn chunk_for_depends_on_n_only_and_keeps_spans_whole() {
    let chunk_for = Chunk::for_len;
    assert_eq!(chunk_for(4096), Chunk::DEFAULT, "small inputs are one chunk");
    assert_eq!(chunk_for(DEFAULT_CHUNK), Chunk::DEFAULT);
    for n in [DEFAULT_CHUNK + 1, 100_000, 300_000, 10_000_000, usize::MAX / 2] {
        let c = chunk_for(n).elements();
        assert!(Chunk::new(c).is_ok() && c.is_multiple_of(lucid::mask::SPAN), "n={n} chunk={c}");
        assert!(c <= DEFAULT_CHUNK && (n.div_ceil(c) >= 8 || c == DEFAULT_CHUNK), "n={n} chunk={c}");
    }
    // And the result does not depend on it: the chunk each n gets, against the default.
    for n in [100_000usize, 300_001] {
        let x = as_f32(&ramp(n));
        let a = run(&x, 0.3, &mut Generator::new(4, 4), chunk_for(n));
        let b = run(&x, 0.3, &mut Generator::new(4, 4), Chunk::DEFAULT);
        assert_eq!(a.1, b.1);
        assert_eq!(
            a.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            b.0.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
    }
}
