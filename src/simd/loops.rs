//! The element-wise loops of the kernels, each formula's one generic body with the
//! store as its hook: ordinary loops (normal stores; the compiler vectorises them and
//! [`dispatch!`] builds each for the baseline and for AVX2) and streamed loops (AVX-512
//! vectors of [`Float::Vector`] with streaming stores, which write whole lines straight
//! to memory instead of first reading them, as a normal store does). Outputs of
//! `Config::stream_bytes` and more stream on CPUs with AVX-512; a streamed loop falls
//! back to the ordinary one without AVX-512 or for an output not 64-byte aligned
//! (Storage buffers always are). Streamed stores are weakly ordered: the thread that
//! made them calls [`fence`] once after its last one (once per chunk) before another
//! thread may read the output. Also here: the keep rule's byte compare.

use super::lanes::{affine_of, masked_affine_of, masked_scale_of, Arith, Float};
use super::{level, stream_bytes, Level};

/// Where a loop's stores go: through the cache, or streamed past it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Store {
    Cached,
    Streamed,
}

impl Store {
    /// The store for an output of `len` elements of T (see [`streams`]).
    pub fn for_output<T>(len: usize) -> Store {
        if streams::<T>(len) {
            Store::Streamed
        } else {
            Store::Cached
        }
    }
}

/// Whether a kernel writing `len` elements of T streams them.
pub fn streams<T>(len: usize) -> bool {
    level() >= Level::Avx512 && len.saturating_mul(std::mem::size_of::<T>()) >= stream_bytes()
}

/// Make this thread's streamed stores visible before any later store (a store fence).
pub fn fence() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86_64 baseline.
    unsafe {
        std::arch::x86_64::_mm_sfence()
    };
}

/// Whether a loop asked to stream into `out` can: AVX-512 and a 64-byte-aligned output.
#[cfg(target_arch = "x86_64")]
fn streamable<T>(store: Store, out: &[T]) -> bool {
    store == Store::Streamed && level() >= Level::Avx512 && (out.as_ptr() as usize).is_multiple_of(64)
}

/// Bit i of the mask.
#[inline(always)]
fn bit(words: &[u64], i: usize) -> bool {
    (words[i / 64] >> (i % 64)) & 1 != 0
}

/// The 64 bits of a mask word as 64 bytes of 0 or 1: a byte-wise select vectorises.
#[inline(always)]
fn spread(w: u64) -> [u8; 64] {
    let mut keep = [0u8; 64];
    for (k, byte) in keep.iter_mut().enumerate() {
        *byte = (w >> k) as u8 & 1;
    }
    keep
}

/// ys[i] = if bytes[i] < top { a·xs[i] + b } else { d }.
#[inline(always)]
fn select_affine_body<T: Float>(xs: &[T], ys: &mut [T], bytes: &[u8], top: u8, a: T, b: T, d: T) {
    let n = ys.len().min(xs.len()).min(bytes.len());
    let (xs, ys, bytes) = (&xs[..n], &mut ys[..n], &bytes[..n]);
    for i in 0..n {
        ys[i] = masked_affine_of(xs[i], bytes[i] < top, a, b, d);
    }
}

/// ys[i] = if bit i of `words` is set { a·xs[i] + b } else { d }.
#[inline(always)]
fn masked_affine_body<T: Float>(xs: &[T], ys: &mut [T], words: &[u64], a: T, b: T, d: T) {
    for ((ys, xs), &w) in ys.chunks_mut(64).zip(xs.chunks(64)).zip(words) {
        let keep = spread(w);
        let n = ys.len().min(xs.len());
        for i in 0..n {
            ys[i] = masked_affine_of(xs[i], keep[i] != 0, a, b, d);
        }
    }
}

/// out[i] = dy[i] · (s if bit i of `words` is set else 0), so NaN in dy stays NaN.
#[inline(always)]
fn masked_scale_body<T: Float>(dy: &[T], out: &mut [T], words: &[u64], s: T) {
    let zero = T::from_f64(0.0);
    for ((os, gs), &w) in out.chunks_mut(64).zip(dy.chunks(64)).zip(words) {
        let keep = spread(w);
        let n = os.len().min(gs.len());
        for i in 0..n {
            os[i] = masked_scale_of(gs[i], keep[i] != 0, s, zero);
        }
    }
}

/// out[i] = kept if bit i of `words` is set, else dropped.
#[inline(always)]
fn masked_fill_body<T: Float>(out: &mut [T], words: &[u64], kept: T, dropped: T) {
    for (os, &w) in out.chunks_mut(64).zip(words) {
        let keep = spread(w);
        for (o, &m) in os.iter_mut().zip(keep.iter()) {
            *o = T::select(m != 0, kept, dropped);
        }
    }
}

/// ys[i] = a·xs[i] + b.
#[inline(always)]
fn affine_body<T: Float>(xs: &[T], ys: &mut [T], a: T, b: T) {
    for (y, &x) in ys.iter_mut().zip(xs) {
        *y = affine_of(x, a, b);
    }
}

/// out[i] = dy[i]·s.
#[inline(always)]
fn scale_body<T: Float>(dy: &[T], out: &mut [T], s: T) {
    for (o, &g) in out.iter_mut().zip(dy) {
        *o = Arith::mul(g, s);
    }
}

/// Define `$name`, which runs `$body` in its AVX2 build where the level allows and in
/// its baseline build otherwise.
macro_rules! dispatch {
    ($(#[$doc:meta])* $vis:vis $name:ident, $body:ident, $avx2:ident, ($($arg:ident: $ty:ty),*)) => {
        $(#[$doc])*
        $vis fn $name<T: Float>($($arg: $ty),*) {
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
    pub select_affine, select_affine_body, select_affine_avx2,
    (xs: &[T], ys: &mut [T], bytes: &[u8], top: u8, a: T, b: T, d: T)
);
dispatch!(
    cached_masked_fill, masked_fill_body, masked_fill_avx2,
    (out: &mut [T], words: &[u64], kept: T, dropped: T)
);
dispatch!(
    cached_masked_scale, masked_scale_body, masked_scale_avx2,
    (dy: &[T], out: &mut [T], words: &[u64], s: T)
);
dispatch!(
    cached_masked_affine, masked_affine_body, masked_affine_avx2,
    (xs: &[T], ys: &mut [T], words: &[u64], a: T, b: T, d: T)
);
dispatch!(
    /// ys[i] = a·xs[i] + b.
    pub affine, affine_body, affine_avx2,
    (xs: &[T], ys: &mut [T], a: T, b: T)
);
dispatch!(
    /// out[i] = dy[i]·s.
    pub scale, scale_body, scale_avx2,
    (dy: &[T], out: &mut [T], s: T)
);

/// ys[i] = if bit i of `words` is set { a·xs[i] + b } else { d }, with `store`'s stores.
pub fn masked_affine<T: Float>(xs: &[T], ys: &mut [T], words: &[u64], a: T, b: T, d: T, store: Store) {
    #[cfg(target_arch = "x86_64")]
    if streamable(store, ys) {
        let n = ys.len().min(xs.len()).min(words.len() * 64);
        // SAFETY: streamable() found AVX-512F and a 64-byte-aligned output; both
        // slices hold n elements and the words cover them.
        unsafe { streamed::masked_affine(&xs[..n], &mut ys[..n], words, a, b, d) };
        return;
    }
    cached_masked_affine(xs, ys, words, a, b, d)
}

/// out[i] = dy[i] · (s if bit i of `words` is set else 0), with `store`'s stores.
pub fn masked_scale<T: Float>(dy: &[T], out: &mut [T], words: &[u64], s: T, store: Store) {
    #[cfg(target_arch = "x86_64")]
    if streamable(store, out) {
        let n = out.len().min(dy.len()).min(words.len() * 64);
        // SAFETY: as in masked_affine.
        unsafe { streamed::masked_scale(&dy[..n], &mut out[..n], words, s) };
        return;
    }
    cached_masked_scale(dy, out, words, s)
}

/// out[i] = kept if bit i of `words` is set, else dropped; with `store`'s stores.
pub fn masked_fill<T: Float>(out: &mut [T], words: &[u64], kept: T, dropped: T, store: Store) {
    #[cfg(target_arch = "x86_64")]
    if streamable(store, out) {
        let n = out.len().min(words.len() * 64);
        // SAFETY: as in masked_affine.
        unsafe { streamed::masked_fill(&mut out[..n], words, kept, dropped) };
        return;
    }
    cached_masked_fill(out, words, kept, dropped)
}

/// dst = src, with `store`'s stores.
pub fn copy<T: Copy>(src: &[T], dst: &mut [T], store: Store) {
    let n = src.len().min(dst.len());
    #[cfg(target_arch = "x86_64")]
    if streamable(store, dst) {
        let bytes = n * std::mem::size_of::<T>();
        // SAFETY: streamable() found AVX-512F and a 64-byte-aligned dst; both pointers
        // cover `bytes` bytes of live, non-overlapping slices (one is borrowed mutably).
        unsafe { streamed::copy_bytes(src.as_ptr() as *const u8, dst.as_mut_ptr() as *mut u8, bytes) };
        return;
    }
    dst[..n].copy_from_slice(&src[..n]);
}

/// The streamed loops: whole vectors are streamed; the tail past the last whole mask
/// word is written with normal stores, by the same formula.
#[cfg(target_arch = "x86_64")]
mod streamed {
    use std::arch::x86_64::*;

    use super::{bit, masked_affine_of, masked_scale_of, Arith, Float};

    /// Run `f(i, lane_bits)` for each whole vector of `lanes` elements, one mask word
    /// (64 elements) at a time so the loads of a word's vectors go out together;
    /// returns where the whole words end.
    #[inline(always)]
    fn by_word(len: usize, words: &[u64], lanes: usize, mut f: impl FnMut(usize, u64)) -> usize {
        let whole = len / 64 * 64;
        for (g, &w) in words[..whole / 64].iter().enumerate() {
            for q in 0..64 / lanes {
                f(64 * g + lanes * q, w >> (lanes * q));
            }
        }
        whole
    }

    /// # Safety
    /// AVX-512F; ys 64-byte aligned; xs.len() == ys.len() <= 64·words.len().
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_affine<T: Float>(xs: &[T], ys: &mut [T], words: &[u64], a: T, b: T, d: T) {
        // SAFETY: the caller promises AVX-512F.
        let (va, vb, vd) = unsafe { (T::splat(a), T::splat(b), T::splat(d)) };
        let (x, y) = (xs.as_ptr(), ys.as_mut_ptr());
        let whole = by_word(ys.len(), words, T::LANES, |i, m| {
            // SAFETY: i + LANES <= whole <= len, so both vectors lie inside the slices,
            // and y + i is 64-byte aligned (y is, and i·size_of::<T>() is a multiple of 64).
            unsafe { T::stream(y.add(i), masked_affine_of(T::load(x.add(i)), T::lanes(m), va, vb, vd)) };
        });
        for i in whole..ys.len() {
            ys[i] = masked_affine_of(xs[i], bit(words, i), a, b, d);
        }
    }

    /// # Safety
    /// AVX-512F; out 64-byte aligned; dy.len() == out.len() <= 64·words.len().
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_scale<T: Float>(dy: &[T], out: &mut [T], words: &[u64], s: T) {
        let zero = T::from_f64(0.0);
        // SAFETY: the caller promises AVX-512F.
        let (vs, vzero) = unsafe { (T::splat(s), T::splat(zero)) };
        let (g, o) = (dy.as_ptr(), out.as_mut_ptr());
        let whole = by_word(out.len(), words, T::LANES, |i, m| {
            // SAFETY: as in masked_affine.
            unsafe { T::stream(o.add(i), masked_scale_of(T::load(g.add(i)), T::lanes(m), vs, vzero)) };
        });
        for i in whole..out.len() {
            out[i] = masked_scale_of(dy[i], bit(words, i), s, zero);
        }
    }

    /// # Safety
    /// AVX-512F; out 64-byte aligned; out.len() <= 64·words.len().
    #[target_feature(enable = "avx512f")]
    pub unsafe fn masked_fill<T: Float>(out: &mut [T], words: &[u64], kept: T, dropped: T) {
        // SAFETY: the caller promises AVX-512F.
        let (vk, vd) = unsafe { (T::splat(kept), T::splat(dropped)) };
        let o = out.as_mut_ptr();
        let whole = by_word(out.len(), words, T::LANES, |i, m| {
            // SAFETY: as in masked_affine.
            unsafe { T::stream(o.add(i), T::Vector::select(T::lanes(m), vk, vd)) };
        });
        for (i, o) in out.iter_mut().enumerate().skip(whole) {
            *o = T::select(bit(words, i), kept, dropped);
        }
    }

    /// # Safety
    /// AVX-512F; src and dst valid for `bytes` bytes, not overlapping; dst 64-byte aligned.
    #[target_feature(enable = "avx512f")]
    pub unsafe fn copy_bytes(src: *const u8, dst: *mut u8, bytes: usize) {
        let whole = bytes / 64 * 64;
        for i in (0..whole).step_by(64) {
            // SAFETY: i + 64 <= whole <= bytes: inside both buffers; dst + i stays aligned.
            unsafe {
                let v = _mm512_loadu_si512(src.add(i) as *const __m512i);
                _mm512_stream_si512(dst.add(i) as *mut __m512i, v);
            }
        }
        // SAFETY: the last bytes - whole bytes of both buffers, which do not overlap.
        unsafe { std::ptr::copy_nonoverlapping(src.add(whole), dst.add(whole), bytes - whole) };
    }
}

/// For each group of 64 bytes: bit k of lt[g] set iff byte 64g + k < t, of eq[g] iff
/// == t (the keep rule's byte compare).
pub fn compare_bytes(bytes: &[u8], t: u8, lt: &mut [u64], eq: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    if level() >= Level::Avx512 {
        // SAFETY: level() found AVX-512BW on this CPU.
        unsafe { compare_bytes_avx512(bytes, t, lt, eq) };
        return;
    }
    for ((group, l), e) in bytes.chunks(64).zip(lt.iter_mut()).zip(eq.iter_mut()) {
        (*l, *e) = compare(group, t);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
unsafe fn compare_bytes_avx512(bytes: &[u8], t: u8, lt: &mut [u64], eq: &mut [u64]) {
    use std::arch::x86_64::*;
    let limit = _mm512_set1_epi8(t as i8);
    let whole = bytes.len() / 64;
    for g in 0..whole {
        // SAFETY: group g spans bytes 64g..64g + 64, inside `bytes`; loadu needs no alignment.
        let v = unsafe { _mm512_loadu_si512(bytes.as_ptr().add(g * 64) as *const __m512i) };
        lt[g] = _mm512_cmplt_epu8_mask(v, limit);
        eq[g] = _mm512_cmpeq_epi8_mask(v, limit);
    }
    if whole < lt.len() {
        (lt[whole], eq[whole]) = compare(&bytes[whole * 64..], t);
    }
}

/// (lt, eq): bit k set iff bytes[k] < t, resp. == t, for up to 64 bytes.
#[inline]
fn compare(bytes: &[u8], t: u8) -> (u64, u64) {
    if let Ok(full) = <&[u8; 64]>::try_from(bytes) {
        return compare64(full, t);
    }
    let (mut lt, mut eq) = (0u64, 0u64);
    for (k, &b) in bytes.iter().enumerate() {
        lt |= ((b < t) as u64) << k;
        eq |= ((b == t) as u64) << k;
    }
    (lt, eq)
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn compare64(bytes: &[u8; 64], t: u8) -> (u64, u64) {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of the x86_64 baseline, so these intrinsics are always
    // available; each unaligned load reads 16 bytes at offsets 0, 16, 32, 48 of a
    // 64-byte array.
    unsafe {
        let flip = _mm_set1_epi8(i8::MIN);
        let limit = _mm_set1_epi8((t ^ 0x80) as i8);
        let same = _mm_set1_epi8(t as i8);
        let (mut lt, mut eq) = (0u64, 0u64);
        for q in 0..4 {
            let v = _mm_loadu_si128(bytes.as_ptr().add(16 * q) as *const __m128i);
            // Unsigned compare as signed after flipping the top bit.
            let below = _mm_cmplt_epi8(_mm_xor_si128(v, flip), limit);
            lt |= (_mm_movemask_epi8(below) as u64 & 0xFFFF) << (16 * q);
            eq |= (_mm_movemask_epi8(_mm_cmpeq_epi8(v, same)) as u64 & 0xFFFF) << (16 * q);
        }
        (lt, eq)
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn compare64(bytes: &[u8; 64], t: u8) -> (u64, u64) {
    let (mut lt, mut eq) = (0u64, 0u64);
    for (k, &b) in bytes.iter().enumerate() {
        lt |= ((b < t) as u64) << k;
        eq |= ((b == t) as u64) << k;
    }
    (lt, eq)
}
