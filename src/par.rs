//! Fixed-size chunking on lucid's own thread pool. Work is cut into chunks of a size
//! that never depends on the thread count, and each chunk knows its index, so a
//! chunk's random words (and so every output bit) are the same whichever thread runs it.
//!
//! The pool is lucid's own rayon pool rather than rayon's global one, because the
//! global pool can be neither resized nor rebuilt, and a child made by `fork()`
//! inherits it without its threads (the first parallel kernel there would wait
//! forever). This one is sized by `RAYON_NUM_THREADS` (or one thread per core) when
//! first used, resized by [`set_num_threads`], and forgotten in a forked child (by the
//! handlers of `crate::fork`) so that the child's next kernel builds its own. A caller
//! that already runs on a worker of some rayon pool (a test's
//! `ThreadPoolBuilder::new().num_threads(k).build()?.install(..)`, say) keeps that
//! pool: [`install`] then runs the work where it is.

use std::sync::{Arc, Mutex, MutexGuard};

use rayon::prelude::*;
use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{LucidError, Result};
use crate::simd;

/// Elements per chunk by default: 64 Ki elements, 256 KiB of float32, about an L2 cache.
pub const DEFAULT_CHUNK: usize = 1 << 16;

/// A number of elements per chunk: a positive multiple of [`Chunk::STEP`] = 4096, so a
/// chunk holds whole 64-bit mask words, whole ChaCha blocks and normal pairs, and whole
/// tie spans of the dropout keep rule. No result depends on it (rust-tests check
/// several sizes); it is checked once, where it is made, and kernels take it as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk(usize);

impl Chunk {
    pub const STEP: usize = 4096;
    pub const DEFAULT: Chunk = Chunk(DEFAULT_CHUNK);

    pub fn new(elements: usize) -> Result<Chunk> {
        if elements == 0 || !elements.is_multiple_of(Chunk::STEP) {
            return Err(LucidError::value(
                "chunk",
                elements,
                format!("a positive multiple of {}", Chunk::STEP),
            ));
        }
        Ok(Chunk(elements))
    }

    /// The chunk for n elements: inputs up to [`DEFAULT_CHUNK`] run whole on the
    /// calling thread; larger ones are cut into at least 8 chunks (so two threads stay
    /// balanced) of at most DEFAULT_CHUNK. It depends on n only, never on the thread count.
    pub fn for_len(n: usize) -> Chunk {
        if n <= DEFAULT_CHUNK {
            Chunk::DEFAULT
        } else {
            Chunk((n / 8 / Chunk::STEP * Chunk::STEP).clamp(Chunk::STEP, DEFAULT_CHUNK))
        }
    }

    /// Elements per chunk.
    pub fn elements(self) -> usize {
        self.0
    }

    /// 64-bit mask words per chunk.
    pub fn words(self) -> usize {
        self.0 / 64
    }

    /// Whether n elements fit in one chunk (and so run on the calling thread).
    pub fn holds(self, n: usize) -> bool {
        n <= self.0
    }
}

/// Run `f(chunk_index, part)` over `data` cut into parts of `part` elements: on the
/// calling thread when `single`, else on the pool. The SIMD settings are checked
/// first, so a bad `LUCID_SIMD` or `LUCID_STREAM_BYTES` is an error at first use.
fn run_parts<T: Send>(
    data: &mut [T],
    part: usize,
    single: bool,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) -> Result<()> {
    simd::config()?;
    if single {
        if !data.is_empty() {
            f(0, data);
        }
        return Ok(());
    }
    install(|| data.par_chunks_mut(part).enumerate().for_each(|(c, p)| f(c, p)))
}

/// Run `f(chunk_index, part)` over `data` cut into chunks; inputs of one chunk run on
/// the calling thread, larger ones on the pool.
pub fn for_each_chunk_mut<T: Send>(
    data: &mut [T],
    chunk: Chunk,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) -> Result<()> {
    run_parts(data, chunk.elements(), chunk.holds(data.len()), f)
}

/// Run `f(chunk_index, words)` over the mask words of n elements, a chunk's words at a time.
pub fn for_each_chunk_words<U: Send>(
    words: &mut [U],
    n: usize,
    chunk: Chunk,
    f: impl Fn(usize, &mut [U]) + Sync + Send,
) -> Result<()> {
    run_parts(words, chunk.words(), chunk.holds(n), f)
}

/// Run `f(chunk_index, part, words)` over `data` and its mask words together.
pub fn for_each_chunk_mut_with_words<T: Send, U: Send>(
    data: &mut [T],
    words: &mut [U],
    chunk: Chunk,
    f: impl Fn(usize, &mut [T], &mut [U]) + Sync + Send,
) -> Result<()> {
    simd::config()?;
    if chunk.holds(data.len()) {
        if !data.is_empty() {
            f(0, data, words);
        }
        return Ok(());
    }
    install(|| {
        data.par_chunks_mut(chunk.elements())
            .zip(words.par_chunks_mut(chunk.words()))
            .enumerate()
            .for_each(|(c, (d, w))| f(c, d, w))
    })
}

/// Copy `src` into `dst` with the kernels' chunking, thread pool and store policy
/// (streaming stores for outputs of `simd::Config::stream_bytes` and more): the floor
/// that the benchmarks compare every kernel against (no randomness, same bytes moved).
pub fn copy<T: Copy + Send + Sync>(src: &[T], dst: &mut [T], chunk: Chunk) -> Result<()> {
    if src.len() != dst.len() {
        return Err(LucidError::value("dst", dst.len(), format!("of length {}", src.len())));
    }
    let store = simd::Store::for_output::<T>(dst.len());
    for_each_chunk_mut(dst, chunk, |c, part| {
        let from = &src[c * chunk.elements()..c * chunk.elements() + part.len()];
        simd::copy(from, part, store);
        if store == simd::Store::Streamed {
            simd::fence();
        }
    })
}

struct State {
    pool: Option<Arc<ThreadPool>>,
    /// The count from [`set_num_threads`]; None: rayon's default (RAYON_NUM_THREADS,
    /// else one per core).
    threads: Option<usize>,
}

static STATE: Mutex<State> = Mutex::new(State { pool: None, threads: None });

fn state() -> MutexGuard<'static, State> {
    // No code that holds the lock can panic; recover the data if it ever was poisoned.
    STATE.lock().unwrap_or_else(|e| e.into_inner())
}

/// The most threads [`set_num_threads`] takes: each costs a stack, and the kernels are
/// bound by memory long before this many cores help.
pub const MAX_THREADS: usize = 1024;

fn build(threads: Option<usize>) -> Result<ThreadPool> {
    let mut builder = ThreadPoolBuilder::new().thread_name(|i| format!("lucid-{i}"));
    if let Some(n) = threads {
        builder = builder.num_threads(n);
    }
    builder.build().map_err(|err| {
        let size = threads.map_or_else(String::new, |n| format!(" of {n} threads"));
        LucidError::Runtime(format!("could not start lucid's thread pool{size}: {err}"))
    })
}

/// The pool, started on first use (and again in a forked child). A pool that cannot
/// start is an error, and the next call tries again.
pub fn pool() -> Result<Arc<ThreadPool>> {
    let mut s = state();
    if let Some(pool) = &s.pool {
        return Ok(Arc::clone(pool));
    }
    let pool = Arc::new(build(s.threads)?);
    s.pool = Some(Arc::clone(&pool));
    Ok(pool)
}

/// Make sure the kernels can run work of `n` elements in chunks of `chunk` before a
/// caller commits to anything (reserving a generator's words): the SIMD settings are
/// valid and the pool is running when the work needs it (once started, a pool is only
/// ever replaced by one that did start).
pub fn ensure_for(n: usize, chunk: Chunk) -> Result<()> {
    simd::config()?;
    if !chunk.holds(n) && rayon::current_thread_index().is_none() {
        pool()?;
    }
    Ok(())
}

/// Run `f` on lucid's pool, or where it is when the caller is a rayon worker already.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R> {
    if rayon::current_thread_index().is_some() {
        return Ok(f());
    }
    Ok(pool()?.install(f))
}

/// How many threads the kernels run on (the caller's pool's, inside a rayon worker).
pub fn num_threads() -> Result<usize> {
    install(rayon::current_num_threads)
}

/// Run the kernels on `n` threads from now on (1 ≤ n ≤ [`MAX_THREADS`]). The new pool
/// is started before the old one is let go, so a failure leaves the old one in place.
pub fn set_num_threads(n: usize) -> Result<()> {
    if !(1..=MAX_THREADS).contains(&n) {
        return Err(LucidError::value("n", n, format!("a number of threads in [1, {MAX_THREADS}]")));
    }
    let pool = Arc::new(build(Some(n))?);
    let old = {
        let mut s = state();
        s.threads = Some(n);
        s.pool.replace(pool)
    };
    drop(old); // its threads finish their work and exit once nobody holds it
    Ok(())
}

/// The pool's lock, held by the forking thread across `fork()` (see `crate::fork`).
pub(crate) struct ForkGuard(MutexGuard<'static, State>);

pub(crate) fn lock_for_fork() -> ForkGuard {
    ForkGuard(state())
}

impl ForkGuard {
    /// In a forked child: the pool's threads did not come along, so the pool is
    /// leaked (dropping it would signal threads that do not exist) and the next
    /// kernel starts a new one with the same thread count.
    pub(crate) fn forget_pool(mut self) {
        if let Some(pool) = self.0.pool.take() {
            std::mem::forget(pool);
        }
    }
}
