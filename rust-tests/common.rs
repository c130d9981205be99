//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::{Mutex, MutexGuard};

use lucid::par::{Chunk, DEFAULT_CHUNK};
use lucid::rng::Draw;
use lucid::simd::{self, Level};
use lucid::storage::{Element, Storage};
use rand_core::Rng;
use rayon::ThreadPoolBuilder;

/// Run `f` on a rayon pool of exactly `threads` threads. The kernels run on the pool
/// they are called from (`lucid::pool::install`), which is checked here, so a test
/// that asks for 8 threads really gets 8.
pub fn with_threads<R: Send>(threads: usize, f: impl FnOnce() -> R + Send) -> R {
    ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool").install(|| {
        assert_eq!(lucid::par::num_threads().expect("pool"), threads, "the kernels' thread count");
        f()
    })
}

/// Sizes around every boundary the kernels care about: empty, one, a mask word, a
/// ChaCha block, the default chunk and its neighbours, several chunks with a tail.
pub fn edge_sizes() -> Vec<usize> {
    let c = DEFAULT_CHUNK;
    vec![0, 1, 2, 15, 16, 17, 63, 64, 65, 127, 1000, c - 1, c, c + 1, 3 * c + 77]
}

/// Deterministic test input with negative, positive and zero values (no randomness
/// from the crate under test).
pub fn ramp(n: usize) -> Vec<f64> {
    (0..n).map(|i| ((i * 7919) % 2003) as f64 / 1001.0 - 1.0).collect()
}

/// The keep rule of `lucid::dropout::keep`, written as plainly as possible: element i
/// is kept iff byte_i·2²⁴ + (tie >> 8) < T, where byte_i is byte i of the call's
/// keystream and the tie word is read only when byte_i = T >> 24, in element order,
/// from the region of i's 4096-element span.
pub fn reference_keep(draw: &Draw, n: usize, threshold: u64) -> Vec<bool> {
    let mut stream = draw.rng_at(0);
    let mut bytes = Vec::with_capacity(n + 3);
    while bytes.len() < n {
        bytes.extend_from_slice(&stream.next_u32().to_le_bytes());
    }
    let tie_base = (n as u64).div_ceil(4).next_multiple_of(16);
    let mut keep = vec![false; n];
    for span in (0..n).step_by(4096) {
        let mut ties = draw.rng_at(tie_base + span as u64);
        for i in span..n.min(span + 4096) {
            let high = (bytes[i] as u64) << 24;
            keep[i] = if high >> 24 == threshold >> 24 {
                (high | u64::from(ties.next_u32() >> 8)) < threshold
            } else {
                high < threshold
            };
        }
    }
    keep
}

/// Tests that change or read the SIMD configuration take turns: it is one setting for
/// the process, and the tests of a binary run in parallel threads. No result depends
/// on it, so tests that leave it alone may run at any level meanwhile.
static SIMD: Mutex<()> = Mutex::new(());

fn simd_turn() -> MutexGuard<'static, ()> {
    SIMD.lock().unwrap_or_else(|e| e.into_inner())
}

/// Run `f` once at every SIMD level this CPU supports (and so every code path it can
/// run), then restore the configuration as it was.
pub fn at_every_simd_level(mut f: impl FnMut(Level)) {
    let _turn = simd_turn();
    let before = simd::config().expect("SIMD settings");
    for level in Level::ALL.into_iter().filter(|&l| l <= Level::supported()) {
        simd::set_level(level).expect("a supported level");
        assert_eq!(simd::level(), level);
        f(level);
    }
    simd::set_config(Some(before.level), Some(before.stream_bytes)).expect("restore");
}

/// Run `f` with outputs of `bytes` bytes and more streamed, then restore the threshold.
pub fn with_stream_bytes<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
    let _turn = simd_turn();
    let before = simd::config().expect("SIMD settings");
    simd::set_stream_bytes(bytes).expect("set the threshold");
    let out = f();
    simd::set_config(Some(before.level), Some(before.stream_bytes)).expect("restore");
    out
}

/// Run `f` while no other test changes the SIMD configuration.
pub fn with_simd_config<R>(f: impl FnOnce() -> R) -> R {
    let _turn = simd_turn();
    f()
}

/// n zeros of T in a 64-byte-aligned buffer, as the kernels get them from a tensor:
/// the streaming stores need that alignment and fall back without it.
pub fn aligned_zeros<T: Element>(n: usize) -> Storage {
    Storage::zeros(T::DTYPE, n).expect("allocate")
}

/// A chunk of `elements` elements (a multiple of 4096).
pub fn chunk(elements: usize) -> Chunk {
    Chunk::new(elements).expect("a valid chunk")
}
