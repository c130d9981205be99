//! The bulk keystream is the generator's stream, word for word, from any position.

mod common;

use lucid::chacha::Keystream;
use lucid::rng::Draw;
use rand_core::Rng;

#[test]
fn bulk_keystream_matches_chacha8rng_from_any_position() {
    for (seed, stream) in [(0u64, 0u64), (42, 7), (u64::MAX, u64::MAX)] {
        let ks = Keystream::new(seed, stream);
        for start in [0u64, 1, 15, 16, 17, 100, 127, 128, 129, 1000, (1u64 << 32) * 16 - 40] {
            for len in [0usize, 1, 16, 100, 128, 129, 1000, 2048 + 5] {
                let mut rng = Draw { seed, stream, start }.rng_at(0);
                let want: Vec<u32> = (0..len).map(|_| rng.next_u32()).collect();
                let mut got = vec![0u32; len];
                ks.fill(start, &mut got);
                assert_eq!(got, want, "seed {seed} stream {stream} start {start} len {len}");
            }
        }
    }
}

#[test]
fn every_simd_level_gives_the_same_keystream() {
    for level in ["scalar", "avx2"] {
        common::rerun_at_simd_level("bulk_keystream_matches_chacha8rng_from_any_position", level);
    }
}
