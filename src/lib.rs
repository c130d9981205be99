//! The Rust core of lucid.
//!
//! Everything here except `python/` compiles and is tested without Python:
//! [`storage`] owns tensor memory, [`rng`] is the counter-based ChaCha generator,
//! [`mask`] packs one bit per element, [`dropout`] holds the kernels and [`activation`]
//! the GELU that numpy cannot compute fast (it has no erf), and [`matmul`] the
//! matrix products, on the same thread pool ([`par`]) as every other kernel.

// Every unsafe block says why it is sound; CI's clippy runs with -D warnings.
#![warn(clippy::undocumented_unsafe_blocks, clippy::missing_safety_doc)]
// An unsafe fn's body is not one unsafe block: each unsafe operation in it has its own.
#![deny(unsafe_op_in_unsafe_fn)]

pub mod activation;
pub mod chacha;
pub mod dropout;
pub mod error;
pub mod fork;
pub mod mask;
pub mod matmul;
pub mod optim;
pub mod par;
pub mod rng;
pub mod simd;
pub mod storage;

#[cfg(feature = "python")]
mod python;

pub use error::{LucidError, Result};
