//! The element-wise loops of the dropout kernels, written so the compiler vectorises
//! them, and compiled twice on x86_64: for the baseline (SSE2) and for AVX2, picked
//! at run time. Both versions compute the same IEEE operations in the same order
//! (a multiply, then an add; never fused), so results do not depend on the CPU.

use std::marker::PhantomData;
use std::sync::OnceLock;

use crate::element::Float;

/// The widest instruction set the kernels use on this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Scalar,
    Avx2,
    /// AVX-512 F and BW.
    Avx512,
}

/// The level detected at first use, capped by the environment variable `LUCID_SIMD`
/// (`scalar`, `avx2` or `avx512`) so tests can run every code path on one machine.
/// Results are identical at every level; only speed differs.
pub fn level() -> Level {
    static LEVEL: OnceLock<Level> = OnceLock::new();
    *LEVEL.get_or_init(|| {
        let detected = detect();
        match std::env::var("LUCID_SIMD").as_deref() {
            Ok("scalar") => Level::Scalar,
            Ok("avx2") => detected.min(Level::Avx2),
            _ => detected,
        }
    })
}

fn detect() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx512f") && std::is_x86_feature_detected!("avx512bw") {
            return Level::Avx512;
        }
        if std::is_x86_feature_detected!("avx2") {
            return Level::Avx2;
        }
    }
    Level::Scalar
}

/// Memory a kernel is about to read, handed to a compute-heavy step (the keystream)
/// so the step can prefetch it in slices between its rounds: the loads are then in
/// flight while the core computes, instead of starting after it. Prefetching never
/// changes a result. The AVX2 and AVX-512 keystreams prefetch it; the scalar one does not.
#[derive(Clone, Copy, Debug)]
pub struct Ahead<'a> {
    start: *const u8,
    len: usize,
    elem: usize,
    _data: PhantomData<&'a [u8]>,
}

impl<'a> Ahead<'a> {
    /// Nothing to prefetch.
    pub const NONE: Ahead<'static> = Ahead { start: std::ptr::null(), len: 0, elem: 1, _data: PhantomData };

    /// All of `data`.
    pub fn of<T>(data: &'a [T]) -> Ahead<'a> {
        let elem = std::mem::size_of::<T>().max(1);
        Ahead {
            start: data.as_ptr() as *const u8,
            len: std::mem::size_of_val(data),
            elem,
            _data: PhantomData,
        }
    }

    /// Elements `first .. first + count` of it (clipped to its end).
    pub fn elements(self, first: usize, count: usize) -> Ahead<'a> {
        let from = first.saturating_mul(self.elem).min(self.len);
        let to = first.saturating_add(count).saturating_mul(self.elem).min(self.len);
        Ahead { start: self.start.wrapping_add(from), len: to - from, ..self }
    }

    /// Part `k` of `parts` equal parts, in bytes, rounded out to whole cache lines.
    pub fn part(self, k: usize, parts: usize) -> Ahead<'a> {
        let step = self.len.div_ceil(parts.max(1)).next_multiple_of(64);
        let from = (k * step).min(self.len);
        let to = ((k + 1) * step).min(self.len);
        Ahead { start: self.start.wrapping_add(from), len: to - from, elem: 1, ..self }
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Ask for every cache line of it to be brought into L1.
    #[inline(always)]
    pub fn prefetch(self) {
        #[cfg(target_arch = "x86_64")]
        for offset in (0..self.len).step_by(64) {
            // SAFETY: SSE is part of the x86_64 baseline; a prefetch is a hint that
            // never faults or writes, and the address lies inside the borrowed slice.
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch::<_MM_HINT_T0>(self.start.add(offset) as *const i8)
            };
        }
    }
}

/// ys[i] = if bytes[i] < top { a·xs[i] + b } else { d }.
#[inline(always)]
fn select_affine_body<T: Float>(xs: &[T], ys: &mut [T], bytes: &[u8], top: u8, a: T, b: T, d: T) {
    let n = ys.len().min(xs.len()).min(bytes.len());
    let (xs, ys, bytes) = (&xs[..n], &mut ys[..n], &bytes[..n]);
    for i in 0..n {
        let kept = a * xs[i] + b;
        ys[i] = if bytes[i] < top { kept } else { d };
    }
}

/// out[i] = dy[i] · (s if bit i of `words` is set else 0), so NaN in dy stays NaN.
#[inline(always)]
fn masked_scale_body<T: Float>(dy: &[T], out: &mut [T], words: &[u64], s: T) {
    let zero = T::from_f64(0.0);
    for ((os, gs), &w) in out.chunks_mut(64).zip(dy.chunks(64)).zip(words) {
        // Spread the word's bits into bytes first: a byte-wise select vectorises.
        let mut keep = [0u8; 64];
        for (k, byte) in keep.iter_mut().enumerate() {
            *byte = (w >> k) as u8 & 1;
        }
        let n = os.len().min(gs.len());
        for i in 0..n {
            os[i] = gs[i] * if keep[i] != 0 { s } else { zero };
        }
    }
}

/// ys[i] = if bit i of `words` is set { a·xs[i] + b } else { d }.
#[inline(always)]
fn masked_affine_body<T: Float>(xs: &[T], ys: &mut [T], words: &[u64], a: T, b: T, d: T) {
    for ((ys, xs), &w) in ys.chunks_mut(64).zip(xs.chunks(64)).zip(words) {
        let mut keep = [0u8; 64];
        for (k, byte) in keep.iter_mut().enumerate() {
            *byte = (w >> k) as u8 & 1;
        }
        let n = ys.len().min(xs.len());
        for i in 0..n {
            let kept = a * xs[i] + b;
            ys[i] = if keep[i] != 0 { kept } else { d };
        }
    }
}

/// ys[i] = a·xs[i] + b.
#[inline(always)]
fn affine_body<T: Float>(xs: &[T], ys: &mut [T], a: T, b: T) {
    for (y, &x) in ys.iter_mut().zip(xs) {
        *y = a * x + b;
    }
}

/// out[i] = dy[i]·s.
#[inline(always)]
fn scale_body<T: Float>(dy: &[T], out: &mut [T], s: T) {
    for (o, &g) in out.iter_mut().zip(dy) {
        *o = g * s;
    }
}

/// out[i] = kept if bit i of `words` is set, else dropped.
#[inline(always)]
fn masked_fill_body<T: Float>(out: &mut [T], words: &[u64], kept: T, dropped: T) {
    for (os, &w) in out.chunks_mut(64).zip(words) {
        let mut keep = [0u8; 64];
        for (k, byte) in keep.iter_mut().enumerate() {
            *byte = (w >> k) as u8 & 1;
        }
        for (o, &m) in os.iter_mut().zip(keep.iter()) {
            *o = if m != 0 { kept } else { dropped };
        }
    }
}

macro_rules! dispatch {
    ($(#[$doc:meta])* $name:ident, $body:ident, $avx2:ident, ($($arg:ident: $ty:ty),*)) => {
        $(#[$doc])*
        pub fn $name<T: Float>($($arg: $ty),*) {
            #[cfg(target_arch = "x86_64")]
            if level() >= Level::Avx2 {
                // SAFETY: level() found AVX2 on this CPU.
                unsafe { $avx2($($arg),*) };
                return;
            }
            $body($($arg),*)
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = "avx2")]
        unsafe fn $avx2<T: Float>($($arg: $ty),*) {
            $body($($arg),*)
        }
    };
}

dispatch!(
    /// ys[i] = if bytes[i] < top { a·xs[i] + b } else { d }.
    select_affine, select_affine_body, select_affine_avx2,
    (xs: &[T], ys: &mut [T], bytes: &[u8], top: u8, a: T, b: T, d: T)
);
dispatch!(
    /// out[i] = kept if bit i of `words` is set, else dropped.
    masked_fill, masked_fill_body, masked_fill_avx2,
    (out: &mut [T], words: &[u64], kept: T, dropped: T)
);
dispatch!(
    /// out[i] = dy[i] · (s if bit i of `words` is set else 0).
    masked_scale, masked_scale_body, masked_scale_avx2,
    (dy: &[T], out: &mut [T], words: &[u64], s: T)
);
dispatch!(
    /// ys[i] = if bit i of `words` is set { a·xs[i] + b } else { d }.
    masked_affine, masked_affine_body, masked_affine_avx2,
    (xs: &[T], ys: &mut [T], words: &[u64], a: T, b: T, d: T)
);
dispatch!(
    /// ys[i] = a·xs[i] + b.
    affine, affine_body, affine_avx2,
    (xs: &[T], ys: &mut [T], a: T, b: T)
);
dispatch!(
    /// out[i] = dy[i]·s.
    scale, scale_body, scale_avx2,
    (dy: &[T], out: &mut [T], s: T)
);
