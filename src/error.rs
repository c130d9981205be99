//! One error type for the core. The Python binding maps each kind to one Python
//! exception (see `python/errors.rs`), so every message names the argument and value.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LucidError {
    /// A value of the right type but outside what is allowed (Python: ValueError).
    Value { arg: &'static str, value: String, expected: String },
    /// A value of the wrong type or dtype (Python: TypeError).
    Type { arg: &'static str, value: String, expected: String },
    /// Memory could not be had (Python: MemoryError).
    /// `bytes` is wide enough for sizes that overflow usize, so the message is exact.
    Alloc { bytes: u128 },
    /// The machine refused something other than memory, such as starting the thread
    /// pool (Python: RuntimeError). The message says what and why.
    Runtime(String),
}

pub type Result<T> = std::result::Result<T, LucidError>;

impl LucidError {
    pub fn value(arg: &'static str, value: impl fmt::Display, expected: impl Into<String>) -> Self {
        LucidError::Value { arg, value: value.to_string(), expected: expected.into() }
    }

    pub fn dtype(arg: &'static str, value: impl fmt::Display, expected: impl Into<String>) -> Self {
        LucidError::Type { arg, value: value.to_string(), expected: expected.into() }
    }
}

impl fmt::Display for LucidError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LucidError::Value { arg, value, expected } | LucidError::Type { arg, value, expected } => {
                write!(f, "{arg} must be {expected}, got {value}")
            }
            LucidError::Alloc { bytes } => write!(f, "could not allocate {bytes} bytes"),
            LucidError::Runtime(what) => f.write_str(what),
        }
    }
}

impl std::error::Error for LucidError {}

/// `v` as Python's `str(float)` writes it (`nan`, `inf`, `-0.1`, `2.0`, `1e-05`,
/// `1.5e+16`), so a message about a float reads the same from the core as from Python.
pub fn float_repr(v: f64) -> String {
    if v.is_nan() {
        return "nan".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    // Rust's `{:e}` gives the shortest digits that read back as v, as Python's repr does.
    let sci = format!("{v:e}");
    let (mantissa, exp) = sci.split_once('e').expect("{:e} has an exponent");
    let exp: i32 = exp.parse().expect("an integer exponent");
    let (sign, mantissa) = mantissa.strip_prefix('-').map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        let point = exp + 1; // digits before the decimal point
        let (int, frac) = if point <= 0 {
            ("0".to_string(), format!("{}{digits}", "0".repeat((-point) as usize)))
        } else if point as usize >= digits.len() {
            (format!("{digits}{}", "0".repeat(point as usize - digits.len())), "0".to_string())
        } else {
            (digits[..point as usize].to_string(), digits[point as usize..].to_string())
        };
        format!("{sign}{int}.{frac}")
    } else {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() { String::new() } else { format!(".{tail}") };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{head}{tail}e{esign}{:02}", exp.abs())
    }
}
