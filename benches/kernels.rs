//! The kernels alone, without Python: alpha-dropout forward and backward against the
//! floor, a parallel copy of the same bytes into a fresh buffer with the same chunking
//! and thread pool. Run: `cargo bench --bench kernels [-- N ...]`.
//! Medians of repeated runs; ratios are to the floor measured in the same run.

use std::time::Instant;

use lucid::dropout::{self, Coefficients};
use lucid::mask::BitMask;
use lucid::par::Chunk;
use lucid::rng::{self, Float, Generator};
use lucid::storage::Storage;

fn median_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    f(); // warm-up: first touch, thread pool start
    let mut times: Vec<f64> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(|a, b| a.total_cmp(b));
    times[reps / 2]
}

fn bench<T: Float>(n: usize, reps: usize) {
    let mut g = Generator::new(1, 0);
    // The input lives in a Storage like a tensor's (64-byte aligned, huge pages when
    // large): a Vec's 4 KiB pages cost TLB misses that would slow the floor and hide
    // how close the kernels come to it.
    let mut input = Storage::for_overwrite(T::DTYPE, n).unwrap();
    rng::fill_normal(&mut g, input.as_mut_slice::<T>().unwrap(), Chunk::DEFAULT).unwrap();
    let x = input.as_slice::<T>().unwrap();
    let fresh = || Storage::for_overwrite(T::DTYPE, n).unwrap();

    let floor = median_ms(reps, || {
        let mut y = fresh();
        lucid::par::copy(x, y.as_mut_slice::<T>().unwrap(), Chunk::DEFAULT).unwrap();
    });
    let mut mask = BitMask::zeros(n);
    let forward = median_ms(reps, || {
        let mut y = fresh();
        let plan = dropout::plan(Coefficients::alpha(0.1).unwrap(), n, &mut g).unwrap();
        dropout::forward(x, y.as_mut_slice::<T>().unwrap(), &mut mask, &plan, Chunk::DEFAULT).unwrap();
    });
    let a = Coefficients::alpha(0.1).unwrap().a;
    let backward = median_ms(reps, || {
        let mut dx = fresh();
        dropout::backward(x, &mask, a, dx.as_mut_slice::<T>().unwrap(), Chunk::DEFAULT).unwrap();
    });
    println!(
        "| {n:>11} | {:>7} | {floor:>9.2} | {forward:>9.2} | {:>5.2} | {backward:>9.2} | {:>5.2} |",
        T::DTYPE.name(),
        forward / floor,
        backward / floor
    );
}

fn main() {
    let sizes: Vec<usize> =
        std::env::args().skip(1).filter_map(|a| a.parse::<f64>().ok()).map(|v| v as usize).collect();
    let sizes = if sizes.is_empty() { vec![10_000_000, 100_000_000] } else { sizes };
    println!("threads: {}", lucid::par::num_threads().expect("thread pool"));
    println!("| N | dtype | floor ms | forward ms | ×floor | backward ms | ×floor |");
    println!("|---|---|---|---|---|---|---|");
    for n in sizes {
        let reps = if n >= 50_000_000 { 7 } else { 21 };
        bench::<f32>(n, reps);
        bench::<f64>(n, reps);
    }
}
