//! The thread pool every parallel kernel runs on: lucid's own rayon pool rather than
//! rayon's global one, because the global pool can be neither resized nor rebuilt,
//! and a child made by `fork()` inherits it without its threads (the first parallel
//! kernel there would wait forever). This one is sized by `RAYON_NUM_THREADS` (or one
//! thread per core) when first used, resized by [`set_num_threads`], and forgotten in
//! a forked child (by the handlers of `crate::fork`) so that the child's next kernel
//! builds its own.
//!
//! A caller that already runs on a worker of some rayon pool (a test's
//! `ThreadPoolBuilder::new().num_threads(k).build()?.install(..)`, say) keeps that
//! pool: [`install`] then runs the work where it is.

use std::sync::{Arc, Mutex, MutexGuard};

use rayon::{ThreadPool, ThreadPoolBuilder};

use crate::error::{LucidError, Result};

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
pub fn get() -> Result<Arc<ThreadPool>> {
    let mut s = state();
    if let Some(pool) = &s.pool {
        return Ok(Arc::clone(pool));
    }
    let pool = Arc::new(build(s.threads)?);
    s.pool = Some(Arc::clone(&pool));
    Ok(pool)
}

/// Make sure the pool is running when work of `n` elements in chunks of `chunk` will
/// need it, before a caller commits to anything (reserving a generator's words):
/// once started, a pool is only ever replaced by one that did start.
pub fn ensure_for(n: usize, chunk: usize) -> Result<()> {
    if n > chunk && rayon::current_thread_index().is_none() {
        get()?;
    }
    Ok(())
}

/// Run `f` on lucid's pool, or where it is when the caller is a rayon worker already.
pub fn install<R: Send>(f: impl FnOnce() -> R + Send) -> Result<R> {
    if rayon::current_thread_index().is_some() {
        return Ok(f());
    }
    Ok(get()?.install(f))
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
