//! `BitMask`: one bit per element, bit i in word i / 64 at position i % 64, and the
//! keep rule that draws the dropout kernels' bits ([`Keep`]).
//!
//! The keep rule decides which elements survive, exactly
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
use crate::simd::{self, Ahead};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BitMask {
    words: Vec<u64>,
    len: usize,
}

impl BitMask {
    /// A mask of `len` bits, all zero.
    pub fn zeros(len: usize) -> BitMask {
        BitMask { words: vec![0; len.div_ceil(64)], len }
    }

    /// A mask of `len` bits, all zero, or an allocation error where [`BitMask::zeros`]
    /// would abort the process. One zeroed allocation (calloc), as `zeros` makes.
    pub fn try_zeros(len: usize) -> crate::Result<BitMask> {
        let n = len.div_ceil(64);
        let error = crate::LucidError::Alloc { bytes: n as u128 * 8 };
        if n == 0 {
            return Ok(BitMask::zeros(len));
        }
        let layout = std::alloc::Layout::array::<u64>(n).map_err(|_| error.clone())?;
        // SAFETY: the layout has a nonzero size (n > 0).
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) } as *mut u64;
        if ptr.is_null() {
            return Err(error);
        }
        // SAFETY: ptr comes from the global allocator with the layout of n u64s, which is
        // the layout a Vec<u64> of capacity n uses; all-zero bytes are valid u64s, so
        // all n elements are initialised.
        let words = unsafe { Vec::from_raw_parts(ptr, n, n) };
        Ok(BitMask { words, len })
    }

    /// A mask of `len` bits, all one (bits past `len` stay zero).
    pub fn ones(len: usize) -> BitMask {
        let mut m = BitMask { words: vec![u64::MAX; len.div_ceil(64)], len };
        if !len.is_multiple_of(64) {
            if let Some(last) = m.words.last_mut() {
                *last = (1u64 << (len % 64)) - 1;
            }
        }
        m
    }

    /// A mask from its words (bit i in word i / 64, as [`BitMask::words`] gives them);
    /// an error unless there are exactly `len.div_ceil(64)` words and every bit past
    /// `len` is zero (counts and unpacking rely on it).
    pub fn from_words(words: Vec<u64>, len: usize) -> crate::Result<BitMask> {
        if words.len() != len.div_ceil(64) {
            return Err(crate::LucidError::value(
                "words",
                format!("{} words", words.len()),
                format!("{} words for {len} bits", len.div_ceil(64)),
            ));
        }
        if let Some(&last) = words.last() {
            if !len.is_multiple_of(64) && last >> (len % 64) != 0 {
                return Err(crate::LucidError::value(
                    "words",
                    format!("a last word of {last:#x}"),
                    format!("zero past bit {len}"),
                ));
            }
        }
        Ok(BitMask { words, len })
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn get(&self, i: usize) -> bool {
        assert!(i < self.len, "bit {i} out of range for a mask of {} bits", self.len);
        self.words[i / 64] >> (i % 64) & 1 == 1
    }

    /// Number of set bits.
    pub fn count_ones(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    pub fn words_mut(&mut self) -> &mut [u64] {
        &mut self.words
    }

    /// Bytes the mask holds: n / 8, rounded up to whole words.
    pub fn nbytes(&self) -> usize {
        self.words.len() * 8
    }

    /// Write the mask as 0 / 1 values into `out` (one per bit).
    pub fn unpack_into<T: Copy>(&self, out: &mut [T], zero: T, one: T) {
        for (i, o) in out.iter_mut().enumerate().take(self.len) {
            *o = if self.words[i / 64] >> (i % 64) & 1 == 1 { one } else { zero };
        }
    }

    /// This mask, read as an array of `noise` shape in C order, expanded to `shape`:
    /// the same rank, every noise dimension equal to the shape's or 1 (repeated along
    /// it). Bit i of the result is the bit of element i of `shape` taken from `noise`.
    pub fn broadcast(&self, noise: &[usize], shape: &[usize]) -> crate::Result<BitMask> {
        let show = |dims: &[usize]| {
            let items: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
            if items.len() == 1 {
                format!("({},)", items[0])
            } else {
                format!("({})", items.join(", "))
            }
        };
        if noise.len() != shape.len() || noise.iter().zip(shape).any(|(&m, &n)| m != n && m != 1) {
            return Err(crate::LucidError::value(
                "noise_shape",
                show(noise),
                format!("a shape of the same rank that broadcasts to {}", show(shape)),
            ));
        }
        if noise.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)) != Some(self.len) {
            return Err(crate::LucidError::value(
                "noise_shape",
                show(noise),
                format!("a shape of {} elements, the mask's length", self.len),
            ));
        }
        let total = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d)).ok_or_else(|| {
            crate::LucidError::value("shape", show(shape), "a shape whose element count fits in memory")
        })?;
        let mut out = BitMask::try_zeros(total)?;
        if total == 0 {
            return Ok(out);
        }
        // The source index of each output element, by an odometer over the output's
        // index: along a broadcast dimension the source does not move.
        let rank = shape.len();
        let mut stride = vec![0usize; rank]; // the noise array's stride, 0 where broadcast
        let mut step = 1;
        for k in (0..rank).rev() {
            stride[k] = if noise[k] == 1 { 0 } else { step };
            step *= noise[k];
        }
        let (mut index, mut src) = (vec![0usize; rank], 0usize);
        let words = &mut out.words;
        for i in 0..total {
            words[i / 64] |= (self.words[src / 64] >> (src % 64) & 1) << (i % 64);
            for k in (0..rank).rev() {
                index[k] += 1;
                src += stride[k];
                if index[k] < shape[k] {
                    break;
                }
                src -= stride[k] * index[k];
                index[k] = 0;
            }
        }
        Ok(out)
    }

    /// The rows `rows` (in that order) of this mask read as rows of `row` bits: bit
    /// k·row + j of the result is bit rows[k]·row + j of this one. How a process
    /// that holds some rows of a batch takes their bits from the whole batch's mask.
    pub fn rows(&self, rows: &[usize], row: usize) -> crate::Result<BitMask> {
        let count = self.len.checked_div(row).unwrap_or(0);
        if row == 0 || count * row != self.len {
            return Err(crate::LucidError::value(
                "row",
                row.to_string(),
                format!("a positive divisor of the mask's length {}", self.len),
            ));
        }
        if let Some(&bad) = rows.iter().find(|&&r| r >= count) {
            return Err(crate::LucidError::value("rows", format!("a row {bad}"), format!("below {count}")));
        }
        let mut out = BitMask::try_zeros(rows.len() * row)?;
        for (k, &r) in rows.iter().enumerate() {
            let (src, dst) = (r * row, k * row);
            let mut j = 0;
            while j < row {
                // Up to 64 bits at a time: from the source's bit position to the end
                // of a source word and of a destination word, whichever is nearer.
                let (s, d) = (src + j, dst + j);
                let take = (64 - s % 64).min(64 - d % 64).min(row - j);
                let bits = (self.words[s / 64] >> (s % 64)) & low_bits(take);
                out.words[d / 64] |= bits << (d % 64);
                j += take;
            }
        }
        Ok(out)
    }
}

/// A word with its `n` lowest bits set (n ≤ 64).
fn low_bits(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

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
pub fn keep_words(n: usize) -> u64 {
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
            simd::compare_bytes(&bytes[..m], self.top, block_bits, &mut equal[..groups]);
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
