//! Element types: `DType`, the Rust types a storage can be viewed as (`Element`),
//! and `Float`, the element trait every kernel is generic over. It sits just above
//! the errors so that the SIMD, chunking, generator and kernel layers can all use it.

use chacha20::ChaCha8Rng;
use rand_core::Rng;

use crate::error::{LucidError, Result};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DType {
    F32,
    F64,
    I64,
    Bool,
}

impl DType {
    pub const ALL: [DType; 4] = [DType::F32, DType::F64, DType::I64, DType::Bool];

    pub fn itemsize(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::F64 | DType::I64 => 8,
            DType::Bool => 1,
        }
    }

    /// The name numpy uses for this dtype.
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "float32",
            DType::F64 => "float64",
            DType::I64 => "int64",
            DType::Bool => "bool",
        }
    }

    pub fn parse(name: &str) -> Result<DType> {
        DType::ALL.into_iter().find(|d| d.name() == name).ok_or_else(|| {
            LucidError::dtype("dtype", format!("{name:?}"), "one of float32, float64, int64, bool")
        })
    }
}

/// Rust element types that a storage can be viewed as. `bool` is viewed as `u8`
/// (0 or 1) so that a stray byte written from Python can never be an invalid `bool`.
pub trait Element: Copy + Send + Sync + 'static {
    const DTYPE: DType;
}

impl Element for f32 {
    const DTYPE: DType = DType::F32;
}
impl Element for f64 {
    const DTYPE: DType = DType::F64;
}
impl Element for i64 {
    const DTYPE: DType = DType::I64;
}
impl Element for u8 {
    const DTYPE: DType = DType::Bool;
}

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

/// The floats every kernel is generic over, with their per-dtype sampling hook.
pub trait Float: Element + Copy + std::ops::Mul<Output = Self> + std::ops::Add<Output = Self> {
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    fn uniform(rng: &mut ChaCha8Rng) -> Self;
    const UNIFORM_WORDS: u64;
}

impl Float for f32 {
    const UNIFORM_WORDS: u64 = 1;
    fn from_f64(v: f64) -> f32 {
        v as f32
    }
    fn to_f64(self) -> f64 {
        self as f64
    }
    fn uniform(rng: &mut ChaCha8Rng) -> f32 {
        unit_f32(rng.next_u32())
    }
}

impl Float for f64 {
    const UNIFORM_WORDS: u64 = 2;
    fn from_f64(v: f64) -> f64 {
        v
    }
    fn to_f64(self) -> f64 {
        self
    }
    fn uniform(rng: &mut ChaCha8Rng) -> f64 {
        let hi = rng.next_u32();
        unit_f64(hi, rng.next_u32())
    }
}
