//! The dropout family's kernels. Each forward draws its mask from a reserved
//! [`Draw`](crate::rng::Draw), chunk by chunk, and keeps only a [`BitMask`](crate::mask::BitMask)
//! for backward. Every member is one affine map for kept elements and one value for
//! dropped ones; [`alpha`] and [`standard`] give the coefficients, [`forward`] and
//! [`backward`] apply them element by element and [`channel`] row by row.

pub mod alpha;
pub mod channel;
pub mod keep;
mod kernel;
pub mod standard;

pub use kernel::{backward, check_p, forward, plan, sample, Coefficients, Plan};
