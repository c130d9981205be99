//! The float32 kernels of ELU, SELU and the exact GELU: each value and slope computed
//! in float32 by the lane formulas of `simd::mathf` (ELU: within 2 ulp of eˣ − 1 and eˣ,
//! then one multiply by scale·α rounded to float32; GELU: erfc's parts), one generic
//! body for one f32 (built for the baseline and for AVX2 with FMA, where the compiler
//! vectorises it) and for one AVX-512 vector of 16, whose loop streams its stores for
//! outputs of `Config::stream_bytes` and more. Every build runs the same IEEE
//! operations, fused multiply-adds included, so results do not depend on the level.

use std::any::TypeId;

use super::{Activation, Elu, SELU};
use crate::error::Result;
use crate::par::{for_each_chunk_mut, Chunk};
use crate::simd::mathf::{
    erfcx_times, exp_nonpositive, exp_times, expm1_negative, minus_square, ExpNonpositive, Lanes32,
    ERFCX_RESIDUAL,
};
use crate::simd::{level, Arith, Level, Store};

/// An activation's value and slope over float32 lanes.
pub(super) trait Formula32: Copy + Send + Sync {
    fn value<A: Lanes32>(self, x: A) -> A;
    fn slope<A: Lanes32>(self, x: A) -> A;
}

/// ELU in float32: scale·x at and above 0, (scale·α)·(eˣ − 1) below, with scale and
/// scale·α rounded once to float32.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Elu32 {
    scale: f32,
    scaled_alpha: f32,
}

impl Elu32 {
    pub fn of(e: Elu) -> Elu32 {
        Elu32 { scale: e.scale as f32, scaled_alpha: (e.scale * e.alpha) as f32 }
    }
}

impl Formula32 for Elu32 {
    /// scale·x keeps ±0's sign and NaN; below 0 eˣ − 1 needs one power of 2.
    #[inline(always)]
    fn value<A: Lanes32>(self, x: A) -> A {
        let negative = x.lane(self.scaled_alpha).mul(expm1_negative(x));
        A::select(x.less(x.lane(0.0)), negative, x.lane(self.scale).mul(x))
    }

    /// At 0, the negative branch's slope, as PyTorch's elu_backward (NaN passes eˣ).
    #[inline(always)]
    fn slope<A: Lanes32>(self, x: A) -> A {
        let negative = x.lane(self.scaled_alpha).mul(exp_nonpositive(x));
        A::select(x.lane(0.0).less(x), x.lane(self.scale), negative)
    }
}

/// The exact GELU in float32, x·Φ(x) with Φ(x) = erfc(−x/√2)/2: for x <= 0,
/// e^(−x²/2)·(x·erfcx(|x|/√2)/2), the square split exactly and the exponent's power of 2
/// applied last (so subnormal values round once); for x > 0, x − x·Φ(−x).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Gelu32;

const INV_SQRT_2PI: f32 = 0.398_942_3;

impl Gelu32 {
    /// (x clamped to ±15, where Φ(−x) and x·φ(x) are far below the least subnormal, x > 0,
    /// −x²/2 as hi + lo, erfcx(|x|/√2)/2 (|x|/√2 clamped to erfcx's 10.3) and the
    /// division's residual, |x|).
    #[inline(always)]
    fn parts<A: Lanes32>(x: A) -> (A, A::Keep, A, A, (A, A), A) {
        let xc = x.max(x.lane(-15.0)).min(x.lane(15.0));
        let (hi, lo) = minus_square(xc, 0.5);
        let ax = x.abs();
        let sqrt2 = std::f64::consts::SQRT_2;
        let half_g = erfcx_times(ax.min(x.lane((10.3 * sqrt2) as f32)), sqrt2, 0.5);
        (xc, x.lane(0.0).less(x), hi, lo, half_g, ax)
    }
}

impl Formula32 for Gelu32 {
    /// GELU(−inf) = −inf + inf = NaN and GELU(inf) = inf, as PyTorch's; ±0 keeps its sign.
    #[inline(always)]
    fn value<A: Lanes32>(self, x: A) -> A {
        let (xc, positive, hi, lo, (half_g, residual), ax) = Gelu32::parts(x);
        // erfcx's rounding error taken out of the exponent; above 0, e = −Φ(−x), and x
        // + x·e is rounded once.
        let lo = residual.fma(x.lane(-ERFCX_RESIDUAL), lo);
        let e = exp_times(hi, lo, half_g.mul(A::select(positive, x.lane(-1.0), xc)));
        let y = A::select(positive, e.fma(x, x), e);
        A::select(ax.less(x.lane(f32::INFINITY)), y, x.add(ax))
    }

    /// Φ(x) + x·φ(x) as e^(−x²/2)·(erfcx/2 + x/√(2π)) at and below 0 and 1 +
    /// e^(−x²/2)·(x/√(2π) − erfcx/2) above, each sum rounded once; NaN at ±inf, as PyTorch's.
    #[inline(always)]
    fn slope<A: Lanes32>(self, x: A) -> A {
        let (xc, positive, hi, lo, (half_g, _), ax) = Gelu32::parts(x);
        let density = x.lane(INV_SQRT_2PI);
        let m = A::select(positive, xc.fms(density, half_g), xc.fma(density, half_g));
        let e = exp_times(hi, lo, m);
        let y = A::select(positive, x.lane(1.0).add(e), e);
        A::select(ax.less(x.lane(f32::INFINITY)), y, x.sub(x))
    }
}

/// PyTorch's tanh GELU in float32: x·(1 + tanh(z))/2 = x/(1 + e^(−2z)), z = √(2/π)·(x +
/// 0.044715·x³) (with x clamped to ±20 there, as the float64 form).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GeluTanh32;

const TANH_K: f32 = 0.797_884_6;
const TANH_C: f32 = 0.044_715;

/// The tanh GELU's parts: x clamped to ±20, where −2z > 0, e^(−|2z|) (never
/// overflowing) as its reduction and its value t, 1 + t and 2·dz/dx. σ(2z) = 1/(1 + t)
/// where −2z <= 0, t/(1 + t) where it is above.
struct TanhParts<A: Lanes32> {
    xc: A,
    tail: A::Keep,
    exp: ExpNonpositive<A>,
    t: A,
    d: A,
    dz2: A,
}

impl GeluTanh32 {
    #[inline(always)]
    fn parts<A: Lanes32>(x: A) -> TanhParts<A> {
        let c = |v: f32| x.lane(v);
        let xc = x.max(c(-20.0)).min(c(20.0));
        let x2 = xc.mul(xc);
        let u = xc.mul(c(-2.0 * TANH_K)).mul(x2.fma(c(TANH_C), c(1.0)));
        let exp = ExpNonpositive::of(c(0.0).sub(u.abs()), None);
        let t = exp.value();
        let dz2 = x2.fma(c(3.0 * TANH_C), c(1.0)).mul(c(2.0 * TANH_K));
        TanhParts { xc, tail: c(0.0).less(u), exp, t, d: c(1.0).add(t), dz2 }
    }
}

impl Formula32 for GeluTanh32 {
    /// GELU(−inf) = −inf·0 = NaN, as PyTorch's.
    #[inline(always)]
    fn value<A: Lanes32>(self, x: A) -> A {
        let p = GeluTanh32::parts(x);
        // In the tail x·t with t's power of 2 applied last, so a subnormal value is
        // rounded once (x clamped as in z: below −20 the value is 0).
        let y = A::select(p.tail, p.exp.times(p.xc), x).div(p.d);
        A::select(x.lane(f32::NEG_INFINITY).less(x), y, x.sub(x))
    }

    /// σ + x·σ·(1 − σ)·2z', σ and 1 − σ from one reciprocal of 1 + t; NaN at ±inf, as
    /// PyTorch's.
    #[inline(always)]
    fn slope<A: Lanes32>(self, x: A) -> A {
        let p = GeluTanh32::parts(x);
        let inv = x.lane(1.0).div(p.d);
        let t_inv = p.t.mul(inv);
        let sigma = A::select(p.tail, t_inv, inv);
        let y = x.mul(t_inv.mul(inv)).fma(p.dz2, sigma);
        A::select(x.abs().less(x.lane(f32::INFINITY)), y, x.sub(x))
    }
}

/// A float32 formula: ELU's or a GELU's.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Any32 {
    Elu(Elu32),
    Gelu(Gelu32),
    GeluTanh(GeluTanh32),
}

/// The float32 formula of `act`, where it has one.
fn formula32(act: Activation) -> Option<Any32> {
    match act {
        Activation::Elu { alpha, scale } => Some(Any32::Elu(Elu32::of(Elu { alpha, scale }))),
        Activation::Selu => Some(Any32::Elu(Elu32::of(SELU))),
        Activation::Gelu => Some(Any32::Gelu(Gelu32)),
        Activation::GeluTanh => Some(Any32::GeluTanh(GeluTanh32)),
    }
}

/// act(x) and act'(x) as the float32 kernels compute them (None: `act` has no float32
/// formula, and float32 runs the float64 one rounded once).
pub fn value_slope_f32(act: Activation, x: f32) -> Option<(f32, f32)> {
    match formula32(act)? {
        Any32::Elu(f) => Some((f.value(x), f.slope(x))),
        Any32::Gelu(f) => Some((f.value(x), f.slope(x))),
        Any32::GeluTanh(f) => Some((f.value(x), f.slope(x))),
    }
}

/// `xs` as f32 where T is f32.
fn as_f32<T: 'static>(xs: &[T]) -> Option<&[f32]> {
    // SAFETY: T is f32, so the slice is one of f32.
    (TypeId::of::<T>() == TypeId::of::<f32>())
        .then(|| unsafe { std::slice::from_raw_parts(xs.as_ptr() as *const f32, xs.len()) })
}

fn as_f32_mut<T: 'static>(xs: &mut [T]) -> Option<&mut [f32]> {
    // SAFETY: as in `as_f32`.
    (TypeId::of::<T>() == TypeId::of::<f32>())
        .then(|| unsafe { std::slice::from_raw_parts_mut(xs.as_mut_ptr() as *mut f32, xs.len()) })
}

/// The gradient coming in: one value per element, or one value for all.
#[derive(Clone, Copy)]
enum Dy<'a> {
    Each(&'a [f32]),
    All(f32),
}

/// out[i] = f(xs[i]), or dy[i]·f'(xs[i]) where dy is given.
#[inline(always)]
fn map<F: Formula32>(xs: &[f32], dy: Option<Dy>, out: &mut [f32], f: F) {
    match dy {
        None => out.iter_mut().zip(xs).for_each(|(o, &v)| *o = f.value(v)),
        Some(Dy::All(g)) => out.iter_mut().zip(xs).for_each(|(o, &v)| *o = g * f.slope(v)),
        Some(Dy::Each(g)) => out.iter_mut().zip(xs).zip(g).for_each(|((o, &v), &g)| *o = g * f.slope(v)),
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn map_avx2<F: Formula32>(xs: &[f32], dy: Option<Dy>, out: &mut [f32], f: F) {
    map(xs, dy, out, f)
}

/// [`map`] 16 lanes at a time, the stores streamed where `streamed` (and `out` is
/// 64-byte aligned); the tail as one f32 at a time.
///
/// # Safety
/// The CPU has AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn map_avx512<F: Formula32>(xs: &[f32], dy: Option<Dy>, out: &mut [f32], f: F, streamed: bool) {
    use crate::simd::mathf::store;
    use crate::simd::{fence, Float};
    use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
    /// How far ahead the input is prefetched: 2 KiB.
    const AHEAD: usize = 512;
    let n = out.len().min(xs.len()).min(match dy {
        Some(Dy::Each(g)) => g.len(),
        _ => usize::MAX,
    });
    let body = n / 16 * 16;
    let streamed = streamed && (out.as_ptr() as usize).is_multiple_of(64);
    let (x, o) = (xs.as_ptr(), out.as_mut_ptr());
    for i in (0..body).step_by(16) {
        // SAFETY: i + 16 <= n, so 16 values are readable at xs + i, dy + i and writable
        // at out + i (64-byte aligned where streamed: out is, and i is a multiple of 16).
        unsafe {
            // Ask for the input AHEAD elements on now, so its loads overlap the formula's
            // arithmetic (a hint: it never faults, even past the end).
            _mm_prefetch::<_MM_HINT_T0>(x.wrapping_add(i + AHEAD) as *const i8);
            if let Some(Dy::Each(g)) = dy {
                _mm_prefetch::<_MM_HINT_T0>(g.as_ptr().wrapping_add(i + AHEAD) as *const i8);
            }
            let v = f32::load(x.add(i));
            let y = match dy {
                None => f.value(v),
                Some(Dy::All(g)) => f32::splat(g).mul(f.slope(v)),
                Some(Dy::Each(g)) => f32::load(g.as_ptr().add(i)).mul(f.slope(v)),
            };
            if streamed {
                f32::stream(o.add(i), y)
            } else {
                store(o.add(i), y)
            }
        }
    }
    let dy_tail = dy.map(|d| match d {
        Dy::Each(g) => Dy::Each(&g[body..n]),
        all => all,
    });
    map(&xs[body..n], dy_tail, &mut out[body..n], f);
    if streamed {
        fence();
    }
}

/// One chunk at the widest level the CPU allows.
fn map_chunk<F: Formula32>(xs: &[f32], dy: Option<Dy>, out: &mut [f32], f: F, store: Store) {
    let level = level();
    #[cfg(target_arch = "x86_64")]
    {
        if level >= Level::Avx512 {
            // SAFETY: simd::level() found AVX-512F on this CPU.
            return unsafe { map_avx512(xs, dy, out, f, store == Store::Streamed) };
        }
        if level >= Level::Avx2 {
            // SAFETY: simd::level() found AVX2 and FMA on this CPU.
            return unsafe { map_avx2(xs, dy, out, f) };
        }
    }
    let _ = (level, store);
    map(xs, dy, out, f)
}

/// One part of the float32 forward on the calling thread, where [`handles`] (else false).
pub(super) fn forward_part<T: 'static>(x: &[T], out: &mut [T], act: Activation) -> bool {
    let (Some(x), Some(out), Some(f)) = (as_f32(x), as_f32_mut(out), formula32(act)) else {
        return false;
    };
    match f {
        Any32::Elu(f) => map_chunk(x, None, out, f, Store::Cached),
        Any32::Gelu(f) => map_chunk(x, None, out, f, Store::Cached),
        Any32::GeluTanh(f) => map_chunk(x, None, out, f, Store::Cached),
    }
    true
}

/// One part of the float32 backward on the calling thread (x, dy and dx of one
/// length), where [`handles`]: true when done, false (nothing written) otherwise.
pub(super) fn backward_part<T: 'static>(
    x: &[T],
    dy: &[T],
    dx: &mut [T],
    act: Activation,
    store: Store,
) -> bool {
    let (Some(x), Some(dy), Some(dx), Some(f)) = (as_f32(x), as_f32(dy), as_f32_mut(dx), formula32(act))
    else {
        return false;
    };
    let g = Some(Dy::Each(dy));
    match f {
        Any32::Elu(f) => map_chunk(x, g, dx, f, store),
        Any32::Gelu(f) => map_chunk(x, g, dx, f, store),
        Any32::GeluTanh(f) => map_chunk(x, g, dx, f, store),
    }
    true
}

/// The float32 forward, where T is f32 and `act` has a float32 formula (else None).
/// Lengths are checked by the caller.
pub(super) fn forward<T: 'static>(
    x: &[T],
    out: &mut [T],
    act: Activation,
    chunk: Chunk,
) -> Option<Result<()>> {
    let (x, out, f) = (as_f32(x)?, as_f32_mut(out)?, formula32(act)?);
    let store = Store::for_output::<f32>(out.len());
    Some(for_each_chunk_mut(out, chunk, |c, part| {
        let first = c * chunk.elements();
        let xs = &x[first..first + part.len()];
        match f {
            Any32::Elu(f) => map_chunk(xs, None, part, f, store),
            Any32::Gelu(f) => map_chunk(xs, None, part, f, store),
            Any32::GeluTanh(f) => map_chunk(xs, None, part, f, store),
        }
    }))
}

/// The float32 backward (dx = dy·act'(x), the slope rounded to float32 first), as
/// [`forward`]; a one-element dy stands for that value everywhere.
pub(super) fn backward<T: 'static>(
    x: &[T],
    dy: &[T],
    dx: &mut [T],
    act: Activation,
    chunk: Chunk,
) -> Option<Result<()>> {
    let (x, dy, dx, f) = (as_f32(x)?, as_f32(dy)?, as_f32_mut(dx)?, formula32(act)?);
    let store = Store::for_output::<f32>(dx.len());
    Some(for_each_chunk_mut(dx, chunk, |c, part| {
        let range = c * chunk.elements()..c * chunk.elements() + part.len();
        let g = if dy.len() == 1 { Dy::All(dy[0]) } else { Dy::Each(&dy[range.clone()]) };
        match f {
            Any32::Elu(f) => map_chunk(&x[range], Some(g), part, f, store),
            Any32::Gelu(f) => map_chunk(&x[range], Some(g), part, f, store),
            Any32::GeluTanh(f) => map_chunk(&x[range], Some(g), part, f, store),
        }
    }))
}
