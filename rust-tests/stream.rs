//! Streaming stores: every streamed loop of `lucid::simd` writes the same bits as its
//! ordinary (cached) loop, for every length (whole mask words, partial vectors, tails) and for
//! outputs that are and are not 64-byte aligned (the latter fall back).

mod common;

use common::{aligned_zeros, ramp};
use lucid::rng::Float;
use lucid::simd::{self as stream, Store};

/// Mask words with every kind of bit pattern: all kept, none kept, alternating, mixed.
fn words(n: usize) -> Vec<u64> {
    (0..n.div_ceil(64) as u64)
        .map(|k| match k % 4 {
            0 => u64::MAX,
            1 => 0,
            2 => 0xAAAA_5555_F0F0_0F0F,
            _ => k.wrapping_mul(0x9E37_79B9_7F4A_7C15),
        })
        .collect()
}

fn bits<T: Float>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.to_f64().to_bits()).collect()
}

fn check<T: Float>() {
    let (a, b, d) = (T::from_f64(1.75), T::from_f64(-0.5), T::from_f64(-1.25));
    for n in [0, 1, 7, 8, 15, 16, 17, 63, 64, 65, 127, 128, 1000, 1024, 4097] {
        for offset in [0, 1] {
            let x: Vec<T> = ramp(n + offset).into_iter().map(T::from_f64).collect();
            let (x, w) = (&x[offset..], words(n));
            // The same slice of an aligned buffer at `offset`: aligned only when offset is 0.
            let run = |f: &dyn Fn(&mut [T])| {
                let mut out = aligned_zeros::<T>(n + offset);
                f(&mut out.as_mut_slice::<T>().unwrap()[offset..]);
                stream::fence();
                bits(&out.as_slice::<T>().unwrap()[offset..])
            };
            let case = format!("n={n} offset={offset}");
            let want = run(&|o| stream::masked_affine(x, o, &w, a, b, d, Store::Cached));
            assert_eq!(
                run(&|o| stream::masked_affine(x, o, &w, a, b, d, Store::Streamed)),
                want,
                "masked_affine {case}"
            );
            let want = run(&|o| stream::masked_scale(x, o, &w, a, Store::Cached));
            assert_eq!(
                run(&|o| stream::masked_scale(x, o, &w, a, Store::Streamed)),
                want,
                "masked_scale {case}"
            );
            let want = run(&|o| stream::masked_fill(o, &w, a, d, Store::Cached));
            assert_eq!(
                run(&|o| stream::masked_fill(o, &w, a, d, Store::Streamed)),
                want,
                "masked_fill {case}"
            );
            assert_eq!(run(&|o| stream::copy(x, o, Store::Streamed)), bits(x), "copy {case}");
        }
    }
}

#[test]
fn streamed_loops_write_the_same_bits_as_the_ordinary_ones() {
    check::<f32>();
    check::<f64>();
}

#[test]
fn nan_and_signed_zero_survive_streaming() {
    let x = [f32::NAN, -0.0, 0.0, f32::INFINITY, -1.0].repeat(13);
    let n = x.len();
    let w = vec![u64::MAX, 0x5555];
    let mut out = aligned_zeros::<f32>(n);
    stream::masked_scale(&x, out.as_mut_slice().unwrap(), &w, 2.0, Store::Streamed);
    stream::fence();
    let out = out.as_slice::<f32>().unwrap();
    for i in 0..n {
        let kept = (w[i / 64] >> (i % 64)) & 1 == 1;
        let want = x[i] * if kept { 2.0 } else { 0.0 };
        assert_eq!(out[i].to_bits(), want.to_bits(), "i={i}");
    }
}

#[test]
fn outputs_stream_from_the_threshold_on() {
    common::with_simd_config(outputs_stream_from_the_threshold);
}

fn outputs_stream_from_the_threshold() {
    let t = stream::stream_bytes();
    let avx512 = stream::level() >= stream::Level::Avx512;
    if t > 0 {
        assert!(!stream::streams::<f32>((t - 1) / 4), "below the threshold");
    }
    assert_eq!(stream::streams::<f32>(t.div_ceil(4)), avx512, "at the threshold");
    assert_eq!(stream::streams::<f64>(usize::MAX), avx512, "sizes never overflow");
}
