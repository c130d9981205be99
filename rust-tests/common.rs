//! Helpers shared by the integration tests.
#![allow(dead_code)]

use rayon::ThreadPoolBuilder;

/// Run `f` on a rayon pool of exactly `threads` threads.
pub fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
        .install(f)
}

/// Sizes around every boundary the kernels care about: empty, one, a mask word, a
/// ChaCha block, the default chunk and its neighbours, several chunks with a tail.
pub fn edge_sizes() -> Vec<usize> {
    let c = lucid::par::DEFAULT_CHUNK;
    vec![
        0,
        1,
        2,
        15,
        16,
        17,
        63,
        64,
        65,
        127,
        1000,
        c - 1,
        c,
        c + 1,
        3 * c + 77,
    ]
}

/// Deterministic test input with negative, positive and zero values (no randomness
/// from the crate under test).
pub fn ramp(n: usize) -> Vec<f64> {
    (0..n)
        .map(|i| ((i * 7919) % 2003) as f64 / 1001.0 - 1.0)
        .collect()
}
