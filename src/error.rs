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
