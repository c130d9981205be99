//! GELU element-wise, exact (x·Φ(x), with Φ from erfc) or in PyTorch's tanh form, and
//! its derivative, over parallel chunks. Each value is computed in f64 and rounded
//! once to the tensor's dtype; erfc is libm's (a port of musl's, under 1 ulp).

use crate::error::{LucidError, Result};
use crate::par::for_each_chunk_mut;
use crate::rng::Float;

/// Which GELU: PyTorch's `approximate="none"` or `"tanh"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gelu {
    /// x·Φ(x) = x·erfc(−x/√2)/2.
    Exact,
    /// x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))/2.
    Tanh,
}

const SQRT_HALF: f64 = std::f64::consts::FRAC_1_SQRT_2;
/// 1/√(2π), the standard normal density at 0.
const INV_SQRT_2PI: f64 = 0.398_942_280_401_432_7;
/// √(2/π).
const TANH_K: f64 = 0.797_884_560_802_865_4;
const TANH_C: f64 = 0.044_715;

impl Gelu {
    /// PyTorch's name for it: "none" or "tanh".
    pub fn parse(approximate: &str) -> Result<Gelu> {
        match approximate {
            "none" => Ok(Gelu::Exact),
            "tanh" => Ok(Gelu::Tanh),
            other => Err(LucidError::value("approximate", format!("{other:?}"), "\"none\" or \"tanh\"")),
        }
    }

    /// The tanh form's tanh term; tanh is ±1 exactly past |x| = 10, and clipping at 20
    /// keeps x³ finite for huge x.
    fn tanh_term(x: f64) -> f64 {
        let xc = x.clamp(-20.0, 20.0);
        (TANH_K * (xc + TANH_C * (xc * xc * xc))).tanh()
    }

    /// GELU(x).
    pub fn value(self, x: f64) -> f64 {
        match self {
            Gelu::Exact => x * (0.5 * libm::erfc(-SQRT_HALF * x)),
            Gelu::Tanh => 0.5 * x * (1.0 + Gelu::tanh_term(x)),
        }
    }

    /// GELU'(x).
    pub fn slope(self, x: f64) -> f64 {
        match self {
            Gelu::Exact => {
                let xc = x.clamp(-40.0, 40.0); // the density underflows to 0 well before ±40
                0.5 * libm::erfc(-SQRT_HALF * x) + x * (INV_SQRT_2PI * (-0.5 * xc * xc).exp())
            }
            Gelu::Tanh => {
                let t = Gelu::tanh_term(x);
                let xc = x.clamp(-20.0, 20.0);
                let inner = TANH_K * (1.0 + 3.0 * TANH_C * xc * xc);
                0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner
            }
        }
    }
}

/// out[i] = GELU(x[i]), or GELU'(x[i]) when `derivative`, in chunks of `chunk`.
pub fn gelu<T: Float>(x: &[T], out: &mut [T], form: Gelu, derivative: bool, chunk: usize) -> Result<()> {
    if out.len() != x.len() {
        return Err(LucidError::value(
            "out",
            format!("{} elements", out.len()),
            format!("{} elements", x.len()),
        ));
    }
    let f = if derivative { Gelu::slope } else { Gelu::value };
    for_each_chunk_mut(out, chunk, |c, part| {
        let xs = &x[c * chunk..c * chunk + part.len()];
        for (o, &v) in part.iter_mut().zip(xs) {
            *o = T::from_f64(f(form, v.to_f64()));
        }
    })
}
