//! The floor copy for Python (`parallel_copy`), which the benchmarks compare kernels against.

use pyo3::prelude::*;

use super::convert::float_array;
use super::convert::guarded;
use super::storage::PyStorage;
use crate::floor::copy;
use crate::par::Chunk;
use crate::storage::{Element, Storage};

/// A new Storage holding a copy of the C-contiguous float array `src`, made with the
/// kernels' chunking and thread pool: the floor the benchmarks compare kernels against.
#[pyfunction]
pub fn parallel_copy(py: Python<'_>, src: &Bound<'_, PyAny>) -> PyResult<PyStorage> {
    guarded(|| {
        fn run<T: Element>(py: Python<'_>, xs: &[T]) -> PyResult<PyStorage> {
            let out = py.detach(|| -> crate::Result<Storage> {
                let mut s = Storage::for_overwrite(T::DTYPE, xs.len())?;
                copy(xs, s.as_mut_slice::<T>()?, Chunk::for_len(xs.len()))?;
                Ok(s)
            })?;
            Ok(PyStorage::new(out))
        }
        float_array!(src, "src", |xs| run(py, xs))
    })
}
