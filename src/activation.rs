//! Activations whose numpy forms cost many passes: GELU, exact (x·Φ(x), Φ from erfc)
//! or in PyTorch's tanh form, and ELU with a scale (SELU); one pass each way over
//! parallel chunks. float64 values and slopes are computed in f64 (erfc libm's, under
//! 1 ulp; eˣ and eˣ − 1 below, branch-free so the loops vectorise), float32 ones in
//! float32 (`kernels32.rs`: within 2 ulp of the f64 value rounded once for ELU and
//! SELU, 4 for GELU, a few ε·|2z| for the tanh GELU); backward multiplies dy by the
//! rounded slope in the dtype, as `dy * slope` would.

mod kernels32;
mod loops64;
pub use kernels32::{value_slope_f32, Elu32};
use loops64::{map_chunk, map_scaled_chunk};

use crate::error::{float_repr, LucidError, Result};
use crate::par::{for_each_chunk_mut, Chunk};
use crate::simd::{Float, Store};

/// SELU's α (Klambauer et al. 2017): with [`SELU_SCALE`], the fixed point of mean 0
/// and variance 1.
pub const SELU_ALPHA: f64 = 1.673_263_242_354_377_2;
/// SELU's scale λ.
pub const SELU_SCALE: f64 = 1.050_700_987_355_480_5;

/// The element-wise activations the kernels compute, by name: the table `lucid._C`'s
/// `activation_forward` and `activation_backward` read. A new one is a variant, its
/// formula (a value and a slope in f64, as [`Elu`] and [`Gelu`] have), its arm in
/// [`Activation::parse`] and its arm in `with_formula!`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Activation {
    /// "elu", params (alpha,) or (alpha, scale): scale·x above 0, scale·α·(eˣ − 1) below.
    Elu { alpha: f64, scale: f64 },
    /// "selu", no params: ELU with α = [`SELU_ALPHA`] and scale = [`SELU_SCALE`].
    Selu,
    /// "gelu", no params: x·Φ(x), exact.
    Gelu,
    /// "gelu_tanh", no params: PyTorch's tanh form of GELU.
    GeluTanh,
}

/// SELU as the ELU it is.
pub const SELU: Elu = Elu { alpha: SELU_ALPHA, scale: SELU_SCALE };

/// Run `$body` with `$f` bound to the formula of the activation `$act` as its own type
/// ([`Elu`] or [`Gelu`]), so every kernel loop is compiled for one formula and vectorises.
macro_rules! with_formula {
    ($act:expr, |$f:ident| $body:expr) => {
        match $act {
            Activation::Elu { alpha, scale } => {
                let $f = Elu { alpha, scale };
                $body
            }
            Activation::Selu => {
                let $f = SELU;
                $body
            }
            Activation::Gelu => {
                let $f = Gelu::Exact;
                $body
            }
            Activation::GeluTanh => {
                let $f = Gelu::Tanh;
                $body
            }
        }
    };
}

fn show(params: &[f64]) -> String {
    let items: Vec<String> = params.iter().map(|&v| float_repr(v)).collect();
    match items.len() {
        1 => format!("({},)", items[0]),
        _ => format!("({})", items.join(", ")),
    }
}

impl Activation {
    pub const NAMES: [&'static str; 4] = ["elu", "selu", "gelu", "gelu_tanh"];

    /// The activation `name` with its parameters `params`: an unknown name, or params
    /// the activation does not take, is an error naming the argument and its value.
    pub fn parse(name: &str, params: &[f64]) -> Result<Activation> {
        let none = |act: Activation| {
            if params.is_empty() {
                Ok(act)
            } else {
                Err(LucidError::value("params", show(params), format!("() for {name:?}")))
            }
        };
        match name {
            "elu" => match *params {
                [alpha] if alpha.is_finite() => Ok(Activation::Elu { alpha, scale: 1.0 }),
                [alpha, scale] if alpha.is_finite() && scale.is_finite() => {
                    Ok(Activation::Elu { alpha, scale })
                }
                _ => Err(LucidError::value(
                    "params",
                    show(params),
                    "(alpha,) or (alpha, scale) of finite numbers for \"elu\"",
                )),
            },
            "selu" => none(Activation::Selu),
            "gelu" => none(Activation::Gelu),
            "gelu_tanh" => none(Activation::GeluTanh),
            other => {
                let names: Vec<String> = Activation::NAMES.iter().map(|n| format!("{n:?}")).collect();
                Err(LucidError::value("name", format!("{other:?}"), format!("one of {}", names.join(", "))))
            }
        }
    }

    /// f(x) in f64.
    pub fn value(self, x: f64) -> f64 {
        with_formula!(self, |f| f.value(x))
    }

    /// f'(x) in f64.
    pub fn slope(self, x: f64) -> f64 {
        with_formula!(self, |f| f.slope(x))
    }
}

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

/// ELU scaled: scale·x above 0, scale·α·(eˣ − 1) at and below it. SELU is
/// α = 1.6732…, scale = λ = 1.0507…; plain ELU has scale 1.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Elu {
    pub alpha: f64,
    pub scale: f64,
}

impl Elu {
    /// ELU(x); expm1 keeps tiny negative x exact, and eˣ never overflows below 0.
    #[inline(always)]
    pub fn value(self, x: f64) -> f64 {
        let negative = self.scale * (self.alpha * expm1_nonpositive(x));
        if x > 0.0 {
            self.scale * x
        } else {
            negative
        }
    }

    /// ELU'(x); at 0, the negative branch's slope, as PyTorch's elu_backward.
    #[inline(always)]
    pub fn slope(self, x: f64) -> f64 {
        let negative = self.scale * (self.alpha * exp_nonpositive(x));
        if x > 0.0 {
            self.scale
        } else {
            negative
        }
    }
}

// eˣ and eˣ − 1 for x <= 0, branch-free so the loops over them vectorise (the C
// library's are calls, one element at a time). x = k·ln 2 + r with |r| <= ln 2 / 2,
// eʳ − 1 from its Taylor series to r¹³ (the next term is below 2⁻⁵⁶ of the sum), then
// scaled by 2ᵏ. Both are within about an ulp of the truth; rust-tests compare them
// with libm's over the whole range.

/// ln 2 to 32 significant bits (0.693147180369…), so k·LN2_HI is exact.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
/// ln 2 − LN2_HI (1.90821492927…e−10); the two sum to ln 2 within 1.2e−26.
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LOG2_E: f64 = std::f64::consts::LOG2_E;
/// Adding and subtracting 1.5·2⁵² rounds a float of magnitude below 2⁵¹ to an integer.
const ROUND: f64 = 6_755_399_441_055_744.0;

/// (k, eʳ − 1) for x = k·ln 2 + r, x in [−746, 0].
#[inline(always)]
fn reduce(x: f64) -> (f64, f64) {
    let k = (x * LOG2_E + ROUND) - ROUND;
    let r = (x - k * LN2_HI) - k * LN2_LO;
    let mut q = 1.0 / 6_227_020_800.0; // 1/13!
    for c in [
        1.0 / 479_001_600.0,
        1.0 / 39_916_800.0,
        1.0 / 3_628_800.0,
        1.0 / 362_880.0,
        1.0 / 40_320.0,
        1.0 / 5_040.0,
        1.0 / 720.0,
        1.0 / 120.0,
        1.0 / 24.0,
        1.0 / 6.0,
        0.5,
    ] {
        q = q * r + c;
    }
    (k, r + r * r * q)
}

/// 2ᵏ for an integer k in [−1022, 0], exactly. The biased exponent k + 1023 is read
/// from the bits of k + 1023 + 1.5·2⁵² (integer arithmetic, which vectorises where a
/// float-to-int conversion would not).
#[inline(always)]
fn two_to(k: f64) -> f64 {
    let biased = (k + 1023.0 + ROUND).to_bits() - ROUND.to_bits();
    f64::from_bits(biased << 52)
}

/// eˣ − 1 for x <= 0 (−1 below −37.5, where eˣ is under half an ulp of 1); NaN stays NaN.
#[inline(always)]
pub fn expm1_nonpositive(x: f64) -> f64 {
    let (k, p) = reduce(x.clamp(-37.5, 0.0));
    let s = two_to(k); // k in [−54, 0]
    let y = s * p + (s - 1.0);
    if x.is_nan() || x == 0.0 {
        x // NaN, and ±0 keeps its sign as expm1 does
    } else if x < -37.5 {
        -1.0
    } else {
        y
    }
}

/// eˣ for x <= 0 (0 below −745.2, where it underflows); NaN stays NaN.
#[inline(always)]
pub fn exp_nonpositive(x: f64) -> f64 {
    let (k, p) = reduce(x.clamp(-745.2, 0.0));
    // 2ᵏ as two factors, so k down to −1075 (subnormal results) stays in range.
    let half = (k * 0.5 + ROUND) - ROUND;
    let y = (1.0 + p) * two_to(half) * two_to(k - half);
    if x.is_nan() {
        x
    } else if x < -745.2 {
        0.0
    } else {
        y
    }
}

fn check_length(name: &'static str, got: usize, want: usize) -> Result<()> {
    if got == want {
        return Ok(());
    }
    Err(LucidError::value(name, format!("{got} elements"), format!("{want} elements")))
}

/// out[i] = act(x[i]) for one part of [`forward`], on the calling thread: also the
/// activation step of kernels that fuse it with more work (`crate::dropout::fused`).
pub fn forward_part<T: Float>(x: &[T], out: &mut [T], act: Activation) {
    if !kernels32::forward_part(x, out, act) {
        with_formula!(act, |f| map_chunk(x, out, &|v| f.value(v)))
    }
}

/// dx[i] = dy[i] · act'(x[i]) for one part of [`backward`] (x, dy and dx of one
/// length), on the calling thread; the fused kernels' activation step too. `store`
/// says how the float32 kernels write dx (streamed for a large whole output; the
/// float64 loops always cache).
pub fn backward_part<T: Float>(x: &[T], dy: &[T], dx: &mut [T], act: Activation, store: Store) {
    if !kernels32::backward_part(x, dy, dx, act, store) {
        with_formula!(act, |f| map_scaled_chunk(x, dy.iter().copied(), dx, &|v| f.slope(v)))
    }
}

/// out[i] = act(x[i]), each value computed in f64 and rounded once to T.
pub fn forward<T: Float>(x: &[T], out: &mut [T], act: Activation, chunk: Chunk) -> Result<()> {
    check_length("out", out.len(), x.len())?;
    if let Some(done) = kernels32::forward(x, out, act, chunk) {
        return done;
    }
    for_each_chunk_mut(out, chunk, |c, part| {
        let first = c * chunk.elements();
        forward_part(&x[first..first + part.len()], part, act)
    })
}

/// dx[i] = dy[i] · act'(x[i]), the slope rounded to T first. A `dy` of one element
/// stands for that value everywhere (the gradient of a sum), so a full-size dy of ones
/// is never made.
pub fn backward<T: Float>(x: &[T], dy: &[T], dx: &mut [T], act: Activation, chunk: Chunk) -> Result<()> {
    let broadcast = dy.len() == 1;
    if !broadcast && dy.len() != x.len() {
        let (got, want) = (format!("{} elements", dy.len()), format!("{} elements or one", x.len()));
        return Err(LucidError::value("dy", got, want));
    }
    check_length("dx", dx.len(), x.len())?;
    if let Some(done) = kernels32::backward(x, dy, dx, act, chunk) {
        return done;
    }
    for_each_chunk_mut(dx, chunk, |c, part| {
        let range = c * chunk.elements()..c * chunk.elements() + part.len();
        let xs = &x[range.clone()];
        if broadcast {
            with_formula!(act, |f| map_scaled_chunk(xs, std::iter::repeat(dy[0]), part, &|v| f.slope(v)))
        } else {
            backward_part(xs, &dy[range], part, act, Store::Cached)
        }
    })
}
