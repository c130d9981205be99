//! SELU then alpha dropout in one pass each way: the forward reads z and writes
//! y = alpha-dropout(selu(z)) and the mask; the backward reads dy, z and the mask and
//! writes dz = selu'(z)·(A·m·dy). Each is the unfused pair's arithmetic in the same
//! order (SELU from the activation table, `crate::activation::forward_part` and
//! `backward_part`, then the dropout's loops of `crate::simd`), over the same chunks
//! and the same keep rule, so values, gradients and mask bits are bit for bit those of
//! `activation::forward` followed by [`super::forward`] with the same plan, and
//! likewise backward, for any thread count and SIMD level. The SELU values and the
//! dropout's gradients live only in block buffers, which stay in L1. The row kernels
//! do the same for `channel`'s masks (one bit per row, FeatureAlphaDropout's).

use super::channel::{check_rows, for_each_run};
use super::kernel::{check_lengths, Coefficients, Plan};
use crate::activation::{self, Activation};
use crate::error::Result;
use crate::mask::{BitMask, Keep, BLOCK, GROUP};
use crate::par::{self, Chunk};
use crate::simd::{self, affine_of, Ahead, Float, Store};

/// Forward: y = alpha-dropout(selu(z)) and the mask, by `plan` (of alpha dropout).
pub fn forward<T: Float>(z: &[T], y: &mut [T], mask: &mut BitMask, plan: &Plan, chunk: Chunk) -> Result<()> {
    check_lengths("y", y.len(), z.len())?;
    check_lengths("mask", mask.len(), z.len())?;
    let Some(draw) = plan.draw else {
        if plan.coef.p == 1.0 {
            y.fill(T::from_f64(0.0));
            *mask = BitMask::zeros(z.len());
        } else {
            activation::forward(z, y, Activation::Selu, chunk)?;
            *mask = BitMask::ones(z.len());
        }
        return Ok(());
    };
    let c = plan.coef;
    let (a, b, dropped) = (T::from_f64(c.a), T::from_f64(c.b), T::from_f64(c.dropped));
    let decider = Keep::new(c.threshold);
    let top = decider.top();
    let n = z.len();
    let store = Store::for_output::<T>(n);
    par::for_each_chunk_mut_with_words(y, mask.words_mut(), chunk, |index, ys, words| {
        let first = index * chunk.elements();
        let zs = &z[first..first + ys.len()];
        let elements = first..first + zs.len();
        let mut selu = [T::from_f64(0.0); BLOCK];
        decider.decide_chunk(&draw, n, elements, words, Ahead::of(zs), |start, bytes, keep, won| {
            let m = bytes.len();
            let s = &mut selu[..m];
            activation::forward_part(&zs[start..start + m], s, Activation::Selu);
            let yb = &mut ys[start..start + m];
            if store == Store::Streamed {
                simd::masked_affine(s, yb, keep, a, b, dropped, store);
                return;
            }
            simd::select_affine(s, yb, bytes, top, a, b, dropped);
            for (g, &word) in won.iter().enumerate() {
                let mut w = word;
                while w != 0 {
                    let i = g * GROUP + w.trailing_zeros() as usize;
                    yb[i] = affine_of(s[i], a, b);
                    w &= w - 1;
                }
            }
        });
        if store == Store::Streamed {
            simd::fence();
        }
    })
}

/// Backward: dz = selu'(z)·(dy·(A or 0)), the dropout's gradient first as unfused. A
/// `dy` of one element stands for that value everywhere (the gradient of a sum).
pub fn backward<T: Float>(
    z: &[T],
    dy: &[T],
    mask: &BitMask,
    a: f64,
    dz: &mut [T],
    chunk: Chunk,
) -> Result<()> {
    check_lengths("dz", dz.len(), mask.len())?;
    check_lengths("z", z.len(), mask.len())?;
    let broadcast = dy.len() == 1 && mask.len() != 1;
    if !broadcast {
        check_lengths("dy", dy.len(), mask.len())?;
    }
    let scale = T::from_f64(a);
    let (kept, dropped) = match dy.first() {
        Some(&g) if broadcast => (g * scale, g * T::from_f64(0.0)),
        _ => (scale, scale), // not used
    };
    let store = Store::for_output::<T>(dz.len());
    let words = mask.words();
    par::for_each_chunk_mut(dz, chunk, |index, out| {
        let first = index * chunk.elements();
        let ws = &words[index * chunk.words()..];
        let mut grad = Block([T::from_f64(0.0); PART]);
        for start in (0..out.len()).step_by(PART) {
            let m = (out.len() - start).min(PART);
            let (g, wb) = (&mut grad.0[..m], &ws[start / GROUP..]);
            if broadcast {
                simd::masked_fill(g, wb, kept, dropped, Store::Cached);
            } else {
                simd::masked_scale(&dy[first + start..first + start + m], g, wb, scale, Store::Cached);
            }
            let zb = &z[first + start..first + start + m];
            activation::backward_part(zb, g, &mut out[start..start + m], Activation::Selu, store);
        }
    })
}

/// Elements of the backward's gradient buffer.
const PART: usize = 4096;

/// A buffer on cache-line boundaries, so the vector loops over it never split a line.
#[repr(C, align(64))]
struct Block<T>([T; PART]);

/// Forward by rows: z is `mask.len()` rows of `row` elements, and row r is kept
/// (A·selu(z) + B) or dropped by bit r of `mask`: `channel::forward` of selu(z).
pub fn rows_forward<T: Float>(
    z: &[T],
    y: &mut [T],
    mask: &BitMask,
    row: usize,
    coef: &Coefficients,
    chunk: Chunk,
) -> Result<()> {
    check_rows("z", z.len(), mask, row)?;
    check_rows("y", y.len(), mask, row)?;
    let (a, b, dropped) = (T::from_f64(coef.a), T::from_f64(coef.b), T::from_f64(coef.dropped));
    let words = mask.words();
    for_each_run(y, row, chunk, |r, at, ys| {
        if row != 1 && !mask.get(r) {
            return ys.fill(dropped); // no SELU value is needed
        }
        let zs = &z[r * row + at..r * row + at + ys.len()];
        let mut selu = Block([T::from_f64(0.0); PART]);
        for start in (0..ys.len()).step_by(PART) {
            let m = (ys.len() - start).min(PART);
            let (s, yb) = (&mut selu.0[..m], &mut ys[start..start + m]);
            activation::forward_part(&zs[start..start + m], s, Activation::Selu);
            if row == 1 {
                // One row per element: r is the run's first element, on a mask word.
                simd::masked_affine(s, yb, &words[(r + start) / GROUP..], a, b, dropped, Store::Cached);
            } else {
                simd::affine(s, yb, a, b);
            }
        }
    })
}

/// Backward by rows: dz = selu'(z)·(dy·(A or 0)), the row's bit deciding, as
/// `channel::backward` then SELU's backward; a `dy` of one element stands for all.
pub fn rows_backward<T: Float>(
    z: &[T],
    dy: &[T],
    mask: &BitMask,
    row: usize,
    a: f64,
    dz: &mut [T],
    chunk: Chunk,
) -> Result<()> {
    check_rows("dz", dz.len(), mask, row)?;
    check_rows("z", z.len(), mask, row)?;
    let broadcast = dy.len() == 1 && dz.len() != 1;
    if !broadcast {
        check_rows("dy", dy.len(), mask, row)?;
    }
    let (scale, zero) = (T::from_f64(a), T::from_f64(0.0));
    let store = Store::for_output::<T>(dz.len());
    let words = mask.words();
    for_each_run(dz, row, chunk, |r, at, out| {
        let first = r * row + at;
        let factor = if row == 1 || mask.get(r) { scale } else { zero };
        let mut grad = Block([T::from_f64(0.0); PART]);
        for start in (0..out.len()).step_by(PART) {
            let m = (out.len() - start).min(PART);
            let g = &mut grad.0[..m];
            // With one row per element, r is the run's first element, on a mask word.
            let ws: &[u64] = if row == 1 { &words[(r + start) / GROUP..] } else { &[] };
            if broadcast && row == 1 {
                simd::masked_fill(g, ws, dy[0] * scale, dy[0] * zero, Store::Cached);
            } else if broadcast {
                g.fill(dy[0] * factor);
            } else if row == 1 {
                simd::masked_scale(&dy[first + start..first + start + m], g, ws, scale, Store::Cached);
            } else {
                simd::scale(&dy[first + start..first + start + m], g, factor);
            }
            let zs = &z[first + start..first + start + m];
            activation::backward_part(zs, g, &mut out[start..start + m], Activation::Selu, store);
        }
    })
}
