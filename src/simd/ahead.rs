//! Prefetching: memory a kernel reads next, brought into the cache while a
//! compute-heavy step runs.

use std::marker::PhantomData;

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
