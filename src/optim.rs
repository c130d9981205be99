//! Fused optimiser steps: SGD (momentum, dampening, Nesterov, L2 weight decay) and
//! Adam / AdamW (AMSGrad too) over every parameter of a step at once, as PyTorch's
//! "foreach" steps. Each element goes through exactly the float operations, in the
//! same order and in the parameter's dtype, that `lucid.optim`'s numpy code does
//! (no fused multiply-add, a division where it divides), so both paths give the same
//! bits. The hyperparameters are f64, as Python holds them; each coefficient is made
//! in f64 as Python makes it and then rounded once to the dtype, as numpy rounds a
//! Python float in an operation with an array.
//!
//! The work is cut into tasks of at most [`CHUNK`] elements of one parameter, a size
//! that never depends on the thread count; the update is element-wise, so no result
//! depends on which thread runs a task or on how many there are.

mod real;

use rayon::prelude::*;

use self::real::widest;
pub use self::real::Real;
use crate::error::{LucidError, Result};
use crate::par;
use crate::simd;

/// Elements per task: a parameter is cut into pieces of this many elements.
pub const CHUNK: usize = 1 << 14;

/// Steps of at most this many elements in all run on the calling thread.
pub const SERIAL: usize = 1 << 15;

/// SGD's hyperparameters (those of `lucid.optim.SGD`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sgd {
    pub lr: f64,
    pub momentum: f64,
    pub dampening: f64,
    pub weight_decay: f64,
    pub nesterov: bool,
}

/// One parameter of an SGD step. `buffer` is the momentum buffer (needed when
/// momentum ≠ 0, else ignored); `fresh`: it is new, and this step sets it to the
/// gradient (after weight decay) instead of updating it.
pub struct SgdSlot<'a, T> {
    pub param: &'a mut [T],
    pub grad: &'a [T],
    pub buffer: Option<&'a mut [T]>,
    pub fresh: bool,
}

/// Adam's and AdamW's hyperparameters; `decoupled` is AdamW's decay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Adam {
    pub lr: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub eps: f64,
    pub weight_decay: f64,
    pub amsgrad: bool,
    pub decoupled: bool,
}

/// One parameter of an Adam step; `step` is its step count t after this step (≥ 1),
/// `max_exp_avg_sq` is needed with amsgrad.
pub struct AdamSlot<'a, T> {
    pub param: &'a mut [T],
    pub grad: &'a [T],
    pub exp_avg: &'a mut [T],
    pub exp_avg_sq: &'a mut [T],
    pub max_exp_avg_sq: Option<&'a mut [T]>,
    pub step: u64,
}

fn check_len(arg: &'static str, i: usize, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(LucidError::value(
            arg,
            format!("[{i}] of {got} elements"),
            format!("of {want} elements, as params[{i}]"),
        ));
    }
    Ok(())
}

/// Run `work` over the tasks: on the calling thread for small steps, else on the pool.
fn run<W: Send>(tasks: Vec<W>, total: usize, work: impl Fn(W) + Sync + Send) -> Result<()> {
    simd::config()?;
    if total <= SERIAL {
        tasks.into_iter().for_each(work);
        return Ok(());
    }
    par::install(|| tasks.into_par_iter().for_each(work))
}

/// SGD's coefficients in the dtype, and which branches the f64 values take.
#[derive(Clone, Copy)]
struct SgdCoef<T> {
    lr: T,
    momentum: T,
    keep: T,
    weight_decay: T,
    decay: bool,
    with_momentum: bool,
    damped: bool,
    nesterov: bool,
}

/// The gradient after L2 weight decay, (p·λ) + g as numpy adds them.
#[inline(always)]
fn decayed<T: Real>(decay: bool, weight_decay: T, p: T, g: T) -> T {
    if decay {
        p * weight_decay + g
    } else {
        g
    }
}

#[inline(always)]
fn sgd_body<T: Real>(c: &SgdCoef<T>, p: &mut [T], g: &[T], b: &mut [T], fresh: bool) {
    let g = &g[..p.len()];
    if !c.with_momentum {
        for (p, &g) in p.iter_mut().zip(g) {
            *p = *p - decayed(c.decay, c.weight_decay, *p, g) * c.lr;
        }
        return;
    }
    let b = &mut b[..p.len()];
    for ((p, &g), b) in p.iter_mut().zip(g).zip(b.iter_mut()) {
        let grad = decayed(c.decay, c.weight_decay, *p, g);
        let buf = if fresh {
            grad
        } else if c.damped {
            *b * c.momentum + grad * c.keep
        } else {
            *b * c.momentum + grad
        };
        *b = buf;
        let step = if c.nesterov { buf * c.momentum + grad } else { buf };
        *p = *p - step * c.lr;
    }
}

widest!(sgd_piece, sgd_avx512, sgd_avx2, sgd_body, (c: &SgdCoef<T>, p: &mut [T], g: &[T], b: &mut [T], fresh: bool));

/// One SGD step over every slot, in place.
pub fn sgd_step<T: Real>(h: &Sgd, slots: Vec<SgdSlot<'_, T>>) -> Result<()> {
    let with_momentum = h.momentum != 0.0;
    let c = SgdCoef {
        lr: T::of(h.lr),
        momentum: T::of(h.momentum),
        keep: T::of(1.0 - h.dampening),
        weight_decay: T::of(h.weight_decay),
        decay: h.weight_decay != 0.0,
        with_momentum,
        damped: h.dampening != 0.0,
        nesterov: h.nesterov,
    };
    let mut total = 0;
    let mut tasks = Vec::new();
    for (i, slot) in slots.into_iter().enumerate() {
        let n = slot.param.len();
        check_len("grads", i, slot.grad.len(), n)?;
        total += n;
        let fresh = slot.fresh;
        let grads = slot.grad.chunks(CHUNK);
        match slot.buffer {
            Some(buffer) if with_momentum => {
                check_len("buffers", i, buffer.len(), n)?;
                for ((p, g), b) in slot.param.chunks_mut(CHUNK).zip(grads).zip(buffer.chunks_mut(CHUNK)) {
                    tasks.push((p, g, b, fresh));
                }
            }
            None if with_momentum => {
                return Err(LucidError::value(
                    "buffers",
                    format!("[{i}] None"),
                    "an array when momentum != 0",
                ));
            }
            _ => {
                for (p, g) in slot.param.chunks_mut(CHUNK).zip(grads) {
                    tasks.push((p, g, &mut [][..], fresh));
                }
            }
        }
    }
    run(tasks, total, |(p, g, b, fresh)| sgd_piece(&c, p, g, b, fresh))
}

/// Adam's coefficients for one parameter, in the dtype.
#[derive(Clone, Copy)]
struct AdamCoef<T> {
    beta1: T,
    one_minus_beta1: T,
    beta2: T,
    one_minus_beta2: T,
    eps: T,
    weight_decay: T,
    shrink: T,
    decay: bool,
    decoupled: bool,
    /// sqrt(1 − β₂ᵗ) and lr/(1 − β₁ᵗ).
    correction2: T,
    /// 1/correction2 in f64, for [`Real::over`].
    inverse2: f64,
    step_size: T,
}

impl<T: Real> AdamCoef<T> {
    /// As Python computes them: `beta**step` is C's `pow` on two doubles, which Rust's
    /// `powf` calls too.
    fn new(h: &Adam, step: u64) -> AdamCoef<T> {
        let t = step as f64;
        // Positive and normal: 1 − β₂ᵗ ≥ 2⁻⁵³ for β₂ < 1 (a step over 2^53 is not one).
        let correction2 = T::of((1.0 - h.beta2.powf(t)).sqrt());
        AdamCoef {
            beta1: T::of(h.beta1),
            one_minus_beta1: T::of(1.0 - h.beta1),
            beta2: T::of(h.beta2),
            one_minus_beta2: T::of(1.0 - h.beta2),
            eps: T::of(h.eps),
            weight_decay: T::of(h.weight_decay),
            shrink: T::of(1.0 - h.lr * h.weight_decay),
            decay: h.weight_decay != 0.0,
            decoupled: h.decoupled,
            correction2,
            inverse2: 1.0 / correction2.wide(),
            step_size: T::of(h.lr / (1.0 - h.beta1.powf(t))),
        }
    }
}

struct AdamPiece<'a, T> {
    p: &'a mut [T],
    g: &'a [T],
    m: &'a mut [T],
    v: &'a mut [T],
    /// The running max of v, or empty without amsgrad.
    vmax: &'a mut [T],
}

/// One element of an Adam step: updates m and v, returns (the new p, v for the denominator's max).
#[inline(always)]
fn adam_moments<T: Real>(c: &AdamCoef<T>, p: T, g: T, m: &mut T, v: &mut T) -> (T, T, T) {
    let (mut param, mut grad) = (p, g);
    if c.decay {
        if c.decoupled {
            param = param * c.shrink;
        } else {
            grad = param * c.weight_decay + grad;
        }
    }
    let m1 = *m * c.beta1 + grad * c.one_minus_beta1;
    let v1 = *v * c.beta2 + grad * grad * c.one_minus_beta2;
    *m = m1;
    *v = v1;
    (param, m1, v1)
}

/// p − (m / (sqrt(second)/sqrt(1 − β₂ᵗ) + ε))·lr/(1 − β₁ᵗ), in numpy's order.
#[inline(always)]
fn adam_update<T: Real>(c: &AdamCoef<T>, param: T, m1: T, second: T) -> T {
    // sqrt(second) is 0, normal (the square root of any f32 is), infinite or NaN.
    let denom = second.root().over(c.correction2, c.inverse2) + c.eps;
    param - m1 / denom * c.step_size
}

#[inline(always)]
fn adam_body<T: Real>(c: &AdamCoef<T>, x: AdamPiece<'_, T>) {
    let AdamPiece { p, g, m, v, vmax } = x;
    let n = p.len();
    let (g, m, v) = (&g[..n], &mut m[..n], &mut v[..n]);
    let moments = p.iter_mut().zip(g).zip(m.iter_mut().zip(v.iter_mut()));
    if vmax.is_empty() {
        for ((p, &g), (m, v)) in moments {
            let (param, m1, v1) = adam_moments(c, *p, g, m, v);
            *p = adam_update(c, param, m1, v1);
        }
        return;
    }
    for (((p, &g), (m, v)), top) in moments.zip(vmax[..n].iter_mut()) {
        let (param, m1, v1) = adam_moments(c, *p, g, m, v);
        // numpy's maximum: a NaN on either side is the result.
        *top = if top.nan() || *top >= v1 { *top } else { v1 };
        *p = adam_update(c, param, m1, *top);
    }
}

widest!(adam_piece, adam_avx512, adam_avx2, adam_body, (c: &AdamCoef<T>, x: AdamPiece<'_, T>));

/// One Adam (or AdamW) step over every slot, in place.
pub fn adam_step<T: Real>(h: &Adam, slots: Vec<AdamSlot<'_, T>>) -> Result<()> {
    let mut total = 0;
    let mut tasks = Vec::new();
    for (i, slot) in slots.into_iter().enumerate() {
        let n = slot.param.len();
        check_len("grads", i, slot.grad.len(), n)?;
        check_len("exp_avgs", i, slot.exp_avg.len(), n)?;
        check_len("exp_avg_sqs", i, slot.exp_avg_sq.len(), n)?;
        if slot.step == 0 {
            return Err(LucidError::value("steps", format!("[{i}] 0"), "a step count >= 1"));
        }
        let vmax = match (h.amsgrad, slot.max_exp_avg_sq) {
            (true, Some(vmax)) => {
                check_len("max_exp_avg_sqs", i, vmax.len(), n)?;
                Some(vmax)
            }
            (true, None) => {
                return Err(LucidError::value(
                    "max_exp_avg_sqs",
                    format!("[{i}] None"),
                    "an array with amsgrad",
                ));
            }
            (false, _) => None,
        };
        total += n;
        let c = AdamCoef::<T>::new(h, slot.step);
        let mut vmaxes = vmax.map(|x| x.chunks_mut(CHUNK));
        let parts = slot
            .param
            .chunks_mut(CHUNK)
            .zip(slot.grad.chunks(CHUNK))
            .zip(slot.exp_avg.chunks_mut(CHUNK))
            .zip(slot.exp_avg_sq.chunks_mut(CHUNK));
        for (((p, g), m), v) in parts {
            let vmax = vmaxes.as_mut().and_then(|it| it.next()).unwrap_or(&mut [][..]);
            tasks.push((c, AdamPiece { p, g, m, v, vmax }));
        }
    }
    run(tasks, total, |(c, x)| adam_piece(&c, x))
}
