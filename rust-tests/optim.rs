//! The fused optimiser steps against a scalar reference written as `lucid.optim`'s
//! numpy code runs: one whole-array pass per operation, each a single IEEE operation in
//! the dtype on coefficients made in f64 and rounded once. Bits must agree at every
//! SIMD level, for 1 and 3 threads, across task boundaries, over several steps.

mod common;

use lucid::optim::{self, Adam, AdamSlot, Real, Sgd, SgdSlot, CHUNK, SERIAL};

/// Sizes around the task size and the serial limit.
fn sizes() -> Vec<usize> {
    vec![0, 1, 17, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 5, SERIAL + 3]
}

fn values<T: Real>(n: usize, seed: usize, scale: f64) -> Vec<T> {
    (0..n).map(|i| T::of((((i + seed) * 7919) % 2003) as f64 / 1001.0 - 1.0) * T::of(scale)).collect()
}

fn bits<T: Real + Into<f64>>(xs: &[T]) -> Vec<u64> {
    xs.iter().map(|&x| x.into().to_bits()).collect()
}

/// numpy's SGD step for one parameter (`SGD._update`), pass by pass.
fn sgd_reference<T: Real>(h: &Sgd, p: &mut [T], g: &[T], b: &mut [T], fresh: bool) {
    let mut grad = g.to_vec();
    if h.weight_decay != 0.0 {
        let mut a: Vec<T> = p.iter().map(|&x| x * T::of(h.weight_decay)).collect();
        a.iter_mut().zip(&grad).for_each(|(a, &g)| *a = *a + g);
        grad = a;
    }
    if h.momentum != 0.0 {
        if fresh {
            b.copy_from_slice(&grad);
        } else {
            b.iter_mut().for_each(|b| *b = *b * T::of(h.momentum));
            if h.dampening != 0.0 {
                let damped: Vec<T> = grad.iter().map(|&g| g * T::of(1.0 - h.dampening)).collect();
                b.iter_mut().zip(damped).for_each(|(b, d)| *b = *b + d);
            } else {
                b.iter_mut().zip(&grad).for_each(|(b, &g)| *b = *b + g);
            }
        }
        if h.nesterov {
            let mut n: Vec<T> = b.iter().map(|&b| b * T::of(h.momentum)).collect();
            n.iter_mut().zip(&grad).for_each(|(n, &g)| *n = *n + g);
            grad = n;
        } else {
            grad = b.to_vec();
        }
    }
    let step: Vec<T> = grad.iter().map(|&g| g * T::of(h.lr)).collect();
    p.iter_mut().zip(step).for_each(|(p, s)| *p = *p - s);
}

/// numpy's Adam step for one parameter (`Adam._update`), pass by pass; `vmax` is
/// empty without amsgrad. Python's `beta**t` is C's `pow`, as `powf` is.
#[allow(clippy::too_many_arguments)]
fn adam_reference<T: Real>(h: &Adam, p: &mut [T], g: &[T], m: &mut [T], v: &mut [T], vmax: &mut [T], t: u64) {
    let mut grad = g.to_vec();
    if h.weight_decay != 0.0 {
        if h.decoupled {
            p.iter_mut().for_each(|p| *p = *p * T::of(1.0 - h.lr * h.weight_decay));
        } else {
            let mut a: Vec<T> = p.iter().map(|&x| x * T::of(h.weight_decay)).collect();
            a.iter_mut().zip(&grad).for_each(|(a, &g)| *a = *a + g);
            grad = a;
        }
    }
    m.iter_mut().for_each(|m| *m = *m * T::of(h.beta1));
    let b: Vec<T> = grad.iter().map(|&g| g * T::of(1.0 - h.beta1)).collect();
    m.iter_mut().zip(b).for_each(|(m, b)| *m = *m + b);
    v.iter_mut().for_each(|v| *v = *v * T::of(h.beta2));
    let mut square: Vec<T> = grad.iter().map(|&g| g * g).collect();
    square.iter_mut().for_each(|s| *s = *s * T::of(1.0 - h.beta2));
    v.iter_mut().zip(square).for_each(|(v, s)| *v = *v + s);
    let second: Vec<T> = if h.amsgrad {
        vmax.iter_mut().zip(v.iter()).for_each(|(x, &v)| *x = if x.nan() || *x >= v { *x } else { v });
        vmax.to_vec()
    } else {
        v.to_vec()
    };
    let mut denom: Vec<T> = second.iter().map(|&s| s.root()).collect();
    let c2 = T::of((1.0 - h.beta2.powf(t as f64)).sqrt());
    denom.iter_mut().for_each(|d| *d = *d / c2);
    denom.iter_mut().for_each(|d| *d = *d + T::of(h.eps));
    let mut ratio: Vec<T> = m.iter().zip(&denom).map(|(&m, &d)| m / d).collect();
    ratio.iter_mut().for_each(|r| *r = *r * T::of(h.lr / (1.0 - h.beta1.powf(t as f64))));
    p.iter_mut().zip(ratio).for_each(|(p, r)| *p = *p - r);
}

const SGDS: [Sgd; 5] = [
    Sgd { lr: 0.1, momentum: 0.0, dampening: 0.0, weight_decay: 0.0, nesterov: false },
    Sgd { lr: 0.1, momentum: 0.0, dampening: 0.0, weight_decay: 0.01, nesterov: false },
    Sgd { lr: 0.1, momentum: 0.9, dampening: 0.0, weight_decay: 0.0, nesterov: false },
    Sgd { lr: 0.05, momentum: 0.9, dampening: 0.3, weight_decay: 0.01, nesterov: false },
    Sgd { lr: 0.05, momentum: 0.8, dampening: 0.0, weight_decay: 0.1, nesterov: true },
];

fn adams() -> Vec<Adam> {
    let base = Adam {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weight_decay: 0.0,
        amsgrad: false,
        decoupled: false,
    };
    vec![
        base,
        Adam { lr: 0.01, beta1: 0.5, beta2: 0.8, ..base },
        Adam { lr: 0.01, weight_decay: 0.1, ..base },
        Adam { lr: 0.01, weight_decay: 0.1, decoupled: true, ..base },
        Adam { lr: 0.02, beta1: 0.8, beta2: 0.9, eps: 1e-3, weight_decay: 0.05, amsgrad: true, ..base },
        Adam { amsgrad: true, decoupled: true, weight_decay: 0.01, ..base },
    ]
}

/// Parameters of every size, stepped 3 times (gradients shrinking, so AMSGrad's
/// max differs from v) by the fused step and by the reference.
fn check_sgd<T: Real + Into<f64>>(h: &Sgd) {
    let ns = sizes();
    let mut fused: Vec<(Vec<T>, Vec<T>)> =
        ns.iter().map(|&n| (values(n, 1, 1.0), vec![T::of(0.0); n])).collect();
    let mut want = fused.clone();
    for step in 0..3 {
        let grads: Vec<Vec<T>> = ns.iter().map(|&n| values(n, 7 + step, 0.5f64.powi(step as i32))).collect();
        let slots = fused
            .iter_mut()
            .zip(&grads)
            .map(|((p, b), g)| SgdSlot { param: p, grad: g, buffer: Some(b), fresh: step == 0 })
            .collect();
        optim::sgd_step(h, slots).unwrap();
        for ((p, b), g) in want.iter_mut().zip(&grads) {
            sgd_reference(h, p, g, b, step == 0);
        }
        for ((a, b), (c, d)) in fused.iter().zip(&want) {
            assert_eq!(bits(a), bits(c), "{h:?}: parameters at step {step}, n = {}", a.len());
            assert_eq!(bits(b), bits(d), "{h:?}: buffers at step {step}");
        }
    }
}

type AdamState<T> = (Vec<T>, Vec<T>, Vec<T>, Vec<T>);

fn check_adam<T: Real + Into<f64>>(h: &Adam) {
    let ns = sizes();
    let zeros = |n: usize| vec![T::of(0.0); n];
    let vmax = |n: usize| if h.amsgrad { zeros(n) } else { vec![] };
    let mut fused: Vec<AdamState<T>> =
        ns.iter().map(|&n| (values(n, 1, 1.0), zeros(n), zeros(n), vmax(n))).collect();
    let mut want = fused.clone();
    for step in 1..=3u64 {
        let grads: Vec<Vec<T>> =
            ns.iter().map(|&n| values(n, 7 + step as usize, 0.5f64.powi(step as i32))).collect();
        // Parameter i has taken i % 2 steps more than the others (a skipped gradient).
        let slots = fused
            .iter_mut()
            .zip(&grads)
            .enumerate()
            .map(|(i, ((p, m, v, x), g))| AdamSlot {
                param: p,
                grad: g,
                exp_avg: m,
                exp_avg_sq: v,
                max_exp_avg_sq: h.amsgrad.then_some(&mut x[..]),
                step: step + (i % 2) as u64,
            })
            .collect();
        optim::adam_step(h, slots).unwrap();
        for (i, ((p, m, v, x), g)) in want.iter_mut().zip(&grads).enumerate() {
            adam_reference(h, p, g, m, v, x, step + (i % 2) as u64);
        }
        for (a, b) in fused.iter().zip(&want) {
            let n = a.0.len();
            assert_eq!(bits(&a.0), bits(&b.0), "{h:?}: parameters at step {step}, n = {n}");
            assert_eq!(bits(&a.1), bits(&b.1), "{h:?}: exp_avg at step {step}");
            assert_eq!(bits(&a.2), bits(&b.2), "{h:?}: exp_avg_sq at step {step}");
            assert_eq!(bits(&a.3), bits(&b.3), "{h:?}: max_exp_avg_sq at step {step}");
        }
    }
}

#[test]
fn sgd_steps_match_the_reference_at_every_level_and_thread_count() {
    common::at_every_simd_level(|_| {
        for threads in [1, 3] {
            common::with_threads(threads, || {
                for h in &SGDS {
                    check_sgd::<f32>(h);
                    check_sgd::<f64>(h);
                }
            });
        }
    });
}

#[test]
fn adam_steps_match_the_reference_at_every_level_and_thread_count() {
    common::at_every_simd_level(|_| {
        for threads in [1, 3] {
            common::with_threads(threads, || {
                for h in &adams() {
                    check_adam::<f32>(h);
                    check_adam::<f64>(h);
                }
            });
        }
    });
}

#[test]
fn bad_slots_are_named_errors() {
    let h = SGDS[2];
    let (mut p, g, mut b) = (vec![1f32; 4], vec![1f32; 3], vec![0f32; 4]);
    let err =
        optim::sgd_step(&h, vec![SgdSlot { param: &mut p, grad: &g, buffer: Some(&mut b), fresh: false }]);
    assert!(err.unwrap_err().to_string().contains("grads"));
    let g = vec![1f32; 4];
    let err = optim::sgd_step(&h, vec![SgdSlot { param: &mut p, grad: &g, buffer: None, fresh: false }]);
    assert!(err.unwrap_err().to_string().contains("buffers"));
    let (mut m, mut v) = (vec![0f32; 4], vec![0f32; 4]);
    let a = Adam { amsgrad: true, ..adams()[0] };
    let slot = AdamSlot {
        param: &mut p,
        grad: &g,
        exp_avg: &mut m,
        exp_avg_sq: &mut v,
        max_exp_avg_sq: None,
        step: 1,
    };
    let err = optim::adam_step(&a, vec![slot]);
    assert!(err.unwrap_err().to_string().contains("max_exp_avg_sqs"));
    let mut p = vec![1f32; 4];
    let slot = AdamSlot {
        param: &mut p,
        grad: &g,
        exp_avg: &mut m,
        exp_avg_sq: &mut v,
        max_exp_avg_sq: None,
        step: 0,
    };
    let err = optim::adam_step(&adams()[0], vec![slot]);
    assert!(err.unwrap_err().to_string().contains("steps"));
    assert_eq!(p, vec![1f32; 4], "a refused step changes nothing");
}

/// `Real::over` for f32 (a product with the f64 reciprocal, rounded once) is the
/// correctly rounded quotient: on random significands over the exponents Adam's
/// denominators take (sqrt(v) ≥ 2⁻⁷⁵, 2⁻²⁷ ≤ sqrt(1 − β₂ᵗ) ≤ 1) and beyond, on
/// significands of all ones and on powers of two, and for 0, ∞ and NaN.
#[test]
fn f32_division_by_the_reciprocal_is_the_quotient() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let f = |bits: u64, low: i32, high: i32| {
        let span = (high - low + 1) as u64;
        let exp = (low + ((bits >> 32) % span) as i32 + 127) as u32;
        let frac = match bits % 16 {
            0 => 0x7f_ffff,
            1 => 0,
            _ => bits as u32 & 0x7f_ffff,
        };
        f32::from_bits(exp << 23 | frac)
    };
    for _ in 0..4_000_000 {
        let x = f(next(), -75, 64);
        let d = f(next(), -40, 0);
        let want = x / d;
        assert!(want.is_normal());
        assert_eq!(x.over(d, 1.0 / d as f64).to_bits(), want.to_bits(), "{x:e} / {d:e}");
    }
    for x in [0.0f32, f32::INFINITY, f32::NAN, f32::MAX, f32::MIN_POSITIVE.sqrt()] {
        for d in [1.0f32, 0.75, f32::MIN_POSITIVE.sqrt(), 2e-8] {
            let (got, want) = (x.over(d, 1.0 / d as f64), x / d);
            assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()), "{x} / {d}");
        }
    }
}
