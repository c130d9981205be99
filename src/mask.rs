//! `BitMask`: one bit per element, bit i in word i / 64 at position i % 64.

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
}
