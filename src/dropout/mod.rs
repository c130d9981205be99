//! The dropout family's kernels. Each forward draws its mask from a reserved
//! [`Draw`](crate::rng::Draw), chunk by chunk, and keeps only a [`BitMask`](crate::mask::BitMask)
//! for backward.

pub mod alpha;
pub mod keep;
