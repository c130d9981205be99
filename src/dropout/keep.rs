//! The keep decision shared by the dropout kernels: which elements survive, exactly
//! with probability round((1 − p)·2³²) / 2³², from 8 random bits per element on almost
//! every element.
//!
//! For a call of n elements with threshold T = round((1 − p)·2³²), element i is kept iff
//!
//! ```text
//! U_i = byte_i · 2²⁴ + (tie_i >> 8)  <  T
//! ```
//!
//! where byte_i is byte i of the call's keystream (word start + i/4, little-endian
//! byte i mod 4) and tie_i is a 32-bit tie word. U_i is uniform on [0, 2³²), so
//! P(keep) = T / 2³² exactly as with one whole word per element. Only when
//! byte_i = T >> 24 (probability 1/256) do the low bits matter; then tie_i is the
//! next unused word of its span's tie region: elements are grouped in spans of 4096,
//! and the j-th tie (in element order) of the span starting at element e uses word
//! start + tie_base(n) + e + j. Every position is fixed by n and the element index,
//! never by the thread count or the chunk size (chunks hold whole spans).

use crate::chacha::Keystream;
use crate::par::Chunk;
use crate::rng::Draw;
use crate::simd::Ahead;

/// Elements decided together: one 64-bit mask word.
pub const GROUP: usize = 64;
/// Elements whose bytes are drawn at once: 1 KiB of keystream, in L1 beside x and y.
pub const BLOCK: usize = 1024;
/// Elements that share one tie region; a chunk ([`Chunk`]) is whole spans.
pub const SPAN: usize = Chunk::STEP;

/// Words of keystream bytes a call of n elements uses, rounded to whole ChaCha blocks.
pub fn byte_words(n: usize) -> u64 {
    (n as u64).div_ceil(4).next_multiple_of(16)
}

/// Where the tie region starts, counted from the call's first word.
pub fn tie_base(n: usize) -> u64 {
    byte_words(n)
}

/// Words a call of n elements reserves: its bytes, then one possible tie word per element.
pub fn words(n: usize) -> u64 {
    byte_words(n) + n as u64
}

/// The threshold split into the byte that decides most elements and the 24 bits
/// that settle a tie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keep {
    threshold: u64,
    top: u8,
    rest: u32,
}

impl Keep {
    pub fn new(threshold: u64) -> Keep {
        let t = threshold.min(1 << 32);
        Keep { threshold: t, top: (t >> 24).min(255) as u8, rest: (t & 0xFF_FFFF) as u32 }
    }

    /// Elements whose byte is below this are kept (when no byte can reach T, all are).
    pub fn top(&self) -> u8 {
        self.top
    }

    fn keeps_all(&self) -> bool {
        self.threshold == 1 << 32
    }

    /// Decide the elements `chunk` of a call of n: `input` is what `f` reads for them
    /// (or [`Ahead::NONE`]), prefetched block by block while the keystream is computed.
    /// `bytes` receives the chunk's keystream bytes block by block and
    /// `f(start, bytes, keep_bits, ties_kept)` is called for each block, with `bits`
    /// (and `keep_bits`, the block's part of it) already holding the block's keep bits.
    /// `ties_kept` marks the elements kept by a tie word, whose byte equals `top()`;
    /// every other element is kept iff its byte < `top()`.
    pub fn decide_chunk(
        &self,
        draw: &Draw,
        n: usize,
        chunk: std::ops::Range<usize>,
        bits: &mut [u64],
        input: Ahead<'_>,
        mut f: impl FnMut(usize, &[u8], &[u64], &[u64]),
    ) {
        let (first, len) = (chunk.start, chunk.len());
        debug_assert!(first.is_multiple_of(SPAN), "chunks start on a span");
        let stream = Keystream::new(draw.seed, draw.stream);
        let mut words = [0u32; BLOCK / 4];
        let mut ties: Option<TieWords> = None;
        let mut kept_ties = [0u64; BLOCK / GROUP];
        let mut equal = [0u64; BLOCK / GROUP];
        for start in (0..len).step_by(BLOCK) {
            if start % SPAN == 0 {
                ties = None; // a new span: its ties start at its own region
            }
            let tie_start = tie_base(n) + (first + start - start % SPAN) as u64;
            let m = (len - start).min(BLOCK);
            let groups = m.div_ceil(GROUP);
            let nwords = m.div_ceil(4);
            // The block's input is prefetched while its keystream is computed.
            stream.fill_ahead(
                draw.start + (first + start) as u64 / 4,
                &mut words[..nwords],
                input.elements(start, m),
            );
            let bytes = le_bytes(&mut words[..nwords]);
            if self.keeps_all() {
                // T = 2³²: every U is below it. Make every byte read as kept.
                bytes[..m].fill(0);
            }
            let block_bits = &mut bits[start / GROUP..start / GROUP + groups];
            compare_block(&bytes[..m], self.top, block_bits, &mut equal[..groups]);
            kept_ties[..groups].fill(0);
            if !self.keeps_all() {
                // About one group in five has a tie; the rest are settled already.
                for (g, &tie) in equal[..groups].iter().enumerate().filter(|(_, &t)| t != 0) {
                    let words = ties.get_or_insert_with(|| TieWords::at(draw.start + tie_start));
                    let mut won = 0u64;
                    let mut left = tie;
                    while left != 0 {
                        if words.next(&stream) >> 8 < self.rest {
                            won |= left & left.wrapping_neg(); // the lowest tie still open
                        }
                        left &= left - 1;
                    }
                    block_bits[g] |= won;
                    kept_ties[g] = won;
                }
            }
            f(start, &bytes[..m], block_bits, &kept_ties[..groups]);
        }
    }
}

/// Consecutive tie words of one span, a ChaCha block at a time.
struct TieWords {
    block: u64,
    words: [u32; 16],
    used: usize,
}

impl TieWords {
    fn at(word: u64) -> TieWords {
        TieWords { block: word / 16, words: [0; 16], used: 16 + (word % 16) as usize }
    }

    #[inline]
    fn next(&mut self, stream: &Keystream) -> u32 {
        if self.used >= 16 {
            self.words = stream.block(self.block);
            self.block += 1;
            self.used -= 16;
        }
        self.used += 1;
        self.words[self.used - 1]
    }
}

/// The words as their little-endian bytes, in place.
fn le_bytes(words: &mut [u32]) -> &mut [u8] {
    for w in words.iter_mut() {
        *w = w.to_le(); // a no-op on little-endian machines
    }
    let len = words.len() * 4;
    // SAFETY: u8 has alignment 1 and every byte of a u32 is a valid u8; the slice
    // covers exactly the words' memory and borrows it mutably for its lifetime.
    unsafe { std::slice::from_raw_parts_mut(words.as_mut_ptr() as *mut u8, len) }
}

/// For each group of 64 bytes: bit k of lt[g] set iff byte 64g + k < t, of eq[g] iff == t.
fn compare_block(bytes: &[u8], t: u8, lt: &mut [u64], eq: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    if crate::simd::level() >= crate::simd::Level::Avx512 {
        // SAFETY: level() found AVX-512BW on this CPU.
        unsafe { compare_block_avx512(bytes, t, lt, eq) };
        return;
    }
    for ((group, l), e) in bytes.chunks(GROUP).zip(lt.iter_mut()).zip(eq.iter_mut()) {
        (*l, *e) = compare(group, t);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512bw")]
unsafe fn compare_block_avx512(bytes: &[u8], t: u8, lt: &mut [u64], eq: &mut [u64]) {
    use std::arch::x86_64::*;
    let limit = _mm512_set1_epi8(t as i8);
    let whole = bytes.len() / GROUP;
    for g in 0..whole {
        // SAFETY: group g spans bytes 64g..64g + 64, inside `bytes`; loadu needs no alignment.
        let v = _mm512_loadu_si512(bytes.as_ptr().add(g * GROUP) as *const __m512i);
        lt[g] = _mm512_cmplt_epu8_mask(v, limit);
        eq[g] = _mm512_cmpeq_epi8_mask(v, limit);
    }
    if whole < lt.len() {
        (lt[whole], eq[whole]) = compare(&bytes[whole * GROUP..], t);
    }
}

/// (lt, eq): bit k set iff bytes[k] < t, resp. == t, for up to 64 bytes.
#[inline]
fn compare(bytes: &[u8], t: u8) -> (u64, u64) {
    if bytes.len() == GROUP {
        let full: &[u8; GROUP] = bytes.try_into().expect("a full group");
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
fn compare64(bytes: &[u8; GROUP], t: u8) -> (u64, u64) {
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
fn compare64(bytes: &[u8; GROUP], t: u8) -> (u64, u64) {
    let (mut lt, mut eq) = (0u64, 0u64);
    for (k, &b) in bytes.iter().enumerate() {
        lt |= ((b < t) as u64) << k;
        eq |= ((b == t) as u64) << k;
    }
    (lt, eq)
}
