//! lucid's own thread pool: its size, the caller's pool kept, and fork safety.

mod common;

use std::time::{Duration, Instant};

use lucid::dropout::{self, Coefficients};
use lucid::mask::BitMask;
use lucid::par::{self as pool, Chunk};
use lucid::rng::Generator;
use lucid::storage::{DType, Storage};

/// One alpha-dropout forward of n float32 elements: (output bits, mask words).
fn forward(n: usize, seed: u64) -> (Vec<u32>, Vec<u64>) {
    let x: Vec<f32> = common::ramp(n).into_iter().map(|v| v as f32).collect();
    let mut y = vec![0f32; n];
    let mut mask = BitMask::zeros(n);
    let plan = dropout::plan(Coefficients::alpha(0.1).unwrap(), n, &mut Generator::new(seed, 0)).unwrap();
    dropout::forward(&x, &mut y, &mut mask, &plan, Chunk::for_len(n)).unwrap();
    (y.iter().map(|v| v.to_bits()).collect(), mask.words().to_vec())
}

#[test]
fn set_num_threads_sizes_the_pool_and_refuses_zero() {
    pool::set_num_threads(3).unwrap();
    assert_eq!(pool::num_threads().unwrap(), 3);
    assert_eq!(pool::install(rayon::current_num_threads).unwrap(), 3);
    let three = forward(1 << 20, 5);
    pool::set_num_threads(1).unwrap();
    assert_eq!(pool::num_threads().unwrap(), 1);
    assert_eq!(forward(1 << 20, 5), three, "bits depend on the thread count");
    let err = pool::set_num_threads(0).unwrap_err().to_string();
    assert!(err.contains("n must be a number of threads in [1, 1024], got 0"), "{err}");
    assert_eq!(pool::num_threads().unwrap(), 1, "a refused call changed the pool");
}

#[test]
fn a_caller_on_another_rayon_pool_keeps_it() {
    for threads in [1, 2, 8] {
        let inside = common::with_threads(threads, || pool::install(rayon::current_num_threads).unwrap());
        assert_eq!(inside, threads);
    }
}

/// Wait for `pid` for at most `limit`; None if it is still running (then it is killed).
fn wait_for(pid: libc::pid_t, limit: Duration) -> Option<i32> {
    let start = Instant::now();
    loop {
        let mut status = 0;
        // SAFETY: waitpid on our own child with a valid pointer to an int.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return Some(if libc::WIFEXITED(status) { libc::WEXITSTATUS(status) } else { -1 });
        }
        if start.elapsed() > limit {
            // SAFETY: killing and reaping our own child.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

/// A forked child runs parallel kernels (which hang on a pool whose threads did not
/// survive the fork) and allocates pooled buffers while another thread of the parent
/// churns them (a lock held at the fork would never be released in the child); it
/// gives the parent's bits.
#[test]
fn forked_children_run_kernels_and_allocate_while_another_thread_allocates() {
    lucid::fork::register();
    let n = 1 << 20;
    let expected = forward(n, 9); // also starts the pool
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let churn = {
        let stop = stop.clone();
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                drop(Storage::for_overwrite(DType::F32, 1 << 16).unwrap());
            }
        })
    };
    let mut hung = false;
    for _ in 0..100 {
        // SAFETY: the child only runs lucid's kernels and allocations, then _exits
        // without unwinding into the test harness.
        let pid = unsafe { libc::fork() };
        assert!(pid >= 0, "fork failed");
        if pid == 0 {
            let ok = Storage::for_overwrite(DType::F32, 1 << 16).is_ok() && forward(n, 9) == expected;
            // SAFETY: ends the child at once, as a forked child of a threaded process must.
            unsafe { libc::_exit(if ok { 0 } else { 3 }) };
        }
        match wait_for(pid, Duration::from_secs(10)) {
            Some(code) => assert_eq!(code, 0, "a forked child got other bits"),
            None => {
                hung = true;
                break; // one hang is the answer; waiting for more only takes longer
            }
        }
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    churn.join().unwrap();
    assert!(!hung, "a forked child hung");
}
