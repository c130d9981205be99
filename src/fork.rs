//! Safety across `fork()`. A child process has only the thread that forked, so any
//! lock another thread held at that moment would stay locked in the child forever,
//! and the thread pool's workers are gone. Handlers registered with `pthread_atfork`
//! make every lock of the core safe: before the fork the forking thread takes the SIMD
//! settings', the thread pool's and the buffer pool's locks (so no other thread holds
//! them in the copied memory), reading the settings from the environment first if no
//! kernel has yet; afterwards the parent
//! simply lets go, while the child also forgets the thread pool, so its next
//! parallel kernel starts a fresh one. Nothing is registered until [`register`] runs.

#[cfg(unix)]
mod handlers {
    use std::cell::RefCell;

    use crate::{par, simd, storage};

    struct Held {
        _settings: simd::ForkGuard,
        _buffers: storage::ForkGuard,
        threads: par::ForkGuard,
    }

    thread_local! {
        // The locks taken in `prepare`, released by the same thread after the fork.
        static HELD: RefCell<Option<Held>> = const { RefCell::new(None) };
    }

    pub extern "C" fn prepare() {
        // The same order everywhere: the SIMD settings' lock (which reads them from the
        // environment first, so a child never sees them half-read), the thread pool's,
        // then the buffers'.
        let settings = simd::lock_for_fork();
        let threads = par::lock_for_fork();
        let held = Held { _settings: settings, _buffers: storage::lock_for_fork(), threads };
        HELD.with(|h| *h.borrow_mut() = Some(held));
    }

    pub extern "C" fn parent() {
        HELD.with(|h| h.borrow_mut().take());
    }

    pub extern "C" fn child() {
        if let Some(held) = HELD.with(|h| h.borrow_mut().take()) {
            let Held { _settings, _buffers, threads } = held;
            threads.forget_pool();
        }
    }
}

/// Install the fork handlers (once per process; later calls do nothing). `lucid._C`
/// calls this when it is imported; a Rust program that forks and uses lucid in the
/// child calls it once before its first fork. This module sits above the SIMD
/// settings, the thread pool and the buffer pool, which know nothing of it.
pub fn register() {
    #[cfg(unix)]
    {
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {
            // SAFETY: the three handlers are `extern "C"` functions that live for the
            // whole program, take no arguments and never unwind.
            let rc = unsafe {
                libc::pthread_atfork(Some(handlers::prepare), Some(handlers::parent), Some(handlers::child))
            };
            // Only ENOMEM is possible; without handlers lucid still works, only not across fork.
            debug_assert_eq!(rc, 0, "pthread_atfork failed");
        });
    }
}
