//! `Generator`: ChaCha8 used as a counter-based stream.
//!
//! A generator is (seed, stream, offset). The seed becomes the 256-bit ChaCha key
//! through `SeedableRng::seed_from_u64` (rand_core's documented, value-stable PCG32
//! expansion); `stream` is the 64-bit ChaCha nonce; `offset` counts 32-bit words
//! already handed out. A call that needs n words reserves [offset, offset + n) and
//! moves offset past them, rounded up to a whole 16-word ChaCha block. Any word of a
//! reservation can be reached directly (`Draw::rng_at`), which is what lets kernels
//! cut work into chunks and still give the same bits for any thread count.

use chacha20::ChaCha8Rng;
use rand_core::{Rng, SeedableRng};

use crate::error::{LucidError, Result};
use crate::par::{self, Chunk};
pub use crate::simd::Float;

/// Uniform in [0, 1) from one word: the top 24 bits.
#[inline]
pub fn unit_f32(w: u32) -> f32 {
    (w >> 8) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// Uniform in [0, 1) from two words: the top 53 of their 64 bits.
#[inline]
pub fn unit_f64(hi: u32, lo: u32) -> f64 {
    ((((hi as u64) << 32) | lo as u64) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The floats the samplers fill, with their per-dtype sampling hook.
pub trait Sample: Float {
    /// Words one uniform takes.
    const UNIFORM_WORDS: u64;
    fn uniform(rng: &mut ChaCha8Rng) -> Self;
}

impl Sample for f32 {
    const UNIFORM_WORDS: u64 = 1;
    fn uniform(rng: &mut ChaCha8Rng) -> f32 {
        unit_f32(rng.next_u32())
    }
}

impl Sample for f64 {
    const UNIFORM_WORDS: u64 = 2;
    fn uniform(rng: &mut ChaCha8Rng) -> f64 {
        let hi = rng.next_u32();
        unit_f64(hi, rng.next_u32())
    }
}

/// 32-bit words in one ChaCha block.
pub const BLOCK_WORDS: u64 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Generator {
    seed: u64,
    stream: u64,
    offset: u64,
}

/// The words one call reserved: word `i` of the call is word `start + i` of the
/// (seed, stream) ChaCha8 stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Draw {
    pub seed: u64,
    pub stream: u64,
    pub start: u64,
}

impl Generator {
    pub fn new(seed: u64, stream: u64) -> Generator {
        Generator { seed, stream, offset: 0 }
    }

    /// A generator restored from `state()`.
    pub fn from_state(seed: u64, stream: u64, offset: u64) -> Generator {
        Generator { seed, stream, offset }
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn stream(&self) -> u64 {
        self.stream
    }

    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// (seed, stream, offset): everything needed to continue the sequence.
    pub fn state(&self) -> (u64, u64, u64) {
        (self.seed, self.stream, self.offset)
    }

    /// Reserve `words` words and advance past them to the next block boundary.
    pub fn reserve(&mut self, words: u64) -> Result<Draw> {
        let draw = Draw { seed: self.seed, stream: self.stream, start: self.offset };
        let end =
            self.offset.checked_add(words).and_then(|e| e.checked_next_multiple_of(BLOCK_WORDS)).ok_or_else(
                || LucidError::value("generator offset", self.offset, "small enough to reserve more words"),
            )?;
        self.offset = end;
        Ok(draw)
    }
}

impl Draw {
    /// A ChaCha8 stream positioned at word `start + word` of this draw.
    /// Order matters: the key, then the stream (which resets the position), then the position.
    pub fn rng_at(&self, word: u64) -> ChaCha8Rng {
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        rng.set_stream(self.stream);
        rng.set_word_pos(u128::from(self.start) + u128::from(word));
        rng
    }
}

/// Box–Muller: two words give two independent standard normals.
#[inline]
pub fn normal_pair(w0: u32, w1: u32) -> (f64, f64) {
    let u1 = (w0 as f64 + 1.0) * (1.0 / 4_294_967_296.0); // (0, 1]: ln never sees 0
    let u2 = w1 as f64 * (1.0 / 4_294_967_296.0);
    let r = (-2.0 * u1.ln()).sqrt();
    let (s, c) = (std::f64::consts::TAU * u2).sin_cos();
    (r * c, r * s)
}

/// The 33-bit threshold t with P(word < t) = t / 2^32 closest to `prob`.
pub fn threshold(prob: f64) -> u64 {
    (prob * 4_294_967_296.0).round() as u64
}

/// Fill `out` with uniforms in [0, 1), reserving the words from `gen`.
pub fn fill_uniform<T: Sample>(gen: &mut Generator, out: &mut [T], chunk: Chunk) -> Result<()> {
    crate::simd::config()?; // before the words are reserved: a refused call moves nothing
    let draw = gen.reserve(out.len() as u64 * T::UNIFORM_WORDS)?;
    uniform_from(&draw, out, chunk)
}

/// Fill `out` with uniforms from an already reserved draw.
pub fn uniform_from<T: Sample>(draw: &Draw, out: &mut [T], chunk: Chunk) -> Result<()> {
    par::for_each_chunk_mut(out, chunk, |c, part| {
        let mut rng = draw.rng_at((c * chunk.elements()) as u64 * T::UNIFORM_WORDS);
        for v in part.iter_mut() {
            *v = T::uniform(&mut rng);
        }
    })
}

/// Words a normal fill of n values takes: two per pair.
pub fn normal_words(n: usize) -> u64 {
    n.div_ceil(2) as u64 * 2
}

/// Fill `out` with standard normals (Box–Muller), reserving the words from `gen`.
pub fn fill_normal<T: Float>(gen: &mut Generator, out: &mut [T], chunk: Chunk) -> Result<()> {
    crate::simd::config()?;
    let draw = gen.reserve(normal_words(out.len()))?;
    normal_from(&draw, out, chunk)
}

/// Fill `out` with standard normals from an already reserved draw.
pub fn normal_from<T: Float>(draw: &Draw, out: &mut [T], chunk: Chunk) -> Result<()> {
    par::for_each_chunk_mut(out, chunk, |c, part| {
        let mut rng = draw.rng_at((c * chunk.elements()) as u64);
        for pair in part.chunks_mut(2) {
            let w0 = rng.next_u32();
            let (z0, z1) = normal_pair(w0, rng.next_u32());
            pair[0] = T::from_f64(z0);
            if let Some(second) = pair.get_mut(1) {
                *second = T::from_f64(z1);
            }
        }
    })
}

/// Check that every probability is in [0, 1]; the error names `probs` and the first bad value.
pub fn check_probs<T: Float>(probs: &[T]) -> Result<()> {
    match probs.iter().map(|p| p.to_f64()).find(|p| !(0.0..=1.0).contains(p)) {
        Some(bad) => Err(LucidError::value("probs", bad, "in [0, 1] everywhere")),
        None => Ok(()),
    }
}

/// out[i] = 1 with probability probs[i], from word i: 1 iff word < round(probs[i]·2³²).
pub fn fill_bernoulli<T: Float>(
    gen: &mut Generator,
    probs: &[T],
    out: &mut [u8],
    chunk: Chunk,
) -> Result<()> {
    check_probs(probs)?;
    crate::simd::config()?;
    let draw = gen.reserve(probs.len() as u64)?;
    bernoulli_from(&draw, probs, out, chunk)
}

/// The Bernoulli kernel over an already reserved draw; probs must be checked.
pub fn bernoulli_from<T: Float>(draw: &Draw, probs: &[T], out: &mut [u8], chunk: Chunk) -> Result<()> {
    if probs.len() != out.len() {
        return Err(LucidError::value("out", out.len(), format!("of length {}", probs.len())));
    }
    par::for_each_chunk_mut(out, chunk, |c, part| {
        let mut rng = draw.rng_at((c * chunk.elements()) as u64);
        let ps = &probs[c * chunk.elements()..c * chunk.elements() + part.len()];
        for (o, p) in part.iter_mut().zip(ps) {
            *o = ((rng.next_u32() as u64) < threshold(p.to_f64())) as u8;
        }
    })
}
