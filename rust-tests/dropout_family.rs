//! Standard dropout and the row (channel) kernels: the law given the mask, the sampled
//! mask against the contract, chunk and thread-count independence, edges and errors.

#![allow(clippy::needless_range_loop)]

mod common;

use common::{at_every_simd_level, chunk, edge_sizes, ramp, reference_keep, with_threads};
use lucid::dropout::{self, channel, Coefficients, Plan};
use lucid::mask::BitMask;
use lucid::par::{Chunk, DEFAULT_CHUNK};
use lucid::rng::Generator;

fn as_f32(v: &[f64]) -> Vec<f32> {
    v.iter().map(|&x| x as f32).collect()
}

fn sampled(m: usize, coef: Coefficients, seed: u64, chunk: Chunk) -> (BitMask, Plan) {
    let plan = dropout::plan(coef, m, &mut Generator::new(seed, 1)).unwrap();
    let mut mask = BitMask::zeros(m);
    dropout::sample(&mut mask, &plan, chunk).unwrap();
    (mask, plan)
}

#[test]
fn standard_coefficients_scale_kept_values_by_the_inverse_keep_probability() {
    for p in [0.0, 0.1, 0.5, 0.9] {
        let c = Coefficients::standard(p).unwrap();
        assert_eq!((c.a, c.b, c.dropped), (1.0 / (1.0 - p), 0.0, 0.0));
        assert_eq!(c.threshold, ((1.0 - p) * 4294967296.0).round() as u64);
    }
    let c = Coefficients::standard(1.0).unwrap();
    assert_eq!((c.a, c.b, c.dropped, c.threshold), (0.0, 0.0, 0.0, 0));
    for bad in [-0.1, 1.5, f64::NAN] {
        assert!(Coefficients::standard(bad).is_err(), "p = {bad}");
    }
}

#[test]
fn standard_dropout_follows_its_law_given_the_mask() {
    let n = 20_000;
    let x = as_f32(&ramp(n));
    let mut g = Generator::new(5, 0);
    let plan = dropout::plan(Coefficients::standard(0.3).unwrap(), n, &mut g).unwrap();
    let (mut y, mut mask) = (vec![0f32; n], BitMask::zeros(n));
    dropout::forward(&x, &mut y, &mut mask, &plan, Chunk::DEFAULT).unwrap();
    let keep = reference_keep(&plan.draw.unwrap(), n, plan.coef.threshold);
    let a = (1.0 / 0.7) as f32;
    let dy = as_f32(&ramp(n + 3)[3..]);
    let mut dx = vec![0f32; n];
    dropout::backward(&dy, &mask, plan.coef.a, &mut dx, Chunk::DEFAULT).unwrap();
    for i in 0..n {
        assert_eq!(mask.get(i), keep[i], "bit {i}");
        assert_eq!(y[i], if keep[i] { a * x[i] } else { 0.0 }, "y[{i}]");
        assert_eq!(dx[i], if keep[i] { dy[i] * a } else { 0.0 }, "dx[{i}]");
    }
}

#[test]
fn sampled_masks_are_the_forward_masks_of_the_same_draw() {
    // Over sizes off every boundary, chunk sizes and thread counts: the bits `sample`
    // draws are those the element-wise forward draws, which rust-tests/alpha_dropout.rs
    // checks against the plain reference of the keep rule.
    let coef = Coefficients::alpha(0.37).unwrap();
    for n in edge_sizes() {
        let x = vec![0f32; n];
        let plan = dropout::plan(coef, n, &mut Generator::new(n as u64, 1)).unwrap();
        let (mut y, mut want) = (vec![0f32; n], BitMask::zeros(n));
        dropout::forward(&x, &mut y, &mut want, &plan, Chunk::DEFAULT).unwrap();
        for (threads, size) in [(1, DEFAULT_CHUNK), (8, 4096), (2, 3 * 4096)] {
            let chunk = chunk(size);
            let got = with_threads(threads, || sampled(n, coef, n as u64, chunk).0);
            assert_eq!(got, want, "n={n} threads={threads} chunk={size}");
        }
    }
}

#[test]
fn sampling_with_p_zero_or_one_draws_nothing() {
    for (p, ones) in [(0.0, 70), (1.0, 0)] {
        let mut g = Generator::new(1, 2);
        let plan = dropout::plan(Coefficients::alpha(p).unwrap(), 70, &mut g).unwrap();
        let mut mask = BitMask::zeros(70);
        dropout::sample(&mut mask, &plan, Chunk::DEFAULT).unwrap();
        assert_eq!((mask.count_ones(), g.offset()), (ones, 0), "p={p}");
    }
}

/// Row `r` of `x` under `mask`, as the law says.
fn rows_reference(x: &[f32], mask: &BitMask, row: usize, c: &Coefficients) -> Vec<f32> {
    let (a, b, d) = (c.a as f32, c.b as f32, c.dropped as f32);
    (0..x.len()).map(|i| if mask.get(i / row) { a * x[i] + b } else { d }).collect()
}

#[test]
fn row_kernels_follow_the_law_for_every_row_length_chunk_and_thread_count() {
    let c = Coefficients::alpha(0.25).unwrap();
    // Rows of one element (an element mask), short rows, rows longer than a chunk,
    // and totals that are not multiples of the chunk.
    for (rows, row) in [(1, 1), (5000, 1), (3, 7), (700, 97), (3, 4097), (2, 70_001), (40, 0)] {
        let n = rows * row;
        let x = as_f32(&ramp(n));
        let dy = as_f32(&ramp(n + 11)[11..]);
        let (mask, _) = sampled(rows, c, rows as u64, Chunk::DEFAULT);
        let want = rows_reference(&x, &mask, row, &c);
        let a = c.a as f32;
        let want_dx: Vec<f32> = (0..n).map(|i| dy[i] * if mask.get(i / row) { a } else { 0.0 }).collect();
        for (threads, size) in [(1, DEFAULT_CHUNK), (8, 4096), (2, 3 * 4096)] {
            let chunk = chunk(size);
            let (mut y, mut dx) = (vec![0f32; n], vec![0f32; n]);
            with_threads(threads, || {
                channel::forward(&x, &mut y, &mask, row, &c, chunk).unwrap();
                channel::backward(&dy, &mask, row, c.a, &mut dx, chunk).unwrap();
            });
            assert_eq!(y, want, "y: rows={rows} row={row} chunk={size}");
            assert_eq!(dx, want_dx, "dx: rows={rows} row={row} chunk={size}");
        }
    }
}

#[test]
fn row_kernels_at_every_simd_level() {
    at_every_simd_level(|_| row_kernels_follow_the_law_for_every_row_length_chunk_and_thread_count());
}

#[test]
fn row_backward_broadcasts_a_single_gradient_and_propagates_nan() {
    let c = Coefficients::alpha(0.5).unwrap();
    for (rows, row) in [(300, 1), (30, 33)] {
        let n = rows * row;
        let (mask, _) = sampled(rows, c, 9, Chunk::DEFAULT);
        let mut one = vec![0f64; n];
        channel::backward(&[2.5], &mask, row, c.a, &mut one, chunk(4096)).unwrap();
        let mut nan = vec![0f64; n];
        channel::backward(&[f64::NAN], &mask, row, c.a, &mut nan, chunk(4096)).unwrap();
        for i in 0..n {
            assert_eq!(one[i], 2.5 * if mask.get(i / row) { c.a } else { 0.0 }, "i={i}");
            assert!(nan[i].is_nan(), "NaN·(A or 0) is NaN at {i}");
        }
        assert!(mask.count_ones() > 0 && mask.count_ones() < rows, "both kinds of rows occur");
    }
}

#[test]
fn row_kernels_reject_lengths_that_are_not_whole_rows() {
    let c = Coefficients::alpha(0.5).unwrap();
    let mask = BitMask::ones(4);
    let x = [1f32; 12];
    assert!(channel::forward(&x, &mut [0f32; 12], &mask, 3, &c, Chunk::DEFAULT).is_ok());
    assert!(channel::forward(&x, &mut [0f32; 12], &mask, 4, &c, Chunk::DEFAULT).is_err());
    assert!(channel::forward(&x[..11], &mut [0f32; 11], &mask, 3, &c, Chunk::DEFAULT).is_err());
    assert!(channel::forward(&x, &mut [0f32; 11], &mask, 3, &c, Chunk::DEFAULT).is_err());
    assert!(Chunk::new(65).is_err() && Chunk::new(64).is_err(), "chunk not a multiple of 4096");
    assert!(channel::backward(&x[..5], &mask, 3, 1.0, &mut [0f32; 12], Chunk::DEFAULT).is_err());
    assert!(
        channel::backward(&x, &mask, usize::MAX, 1.0, &mut [0f32; 12], Chunk::DEFAULT).is_err(),
        "overflowing rows"
    );
}

#[test]
fn mask_rows_take_each_rows_bits_in_the_order_asked() {
    // Row lengths around word boundaries, rows in and out of order and repeated.
    for row in [1usize, 3, 63, 64, 65, 130] {
        let count = 11;
        let (mask, _) = sampled(count * row, Coefficients::alpha(0.5).unwrap(), 9, Chunk::DEFAULT);
        for rows in
            [vec![], vec![0], vec![10, 0, 5, 5], (0..count).collect(), (1..count).step_by(3).collect()]
        {
            let got = mask.rows(&rows, row).unwrap();
            assert_eq!(got.len(), rows.len() * row);
            for (k, &r) in rows.iter().enumerate() {
                for j in 0..row {
                    assert_eq!(
                        got.get(k * row + j),
                        mask.get(r * row + j),
                        "row {row}, rows {rows:?}, k {k}, j {j}"
                    );
                }
            }
            // Bits past the end stay zero, so counts and unpacking hold.
            let kept: usize = rows.iter().map(|&r| (0..row).filter(|&j| mask.get(r * row + j)).count()).sum();
            assert_eq!(got.count_ones(), kept);
        }
        assert_eq!(mask.rows(&(0..count).collect::<Vec<_>>(), row).unwrap(), mask);
    }
}

#[test]
fn mask_rows_reject_a_row_length_or_row_out_of_range() {
    let mask = BitMask::ones(12);
    assert!(mask.rows(&[0], 5).unwrap_err().to_string().contains("row"));
    assert!(mask.rows(&[0], 0).unwrap_err().to_string().contains("row"));
    assert!(mask.rows(&[4], 3).unwrap_err().to_string().contains("rows"));
    assert_eq!(mask.rows(&[3], 3).unwrap(), BitMask::ones(3));
}
