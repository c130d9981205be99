//! The counter-based generator: known answers, seeking, reservation, thread-count
//! independence and the laws of each sampler.

mod common;

use chacha20::ChaCha8Rng;
use common::with_threads;
use lucid::par::{Chunk, DEFAULT_CHUNK};
use lucid::rng::{self, Draw, Generator};
use rand_core::{Rng, SeedableRng};

fn words(draw: &Draw, n: usize) -> Vec<u32> {
    let mut r = draw.rng_at(0);
    (0..n).map(|_| r.next_u32()).collect()
}

#[test]
fn chacha8_matches_the_published_zero_key_vector() {
    // ChaCha8, 256-bit zero key, zero nonce: first 64 bytes of keystream
    // (Strombergson's ChaCha test vectors, TC1, 8 rounds).
    let expected = "3e00ef2f895f40d67f5bb8e81f09a5a12c840ec3ce9a7f3b181be188ef711a1e\
                    984ce172b9216f419f445367456d5619314a42a3da86b001387bfdb80e0cfe42";
    let mut rng = ChaCha8Rng::from_seed([0u8; 32]);
    let mut bytes = [0u8; 64];
    rng.fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(hex, expected);
}

#[test]
fn draw_agrees_with_an_independent_chacha_implementation() {
    // rand_chacha 0.9 (ppv-lite86) keyed the same way, on the same stream and position.
    use rand_chacha::rand_core::{RngCore as _, SeedableRng as _};
    for (seed, stream, start) in [(0u64, 0u64, 0u64), (42, 0, 16), (7, 3, 1_000_003), (u64::MAX, u64::MAX, 5)]
    {
        let draw = Draw { seed, stream, start };
        let mut other = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        other.set_stream(stream);
        other.set_word_pos(start as u128);
        let theirs: Vec<u32> = (0..100).map(|_| other.next_u32()).collect();
        assert_eq!(words(&draw, 100), theirs, "seed {seed} stream {stream} start {start}");
    }
}

#[test]
fn seeking_lands_on_the_same_word_as_reading_through() {
    let draw = Draw { seed: 9, stream: 1, start: 5 };
    let all = words(&draw, 300);
    for k in [0usize, 1, 15, 16, 17, 63, 64, 65, 299] {
        assert_eq!(draw.rng_at(k as u64).next_u32(), all[k], "word {k}");
    }
}

#[test]
fn reserve_hands_out_disjoint_block_aligned_ranges() {
    let mut g = Generator::new(1, 0);
    let a = g.reserve(10).unwrap();
    assert_eq!((a.start, g.offset()), (0, 16));
    let b = g.reserve(16).unwrap();
    assert_eq!((b.start, g.offset()), (16, 32));
    let c = g.reserve(0).unwrap();
    assert_eq!((c.start, g.offset()), (32, 32));
    let mut full = Generator::from_state(1, 0, u64::MAX - 3);
    assert!(full.reserve(100).is_err(), "overflowing the offset is an error, not a wrap");
}

#[test]
fn streams_and_seeds_give_different_words() {
    let base = words(&Draw { seed: 5, stream: 0, start: 0 }, 64);
    assert_ne!(base, words(&Draw { seed: 5, stream: 1, start: 0 }, 64));
    assert_ne!(base, words(&Draw { seed: 6, stream: 0, start: 0 }, 64));
}

#[test]
fn one_call_equals_two_calls_at_the_right_offsets() {
    let n = 3 * DEFAULT_CHUNK + 5;
    let draw = Draw { seed: 11, stream: 2, start: 48 };
    let mut whole = vec![0f32; n];
    rng::uniform_from(&draw, &mut whole, Chunk::DEFAULT).unwrap();
    let cut = DEFAULT_CHUNK + 13;
    let mut first = vec![0f32; cut];
    let mut second = vec![0f32; n - cut];
    rng::uniform_from(&draw, &mut first, Chunk::DEFAULT).unwrap();
    rng::uniform_from(&Draw { start: draw.start + cut as u64, ..draw }, &mut second, Chunk::DEFAULT).unwrap();
    first.extend(second);
    assert_eq!(whole, first);
}

fn sample_all(threads: usize, size: usize, n: usize) -> (Vec<f32>, Vec<f64>, Vec<f32>, Vec<u8>) {
    with_threads(threads, || {
        let chunk = Chunk::new(size).unwrap();
        let draw = Draw { seed: 123, stream: 4, start: 32 };
        let mut u32s = vec![0f32; n];
        let mut u64s = vec![0f64; n];
        let mut normals = vec![0f32; n];
        let mut bits = vec![0u8; n];
        let probs: Vec<f64> = (0..n).map(|i| (i % 11) as f64 / 10.0).map(|p| p.min(1.0)).collect();
        rng::uniform_from(&draw, &mut u32s, chunk).unwrap();
        rng::uniform_from(&draw, &mut u64s, chunk).unwrap();
        rng::normal_from(&draw, &mut normals, chunk).unwrap();
        rng::bernoulli_from(&draw, &probs, &mut bits, chunk).unwrap();
        (u32s, u64s, normals, bits)
    })
}

#[test]
fn samplers_are_bit_identical_for_any_thread_count_and_chunk() {
    for n in common::edge_sizes() {
        let reference = sample_all(1, DEFAULT_CHUNK, n);
        for (threads, chunk) in [(2, DEFAULT_CHUNK), (8, DEFAULT_CHUNK), (8, 4096), (2, 3 * 4096), (1, 8192)]
        {
            let got = sample_all(threads, chunk, n);
            // Compare bits, so NaN or -0.0 could not hide a difference.
            let bits32 = |v: &Vec<f32>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            let bits64 = |v: &Vec<f64>| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
            assert_eq!(
                bits32(&got.0),
                bits32(&reference.0),
                "uniform f32 n={n} threads={threads} chunk={chunk}"
            );
            assert_eq!(
                bits64(&got.1),
                bits64(&reference.1),
                "uniform f64 n={n} threads={threads} chunk={chunk}"
            );
            assert_eq!(bits32(&got.2), bits32(&reference.2), "normal n={n} threads={threads} chunk={chunk}");
            assert_eq!(got.3, reference.3, "bernoulli n={n} threads={threads} chunk={chunk}");
        }
    }
}

#[test]
fn samplers_use_the_documented_words() {
    let draw = Draw { seed: 77, stream: 0, start: 0 };
    let w = words(&draw, 8);
    let mut f = vec![0f32; 4];
    rng::uniform_from(&draw, &mut f, Chunk::DEFAULT).unwrap();
    assert_eq!(f[2], rng::unit_f32(w[2]));
    let mut d = vec![0f64; 2];
    rng::uniform_from(&draw, &mut d, Chunk::DEFAULT).unwrap();
    assert_eq!(d[1], rng::unit_f64(w[2], w[3]));
    let mut z = vec![0f64; 3];
    rng::normal_from(&draw, &mut z, Chunk::DEFAULT).unwrap();
    assert_eq!((z[0], z[1]), rng::normal_pair(w[0], w[1]));
    assert_eq!(z[2], rng::normal_pair(w[2], w[3]).0);
    assert_eq!(rng::normal_words(3), 4);
}

#[test]
fn unit_conversions_stay_in_the_half_open_interval() {
    assert_eq!(rng::unit_f32(0), 0.0);
    assert!(rng::unit_f32(u32::MAX) < 1.0);
    assert_eq!(rng::unit_f64(0, 0), 0.0);
    assert!(rng::unit_f64(u32::MAX, u32::MAX) < 1.0);
    let (z0, z1) = rng::normal_pair(u32::MAX, 0); // u1 = 1: radius 0, never ln(0)
    assert_eq!((z0, z1), (0.0, 0.0));
    assert!(rng::normal_pair(0, 0).0.is_finite());
}

/// |mean − μ| within 5 standard errors.
fn assert_mean(values: &[f64], mu: f64, sigma: f64, what: &str) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let bound = 5.0 * sigma / n.sqrt();
    assert!((mean - mu).abs() < bound, "{what}: mean {mean}, expected {mu} ± {bound}");
}

#[test]
fn uniform_and_normal_have_their_moments() {
    let n = 1_000_000;
    let mut g = Generator::new(2024, 0);
    let mut u = vec![0f64; n];
    rng::fill_uniform(&mut g, &mut u, Chunk::DEFAULT).unwrap();
    assert!(u.iter().all(|&x| (0.0..1.0).contains(&x)));
    assert_mean(&u, 0.5, (1.0f64 / 12.0).sqrt(), "uniform");
    let mut z = vec![0f64; n];
    rng::fill_normal(&mut g, &mut z, Chunk::DEFAULT).unwrap();
    assert_mean(&z, 0.0, 1.0, "normal");
    // z² has mean 1 and variance 2.
    let sq: Vec<f64> = z.iter().map(|x| x * x).collect();
    assert_mean(&sq, 1.0, 2f64.sqrt(), "normal variance");
}

#[test]
fn bernoulli_hits_each_probability() {
    let n = 1_000_000;
    let mut g = Generator::new(5, 0);
    for p in [0.0, 0.01, 0.3, 0.5, 0.99, 1.0] {
        let probs = vec![p; n];
        let mut out = vec![0u8; n];
        rng::fill_bernoulli(&mut g, &probs, &mut out, Chunk::DEFAULT).unwrap();
        let ones = out.iter().map(|&b| b as f64).sum::<f64>();
        let sd = (n as f64 * p * (1.0 - p)).sqrt();
        assert!((ones - n as f64 * p).abs() <= 5.0 * sd, "p={p}: {ones} ones");
    }
}

#[test]
fn bernoulli_rejects_bad_probabilities_by_name() {
    let mut g = Generator::new(5, 0);
    for bad in [-0.1, 1.5, f64::NAN] {
        let err = rng::fill_bernoulli(&mut g, &[0.5, bad], &mut [0u8; 2], Chunk::DEFAULT).unwrap_err();
        assert!(err.to_string().starts_with("probs must be in [0, 1]"), "{err}");
    }
    assert_eq!(g.offset(), 0, "a rejected call reserves no words");
}

#[test]
fn chunk_sizes_that_split_mask_words_are_rejected() {
    for bad in [0usize, 1, 100] {
        assert!(Chunk::new(bad).is_err(), "chunk {bad}");
    }
}
