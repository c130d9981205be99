//! The Rust core of lucid.
//!
//! Everything here except `python/` compiles and is tested without Python:
//! [`storage`] owns tensor memory, [`rng`] is the counter-based ChaCha generator,
//! [`mask`] packs one bit per element and [`dropout`] holds the kernels.

pub mod chacha;
pub mod dropout;
pub mod error;
pub mod mask;
pub mod par;
pub mod rng;
pub mod simd;
pub mod storage;
pub mod stream;

#[cfg(feature = "python")]
mod python;

pub use error::{LucidError, Result};
