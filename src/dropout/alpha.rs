//! Alpha dropout (Klambauer et al. 2017), the dropout that keeps SELU networks
//! self-normalising. With α' = −λα and drop probability p:
//!
//! ```text
//! A = ((1 − p)(1 + p·α'²))^(−1/2)     B = −A·α'·p
//! keep (mask 1): y = A·x + B           drop (mask 0): y = A·α' + B
//! backward: dx = A·m·dy
//! ```
//!
//! Which elements are kept is decided by [`keep`](super::keep): exactly with
//! probability round((1 − p)·2³²) / 2³², from one random byte per element almost always.
//! The coefficients are computed in f64; the kernels run in the tensor's dtype, with
//! `A·x + B` as one multiply then one add (never fused), so results are reproducible.

use rayon::prelude::*;

use crate::error::{LucidError, Result};
use crate::mask::BitMask;
use crate::par::check_chunk;
use crate::rng::{threshold, Draw, Float, Generator};
use crate::simd;

use super::keep::{self, Keep, GROUP};

/// SELU's scale λ.
pub const LAMBDA: f64 = 1.050_700_987_355_480_5;
/// SELU's α.
pub const ALPHA: f64 = 1.673_263_242_354_377_2;
/// SELU's negative saturation value, −λα: what a dropped unit is set to before the affine fix.
pub const ALPHA_PRIME: f64 = -LAMBDA * ALPHA;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    pub p: f64,
    /// Scale applied to kept values, and to the gradient.
    pub a: f64,
    /// Shift applied to kept values.
    pub b: f64,
    /// The value of every dropped element: A·α' + B.
    pub dropped: f64,
    /// Keep iff word < threshold.
    pub threshold: u64,
}

/// p must be a number in [0, 1].
pub fn check_p(p: f64) -> Result<()> {
    if (0.0..=1.0).contains(&p) {
        Ok(())
    } else {
        Err(LucidError::value("p", p, "a probability in [0, 1]"))
    }
}

pub fn coefficients(p: f64) -> Result<Coefficients> {
    check_p(p)?;
    let keep = threshold(1.0 - p);
    Ok(if p == 0.0 {
        Coefficients { p, a: 1.0, b: 0.0, dropped: ALPHA_PRIME, threshold: keep }
    } else if p == 1.0 {
        // As PyTorch: every output is zero and so is the gradient.
        Coefficients { p, a: 0.0, b: 0.0, dropped: 0.0, threshold: 0 }
    } else {
        let a = ((1.0 - p) * (1.0 + p * ALPHA_PRIME * ALPHA_PRIME)).powf(-0.5);
        let b = -a * ALPHA_PRIME * p;
        Coefficients { p, a, b, dropped: a * ALPHA_PRIME + b, threshold: keep }
    })
}

/// What one forward call does: its coefficients and, when it samples, its words.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    pub coef: Coefficients,
    /// None for p = 0, p = 1 and empty inputs, which draw no words.
    pub draw: Option<Draw>,
}

/// Check p and reserve the words a forward of n elements uses (see [`keep::words`]).
pub fn plan(p: f64, n: usize, gen: &mut Generator) -> Result<Plan> {
    let coef = coefficients(p)?;
    let samples = p > 0.0 && p < 1.0 && n > 0;
    let draw = if samples { Some(gen.reserve(keep::words(n))?) } else { None };
    Ok(Plan { coef, draw })
}

fn check_lengths(name: &'static str, got: usize, want: usize) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(LucidError::value(name, format!("{got} elements"), format!("{want} elements long")))
    }
}

/// Forward: y and the mask from x, by `plan`. Chunks of `chunk` elements (a multiple
/// of 64) are independent, so the result does not depend on the thread count.
pub fn forward<T: Float>(x: &[T], y: &mut [T], mask: &mut BitMask, plan: &Plan, chunk: usize) -> Result<()> {
    keep::check_chunk(chunk)?;
    check_lengths("y", y.len(), x.len())?;
    check_lengths("mask", mask.len(), x.len())?;
    let Some(draw) = plan.draw else {
        if plan.coef.p == 1.0 {
            y.fill(T::from_f64(0.0));
            *mask = BitMask::zeros(x.len());
        } else {
            y.copy_from_slice(x);
            *mask = BitMask::ones(x.len());
        }
        return Ok(());
    };
    let c = plan.coef;
    let (a, b, dropped) = (T::from_f64(c.a), T::from_f64(c.b), T::from_f64(c.dropped));
    let decider = Keep::new(c.threshold);
    let top = decider.top();
    let n = x.len();
    let run = |index: usize, xs: &[T], ys: &mut [T], words: &mut [u64]| {
        decider.decide_chunk(&draw, n, index * chunk, xs.len(), words, |start, bytes, won| {
            let xb = &xs[start..start + bytes.len()];
            let yb = &mut ys[start..start + bytes.len()];
            // The byte decides almost every element.
            simd::select_affine(xb, yb, bytes, top, a, b, dropped);
            // The rare ties that their tie word kept.
            for (g, &word) in won.iter().enumerate() {
                let mut w = word;
                while w != 0 {
                    let i = g * GROUP + w.trailing_zeros() as usize;
                    yb[i] = a * xb[i] + b;
                    w &= w - 1;
                }
            }
        });
    };
    let words = mask.words_mut();
    if x.len() <= chunk {
        run(0, x, y, words);
    } else {
        x.par_chunks(chunk)
            .zip(y.par_chunks_mut(chunk))
            .zip(words.par_chunks_mut(chunk / 64))
            .enumerate()
            .for_each(|(index, ((xs, ys), ws))| run(index, xs, ys, ws));
    }
    Ok(())
}

/// Backward: dx = A·m·dy, written as dy times (A or 0) so NaN in dy propagates as in PyTorch.
/// A `dy` of one element stands for that value everywhere (the gradient of a sum):
/// dx_i = dy·(A or 0), without a full-size dy ever being made.
pub fn backward<T: Float>(dy: &[T], mask: &BitMask, a: f64, dx: &mut [T], chunk: usize) -> Result<()> {
    check_chunk(chunk)?;
    check_lengths("dx", dx.len(), mask.len())?;
    if dy.len() == 1 && mask.len() != 1 {
        let (kept, dropped) = (dy[0] * T::from_f64(a), dy[0] * T::from_f64(0.0));
        let run = |out: &mut [T], words: &[u64]| simd::masked_fill(out, words, kept, dropped);
        if dx.len() <= chunk {
            run(dx, mask.words());
        } else {
            dx.par_chunks_mut(chunk).zip(mask.words().par_chunks(chunk / 64)).for_each(|(o, w)| run(o, w));
        }
        return Ok(());
    }
    check_lengths("mask", mask.len(), dy.len())?;
    let scale = T::from_f64(a);
    let run = |gs: &[T], out: &mut [T], words: &[u64]| simd::masked_scale(gs, out, words, scale);
    if dy.len() <= chunk {
        run(dy, dx, mask.words());
    } else {
        dy.par_chunks(chunk)
            .zip(dx.par_chunks_mut(chunk))
            .zip(mask.words().par_chunks(chunk / 64))
            .for_each(|((gs, out), ws)| run(gs, out, ws));
    }
    Ok(())
}
