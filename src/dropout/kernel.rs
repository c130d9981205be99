//! The family's element-wise kernels: one affine map for kept elements and one value
//! for dropped ones, so alpha dropout and standard dropout share every line.
//!
//! Which elements are kept is decided by [`keep`](super::keep): exactly with
//! probability round((1 − p)·2³²) / 2³², from one random byte per element almost always.
//! The coefficients are computed in f64; the kernels run in the tensor's dtype, with
//! `A·x + B` as one multiply then one add (never fused), so results are reproducible.

use rayon::prelude::*;

use crate::element::Float;
use crate::error::{LucidError, Result};
use crate::mask::BitMask;
use crate::par::check_chunk;
use crate::rng::{Draw, Generator};
use crate::simd::{self, Ahead};
use crate::stream;

use super::keep::{self, Keep, GROUP};

/// What a dropout does to one element: kept, y = a·x + b; dropped, y = `dropped`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Coefficients {
    pub p: f64,
    /// Scale applied to kept values, and to the gradient.
    pub a: f64,
    /// Shift applied to kept values.
    pub b: f64,
    /// The value of every dropped element.
    pub dropped: f64,
    /// Keep iff the element's 32-bit draw is below this: round((1 − p)·2³²).
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

/// What one forward call does: its coefficients and, when it samples, its words.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    pub coef: Coefficients,
    /// None for p = 0, p = 1 and empty inputs, which draw no words.
    pub draw: Option<Draw>,
}

/// Reserve the words a forward of n elements with `coef` uses (see [`keep::words`]).
pub fn plan(coef: Coefficients, n: usize, gen: &mut Generator) -> Result<Plan> {
    let samples = coef.p > 0.0 && coef.p < 1.0 && n > 0;
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
/// of [`keep::SPAN`]) are independent, so the result does not depend on the thread count.
pub fn forward<T: Float>(x: &[T], y: &mut [T], mask: &mut BitMask, plan: &Plan, chunk: usize) -> Result<()> {
    keep::check_chunk(chunk)?;
    check_lengths("y", y.len(), x.len())?;
    check_lengths("mask", mask.len(), x.len())?;
    let Some(draw) = plan.draw else {
        if plan.coef.p == 1.0 {
            y.fill(T::from_f64(0.0));
            *mask = BitMask::zeros(x.len());
        } else {
            crate::floor::copy(x, y, chunk)?;
            *mask = BitMask::ones(x.len());
        }
        return Ok(());
    };
    let c = plan.coef;
    let (a, b, dropped) = (T::from_f64(c.a), T::from_f64(c.b), T::from_f64(c.dropped));
    let decider = Keep::new(c.threshold);
    let top = decider.top();
    let n = x.len();
    let streamed = stream::streams::<T>(n);
    let run = |index: usize, xs: &[T], ys: &mut [T], words: &mut [u64]| {
        let input = Ahead::of(xs);
        let elements = index * chunk..index * chunk + xs.len();
        decider.decide_chunk(&draw, n, elements, words, input, |start, bytes, keep, won| {
            let xb = &xs[start..start + bytes.len()];
            let yb = &mut ys[start..start + bytes.len()];
            if streamed {
                // Every bit is final here, ties included: one pass, straight to memory.
                stream::masked_affine(xb, yb, keep, a, b, dropped);
                return;
            }
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
        if streamed {
            stream::fence();
        }
    };
    let words = mask.words_mut();
    if x.len() <= chunk {
        run(0, x, y, words);
    } else {
        crate::pool::install(|| {
            x.par_chunks(chunk)
                .zip(y.par_chunks_mut(chunk))
                .zip(words.par_chunks_mut(chunk / 64))
                .enumerate()
                .for_each(|(index, ((xs, ys), ws))| run(index, xs, ys, ws))
        })?;
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
        let streamed = stream::streams::<T>(dx.len());
        let run = |out: &mut [T], words: &[u64]| {
            if streamed {
                stream::masked_fill(out, words, kept, dropped);
                stream::fence();
            } else {
                simd::masked_fill(out, words, kept, dropped)
            }
        };
        if dx.len() <= chunk {
            run(dx, mask.words());
        } else {
            crate::pool::install(|| {
                dx.par_chunks_mut(chunk).zip(mask.words().par_chunks(chunk / 64)).for_each(|(o, w)| run(o, w))
            })?;
        }
        return Ok(());
    }
    check_lengths("mask", mask.len(), dy.len())?;
    let scale = T::from_f64(a);
    let streamed = stream::streams::<T>(dx.len());
    let run = |gs: &[T], out: &mut [T], words: &[u64]| {
        if streamed {
            stream::masked_scale(gs, out, words, scale);
            stream::fence();
        } else {
            simd::masked_scale(gs, out, words, scale)
        }
    };
    if dy.len() <= chunk {
        run(dy, dx, mask.words());
    } else {
        crate::pool::install(|| {
            dy.par_chunks(chunk)
                .zip(dx.par_chunks_mut(chunk))
                .zip(mask.words().par_chunks(chunk / 64))
                .for_each(|((gs, out), ws)| run(gs, out, ws))
        })?;
    }
    Ok(())
}

/// The keep bits alone, for `mask.len()` decisions drawn by `plan`: the mask the
/// channel kernels broadcast over rows. Bit i is the one [`forward`] would give
/// element i of an input of `mask.len()` elements with the same plan.
pub fn sample(mask: &mut BitMask, plan: &Plan, chunk: usize) -> Result<()> {
    keep::check_chunk(chunk)?;
    let Some(draw) = plan.draw else {
        *mask = if plan.coef.p == 1.0 { BitMask::zeros(mask.len()) } else { BitMask::ones(mask.len()) };
        return Ok(());
    };
    let decider = Keep::new(plan.coef.threshold);
    let n = mask.len();
    let run = |index: usize, words: &mut [u64]| {
        let elements = index * chunk..(index * chunk + chunk).min(n);
        decider.decide_chunk(&draw, n, elements, words, Ahead::NONE, |_, _, _, _| {});
    };
    let words = mask.words_mut();
    if n <= chunk {
        run(0, words);
    } else {
        crate::pool::install(|| {
            words.par_chunks_mut(chunk / 64).enumerate().for_each(|(index, ws)| run(index, ws))
        })?;
    }
    Ok(())
}
