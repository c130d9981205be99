//! Standard dropout (Srivastava et al. 2014) with PyTorch's inverted scaling: a kept
//! element is x / (1 − p), a dropped one is 0, and dx = m·dy / (1 − p). It is the
//! family's affine kernel with A = 1 / (1 − p), B = 0 and a dropped value of 0.

use crate::error::Result;
use crate::rng::{threshold, Generator};

use super::{check_p, Coefficients, Plan};

pub fn coefficients(p: f64) -> Result<Coefficients> {
    check_p(p)?;
    Ok(if p == 1.0 {
        // Every output and every gradient is zero, as in PyTorch.
        Coefficients { p, a: 0.0, b: 0.0, dropped: 0.0, threshold: 0 }
    } else {
        Coefficients { p, a: 1.0 / (1.0 - p), b: 0.0, dropped: 0.0, threshold: threshold(1.0 - p) }
    })
}

/// Check p and reserve the words a dropout forward of n elements uses.
pub fn plan(p: f64, n: usize, gen: &mut Generator) -> Result<Plan> {
    super::plan(coefficients(p)?, n, gen)
}
