//! Alpha dropout (Klambauer et al. 2017), the dropout that keeps SELU networks
//! self-normalising. With α' = −λα and drop probability p:
//!
//! ```text
//! A = ((1 − p)(1 + p·α'²))^(−1/2)     B = −A·α'·p
//! keep (mask 1): y = A·x + B           drop (mask 0): y = A·α' + B
//! backward: dx = A·m·dy
//! ```
//!
//! The kernels are the family's shared ones ([`forward`](super::forward),
//! [`backward`](super::backward) and the channel kernels); this module only gives
//! them alpha dropout's coefficients.

use crate::error::Result;
use crate::rng::{threshold, Generator};

use super::{check_p, Coefficients, Plan};

/// SELU's scale λ.
pub const LAMBDA: f64 = 1.050_700_987_355_480_5;
/// SELU's α.
pub const ALPHA: f64 = 1.673_263_242_354_377_2;
/// SELU's negative saturation value, −λα: what a dropped unit is set to before the affine fix.
pub const ALPHA_PRIME: f64 = -LAMBDA * ALPHA;

pub fn coefficients(p: f64) -> Result<Coefficients> {
    check_p(p)?;
    let keep = threshold(1.0 - p);
    Ok(if p == 0.0 {
        Coefficients { p, a: 1.0, b: 0.0, dropped: ALPHA_PRIME, threshold: keep }
    } else if p == 1.0 {
        // As PyTorch: every output is zero and so is the gradient.
        Coefficients { p, a: 0.0, b: 0.0, dropped: 0.0, threshold: 0 }
    } else {
        let a = ((1.0 - p) * (1.0 + p * ALPHA_PRIME * ALPHA_PRIME)).powf(-0.5);
        let b = -a * ALPHA_PRIME * p;
        Coefficients { p, a, b, dropped: a * ALPHA_PRIME + b, threshold: keep }
    })
}

/// Check p and reserve the words an alpha-dropout forward of n elements uses.
pub fn plan(p: f64, n: usize, gen: &mut Generator) -> Result<Plan> {
    super::plan(coefficients(p)?, n, gen)
}
