//! Dropout over whole rows: the input is seen as `mask.len()` rows of `row` elements
//! (channels of (N, C, ...) inputs, or any mask shape that is the input's leading
//! dimensions followed by ones), and every element of row r is kept or dropped with
//! bit r of the mask, drawn by [`sample`](super::sample). Kept: y = a·x + b; dropped:
//! y = the dropped value; backward: dx = dy·(a or 0), so NaN in dy propagates.
//! No randomness here, so chunking cannot change a result.

use crate::error::{LucidError, Result};
use crate::mask::BitMask;
use crate::par::{self, Chunk};
use crate::simd::Float;
use crate::simd::{self, Store};

use super::Coefficients;

pub(super) fn check_rows(name: &'static str, len: usize, mask: &BitMask, row: usize) -> Result<()> {
    if mask.len().checked_mul(row) == Some(len) {
        Ok(())
    } else {
        Err(LucidError::value(
            name,
            format!("{len} elements"),
            format!("{} rows of {row} elements", mask.len()),
        ))
    }
}

/// Call `f(first_row, offset_in_row, out_part)` for every run of `out` that lies in
/// one row, chunk by chunk over the thread pool; row == 1 hands whole chunks over.
pub(super) fn for_each_run<T: Send>(
    out: &mut [T],
    row: usize,
    chunk: Chunk,
    f: impl Fn(usize, usize, &mut [T]) + Sync + Send,
) -> Result<()> {
    par::for_each_chunk_mut(out, chunk, |index, part| {
        let start = index * chunk.elements();
        if row == 1 {
            return f(start, 0, part);
        }
        let mut done = 0;
        while done < part.len() {
            let at = start + done;
            let len = (row - at % row).min(part.len() - done);
            f(at / row, at % row, &mut part[done..done + len]);
            done += len;
        }
    })
}

/// y = a·x + b on rows whose bit is set, the dropped value on the others.
pub fn forward<T: Float>(
    x: &[T],
    y: &mut [T],
    mask: &BitMask,
    row: usize,
    coef: &Coefficients,
    chunk: Chunk,
) -> Result<()> {
    check_rows("x", x.len(), mask, row)?;
    check_rows("y", y.len(), mask, row)?;
    let (a, b, dropped) = (T::from_f64(coef.a), T::from_f64(coef.b), T::from_f64(coef.dropped));
    let words = mask.words();
    for_each_run(y, row, chunk, |r, at, ys| {
        let start = r * row + at;
        let xs = &x[start..start + ys.len()];
        if row == 1 {
            // One row per element: the mask is an element mask (chunks start on a word).
            simd::masked_affine(xs, ys, &words[r / 64..], a, b, dropped, Store::Cached);
        } else if mask.get(r) {
            simd::affine(xs, ys, a, b);
        } else {
            ys.fill(dropped);
        }
    })
}

/// dx = dy·(a or 0) by row; a `dy` of one element stands for that value everywhere.
pub fn backward<T: Float>(
    dy: &[T],
    mask: &BitMask,
    row: usize,
    a: f64,
    dx: &mut [T],
    chunk: Chunk,
) -> Result<()> {
    check_rows("dx", dx.len(), mask, row)?;
    let broadcast = dy.len() == 1 && dx.len() != 1;
    if !broadcast {
        check_rows("dy", dy.len(), mask, row)?;
    }
    let (scale, zero) = (T::from_f64(a), T::from_f64(0.0));
    let words = mask.words();
    for_each_run(dx, row, chunk, |r, at, out| {
        if broadcast {
            if row == 1 {
                simd::masked_fill(out, &words[r / 64..], dy[0] * scale, dy[0] * zero, Store::Cached);
            } else {
                out.fill(dy[0] * if mask.get(r) { scale } else { zero });
            }
            return;
        }
        let start = r * row + at;
        let gs = &dy[start..start + out.len()];
        if row == 1 {
            simd::masked_scale(gs, out, &words[r / 64..], scale, Store::Cached);
        } else {
            simd::scale(gs, out, if mask.get(r) { scale } else { zero });
        }
    })
}
