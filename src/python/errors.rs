//! The one mapping from core errors to Python exceptions.

use pyo3::exceptions::{PyMemoryError, PyTypeError, PyValueError};
use pyo3::PyErr;

use crate::error::LucidError;

impl From<LucidError> for PyErr {
    fn from(err: LucidError) -> PyErr {
        let msg = err.to_string();
        match err {
            LucidError::Value { .. } => PyValueError::new_err(msg),
            LucidError::Type { .. } => PyTypeError::new_err(msg),
            LucidError::Alloc { .. } => PyMemoryError::new_err(msg),
        }
    }
}
