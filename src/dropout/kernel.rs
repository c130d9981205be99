//! The family's coefficients and element-wise kernels: one affine map for kept
//! elements and one value for dropped ones, so alpha dropout and standard dropout
//! share every line.
//!
//! Alpha dropout (Klambauer et al. 2017) keeps SELU networks self-normalising. With
//! α' = −λα and drop probability p:
//!
//! ```text
//! A = ((1 − p)(1 + p·α'²))^(−1/2)     B = −A·α'·p
//! keep (mask 1): y = A·x + B           drop (mask 0): y = A·α' + B
//! backward: dx = A·m·dy
//! ```
//!
//! Standard dropout (Srivastava et al. 2014) is the same kernel with PyTorch's
//! inverted scaling: A = 1 / (1 − p), B = 0 and a dropped value of 0.
//!
//! Which elements are kept is decided by the keep rule ([`Keep`]): exactly with
//! probability round((1 − p)·2³²) / 2³², from one random byte per element almost always.
//! The coefficients are computed in f64; the kernels run in the tensor's dtype, with
//! `A·x + B` as one multiply then one add (never fused), so results are reproducible.

use crate::activation::{SELU_ALPHA, SELU_SCALE};
use crate::error::{float_repr, LucidError, Result};
use crate::mask::{self, BitMask, Keep, GROUP};
use crate::par::{self, Chunk};
use crate::rng::{threshold, Draw, Generator};
use crate::simd::Float;
use crate::simd::{self, affine_of, Ahead, Store};

/// SELU's scale λ.
pub const LAMBDA: f64 = SELU_SCALE;
/// SELU's α.
pub const ALPHA: f64 = SELU_ALPHA;
/// SELU's negative saturation value, −λα: what a dropped unit is set to before the affine fix.
pub const ALPHA_PRIME: f64 = -LAMBDA * ALPHA;

/// p must be a probability: a number in [0, 1] (NaN is not). The one check of p.
pub fn check_p(p: f64) -> Result<f64> {
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(LucidError::value("p", float_repr(p), "a probability in [0, 1]"))
    }
}

/// The members of the family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Alpha,
    Standard,
}

impl Kind {
    /// "alpha" or "standard".
    pub fn name(self) -> &'static str {
        match self {
            Kind::Alpha => "alpha",
            Kind::Standard => "standard",
        }
    }

    pub fn parse(name: &str) -> Result<Kind> {
        match name {
            "alpha" => Ok(Kind::Alpha),
            "standard" => Ok(Kind::Standard),
            _ => Err(LucidError::value("kind", format!("{name:?}"), "'alpha' or 'standard'")),
        }
    }

    /// The coefficients of this member with drop probability p (checked).
    pub fn coefficients(self, p: f64) -> Result<Coefficients> {
        match self {
            Kind::Alpha => Coefficients::alpha(p),
            Kind::Standard => Coefficients::standard(p),
        }
    }
}

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

impl Coefficients {
    /// Alpha dropout's A, B and dropped value A·α' + B.
    pub fn alpha(p: f64) -> Result<Coefficients> {
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

    /// Standard dropout's 1 / (1 − p), 0 and 0.
    pub fn standard(p: f64) -> Result<Coefficients> {
        check_p(p)?;
        Ok(if p == 1.0 {
            // Every output and every gradient is zero, as in PyTorch.
            Coefficients { p, a: 0.0, b: 0.0, dropped: 0.0, threshold: 0 }
        } else {
            Coefficients { p, a: 1.0 / (1.0 - p), b: 0.0, dropped: 0.0, threshold: threshold(1.0 - p) }
        })
    }
}

/// What one forward call does: its coefficients and, when it samples, its words.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Plan {
    pub coef: Coefficients,
    /// None for p = 0, p = 1 and empty inputs, which draw no words.
    pub draw: Option<Draw>,
}

/// Reserve the words a forward of n elements with `coef` uses (see [`mask::keep_words`]),
/// after checking that the kernels can run (the SIMD settings), so a refused call
/// never moves the generator.
pub fn plan(coef: Coefficients, n: usize, gen: &mut Generator) -> Result<Plan> {
    simd::config()?;
    let samples = coef.p > 0.0 && coef.p < 1.0 && n > 0;
    let draw = if samples { Some(gen.reserve(mask::keep_words(n))?) } else { None };
    Ok(Plan { coef, draw })
}

pub(super) fn check_lengths(name: &'static str, got: usize, want: usize) -> Result<()> {
    if got == want {
        Ok(())
    } else {
        Err(LucidError::value(name, format!("{got} elements"), format!("{want} elements long")))
    }
}

/// Forward: y and the mask from x, by `plan`. Chunks are independent, so the result
/// does not depend on the thread count.
pub fn forward<T: Float>(x: &[T], y: &mut [T], mask: &mut BitMask, plan: &Plan, chunk: Chunk) -> Result<()> {
    check_lengths("y", y.len(), x.len())?;
    check_lengths("mask", mask.len(), x.len())?;
    let Some(draw) = plan.draw else {
        if plan.coef.p == 1.0 {
            y.fill(T::from_f64(0.0));
            *mask = BitMask::zeros(x.len());
        } else {
            par::copy(x, y, chunk)?;
            *mask = BitMask::ones(x.len());
        }
        return Ok(());
    };
    let c = plan.coef;
    let (a, b, dropped) = (T::from_f64(c.a), T::from_f64(c.b), T::from_f64(c.dropped));
    let decider = Keep::new(c.threshold);
    let top = decider.top();
    let n = x.len();
    let store = Store::for_output::<T>(n);
    par::for_each_chunk_mut_with_words(y, mask.words_mut(), chunk, |index, ys, words| {
        let first = index * chunk.elements();
        let xs = &x[first..first + ys.len()];
        let elements = first..first + xs.len();
        decider.decide_chunk(&draw, n, elements, words, Ahead::of(xs), |start, bytes, keep, won| {
            let xb = &xs[start..start + bytes.len()];
            let yb = &mut ys[start..start + bytes.len()];
            if store == Store::Streamed {
                // Every bit is final here, ties included: one pass, straight to memory.
                simd::masked_affine(xb, yb, keep, a, b, dropped, store);
                return;
            }
            // The byte decides almost every element.
            simd::select_affine(xb, yb, bytes, top, a, b, dropped);
            // The rare ties that their tie word kept.
            for (g, &word) in won.iter().enumerate() {
                let mut w = word;
                while w != 0 {
                    let i = g * GROUP + w.trailing_zeros() as usize;
                    yb[i] = affine_of(xb[i], a, b);
                    w &= w - 1;
                }
            }
        });
        if store == Store::Streamed {
            simd::fence();
        }
    })
}

/// y = a·x + b where bit i of `mask` is set, the dropped value where not: the forward's
/// law for a mask drawn before (a noise-shape mask broadcast to x, say).
pub fn apply<T: Float>(
    x: &[T],
    y: &mut [T],
    mask: &BitMask,
    coef: &Coefficients,
    chunk: Chunk,
) -> Result<()> {
    check_lengths("x", x.len(), mask.len())?;
    check_lengths("y", y.len(), mask.len())?;
    let (a, b, dropped) = (T::from_f64(coef.a), T::from_f64(coef.b), T::from_f64(coef.dropped));
    let store = Store::for_output::<T>(y.len());
    let words = mask.words();
    par::for_each_chunk_mut(y, chunk, |index, ys| {
        let first = index * chunk.elements();
        let (xs, ws) = (&x[first..first + ys.len()], &words[index * chunk.words()..]);
        simd::masked_affine(xs, ys, ws, a, b, dropped, store);
        if store == Store::Streamed {
            simd::fence();
        }
    })
}

/// Backward: dx = A·m·dy, written as dy times (A or 0) so NaN in dy propagates as in PyTorch.
/// A `dy` of one element stands for that value everywhere (the gradient of a sum):
/// dx_i = dy·(A or 0), without a full-size dy ever being made.
pub fn backward<T: Float>(dy: &[T], mask: &BitMask, a: f64, dx: &mut [T], chunk: Chunk) -> Result<()> {
    check_lengths("dx", dx.len(), mask.len())?;
    let broadcast = dy.len() == 1 && mask.len() != 1;
    if !broadcast {
        check_lengths("mask", mask.len(), dy.len())?;
    }
    let scale = T::from_f64(a);
    let (kept, dropped) = match dy.first() {
        Some(&g) if broadcast => (g * scale, g * T::from_f64(0.0)),
        _ => (scale, scale), // not used
    };
    let store = Store::for_output::<T>(dx.len());
    let words = mask.words();
    par::for_each_chunk_mut(dx, chunk, |index, out| {
        let ws = &words[index * chunk.words()..];
        if broadcast {
            simd::masked_fill(out, ws, kept, dropped, store);
        } else {
            let first = index * chunk.elements();
            simd::masked_scale(&dy[first..first + out.len()], out, ws, scale, store);
        }
        if store == Store::Streamed {
            simd::fence();
        }
    })
}

/// The keep bits alone, for `mask.len()` decisions drawn by `plan`: the mask the
/// channel kernels broadcast over rows. Bit i is the one [`forward`] would give
/// element i of an input of `mask.len()` elements with the same plan.
pub fn sample(mask: &mut BitMask, plan: &Plan, chunk: Chunk) -> Result<()> {
    let Some(draw) = plan.draw else {
        *mask = if plan.coef.p == 1.0 { BitMask::zeros(mask.len()) } else { BitMask::ones(mask.len()) };
        return Ok(());
    };
    let decider = Keep::new(plan.coef.threshold);
    let n = mask.len();
    par::for_each_chunk_words(mask.words_mut(), n, chunk, |index, words| {
        let first = index * chunk.elements();
        let elements = first..(first + chunk.elements()).min(n);
        decider.decide_chunk(&draw, n, elements, words, Ahead::NONE, |_, _, _, _| {});
    })
}
