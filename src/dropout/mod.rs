//! The dropout family's kernels. Each forward draws its mask from a reserved
//! [`Draw`](crate::rng::Draw), chunk by chunk, and keeps only a [`BitMask`](crate::mask::BitMask)
//! for backward. Every member is one affine map for kept elements and one value for
//! dropped ones: [`Coefficients`] gives them for each [`Kind`], [`forward`],
//! [`apply`] and [`backward`] use them element by element and [`channel`] row by row; [`fused`] runs SELU and alpha dropout as one pass each way.

pub mod channel;
pub mod fused;
mod kernel;

pub use kernel::{
    apply, backward, check_p, forward, plan, sample, Coefficients, Kind, Plan, ALPHA, ALPHA_PRIME, LAMBDA,
};
