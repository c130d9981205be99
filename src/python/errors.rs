//! The one mapping from core errors to Python exceptions.

use pyo3::exceptions::{PyMemoryError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::{PyErr, PyResult};

use crate::error::LucidError;

impl From<LucidError> for PyErr {
    fn from(err: LucidError) -> PyErr {
        let msg = err.to_string();
        match err {
            LucidError::Value { .. } => PyValueError::new_err(msg),
            LucidError::Type { .. } => PyTypeError::new_err(msg),
            LucidError::Alloc { .. } => PyMemoryError::new_err(msg),
            LucidError::Runtime(_) => PyRuntimeError::new_err(msg),
        }
    }
}

/// Run a binding's body, turning a panic anywhere in it (the GIL-holding code, a
/// kernel with the GIL released, a worker of the thread pool) into a RuntimeError
/// that `except Exception` catches, instead of pyo3's PanicException, which derives
/// from BaseException. No panic is expected: this is the last line of defence.
pub fn guarded<R>(body: impl FnOnce() -> PyResult<R>) -> PyResult<R> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)).unwrap_or_else(|payload| {
        let what = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".to_string());
        Err(PyRuntimeError::new_err(format!("internal error in lucid's core (please report it): {what}")))
    })
}
