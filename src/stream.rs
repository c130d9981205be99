//! Streaming (non-temporal) stores for outputs too large to stay in the cache.
//!
//! A normal store first reads the output's cache line from memory (read for
//! ownership), so an element-wise kernel over memory-resident data moves three bytes
//! for every two it needs. A streaming store writes whole lines straight to memory.
//! Outputs of [`threshold`] bytes and more use them, on CPUs with AVX-512; smaller
//! outputs keep normal stores, so the next operation finds them in the cache.
//! Results are bit-identical either way: only where the bytes go on their way differs.
//!
//! Every function here falls back to the ordinary loop in [`crate::simd`] when the
//! CPU lacks AVX-512 or the output is not 64-byte aligned (Storage buffers always
//! are). Streamed stores are weakly ordered: the thread that made them calls [`fence`]
//! once after its last one (once per chunk; a fence per call would wait for memory
//! every few kilobytes) before another thread may read the output.

#[cfg(target_arch = "x86_64")]
use std::any::TypeId;

use crate::element::Float;
use crate::simd::{self, level, Level};

/// The size in bytes from which outputs are streamed ([`simd::Config::stream_bytes`]).
pub fn threshold() -> usize {
    simd::stream_bytes()
}

/// Whether a kernel writing `len` elements of T streams them.
pub fn streams<T>(len: usize) -> bool {
    level() >= Level::Avx512 && len.saturating_mul(std::mem::size_of::<T>()) >= threshold()
}

/// Make this thread's streamed stores visible before any later store (a store fence).
pub fn fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

#[cfg(target_arch = "x86_64")]
fn aligned<T>(out: &[T]) -> bool {
    (out.as_ptr() as usize).is_multiple_of(64)
}

/// dst = src, streamed.
pub fn copy<T: Copy>(src: &[T], dst: &mut [T]) {
    let n = src.len().min(dst.len());
    #[cfg(target_arch = "x86_64")]
    if level() >= Level::Avx512 && aligned(dst) {
        let bytes = n * std::mem::size_of::<T>();
        // SAFETY: AVX-512F is present; both pointers cover `bytes` bytes of live,
        // non-overlapping slices (one is borrowed mutably), and dst is 64-byte aligned.
        unsafe { x86::copy_bytes(src.as_ptr() as *const u8, dst.as_mut_ptr() as *mut u8, bytes) };
        return;
    }
    dst[..n].copy_from_slice(&src[..n]);
}

/// ys[i] = if bit i of `words` is set { a·xs[i] + b } else { d }, streamed.
pub fn masked_affine<T: Float>(xs: &[T], ys: &mut [T], words: &[u64], a: T, b: T, d: T) {
    #[cfg(target_arch = "x86_64")]
    if level() >= Level::Avx512 && aligned(ys) {
        let n = ys.len().min(xs.len()).min(words.len() * 64);
        let (xs, ys) = (&xs[..n], &mut ys[..n]);
        // SAFETY: AVX-512F is present, ys is 64-byte aligned, and each cast only
        // renames T as the one type TypeId proved it to be.
        unsafe {
            if TypeId::of::<T>() == TypeId::of::<f32>() {
                x86::masked_affine_ps(cast(xs), cast_mut(ys), words, cast1(a), cast1(b), cast1(d));
                return;
            }
            if TypeId::of::<T>() == TypeId::of::<f64>() {
                x86::masked_affine_pd(cast(xs), cast_mut(ys), words, cast1(a), cast1(b), cast1(d));
                return;
            }
        }
    }
    simd::masked_affine(xs, ys, words, a, b, d)
}

/// out[i] = dy[i] · (s if bit i of `words` is set else 0), streamed.
pub fn masked_scale<T: Float>(dy: &[T], out: &mut [T], words: &[u64], s: T) {
    #[cfg(target_arch = "x86_64")]
    if level() >= Level::Avx512 && aligned(out) {
        let n = out.len().min(dy.len()).min(words.len() * 64);
        let (dy, out) = (&dy[..n], &mut out[..n]);
        // SAFETY: as in masked_affine.
        unsafe {
            if TypeId::of::<T>() == TypeId::of::<f32>() {
                x86::masked_scale_ps(cast(dy), cast_mut(out), words, cast1(s));
                return;
            }
            if TypeId::of::<T>() == TypeId::of::<f64>() {
                x86::masked_scale_pd(cast(dy), cast_mut(out), words, cast1(s));
                return;
            }
        }
    }
    simd::masked_scale(dy, out, words, s)
}

/// out[i] = kept if bit i of `words` is set, else dropped; streamed.
pub fn masked_fill<T: Float>(out: &mut [T], words: &[u64], kept: T, dropped: T) {
    #[cfg(target_arch = "x86_64")]
    if level() >= Level::Avx512 && aligned(out) {
        let n = out.len().min(words.len() * 64);
        let out = &mut out[..n];
        // SAFETY: as in masked_affine.
        unsafe {
            if TypeId::of::<T>() == TypeId::of::<f32>() {
                x86::masked_fill_ps(cast_mut(out), words, cast1(kept), cast1(dropped));
                return;
            }
            if TypeId::of::<T>() == TypeId::of::<f64>() {
                x86::masked_fill_pd(cast_mut(out), words, cast1(kept), cast1(dropped));
                return;
            }
        }
    }
    simd::masked_fill(out, words, kept, dropped)
}

#[cfg(target_arch = "x86_64")]
/// The slice as `&[U]`. Safety: T and U must be the same type.
unsafe fn cast<T, U>(v: &[T]) -> &[U] {
    std::slice::from_raw_parts(v.as_ptr() as *const U, v.len())
}

#[cfg(target_arch = "x86_64")]
/// The slice as `&mut [U]`. Safety: T and U must be the same type.
unsafe fn cast_mut<T, U>(v: &mut [T]) -> &mut [U] {
    std::slice::from_raw_parts_mut(v.as_mut_ptr() as *mut U, v.len())
}

#[cfg(target_arch = "x86_64")]
/// The value as U. Safety: T and U must be the same type.
unsafe fn cast1<T: Copy, U: Copy>(v: T) -> U {
    std::mem::transmute_copy(&v)
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    //! The AVX-512 loops. Whole vectors are streamed; the last partial vector is
    //! written with normal stores. Each loop computes the same IEEE operations as its
    //! counterpart in crate::simd (a multiply, then an add), so results agree bit for bit.

    use std::arch::x86_64::*;

    /// Safety: AVX-512F; src and dst valid for `bytes` bytes, not overlapping; dst 64-byte aligned.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn copy_bytes(src: *const u8, dst: *mut u8, bytes: usize) {
        let whole = bytes / 64 * 64;
        for i in (0..whole).step_by(64) {
            let v = _mm512_loadu_si512(src.add(i) as *const __m512i);
            _mm512_stream_si512(dst.add(i) as *mut __m512i, v);
        }
        std::ptr::copy_nonoverlapping(src.add(whole), dst.add(whole), bytes - whole);
    }

    /// Bit i of the mask.
    #[inline(always)]
    fn bit(words: &[u64], i: usize) -> bool {
        (words[i / 64] >> (i % 64)) & 1 != 0
    }

    /// Run `f(i, lanes_mask)` for each whole vector of `lanes` elements, one mask word
    /// (64 elements) at a time so the loads of a word's vectors go out together;
    /// returns where the whole words end.
    #[inline(always)]
    unsafe fn by_word(len: usize, words: &[u64], lanes: usize, mut f: impl FnMut(usize, u64)) -> usize {
        let whole = len / 64 * 64;
        for (g, &w) in words[..whole / 64].iter().enumerate() {
            for q in 0..64 / lanes {
                f(64 * g + lanes * q, w >> (lanes * q));
            }
        }
        whole
    }

    /// Safety: AVX-512F; ys 64-byte aligned; xs.len() == ys.len() <= 64·words.len().
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_affine_ps(xs: &[f32], ys: &mut [f32], words: &[u64], a: f32, b: f32, d: f32) {
        let (va, vb, vd) = (_mm512_set1_ps(a), _mm512_set1_ps(b), _mm512_set1_ps(d));
        let (x, y) = (xs.as_ptr(), ys.as_mut_ptr());
        let whole = by_word(ys.len(), words, 16, |i, m| {
            let kept = _mm512_add_ps(_mm512_mul_ps(va, _mm512_loadu_ps(x.add(i))), vb);
            _mm512_stream_ps(y.add(i), _mm512_mask_blend_ps(m as u16, vd, kept));
        });
        for i in whole..ys.len() {
            let kept = a * xs[i] + b;
            ys[i] = if bit(words, i) { kept } else { d };
        }
    }

    /// Safety: as masked_affine_ps.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_affine_pd(xs: &[f64], ys: &mut [f64], words: &[u64], a: f64, b: f64, d: f64) {
        let (va, vb, vd) = (_mm512_set1_pd(a), _mm512_set1_pd(b), _mm512_set1_pd(d));
        let (x, y) = (xs.as_ptr(), ys.as_mut_ptr());
        let whole = by_word(ys.len(), words, 8, |i, m| {
            let kept = _mm512_add_pd(_mm512_mul_pd(va, _mm512_loadu_pd(x.add(i))), vb);
            _mm512_stream_pd(y.add(i), _mm512_mask_blend_pd(m as u8, vd, kept));
        });
        for i in whole..ys.len() {
            let kept = a * xs[i] + b;
            ys[i] = if bit(words, i) { kept } else { d };
        }
    }

    /// Safety: AVX-512F; out 64-byte aligned; dy.len() == out.len() <= 64·words.len().
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_scale_ps(dy: &[f32], out: &mut [f32], words: &[u64], s: f32) {
        let (vs, zero) = (_mm512_set1_ps(s), _mm512_setzero_ps());
        let (g, o) = (dy.as_ptr(), out.as_mut_ptr());
        let whole = by_word(out.len(), words, 16, |i, m| {
            let factor = _mm512_mask_blend_ps(m as u16, zero, vs);
            _mm512_stream_ps(o.add(i), _mm512_mul_ps(_mm512_loadu_ps(g.add(i)), factor));
        });
        for i in whole..out.len() {
            out[i] = dy[i] * if bit(words, i) { s } else { 0.0 };
        }
    }

    /// Safety: as masked_scale_ps.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_scale_pd(dy: &[f64], out: &mut [f64], words: &[u64], s: f64) {
        let (vs, zero) = (_mm512_set1_pd(s), _mm512_setzero_pd());
        let (g, o) = (dy.as_ptr(), out.as_mut_ptr());
        let whole = by_word(out.len(), words, 8, |i, m| {
            let factor = _mm512_mask_blend_pd(m as u8, zero, vs);
            _mm512_stream_pd(o.add(i), _mm512_mul_pd(_mm512_loadu_pd(g.add(i)), factor));
        });
        for i in whole..out.len() {
            out[i] = dy[i] * if bit(words, i) { s } else { 0.0 };
        }
    }

    /// Safety: AVX-512F; out 64-byte aligned; out.len() <= 64·words.len().
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_fill_ps(out: &mut [f32], words: &[u64], kept: f32, dropped: f32) {
        let (vk, vd) = (_mm512_set1_ps(kept), _mm512_set1_ps(dropped));
        let o = out.as_mut_ptr();
        let whole = by_word(out.len(), words, 16, |i, m| {
            _mm512_stream_ps(o.add(i), _mm512_mask_blend_ps(m as u16, vd, vk));
        });
        for (i, o) in out.iter_mut().enumerate().skip(whole) {
            *o = if bit(words, i) { kept } else { dropped };
        }
    }

    /// Safety: as masked_fill_ps.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_fill_pd(out: &mut [f64], words: &[u64], kept: f64, dropped: f64) {
        let (vk, vd) = (_mm512_set1_pd(kept), _mm512_set1_pd(dropped));
        let o = out.as_mut_ptr();
        let whole = by_word(out.len(), words, 8, |i, m| {
            _mm512_stream_pd(o.add(i), _mm512_mask_blend_pd(m as u8, vd, vk));
        });
        for (i, o) in out.iter_mut().enumerate().skip(whole) {
            *o = if bit(words, i) { kept } else { dropped };
        }
    }
}
