//! The float64 formulas' loops (float32 without a float32 formula too): each value or
//! slope computed in f64 and rounded once to T, built for the baseline and for AVX2.

use crate::simd::Float;

/// out[i] = f(x[i]).
#[inline(always)]
fn map<T: Float>(xs: &[T], out: &mut [T], f: &impl Fn(f64) -> f64) {
    for (o, &v) in out.iter_mut().zip(xs) {
        *o = T::from_f64(f(v.to_f64()));
    }
}

/// dx[i] = dy[i] · slope(x[i]), dy given as its values in order.
#[inline(always)]
fn map_scaled<T: Float>(xs: &[T], dy: impl Iterator<Item = T>, dx: &mut [T], slope: &impl Fn(f64) -> f64) {
    for ((o, &v), g) in dx.iter_mut().zip(xs).zip(dy) {
        *o = g * T::from_f64(slope(v.to_f64()));
    }
}

// The loops again, compiled for AVX2 so the branch-free functions run four lanes at a
// time. Rust never fuses a multiply and an add, so both builds give the same bits.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn map_avx2<T: Float>(xs: &[T], out: &mut [T], f: &impl Fn(f64) -> f64) {
    map(xs, out, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn map_scaled_avx2<T: Float>(
    xs: &[T],
    dy: impl Iterator<Item = T>,
    dx: &mut [T],
    slope: &impl Fn(f64) -> f64,
) {
    map_scaled(xs, dy, dx, slope)
}

fn avx2() -> bool {
    cfg!(target_arch = "x86_64") && crate::simd::level() >= crate::simd::Level::Avx2
}

/// [`map`] in its AVX2 build where the CPU has AVX2.
pub(super) fn map_chunk<T: Float>(xs: &[T], out: &mut [T], f: &impl Fn(f64) -> f64) {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: simd::level() found AVX2 on this CPU.
        return unsafe { map_avx2(xs, out, f) };
    }
    map(xs, out, f)
}

/// [`map_scaled`] in its AVX2 build where the CPU has AVX2.
pub(super) fn map_scaled_chunk<T: Float>(
    xs: &[T],
    dy: impl Iterator<Item = T>,
    dx: &mut [T],
    slope: &impl Fn(f64) -> f64,
) {
    #[cfg(target_arch = "x86_64")]
    if avx2() {
        // SAFETY: simd::level() found AVX2 on this CPU.
        return unsafe { map_scaled_avx2(xs, dy, dx, slope) };
    }
    map_scaled(xs, dy, dx, slope)
}
