//! The bulk keystream is the generator's stream, word for word, from any position.

mod common;

use lucid::chacha::Keystream;
use lucid::rng::Draw;
use lucid::simd::Ahead;
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
                // Prefetching what the caller reads next never changes a word.
                let mut ahead_got = vec![0u32; len];
                let next = vec![1.5f32; 4 * len + 3];
                ks.fill_ahead(start, &mut ahead_got, Ahead::of(&next));
                assert_eq!(ahead_got, want, "with prefetch: start {start} len {len}");
            }
        }
    }
}

#[test]
fn every_simd_level_gives_the_same_keystream() {
    common::at_every_simd_level(|_| bulk_keystream_matches_chacha8rng_from_any_position());
}

#[test]
fn prefetch_parts_and_element_ranges_cover_exactly_their_slice() {
    for len in [0usize, 1, 15, 16, 17, 1000, 1024, 1025, 4099] {
        let data = vec![0f32; len];
        let all = Ahead::of(&data);
        assert_eq!(all.len(), 4 * len);
        for parts in [1usize, 2, 3, 4, 16] {
            let total: usize = (0..parts).map(|k| all.part(k, parts).len()).sum();
            assert_eq!(total, all.len(), "len {len} in {parts} parts");
            // Parts are whole cache lines; only the last non-empty one may be shorter.
            let lens: Vec<usize> = (0..parts).map(|k| all.part(k, parts).len()).collect();
            let last = lens.iter().rposition(|&l| l > 0).unwrap_or(0);
            assert!(lens[..last].iter().all(|l| l % 64 == 0), "len {len}: {lens:?}");
        }
        for (first, count) in [(0, len), (0, 0), (len / 2, len), (len, 5), (len + 9, 3), (usize::MAX, 2)] {
            let want = count.min(len.saturating_sub(first)) * 4;
            assert_eq!(all.elements(first, count).len(), want, "len {len} first {first} count {count}");
        }
    }
    assert!(Ahead::NONE.is_empty());
}
